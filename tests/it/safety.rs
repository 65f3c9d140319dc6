//! Production safety: the run lock, per-delta lock_timeout with retries,
//! no-transaction deltas, drift and dry runs.

use std::time::Duration;

use crate::support::{delta_dir, TestDb};

const TABLE: &str = "public.pum_upgrades";

#[test]
fn run_lock_held_elsewhere_names_the_holder() {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[("delta_1.0.1_a.sql", "CREATE TABLE a ();")]);
    let mut holder = db.client();
    holder
        .batch_execute("SET application_name = 'other-deploy'; SELECT pg_advisory_lock(7370093, hashtext('\"public\".\"pum_upgrades\"'))")
        .unwrap();
    db.pum()
        .args([
            "upgrade",
            "-p",
            "test",
            "-t",
            TABLE,
            "--lock-timeout",
            "300ms",
            "-d",
        ])
        .arg(deltas.path())
        .run()
        .code(2)
        .stderr_has("another pum run holds the upgrade lock")
        .stderr_has("application_name \"other-deploy\"")
        .stderr_has("pid ");
    assert!(!db.exists_table("public.a"));
    drop(holder);
    db.upgrade(deltas.path()).run().success();
    assert!(db.exists_table("public.a"));
}

#[test]
fn delta_blocked_by_a_lock_retries_until_it_is_released() {
    let db = TestDb::baselined("1.0.0");
    db.execute("CREATE TABLE busy (id int)");
    let deltas = delta_dir(&[(
        "delta_1.0.1_alter.sql",
        "ALTER TABLE busy ADD COLUMN note text;",
    )]);
    let mut holder = db.client();
    holder
        .batch_execute("BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE;")
        .unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        holder.batch_execute("COMMIT").unwrap();
    });
    let run = db
        .pum()
        .args([
            "upgrade",
            "-p",
            "test",
            "-t",
            TABLE,
            "--delta-lock-timeout",
            "100ms",
            "--retries",
            "6",
            "-d",
        ])
        .arg(deltas.path())
        .run()
        .success();
    release.join().unwrap();
    assert!(
        run.stderr.contains("lock timeout") && run.stderr.contains("attempt 2 of 7"),
        "{}",
        run.stderr
    );
    assert_eq!(db.history(), ["1.0.0 baseline", "1.0.1 alter"]);
}

#[test]
fn delta_blocked_too_long_fails_cleanly_after_its_retries() {
    let db = TestDb::baselined("1.0.0");
    db.execute("CREATE TABLE busy (id int)");
    let deltas = delta_dir(&[(
        "delta_1.0.1_alter.sql",
        "ALTER TABLE busy ADD COLUMN note text;",
    )]);
    let mut holder = db.client();
    holder
        .batch_execute("BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE;")
        .unwrap();
    db.pum()
        .args([
            "upgrade",
            "-p",
            "test",
            "-t",
            TABLE,
            "--delta-lock-timeout",
            "50ms",
            "--retries",
            "1",
            "-d",
        ])
        .arg(deltas.path())
        .run()
        .code(2)
        .stderr_has("[55P03]");
    holder.batch_execute("COMMIT").unwrap();
    assert_eq!(db.history(), ["1.0.0 baseline"]);
}

#[test]
fn no_transaction_delta_builds_an_index_concurrently() {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[
        ("delta_1.0.1_table.sql", "CREATE TABLE t (id int, v text); INSERT INTO t SELECT g, g::text FROM generate_series(1, 1000) g;"),
        (
            "delta_1.0.2_index.sql",
            "-- pum:no-transaction\nCREATE INDEX CONCURRENTLY t_v_idx ON t (v);\nVACUUM ANALYZE t;\n",
        ),
    ]);
    let info = db
        .pum()
        .args([
            "--format",
            "json",
            "upgrade",
            "--dry-run",
            "-p",
            "test",
            "-t",
            TABLE,
            "-d",
        ])
        .arg(deltas.path())
        .run()
        .success()
        .json();
    assert_eq!(info["deltas"][1]["mode"], "no_transaction");
    db.upgrade(deltas.path()).run().success();
    assert_eq!(
        db.query_one(
            "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 't_v_idx'::regclass"
        )
        .as_deref(),
        Some("true")
    );
    assert_eq!(
        db.history(),
        ["1.0.0 baseline", "1.0.1 table", "1.0.2 index"]
    );
}

#[test]
fn no_transaction_delta_failing_half_way_says_so_and_records_nothing() {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[(
        "delta_1.0.1_half.sql",
        "-- pum:no-transaction\nCREATE TABLE first ();\nCREATE TABLE first ();\nCREATE TABLE third ();\n",
    )]);
    db.upgrade(deltas.path())
        .run()
        .code(2)
        .stderr_has("delta_1.0.1_half.sql:3:")
        .stderr_has("statement 2 of 3")
        .stderr_has("statements 1 to 1 stayed applied");
    assert!(db.exists_table("public.first"));
    assert!(!db.exists_table("public.third"));
    assert_eq!(db.history(), ["1.0.0 baseline"]);
}

#[test]
fn edited_applied_delta_warns_and_strict_refuses() {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[("delta_1.0.1_a.sql", "CREATE TABLE a ();")]);
    db.upgrade(deltas.path()).run().success();
    std::fs::write(
        deltas.path().join("delta_1.0.1_a.sql"),
        "CREATE TABLE a (edited int);",
    )
    .unwrap();
    std::fs::write(
        deltas.path().join("delta_1.0.2_b.sql"),
        "CREATE TABLE b ();",
    )
    .unwrap();
    db.pum()
        .args(["upgrade", "-p", "test", "-t", TABLE, "--strict", "-d"])
        .arg(deltas.path())
        .run()
        .code(2)
        .stderr_has("delta_1.0.1_a.sql was changed after it was applied")
        .stderr_has("nothing was applied");
    assert!(!db.exists_table("public.b"));
    let info = db
        .pum()
        .args(["--format", "json", "info", "-p", "test", "-t", TABLE, "-d"])
        .arg(deltas.path())
        .run()
        .success()
        .json();
    assert_eq!(info["deltas"][0]["status"], "changed_since_applied");
    db.upgrade(deltas.path())
        .run()
        .success()
        .stderr_has("warning: ");
    assert!(db.exists_table("public.b"));
    assert_eq!(db.history(), ["1.0.0 baseline", "1.0.1 a", "1.0.2 b"]);
}

#[test]
fn dry_run_changes_nothing_and_shows_substituted_sql() {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[(
        "delta_1.0.1_v.sql",
        "CREATE TABLE v (srid int DEFAULT %(SRID)s);",
    )]);
    let plan = db
        .pum()
        .args([
            "--format",
            "json",
            "upgrade",
            "--dry-run",
            "-p",
            "test",
            "-t",
            TABLE,
            "-v",
            "int",
            "SRID",
            "2056",
            "-d",
        ])
        .arg(deltas.path())
        .run()
        .success()
        .json();
    assert_eq!(plan["version_after"], "1.0.1");
    assert_eq!(
        plan["deltas"][0]["sql"],
        "CREATE TABLE v (srid int DEFAULT 2056);"
    );
    let text = db
        .pum()
        .args([
            "upgrade",
            "--dry-run",
            "-p",
            "test",
            "-t",
            TABLE,
            "-v",
            "int",
            "SRID",
            "2056",
            "-d",
        ])
        .arg(deltas.path())
        .run()
        .success();
    assert!(
        text.stdout
            .contains("would go from 1.0.0 to 1.0.1 with 1 delta"),
        "{}",
        text.stdout
    );
    assert!(!db.exists_table("public.v"));
    assert_eq!(db.history(), ["1.0.0 baseline"]);
}

#[test]
fn new_creates_the_next_delta_file() {
    let db = TestDb::new();
    let deltas = delta_dir(&[("delta_1.2.3_x.sql", "")]);
    let run = db
        .pum()
        .args(["new", "Add pipe owner", "-d"])
        .arg(deltas.path())
        .run()
        .success();
    let path = run.stdout.trim();
    assert!(path.ends_with("delta_1.2.4_add_pipe_owner.sql"), "{path}");
    assert!(std::fs::read_to_string(path)
        .unwrap()
        .starts_with("-- 1.2.4: Add pipe owner"));
}
