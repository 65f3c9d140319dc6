//! All or nothing: `upgrade --single-transaction` on delta directories and
//! modules, and `install`, which is always one transaction — a failure
//! anywhere leaves the database exactly as it was.

use crate::support::{delta_dir, TestDb};

#[test]
fn a_failing_delta_rolls_back_the_whole_run() {
    let db = TestDb::baselined("1.0.0");
    let dir = delta_dir(&[
        ("delta_1.0.1_a.sql", "CREATE TABLE a (id int);"),
        ("delta_1.0.2_b.sql", "CREATE TABLE b (id int);"),
        (
            "delta_1.0.3_bad.sql",
            "CREATE TABLE c (id int);\nSELECT 1/0;",
        ),
    ]);
    let run = db
        .upgrade(dir.path())
        .args(["--single-transaction", "--format", "json"])
        .run()
        .code(2);
    assert!(
        run.stderr.contains("everything this run did to") && run.stderr.contains("was rolled back"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("delta_1.0.3_bad.sql:2:"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.json()["applied"],
        serde_json::json!([]),
        "rolled-back deltas listed as applied"
    );
    assert_eq!(db.history(), ["1.0.0 baseline"]);
    assert!(!db.exists_table("public.a"));
    assert!(!db.exists_table("public.b"));

    // Fixed, the same command applies all three together.
    std::fs::write(
        dir.path().join("delta_1.0.3_bad.sql"),
        "CREATE TABLE c (id int);",
    )
    .unwrap();
    db.upgrade(dir.path())
        .arg("--single-transaction")
        .run()
        .success()
        .stdout_has("1.0.0 → 1.0.3");
    assert_eq!(db.history().len(), 4);
}

#[test]
fn deltas_that_cannot_join_a_transaction_are_refused_up_front() {
    let db = TestDb::baselined("1.0.0");
    let dir = delta_dir(&[
        ("delta_1.0.1_a.sql", "CREATE TABLE a (id int);"),
        (
            "delta_1.0.2_idx.sql",
            "-- pum:no-transaction\nCREATE INDEX CONCURRENTLY a_idx ON a (id);",
        ),
    ]);
    db.upgrade(dir.path())
        .arg("--single-transaction")
        .run()
        .code(2)
        .stderr_has("delta_1.0.2_idx.sql (mode: no transaction) cannot run inside");
    assert_eq!(db.history(), ["1.0.0 baseline"]);
    assert!(!db.exists_table("public.a"));
}

#[test]
fn a_failed_install_leaves_nothing_and_a_retry_works() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path();
    std::fs::write(
        m.join(".pum.yaml"),
        "pum:\n  module: shop\n  migration_table_schema: shop_sys\n",
    )
    .unwrap();
    for (version, sql) in [
        (
            "1.0.0",
            "CREATE SCHEMA shop;\nCREATE TABLE shop.item (id int);",
        ),
        (
            "1.1.0",
            "ALTER TABLE shop.item ADD COLUMN price numeric;\nSELECT * FROM shop.nope;",
        ),
    ] {
        let v = m.join("changelogs").join(version);
        std::fs::create_dir_all(&v).unwrap();
        std::fs::write(v.join("01.sql"), sql).unwrap();
    }
    let db = TestDb::new();
    let install = || db.pum().args(["install", "-p", "test", "-d"]).arg(m).run();
    install()
        .code(2)
        .stderr_has("1.1.0/01.sql:2:15")
        .stderr_has("was rolled back");
    assert!(
        !db.exists_table("shop_sys.pum_migrations"),
        "a failed install left its table"
    );
    assert!(
        !db.exists_table("shop.item"),
        "a failed install left version 1.0.0"
    );

    std::fs::write(
        m.join("changelogs/1.1.0/01.sql"),
        "ALTER TABLE shop.item ADD COLUMN price numeric;",
    )
    .unwrap();
    install().success();
    assert_eq!(
        db.query_strings("SELECT version FROM shop_sys.pum_migrations ORDER BY version"),
        ["1.0.0", "1.1.0"]
    );
}

/// A module directory with one version creating `schema`.
fn module(root: &std::path::Path, name: &str, extra: &str) -> std::path::PathBuf {
    let m = root.join(name);
    let v = m.join("changelogs").join("1.0.0");
    std::fs::create_dir_all(&v).unwrap();
    std::fs::write(
        m.join(".pum.yaml"),
        format!("pum:\n  module: {name}\n  migration_table_schema: {name}_sys\n{extra}"),
    )
    .unwrap();
    std::fs::write(v.join("01.sql"), format!("CREATE SCHEMA {name};")).unwrap();
    m
}

#[test]
fn a_second_module_needs_allow_multiple_modules_and_minimum_version_is_checked() {
    let root = tempfile::tempdir().unwrap();
    let db = TestDb::new();
    let install = |m: &std::path::Path| db.pum().args(["install", "-p", "test", "-d"]).arg(m);
    install(&module(root.path(), "first", "")).run().success();
    let second = module(root.path(), "second", "");
    install(&second)
        .run()
        .code(2)
        .stderr_has("another module is installed in this database; pass --allow-multiple-modules");
    assert!(!db.exists_table("second_sys.pum_migrations"));
    install(&second)
        .arg("--allow-multiple-modules")
        .run()
        .success()
        .stderr_has("another module shares this database");

    let newer = module(root.path(), "third", "  minimum_version: 9.0.0\n");
    install(&newer)
        .arg("--allow-multiple-modules")
        .run()
        .code(2)
        .stderr_has("pum.minimum_version is 9.0.0, but this tool does what pum 1.9.2 does");
    let older = module(root.path(), "fourth", "  minimum_version: 1.0.0\n");
    install(&older)
        .arg("--allow-multiple-modules")
        .run()
        .success();
}

#[test]
fn a_beta_testing_install_is_upgraded_only_with_force() {
    let root = tempfile::tempdir().unwrap();
    let m = module(root.path(), "beta", "");
    let db = TestDb::new();
    db.pum()
        .args(["install", "-p", "test", "-d"])
        .arg(&m)
        .arg("--beta-testing")
        .run()
        .success();
    let v = m.join("changelogs").join("1.1.0");
    std::fs::create_dir_all(&v).unwrap();
    std::fs::write(v.join("01.sql"), "CREATE TABLE beta.t (id int);").unwrap();
    let upgrade = || db.pum().args(["upgrade", "-p", "test", "-d"]).arg(&m);
    upgrade()
        .run()
        .code(2)
        .stderr_has("upgrades are disabled; pass --force");
    assert!(!db.exists_table("beta.t"));
    upgrade().arg("--force").run().success();
    assert_eq!(
        db.query_strings(
            "SELECT version || ' ' || beta_testing FROM beta_sys.pum_migrations ORDER BY version"
        ),
        ["1.0.0 true", "1.1.0 true"]
    );
}

#[test]
fn a_second_module_baseline_needs_allow_multiple_modules() {
    let root = tempfile::tempdir().unwrap();
    let db = TestDb::new();
    let baseline = |m: &std::path::Path| {
        db.pum()
            .args(["baseline", "-p", "test", "-b", "1.0.0", "-d"])
            .arg(m)
    };
    baseline(&module(root.path(), "one", "")).run().success();
    let two = module(root.path(), "two", "");
    baseline(&two)
        .run()
        .code(2)
        .stderr_has("pass --allow-multiple-modules");
    assert!(!db.exists_table("two_sys.pum_migrations"));
    baseline(&two)
        .arg("--allow-multiple-modules")
        .run()
        .success();
}

#[test]
fn install_loads_a_demo_data_set_in_its_transaction() {
    let root = tempfile::tempdir().unwrap();
    let m = module(
        root.path(),
        "demo",
        "application:\n  create:\n    - code: CREATE VIEW demo.counted AS SELECT count(*) AS n FROM demo.item\n\
         demo_data:\n  - name: small\n    files:\n      - demo/items.sql\n      - demo/more.sql\n",
    );
    std::fs::write(
        m.join("changelogs/1.0.0/01.sql"),
        "CREATE SCHEMA demo;\nCREATE TABLE demo.item (id int, label text);",
    )
    .unwrap();
    std::fs::create_dir_all(m.join("demo")).unwrap();
    std::fs::write(
        m.join("demo/items.sql"),
        "-- two rows\nINSERT INTO demo.item VALUES (1, 'a'), (2, 'b');",
    )
    .unwrap();
    std::fs::write(
        m.join("demo/more.sql"),
        "INSERT INTO demo.item VALUES (3, 'c');",
    )
    .unwrap();
    let db = TestDb::new();
    let install = |set: &str| {
        db.pum()
            .args(["install", "-p", "test", "-d"])
            .arg(&m)
            .args(["--demo-data", set])
            .run()
    };
    install("large")
        .code(2)
        .stderr_has("--demo-data large: no such set in .pum.yaml (demo_data: small)");
    assert!(!db.exists_table("demo_sys.pum_migrations"));
    install("small").success().stderr_has("ran demo data hook");
    // The create hook ran after the demo data, as pum 1.x runs it.
    assert_eq!(
        db.query_one("SELECT n::text FROM demo.counted"),
        Some("3".into())
    );
}
