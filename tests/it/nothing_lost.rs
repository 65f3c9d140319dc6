//! Nothing is lost without a word: files pum would skip or could not read,
//! outputs it could not write, what a delta's own COMMIT kept, and errors
//! in `--format json` runs are all said, naming the thing, before (or
//! instead of) anything silent happening.

use std::os::unix::fs::PermissionsExt;

use crate::support::{conninfo, delta_dir, example_deltas, TestDb, UPGRADES_TABLE};

#[test]
fn a_dangling_symlink_among_the_deltas_is_an_error_naming_it() {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[("delta_1.0.1_a.sql", "CREATE TABLE a ();")]);
    let link = deltas.path().join("delta_1.0.2_b.sql");
    std::os::unix::fs::symlink(deltas.path().join("gone.sql"), &link).unwrap();
    let before = db.history();
    db.upgrade(deltas.path())
        .run()
        .code(2)
        .stderr_has(&format!("{}: a symbolic link to", link.display()))
        .stderr_has("gone.sql");
    assert!(!db.exists_table("public.a"), "nothing ran");
    assert_eq!(db.history(), before);
}

#[test]
fn a_dangling_symlink_in_a_module_changelog_is_an_error_naming_it() {
    let db = TestDb::new();
    let module = tempfile::tempdir().unwrap();
    let m = module.path();
    std::fs::write(m.join(".pum.yaml"), "pum:\n  module: linked\n").unwrap();
    let version = m.join("changelogs/1.0.0");
    std::fs::create_dir_all(&version).unwrap();
    std::fs::write(version.join("01_a.sql"), "CREATE TABLE a ();").unwrap();
    let link = version.join("02_b.sql");
    std::os::unix::fs::symlink(m.join("gone.sql"), &link).unwrap();
    db.pum()
        .args(["install", "-p", "test", "-d"])
        .arg(m)
        .run()
        .code(2)
        .stderr_has(&format!("{}: a symbolic link to", link.display()));
    assert!(!db.exists_table("public.a"), "nothing ran");
    assert!(
        !db.exists_table("public.pum_migrations"),
        "nothing was created"
    );
}

#[test]
fn an_unreadable_delta_is_an_error_naming_it_before_anything_runs() {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[
        ("delta_1.0.1_a.sql", "CREATE TABLE a ();"),
        ("delta_1.0.2_b.sql", "CREATE TABLE b ();"),
    ]);
    let unreadable = deltas.path().join("delta_1.0.2_b.sql");
    std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&unreadable).is_ok() {
        // Root reads any file whatever its mode: a file that fails every
        // read (EIO), even for root, stands in for it.
        std::fs::remove_file(&unreadable).unwrap();
        std::os::unix::fs::symlink("/proc/self/mem", &unreadable).unwrap();
    }
    let before = db.history();
    db.upgrade(deltas.path())
        .run()
        .code(2)
        .stderr_has(&format!("{}: cannot read this delta", unreadable.display()));
    assert!(!db.exists_table("public.a"), "nothing ran");
    assert_eq!(db.history(), before);
}

#[test]
fn a_failure_after_a_deltas_own_commit_says_which_lines_stay_applied() {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[
        ("delta_1.0.1_ok.sql", "CREATE TABLE ok ();\n"),
        (
            "delta_1.0.2_own.sql",
            "BEGIN;\nCREATE TABLE kept ();\nCOMMIT;\nCREATE TABLE lost ();\nSELECT 1/0;\n",
        ),
    ]);
    let run = db
        .upgrade(deltas.path())
        .run()
        .code(2)
        .stderr_has("delta_1.0.2_own.sql")
        .stderr_has("[22012] division by zero")
        .stderr_has(
            "statements up to line 3 were committed by the delta's own COMMIT and stay applied; nothing was recorded",
        );
    assert!(db.exists_table("public.kept"));
    assert!(!db.exists_table("public.lost"), "rolled back");
    assert_eq!(db.history(), ["1.0.0 baseline", "1.0.1 ok"]);
    assert!(db.exists_table("public.kept"), "{}", run.stderr);
    // A syntax error anywhere stops the whole file before any of it runs
    // (the server parses it all first), and points at its line.
    let deltas = delta_dir(&[(
        "delta_1.0.3_syntax.sql",
        "BEGIN;\nCREATE TABLE kept2 ();\nCOMMIT;\nCREATE TABLE lost2 ();\nCREATE TABEL nope ();\n",
    )]);
    let run = db
        .upgrade(deltas.path())
        .run()
        .code(2)
        .stderr_has("delta_1.0.3_syntax.sql:5:8");
    assert!(!run.stderr.contains("were committed"), "{}", run.stderr);
    assert!(!db.exists_table("public.kept2"), "nothing of the file ran");
    // A failure before the file's COMMIT keeps nothing, and says nothing
    // about lines kept (also after an earlier own-transaction delta).
    let deltas = delta_dir(&[
        (
            "delta_1.0.4_first.sql",
            "BEGIN;\nCREATE TABLE first_ok ();\nCOMMIT;\n",
        ),
        (
            "delta_1.0.5_early.sql",
            "BEGIN;\nCREATE TABLE early ();\nSELECT 1/0;\nCOMMIT;\n",
        ),
    ]);
    let run = db
        .upgrade(deltas.path())
        .run()
        .code(2)
        .stderr_has("delta_1.0.5_early.sql");
    assert!(!run.stderr.contains("were committed"), "{}", run.stderr);
    assert!(!db.exists_table("public.early"));
    assert!(db.exists_table("public.first_ok"));
    assert_eq!(db.history(), ["1.0.0 baseline", "1.0.1 ok", "1.0.4 first"]);
}

#[test]
fn a_failing_run_prints_one_json_document_with_what_was_applied() {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[
        ("delta_1.0.1_ok.sql", "CREATE TABLE ok ();\n"),
        ("delta_1.0.2_bad.sql", "CREATE TABLE bad ();\nSELECT 1/0;\n"),
    ]);
    let run = db
        .pum()
        .args([
            "--format",
            "json",
            "upgrade",
            "-p",
            "test",
            "-t",
            UPGRADES_TABLE,
            "-d",
        ])
        .arg(deltas.path())
        .run()
        .code(2)
        .stderr_has("pum: error: delta failed");
    let doc = run.json();
    let error = &doc["error"];
    assert_eq!(error["kind"], "delta");
    assert_eq!(error["sqlstate"], "22012");
    assert_eq!(error["line"], 2);
    assert!(error["file"]
        .as_str()
        .unwrap()
        .ends_with("delta_1.0.2_bad.sql"));
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("division by zero"));
    let applied = doc["applied"].as_array().unwrap();
    assert_eq!(applied.len(), 1, "{doc}");
    assert!(applied[0]["file"]
        .as_str()
        .unwrap()
        .ends_with("delta_1.0.1_ok.sql"));
    assert_eq!(applied[0]["database"], db.name.as_str());
    // Any command, any error, also a configuration error.
    let doc = db
        .pum()
        .args([
            "--format",
            "json",
            "info",
            "-p",
            "test",
            "-t",
            "public.nope",
            "-d",
        ])
        .arg(deltas.path())
        .run()
        .code(2)
        .json();
    assert_eq!(doc["error"]["kind"], "state");
    assert_eq!(doc["applied"], serde_json::json!([]));
    std::fs::write(db.home.path().join("pum.yaml"), "retries: many\n").unwrap();
    let doc = db
        .pum()
        .args(["--format", "json", "info", "-p", "test"])
        .run()
        .code(2)
        .json();
    assert_eq!(doc["error"]["kind"], "config");
    assert_eq!(doc["error"]["line"], 1);
}

#[test]
fn output_files_are_checked_writable_before_the_work_and_made_private() {
    let prod = TestDb::baselined("1.0.0");
    let reference = TestDb::baselined("1.0.0");
    reference.upgrade(&example_deltas()).run().success();
    let out = tempfile::tempdir().unwrap();
    let nowhere = out.path().join("no/such/dir/report.json");
    let tau = |extra: &[&std::ffi::OsStr]| {
        prod.pum()
            .args(["test-and-upgrade", "-pp", "test", "-pc"])
            .arg(conninfo(&reference))
            .args(["-t", UPGRADES_TABLE, "--dry-run", "-d"])
            .arg(example_deltas())
            .args(extra)
            .run()
    };
    // Refused at once: no sandbox, no dump.
    let run = tau(&["--report".as_ref(), nowhere.as_os_str()])
        .code(2)
        .stderr_has(&format!(
            "--report {}: cannot write there",
            nowhere.display()
        ));
    assert!(!run.stderr.contains("sandbox"), "{}", run.stderr);
    tau(&["-f".as_ref(), nowhere.as_os_str()])
        .code(2)
        .stderr_has("-f/--file");
    prod.pum()
        .args(["check", "-p1", "test", "-p2"])
        .arg(conninfo(&reference))
        .arg("-o")
        .arg(out.path())
        .run()
        .code(2)
        .stderr_has("-o/--output")
        .stderr_has("it is a directory");
    // An existing report, readable by all, is replaced and made private.
    let report = out.path().join("report.json");
    std::fs::write(&report, "old").unwrap();
    std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o644)).unwrap();
    tau(&["--report".as_ref(), report.as_os_str()]).success();
    let mode = std::fs::metadata(&report).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["verdict"], "rehearsal_passed");
    // The same for check's -o.
    let check_out = out.path().join("check.txt");
    std::fs::write(&check_out, "old").unwrap();
    std::fs::set_permissions(&check_out, std::fs::Permissions::from_mode(0o644)).unwrap();
    prod.pum()
        .args(["check", "-p1", "test", "-p2", "test", "-o"])
        .arg(&check_out)
        .run()
        .success();
    let mode = std::fs::metadata(&check_out).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_ne!(std::fs::read_to_string(&check_out).unwrap(), "old");
}
