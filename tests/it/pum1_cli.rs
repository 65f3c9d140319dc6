//! pum 1.x's own command line (`pum -p CONNECTION -d DIR COMMAND ...`) run
//! unchanged against real databases, beside the pum 0.x shape.

use std::path::{Path, PathBuf};

use crate::module::{installed_by_pum1, module_copy, rows};
use crate::support::{cluster, fixtures, TestDb};

fn fixture() -> PathBuf {
    fixtures().join("module_1x")
}

/// A copy of the fixture whose roles are named `pum_it_<tag>_...`: roles
/// are cluster-wide, so each test that creates them has its own.
pub(crate) fn module_with_roles(tag: &str) -> tempfile::TempDir {
    let module = module_copy();
    let yaml = module.path().join(".pum.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(&yaml, text.replace("pum_it_", &format!("pum_it_{tag}_"))).unwrap();
    module
}

/// `pum -p test -d DIR ARGS...`, the shape pum 1.x documents.
pub(crate) fn pum1(db: &TestDb, dir: &Path, args: &[&str]) -> crate::support::Run {
    db.pum()
        .args(["-p", "test", "-d"])
        .arg(dir)
        .args(args)
        .run()
}

/// Adds service `other` (database `b`) to `a`'s service file.
fn with_other_service(a: &TestDb, b: &TestDb) {
    let c = cluster();
    a.write_service_file(&format!(
        "[other]\nhost={}\nport={}\ndbname={}\nuser=postgres\n",
        c.socket_dir().display(),
        c.port(),
        b.name
    ));
}

#[test]
fn install_upgrade_and_info_written_for_pum_1x() {
    let db = TestDb::new();
    let module = module_with_roles("cli1");
    let dir = module.path();
    pum1(
        &db,
        dir,
        &[
            "install",
            "--max-version",
            "1.9.0",
            "-p",
            "tolerance",
            "0.25",
        ],
    )
    .success()
    .stderr_has("created pipes_sys.pum_migrations");
    assert_eq!(rows(&db), ["1.0.0 1", "1.9.0 2"]);
    // pum 1.x creates the roles and grants on install unless told not to.
    assert_eq!(
        db.query_one(
            "SELECT concat_ws(',', has_table_privilege('pum_it_cli1_viewer', 'pipes.pipe', 'SELECT'), \
                    has_table_privilege('pum_it_cli1_editor', 'pipes.pipe', 'INSERT'), \
                    (SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef \
                     WHERE adrelid = 'pipes.pipe'::regclass AND adnum = 4))"
        )
        .unwrap(),
        "t,t,0.25"
    );
    let info = db
        .pum()
        .args(["-p", "test", "-d"])
        .arg(dir)
        .args(["--format", "json", "info"])
        .run()
        .success()
        .json();
    assert_eq!(info["installed"], true);
    assert_eq!(info["pending"], 2);
    // Inside the command, -p is a parameter: the same value as installed.
    pum1(
        &db,
        dir,
        &["upgrade", "-p", "tolerance", "0.25", "-p", "SRID", "2056"],
    )
    .success()
    .stdout_has("1.9.0 → 1.11.0 (2 versions applied");
    assert_eq!(rows(&db), ["1.0.0 1", "1.9.0 2", "1.10.0 1", "1.11.0 0"]);
    let text = pum1(&db, dir, &["info"]).success();
    assert!(text.stdout.contains("1.11.0"), "{}", text.stdout);
    // A changed parameter is refused as in our own shape.
    pum1(&db, dir, &["upgrade", "-p", "tolerance", "0.5"])
        .code(2)
        .stderr_has("tolerance");
}

#[test]
fn baseline_and_upgrade_from_the_module_directory() {
    let db = TestDb::new();
    // Without --create-table a missing pum_migrations is an error, as in pum 1.x.
    db.pum()
        .args(["-p", "test", "baseline", "-b", "1.0.0"])
        .current_dir(fixture())
        .run()
        .code(2)
        .stderr_has("pipes_sys.pum_migrations does not exist")
        .stderr_has("--create-table");
    assert!(!db.exists_table("pipes_sys.pum_migrations"));
    // -d defaults to the current directory, as in pum 1.x.
    db.pum()
        .args(["-p", "test", "baseline", "-b", "1.0.0", "--create-table"])
        .current_dir(fixture())
        .run()
        .success()
        .stdout_has("baselined");
    assert_eq!(rows(&db), ["1.0.0 0"]);
    db.execute(
        "CREATE SCHEMA pipes; CREATE TABLE pipes.pipe (id serial PRIMARY KEY, \
         srid integer NOT NULL DEFAULT 2056, owner text, tolerance numeric);",
    );
    // --skip-grant: no role is created or granted.
    db.pum()
        .args(["-v", "-p", "test", "upgrade", "--skip-grant", "-u", "1.9.0"])
        .current_dir(fixture())
        .run()
        .success()
        .stderr_has("applied pipes 1.9.0 (2 files)");
    assert_eq!(rows(&db), ["1.0.0 0", "1.9.0 2"]);
    // -c naming the module's own .pum.yaml gives the directory.
    db.pum()
        .args(["-p", "test", "-c"])
        .arg(fixture().join(".pum.yaml"))
        .args(["upgrade", "--skip-grant"])
        .run()
        .success();
    assert_eq!(rows(&db), ["1.0.0 0", "1.9.0 2", "1.10.0 1", "1.11.0 0"]);
    // Another configuration file is refused by name.
    let other = tempfile::tempdir().unwrap();
    let elsewhere = other.path().join(".pum.yaml");
    std::fs::copy(fixture().join(".pum.yaml"), &elsewhere).unwrap();
    db.pum()
        .args(["-p", "test", "-d"])
        .arg(fixture())
        .arg("--config_file")
        .arg(&elsewhere)
        .arg("info")
        .run()
        .code(2)
        .stderr_has(&format!(
            "`-c {}` is not supported yet",
            elsewhere.display()
        ));
}

#[test]
fn check_compares_with_the_database_named_after_the_command() {
    let a = installed_by_pum1();
    let b = installed_by_pum1();
    with_other_service(&a, &b);
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report.json");
    a.pum()
        .args(["-p", "test", "check", "other", "-f", "json", "-o"])
        .arg(&report)
        .run()
        .code(0);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(json.is_object(), "{json}");
    b.execute(
        "ALTER TABLE pipes.pipe ADD COLUMN extra text; CREATE VIEW pipes.v AS SELECT 1 AS one",
    );
    let run = a
        .pum()
        .args(["-p", "test", "check", "other", "-f", "json"])
        .run()
        .code(1);
    assert!(run.stdout.contains("extra"), "{}", run.stdout);
    // Ignored kinds and field patterns as pum 1.x spells them.
    a.pum()
        .args(["-p", "test", "check", "other", "-i", "views", "-P", "ext%"])
        .run()
        .code(0)
        .stdout_has("OK");
    // The same comparison in the pum 0.x shape.
    a.pum()
        .args(["check", "-p1", "test", "-p2", "other"])
        .run()
        .code(1);
}

#[test]
fn dump_and_restore_written_for_pum_1x() {
    let a = installed_by_pum1();
    let b = TestDb::new();
    with_other_service(&a, &b);
    let dir = tempfile::tempdir().unwrap();
    // Plain SQL by default, as pum 1.x writes it.
    let plain = dir.path().join("db.sql");
    a.pum()
        .args(["-p", "test", "dump"])
        .arg(&plain)
        .run()
        .success();
    let sql = std::fs::read_to_string(&plain).unwrap();
    assert!(
        sql.contains("CREATE TABLE pipes.pipe"),
        "{}",
        &sql[..sql.len().min(400)]
    );
    let custom = dir.path().join("db.backup");
    a.pum()
        .args(["-p", "test", "dump", "-f", "custom", "-N", "pipes_sys"])
        .arg(&custom)
        .run()
        .success();
    a.pum()
        .args(["-p", "other", "restore", "-x"])
        .arg(&custom)
        .run()
        .success();
    assert!(b.exists_table("pipes.pipe"));
    assert!(
        !b.exists_table("pipes_sys.pum_migrations"),
        "-N left it out"
    );
}

#[test]
fn role_create_and_grant() {
    let db = installed_by_pum1();
    let module = module_with_roles("cli2");
    pum1(&db, module.path(), &["role", "create"])
        .success()
        .stdout_has("2 roles created");
    db.execute("CREATE TABLE pipes.later (id int)");
    pum1(&db, module.path(), &["role", "grant"]).success();
    assert_eq!(
        db.query_one(
            "SELECT has_table_privilege('pum_it_cli2_viewer', 'pipes.later', 'SELECT')::text"
        )
        .unwrap(),
        "true"
    );
    pum1(&db, module.path(), &["role", "drop"]).success();
    assert_eq!(
        db.query_one("SELECT count(*)::text FROM pg_roles WHERE rolname LIKE 'pum_it_cli2_%'")
            .unwrap(),
        "0"
    );
}

#[test]
fn refused_commands_and_flags_name_themselves_and_change_nothing() {
    let db = TestDb::new();
    pum1(&db, &fixture(), &["cache", "clean"])
        .code(2)
        .stderr_has("`cache`")
        .stderr_has("not supported yet");
    assert!(!db.exists_table("pipes_sys.pum_migrations"));
    // A directory without .pum.yaml is named.
    let empty = tempfile::tempdir().unwrap();
    pum1(&db, empty.path(), &["info"])
        .code(2)
        .stderr_has(".pum.yaml: not found");
}

#[test]
fn table_flag_names_the_modules_own_table() {
    let db = installed_by_pum1();
    // pum 0.x shape with the module's own table: accepted everywhere.
    db.pum()
        .args([
            "upgrade",
            "-p",
            "test",
            "-t",
            "pipes_sys.pum_migrations",
            "-d",
        ])
        .arg(fixture())
        .run()
        .success()
        .stderr_has("applied pipes 1.9.0 (2 files)");
    assert_eq!(rows(&db).len(), 4);
    db.pum()
        .args(["info", "-p", "test", "-t", "pipes_sys.pum_migrations", "-d"])
        .arg(fixture())
        .run()
        .success();
    // Another table is refused and names the module's own.
    db.pum()
        .args(["info", "-p", "test", "-t", "public.pum_migrations", "-d"])
        .arg(fixture())
        .run()
        .code(2)
        .stderr_has("keeps its history in pipes_sys.pum_migrations");
    let fresh = TestDb::new();
    fresh
        .pum()
        .args([
            "baseline",
            "-p",
            "test",
            "-t",
            "pipes_sys.pum_migrations",
            "-b",
            "1.0.0",
            "-d",
        ])
        .arg(fixture())
        .run()
        .success();
    assert_eq!(rows(&fresh), ["1.0.0 0"]);
}

/// Drops the named database at the end of a test, however it ends.
struct DropAtEnd(String);

impl Drop for DropAtEnd {
    fn drop(&mut self) {
        if let Ok(mut admin) = pum::db::connect(&cluster().params("postgres")) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                pum::db::quote_ident(&self.0)
            ));
        }
    }
}

fn database_exists(db: &TestDb, name: &str) -> bool {
    db.query_one(&format!(
        "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')::text"
    ))
    .unwrap()
        == "true"
}

#[test]
fn db_create_refuses_an_existing_name_and_copies_a_template() {
    let db = installed_by_pum1();
    let name = format!("{}_made", db.name);
    let _cleanup = DropAtEnd(name.clone());
    db.pum()
        .args(["-p", "test", "db", "create", &name])
        .run()
        .success()
        .stdout_has(&format!("created database {name}"));
    assert!(database_exists(&db, &name));
    db.pum()
        .args(["-p", "test", "db", "create", &name])
        .run()
        .code(2)
        .stderr_has("already exists");
    // A copy of a template, in our own shape.
    let copy = format!("{}_copy", db.name);
    let _cleanup_copy = DropAtEnd(copy.clone());
    let held = db.client();
    db.pum()
        .args(["db", "create", &copy, "-p", "test", "--template", &db.name])
        .run()
        .code(2)
        .stderr_has("other session");
    drop(held);
    db.pum()
        .args(["db", "create", &copy, "-p", "test", "--template", &db.name])
        .run()
        .success();
    let mut copied = pum::db::connect(&cluster().params(&copy)).unwrap();
    let row = copied
        .query_one(
            "SELECT to_regclass('pipes_sys.pum_migrations') IS NOT NULL",
            &[],
        )
        .unwrap();
    assert!(
        row.get::<_, bool>(0),
        "the copy holds the template's tables"
    );
    drop(copied);
}

#[test]
fn db_drop_asks_and_is_guarded() {
    let db = TestDb::new();
    let name = format!("{}_doomed", db.name);
    let _cleanup = DropAtEnd(name.clone());
    db.pum()
        .args(["-p", "test", "db", "create", &name])
        .run()
        .success();
    // A declined confirmation drops nothing.
    db.pum()
        .args(["-p", "test", "db", "drop", &name])
        .stdin("no\n")
        .run()
        .success()
        .stdout_has("not dropped");
    assert!(database_exists(&db, &name));
    // Someone connected: refused, nothing cut off.
    let mut session = pum::db::connect(&cluster().params(&name)).unwrap();
    db.pum()
        .args(["-p", "test", "db", "drop", &name, "--force"])
        .run()
        .code(2)
        .stderr_has("other session");
    session.batch_execute("SELECT 1").unwrap();
    drop(session);
    // pum.yaml protects it under another service name.
    let c = cluster();
    db.write_service_file(&format!(
        "[keep]\nhost={}\nport={}\ndbname={name}\nuser=postgres\n",
        c.socket_dir().display(),
        c.port(),
    ));
    let here = tempfile::tempdir().unwrap();
    std::fs::write(
        here.path().join("pum.yaml"),
        "services:\n  keep:\n    allow_restore: false\n",
    )
    .unwrap();
    db.pum()
        .args(["-p", "test", "db", "drop", &name, "--force"])
        .current_dir(here.path())
        .run()
        .code(2)
        .stderr_has("allow_restore: false");
    assert!(database_exists(&db, &name));
    db.pum()
        .args(["-p", "test", "db", "drop", &name])
        .stdin("yes\n")
        .run()
        .success()
        .stdout_has(&format!("dropped database {name}"));
    assert!(!database_exists(&db, &name));
    db.pum()
        .args(["-p", "test", "db", "drop", &name, "--force"])
        .run()
        .code(2)
        .stderr_has(&format!("no database {name}"));
}

#[test]
fn db_access_sets_who_may_connect_in_one_transaction() {
    let db = TestDb::new();
    let reader = format!("{}_reader", db.name);
    let other = format!("{}_other", db.name);
    db.execute(&format!(
        "CREATE ROLE {reader} LOGIN; CREATE ROLE {other} LOGIN"
    ));
    let may_connect = |role: &str| {
        db.query_one(&format!(
            "SELECT has_database_privilege('{role}', '{}', 'CONNECT')::text",
            db.name
        ))
        .unwrap()
    };
    assert_eq!(
        (may_connect(&reader), may_connect(&other)),
        ("true".into(), "true".into())
    );
    db.pum()
        .args([
            "-p",
            "test",
            "db",
            "access",
            &db.name,
            "--grant-connect",
            &reader,
        ])
        .run()
        .success()
        .stdout_has("revoked from PUBLIC");
    assert_eq!(
        (may_connect(&reader), may_connect(&other)),
        ("true".into(), "false".into())
    );
    // An unknown role: the revoke before it is rolled back with it.
    db.pum()
        .args(["db", "access", &db.name, "-p", "test", "--keep-public"])
        .args([
            "--revoke-connect",
            &reader,
            "--grant-connect",
            "no_such_role_here",
        ])
        .run()
        .code(2)
        .stderr_has("no_such_role_here");
    assert_eq!(may_connect(&reader), "true");
    db.pum()
        .args(["-p", "test", "db", "access", &db.name, "--keep-public"])
        .run()
        .code(2)
        .stderr_has("changes nothing");
    db.execute(&format!(
        "DROP OWNED BY {reader}, {other}; DROP ROLE {reader}; DROP ROLE {other}"
    ));
}

#[test]
fn upgrade_after_a_bare_baseline_refuses_until_skip_baseline_check_as_pum_1x() {
    // A database at 1.9.0 whose history was lost, then baselined at
    // 1.9.0 (as after a restore of the data alone): 1.0.0 is not recorded.
    let hand_built = || {
        let db = TestDb::new();
        pum1(
            &db,
            &fixture(),
            &[
                "install",
                "--max-version",
                "1.9.0",
                "--skip-roles",
                "--skip-grant",
            ],
        )
        .success();
        db.execute("DELETE FROM pipes_sys.pum_migrations");
        pum1(&db, &fixture(), &["baseline", "-b", "1.9.0"]).success();
        db
    };
    let ours = hand_built();
    pum1(&ours, &fixture(), &["upgrade", "--skip-grant"])
        .code(2)
        .stderr_has("version(s) 1.0.0 are older than the database's version 1.9.0")
        .stderr_has("--skip-baseline-check");
    assert_eq!(rows(&ours), ["1.9.0 0"], "nothing applied");
    // The real pum 1.x refuses the same database state.
    let theirs = hand_built();
    let refused = crate::support::pum1::pum1(theirs.home.path())
        .args(["-p", "test", "-d"])
        .arg(fixture())
        .args(["upgrade", "--skip-grant"])
        .run();
    assert_ne!(refused.code, 0, "pum 1.x refuses too: {}", refused.stderr);
    assert_eq!(rows(&theirs), ["1.9.0 0"]);
    // With the flag both go on from 1.9.0.
    pum1(
        &ours,
        &fixture(),
        &["upgrade", "--skip-grant", "--skip-baseline-check"],
    )
    .success()
    .stderr_has("--skip-baseline-check");
    assert_eq!(rows(&ours), ["1.9.0 0", "1.10.0 1", "1.11.0 0"]);
}
