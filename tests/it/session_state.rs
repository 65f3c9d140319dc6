//! Every delta starts from the same session state: what one delta `SET`s
//! (search_path, role, session authorization, timeouts) reaches neither the
//! next delta nor the history row, in every mode and in both layouts.

use crate::support::{cluster, delta_dir, TestDb, UPGRADES_TABLE};

/// A login role owning the test database (so it may create in `public`)
/// and a role it may `SET ROLE` to, which may not; `[asuser]` in the
/// service file connects as the first.
fn with_roles(db: &TestDb) -> (String, String) {
    let login = format!("{}_login", db.name);
    let other = format!("{}_other", db.name);
    db.execute(&format!(
        "CREATE ROLE {login} LOGIN; CREATE ROLE {other}; GRANT {other} TO {login}; \
         CREATE SCHEMA elsewhere AUTHORIZATION {login}; GRANT USAGE, CREATE ON SCHEMA elsewhere TO {other}; \
         ALTER DATABASE {} OWNER TO {login};",
        db.name
    ));
    let c = cluster();
    db.write_service_file(&format!(
        "[asuser]\nhost={}\nport={}\ndbname={}\nuser={login}\n",
        c.socket_dir().display(),
        c.port(),
        db.name
    ));
    (login, other)
}

fn drop_roles(db: &TestDb, roles: &[&str]) {
    db.execute(&format!(
        "DROP OWNED BY {0} CASCADE; ALTER DATABASE {1} OWNER TO postgres; DROP SCHEMA IF EXISTS elsewhere CASCADE;",
        roles.join(", "),
        db.name
    ));
    for r in roles {
        db.execute(&format!("DROP ROLE {r}"));
    }
}

/// Delta A changes the session for good; delta B (and C, in the other
/// modes) must not notice: its unqualified tables land in `public`, owned
/// by the connecting role, under no 1 ms statement_timeout.
const LEAKY: &str = "SET search_path = elsewhere;\n\
                     SET ROLE {other};\n\
                     SET statement_timeout = 1;\n";

/// Something that takes longer than a millisecond.
const SLOW: &str = "SELECT pg_sleep(0.05);\n";

fn assert_clean_landing(db: &TestDb, login: &str, tables: &[&str]) {
    for t in tables {
        assert_eq!(
            db.query_one(&format!(
                "SELECT n.nspname || ' ' || pg_get_userbyid(c.relowner) FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = '{t}'"
            )),
            Some(format!("public {login}")),
            "{t} landed elsewhere or under another owner"
        );
    }
}

#[test]
fn settings_of_one_delta_do_not_reach_the_next_or_the_history_row() {
    let db = TestDb::baselined("1.0.0");
    let (login, other) = with_roles(&db);
    db.execute(&format!(
        "GRANT ALL ON public.pum_upgrades TO {login}; GRANT ALL ON SEQUENCE public.pum_upgrades_id_seq TO {login};"
    ));
    let leaky = LEAKY.replace("{other}", &other);
    let deltas = delta_dir(&[
        ("delta_1.0.1_a.sql", &leaky),
        (
            "delta_1.0.2_b.sql",
            &format!("{SLOW}CREATE TABLE b_table (id int);\n"),
        ),
        // Own transaction, then no transaction: each mode starts clean too
        // and leaves nothing behind.
        (
            "delta_1.0.3_c.sql",
            &format!("BEGIN;\n{SLOW}CREATE TABLE c_table ();\n{leaky}COMMIT;\n"),
        ),
        (
            "delta_1.0.4_d.sql",
            &format!("-- pum:no-transaction\n{SLOW}CREATE TABLE d_table ();\n{leaky}"),
        ),
        (
            "delta_1.0.5_e.sql",
            &format!("{SLOW}CREATE TABLE e_table ();\n"),
        ),
    ]);
    db.pum()
        .args(["upgrade", "-p", "asuser", "-t", UPGRADES_TABLE, "-d"])
        .arg(deltas.path())
        .run()
        .success();
    assert_clean_landing(&db, &login, &["b_table", "c_table", "d_table", "e_table"]);
    assert_eq!(
        db.query_strings(
            "SELECT description || ' ' || installed_by FROM public.pum_upgrades WHERE type <> 0 ORDER BY id"
        ),
        ["a", "b", "c", "d", "e"].map(|d| format!("{d} {login}"))
    );
    drop_roles(&db, &[&login, &other]);
}

#[test]
fn session_authorization_set_by_a_delta_does_not_outlive_it() {
    let db = TestDb::baselined("1.0.0");
    let (login, other) = with_roles(&db);
    let deltas = delta_dir(&[
        (
            "delta_1.0.1_a.sql",
            &format!(
                "SET SESSION AUTHORIZATION {login};\nSET ROLE {other};\nSET search_path = elsewhere;\nSET statement_timeout = 1;\n"
            ),
        ),
        (
            "delta_1.0.2_b.sql",
            &format!("{SLOW}CREATE TABLE b_table (id int);\n"),
        ),
    ]);
    // As the superuser the test connects as.
    db.upgrade(deltas.path()).run().success();
    assert_clean_landing(&db, "postgres", &["b_table"]);
    assert_eq!(
        db.query_strings(
            "SELECT description || ' ' || installed_by FROM public.pum_upgrades WHERE type <> 0 ORDER BY id"
        ),
        ["a postgres", "b postgres"]
    );
    drop_roles(&db, &[&login, &other]);
}

#[test]
fn settings_of_one_module_file_do_not_reach_the_next_file_or_version() {
    let db = TestDb::new();
    let (login, other) = with_roles(&db);
    let module = tempfile::tempdir().unwrap();
    let m = module.path();
    std::fs::write(m.join(".pum.yaml"), "pum:\n  module: leaky\n").unwrap();
    let files = [
        ("1.0.0/01_a.sql", LEAKY.replace("{other}", &other)),
        (
            "1.0.0/02_b.sql",
            format!("{SLOW}CREATE TABLE b_table ();\n"),
        ),
        (
            "1.1.0/01_c.sql",
            format!(
                "{SLOW}CREATE TABLE c_table ();\n{}",
                LEAKY.replace("{other}", &other)
            ),
        ),
        (
            "1.2.0/01_d.sql",
            format!("{SLOW}CREATE TABLE d_table ();\n"),
        ),
    ];
    for (path, text) in &files {
        let path = m.join("changelogs").join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    db.pum()
        .args(["install", "-p", "asuser", "-d"])
        .arg(m)
        .run()
        .success();
    assert_clean_landing(&db, &login, &["b_table", "c_table", "d_table"]);
    assert_eq!(
        db.query_strings(
            "SELECT version FROM public.pum_migrations ORDER BY string_to_array(version, '.')::int[]"
        ),
        ["1.0.0", "1.1.0", "1.2.0"]
    );
    drop_roles(&db, &[&login, &other]);
}
