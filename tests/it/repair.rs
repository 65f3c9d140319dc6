//! `pum repair` on both layouts: an edited delta, a failed run's row, a
//! file gone, a delta applied by hand, and dry runs that change nothing.

use crate::support::{delta_dir, TestDb, UPGRADES_TABLE};

fn rows(db: &TestDb) -> Vec<String> {
    db.query_strings(&format!(
        "SELECT version || ' ' || description || ' ' || checksum || ' ' || success || ' ' || \
         (installed_by LIKE '% (pum repair)')::text FROM {UPGRADES_TABLE} WHERE type <> 0 ORDER BY id"
    ))
}

fn repair(db: &TestDb, dir: &std::path::Path) -> crate::support::Pum {
    db.pum()
        .args(["repair", "-p", "test", "-t", UPGRADES_TABLE, "-d"])
        .arg(dir)
}

#[test]
fn an_edited_delta_is_recorded_again_and_strict_upgrades_pass() {
    let db = TestDb::baselined("1.0.0");
    let dir = delta_dir(&[
        ("delta_1.0.1_a.sql", "CREATE TABLE a (id int);"),
        ("delta_1.0.2_b.sql", "CREATE TABLE b (id int);"),
    ]);
    db.upgrade(dir.path()).run().success();
    std::fs::write(
        dir.path().join("delta_1.0.1_a.sql"),
        "-- creates a\nCREATE TABLE a (id int);",
    )
    .unwrap();
    db.upgrade(dir.path())
        .arg("--strict")
        .run()
        .code(2)
        .stderr_has("delta_1.0.1_a.sql was changed after it was applied");
    let before = rows(&db);

    let dry = repair(&db, dir.path()).arg("--dry-run").run().success();
    assert!(dry.stdout.contains("would make 1 change"), "{}", dry.stdout);
    assert!(dry.stdout.contains("record checksum"), "{}", dry.stdout);
    assert!(dry.stdout.contains("nothing was changed"), "{}", dry.stdout);
    assert_eq!(rows(&db), before, "a dry run changed the history");

    let run = repair(&db, dir.path())
        .args(["--format", "json"])
        .run()
        .success();
    let report = run.json();
    assert_eq!(report["dry_run"], false);
    assert_eq!(report["changes"].as_array().unwrap().len(), 1, "{report}");
    let change = &report["changes"][0];
    assert_eq!(change["action"], "record_checksum");
    assert_ne!(change["old_checksum"], change["new_checksum"]);
    let after = rows(&db);
    assert_eq!(after.len(), 3, "{after:?}");
    assert_eq!(after[..2], before[..], "the old rows stay as they were");
    let old_checksum = change["old_checksum"].as_str().unwrap();
    let new_checksum = change["new_checksum"].as_str().unwrap();
    assert!(after[0].contains(old_checksum), "{after:?}");
    assert_eq!(after[2], format!("1.0.1 a {new_checksum} true true"));

    db.upgrade(dir.path())
        .arg("--strict")
        .run()
        .success()
        .stderr_has("nothing to apply");
    // A second repair has nothing left to do.
    repair(&db, dir.path())
        .run()
        .success()
        .stdout_has("made 0 changes");
}

#[test]
fn failed_rows_and_missing_files() {
    let db = TestDb::baselined("1.0.0");
    let dir = delta_dir(&[
        ("delta_1.0.1_a.sql", "CREATE TABLE a (id int);"),
        ("delta_1.0.2_gone.sql", "CREATE TABLE g (id int);"),
    ]);
    db.upgrade(dir.path()).run().success();
    db.execute(&format!(
        "INSERT INTO {UPGRADES_TABLE} (version, description, type, script, checksum, installed_by, execution_time, success) \
         VALUES ('1.0.3', 'broken', 8, 'x', 'y', 'someone', 5, false)"
    ));
    std::fs::remove_file(dir.path().join("delta_1.0.2_gone.sql")).unwrap();

    let kept = repair(&db, dir.path()).run().success();
    assert!(kept.stdout.contains("remove row"), "{}", kept.stdout);
    assert!(
        kept.stderr
            .contains("records a delta whose file is gone; kept"),
        "{}",
        kept.stderr
    );
    assert_eq!(
        db.query_one(&format!(
            "SELECT count(*)::text FROM {UPGRADES_TABLE} WHERE NOT success"
        )),
        Some("0".into())
    );
    db.upgrade(dir.path())
        .arg("--strict")
        .run()
        .code(2)
        .stderr_has("its file was not found");

    let dry = repair(&db, dir.path())
        .args(["--forget-missing", "--dry-run"])
        .run()
        .success();
    assert!(dry.stdout.contains("forget row"), "{}", dry.stdout);
    assert!(
        dry.stdout.contains("version 1.0.2 -> 1.0.1"),
        "{}",
        dry.stdout
    );
    assert_eq!(rows(&db).len(), 2, "the dry run removed a row");

    repair(&db, dir.path())
        .arg("--forget-missing")
        .run()
        .success()
        .stderr_has("goes down from 1.0.2 to 1.0.1");
    assert_eq!(db.history(), ["1.0.0 baseline", "1.0.1 a"]);
    db.upgrade(dir.path())
        .arg("--strict")
        .run()
        .success()
        .stderr_has("nothing to apply");
}

#[test]
fn a_delta_applied_by_hand_is_marked_and_never_runs() {
    let db = TestDb::baselined("1.0.0");
    let dir = delta_dir(&[
        ("delta_1.0.1_a.sql", "CREATE TABLE a (id int);"),
        ("delta_1.0.2_hand.sql", "CREATE TABLE hand (id int);"),
    ]);
    db.upgrade(dir.path()).args(["-u", "1.0.1"]).run().success();
    db.execute("CREATE TABLE hand (id int)");

    repair(&db, dir.path())
        .arg("--mark-applied")
        .arg(dir.path().join("delta_1.0.1_a.sql"))
        .run()
        .code(2)
        .stderr_has("is applied, not pending; nothing was changed");
    repair(&db, dir.path())
        .args(["--mark-applied", "delta_9.9.9_nowhere.sql"])
        .run()
        .code(2)
        .stderr_has("--mark-applied delta_9.9.9_nowhere.sql: not a delta file");
    assert_eq!(rows(&db).len(), 1);

    repair(&db, dir.path())
        .arg("--mark-applied")
        .arg(dir.path().join("delta_1.0.2_hand.sql"))
        .run()
        .success()
        .stdout_has("mark ");
    let recorded = rows(&db);
    assert!(recorded[1].starts_with("1.0.2 hand "), "{recorded:?}");
    assert!(recorded[1].ends_with(" true true"), "{recorded:?}");
    // The upgrade does not run it (it would fail: the table exists).
    db.upgrade(dir.path())
        .arg("--strict")
        .run()
        .success()
        .stderr_has("nothing to apply");
}

#[test]
fn a_module_version_applied_by_hand_is_marked_in_pum_1x_shape() {
    let db = crate::module::installed_by_pum1();
    let module = crate::module::module_copy();
    let version = module.path().join("changelogs").join("1.9.0");
    db.pum()
        .args(["repair", "-p", "test", "-d"])
        .arg(module.path())
        .arg("--mark-applied")
        .arg(module.path().join("changelogs").join("1.0.0"))
        .run()
        .code(2)
        .stderr_has("version 1.0.0 is applied, not pending");
    let before = crate::module::rows(&db);
    db.pum()
        .args(["repair", "-p", "test", "-d"])
        .arg(module.path())
        .arg("--dry-run")
        .arg("--mark-applied")
        .arg(&version)
        .run()
        .success()
        .stdout_has("would make 1 change");
    assert_eq!(crate::module::rows(&db), before);
    db.pum()
        .args(["repair", "-p", "test", "-d"])
        .arg(module.path())
        .arg("--mark-applied")
        .arg(&version)
        .run()
        .success()
        .stdout_has("version 1.0.0 -> 1.9.0");
    let after = crate::module::rows(&db);
    assert_eq!(after.len(), before.len() + 1, "{after:?}");
    assert!(after.last().unwrap().starts_with("1.9.0 "), "{after:?}");
    let pum_version =
        db.query_one("SELECT pum_version FROM pipes_sys.pum_migrations WHERE version = '1.9.0'");
    assert!(pum_version.unwrap().starts_with("1.9.2"));
}
