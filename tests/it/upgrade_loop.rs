//! baseline, info and upgrade against a real database.

use crate::support::{delta_dir, example_deltas, TestDb};

#[test]
fn example_model_upgrades_from_baseline_to_newest() {
    let db = TestDb::new();
    let deltas = example_deltas();
    db.pum()
        .args([
            "baseline",
            "-p",
            "test",
            "-t",
            "public.pum_upgrades",
            "-b",
            "1.0.0",
        ])
        .run()
        .success()
        .stdout_has("at version 1.0.0");
    let run = db.upgrade(&deltas).run().success();
    assert!(
        run.stderr.contains("applied delta_1.0.0_network.sql"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("1.0.0 → 1.2.0 (3 deltas applied"),
        "{}",
        run.stdout
    );
    assert!(db.exists_table("network.material"));
    let rows = db.query_strings(
        "SELECT version || ':' || description || ':' || type || ':' || success FROM public.pum_upgrades ORDER BY id",
    );
    assert_eq!(
        rows,
        [
            "1.0.0:baseline:0:true",
            "1.0.0:network:8:true",
            "1.1.0:materials:8:true",
            "1.2.0:lengths:8:true"
        ]
    );
    // A second run applies nothing.
    db.upgrade(&deltas)
        .run()
        .success()
        .stderr_has("nothing to apply");
    let info = db
        .pum()
        .args([
            "--format",
            "json",
            "info",
            "-p",
            "test",
            "-t",
            "public.pum_upgrades",
            "-d",
        ])
        .arg(&deltas)
        .run()
        .success()
        .json();
    assert_eq!(info["current_version"], "1.2.0");
    assert_eq!(info["pending"], 0);
    assert_eq!(info["deltas"][2]["status"], "applied");
    assert_eq!(info["history"].as_array().unwrap().len(), 4);
}

#[test]
fn failing_delta_leaves_database_at_last_good_version() {
    let db = TestDb::new();
    let deltas = delta_dir(&[
        ("delta_1.0.1_ok.sql", "CREATE TABLE a (id int PRIMARY KEY);\n"),
        (
            "delta_1.0.2_bad.sql",
            "CREATE TABLE b (id int);\nINSERT INTO a VALUES (1);\nINSERT INTO a VALUES (1);\nCREATE TABLE c ();\n",
        ),
        ("delta_1.0.3_later.sql", "CREATE TABLE d ();\n"),
    ]);
    db.pum()
        .args(["baseline", "-p", "test", "-t", "v.up", "-b", "1.0.0"])
        .run()
        .success();
    let run = db
        .pum()
        .args(["upgrade", "-p", "test", "-t", "v.up", "-d"])
        .arg(deltas.path())
        .run()
        .code(2);
    assert!(
        run.stderr
            .contains("delta_1.0.2_bad.sql:3:1: [23505] duplicate key"),
        "{}",
        run.stderr
    );
    assert!(db.exists_table("public.a"));
    assert!(
        !db.exists_table("public.b"),
        "the failing delta was rolled back"
    );
    assert!(
        !db.exists_table("public.d"),
        "nothing after the failure ran"
    );
    let versions = db.query_strings("SELECT version FROM v.up ORDER BY id");
    assert_eq!(versions, ["1.0.0", "1.0.1"]);
    // Fix the file and re-run: it continues where it stopped.
    std::fs::write(
        deltas.path().join("delta_1.0.2_bad.sql"),
        "CREATE TABLE b (id int);\n",
    )
    .unwrap();
    db.pum()
        .args(["upgrade", "-p", "test", "-t", "v.up", "-d"])
        .arg(deltas.path())
        .run()
        .success();
    let versions = db.query_strings("SELECT version FROM v.up ORDER BY id");
    assert_eq!(versions, ["1.0.0", "1.0.1", "1.0.2", "1.0.3"]);
}
