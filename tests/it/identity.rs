//! A database is known by its server and its OID, never by its spelling:
//! every way of naming production — a unix socket, 127.0.0.1, localhost, a
//! URI, another user — is refused as a test database before anything is
//! copied or dropped, and `allow_restore: false` holds under every name.

use std::os::unix::fs::PermissionsExt;

use crate::support::{cluster, conninfo, example_deltas, TestDb};

const TABLE: &str = "public.pum_upgrades";
const PASSWORD: &str = "id-Pa55 word";

/// Production at 1.0.0 of the example model, with rows.
fn production() -> TestDb {
    let db = TestDb::baselined("1.0.0");
    db.upgrade(&example_deltas())
        .args(["-u", "1.0.0"])
        .run()
        .success();
    db.execute(
        "INSERT INTO network.node (name, x, y) VALUES ('a', 0, 0), ('b', 3, 4);
         INSERT INTO network.pipe (from_node, to_node, diameter_mm, material)
         SELECT a.id, b.id, 100, 'pvc' FROM network.node a, network.node b WHERE a.name = 'a' AND b.name = 'b';",
    );
    db
}

/// The newest model built from the deltas.
fn reference() -> TestDb {
    let db = TestDb::baselined("1.0.0");
    db.upgrade(&example_deltas()).run().success();
    db
}

/// What a user would look at: the version, the tables and their rows.
fn state(db: &TestDb) -> String {
    db.query_one(
        "SELECT (SELECT max(string_to_array(version, '.')::int[])::text FROM public.pum_upgrades)
             || ' ' || (SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c
                        JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname = 'network' AND c.relkind = 'r')
             || ' ' || (SELECT count(*) FROM network.pipe)::text",
    )
    .unwrap()
}

/// A login role with a password in the `.pgpass` of `runner` (whose home
/// the pum child uses), for TCP spellings.
fn tcp_role(db: &TestDb, runner: &TestDb) -> String {
    let role = format!("{}_tcp", db.name);
    db.execute(&format!(
        "CREATE ROLE {} LOGIN PASSWORD {}",
        pum::db::quote_ident(&role),
        pum::db::quote_literal(PASSWORD)
    ));
    let path = runner.home.path().join(".pgpass");
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    text.push_str(&format!("*:*:*:{role}:{PASSWORD}\n"));
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    role
}

/// Every other way of naming `db`, as `runner`'s pum child can use them:
/// socket conninfo, 127.0.0.1, localhost, a URI, and another user over the
/// socket.
fn spellings(db: &TestDb, runner: &TestDb) -> Vec<String> {
    let c = cluster();
    let port = c.port();
    let role = tcp_role(db, runner);
    vec![
        conninfo(db),
        format!("host=127.0.0.1 port={port} dbname={} user={role}", db.name),
        format!("host=localhost port={port} dbname={} user={role}", db.name),
        format!("postgresql://{role}@127.0.0.1:{port}/{}", db.name),
        format!(
            "host={} port={port} dbname={} user={role}",
            c.socket_dir().display(),
            db.name
        ),
    ]
}

#[test]
fn production_under_any_spelling_is_refused_as_the_test_database() {
    let prod = production();
    let reference = reference();
    let before = state(&prod);
    for spelling in spellings(&prod, &prod) {
        for dry_run in [false, true] {
            let mut cmd = prod
                .pum()
                .args(["test-and-upgrade", "-pp", "test", "-pt", &spelling, "-pc"])
                .arg(conninfo(&reference))
                .args(["-t", TABLE, "--yes", "-d"])
                .arg(example_deltas());
            if dry_run {
                cmd = cmd.arg("--dry-run");
            }
            let run = cmd.run().code(2).stderr_has("is production itself");
            assert!(
                !run.stderr.contains("copy production"),
                "refused before copying: {}",
                run.stderr
            );
            assert_eq!(
                state(&prod),
                before,
                "production intact after -pt {spelling}"
            );
        }
    }
}

#[test]
fn the_reference_is_refused_as_the_test_database_and_production_as_the_reference() {
    let prod = production();
    let reference = reference();
    let reference_before = state(&reference);
    let prod_before = state(&prod);
    let other_spelling = spellings(&reference, &prod)[1].clone();
    prod.pum()
        .args([
            "test-and-upgrade",
            "-pp",
            "test",
            "-pt",
            &other_spelling,
            "-pc",
        ])
        .arg(conninfo(&reference))
        .args(["-t", TABLE, "--yes", "-d"])
        .arg(example_deltas())
        .run()
        .code(2)
        .stderr_has("is the reference (-pc)");
    assert_eq!(state(&reference), reference_before);

    let prod_spelling = spellings(&prod, &prod)[3].clone();
    prod.pum()
        .args(["test-and-upgrade", "-pp", "test", "-pc", &prod_spelling])
        .args(["-t", TABLE, "--yes", "-d"])
        .arg(example_deltas())
        .run()
        .code(2)
        .stderr_has("the reference (-pc)")
        .stderr_has("is production itself");
    assert_eq!(state(&prod), prod_before);
}

#[test]
fn allow_restore_false_holds_under_every_spelling() {
    let prod = production();
    let before = state(&prod);
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("prod.dump");
    prod.pum()
        .args(["dump", "-p", "test"])
        .arg(&dump)
        .run()
        .success();
    let config = dir.path().join("pum.yaml");
    std::fs::write(&config, "services:\n  test:\n    allow_restore: false\n").unwrap();
    let names = spellings(&prod, &prod);
    for spelling in &names {
        for mode in ["--clean", "--swap"] {
            prod.pum()
                .args(["-c"])
                .arg(&config)
                .args(["restore", "-p", spelling, mode])
                .arg(&dump)
                .run()
                .code(2)
                .stderr_has("allow_restore: false");
            assert_eq!(state(&prod), before, "{mode} through {spelling}");
        }
    }
    // As a rehearsal's test database too.
    let other_prod = production();
    let reference = reference();
    prod.pum()
        .args(["-c"])
        .arg(&config)
        .args(["test-and-upgrade", "-pp"])
        .arg(conninfo(&other_prod))
        .args(["-pt", &names[2], "-pc"])
        .arg(conninfo(&reference))
        .args(["-t", TABLE, "--yes", "-d"])
        .arg(example_deltas())
        .run()
        .code(2)
        .stderr_has("allow_restore: false");
    assert_eq!(state(&prod), before);
}

#[test]
fn check_warns_when_both_sides_are_one_database() {
    let db = production();
    let other = spellings(&db, &db)[2].clone();
    db.pum()
        .args(["check", "-p1", "test", "-p2", &other])
        .run()
        .success()
        .stderr_has("the same database");
    let sibling = db.sibling();
    let run = db
        .pum()
        .args(["check", "-p1", "test", "-p2"])
        .arg(conninfo(&sibling))
        .run();
    assert!(!run.stderr.contains("the same database"), "{}", run.stderr);
}
