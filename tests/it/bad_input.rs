//! Bad input for baseline, info and upgrade: a clear message naming the
//! culprit, exit 2, and the database unchanged.

use crate::support::{delta_dir, TestDb};

const TABLE: &str = "public.pum_upgrades";

#[test]
fn unknown_service_lists_the_files_searched() {
    let db = TestDb::new();
    db.pum()
        .args(["info", "-p", "nope", "-t", TABLE])
        .run()
        .code(2)
        .stderr_has("service \"nope\" not found")
        .stderr_has(".pg_service.conf");
}

#[test]
fn service_file_syntax_error_names_file_and_line() {
    let db = TestDb::new();
    // libpq checks only the lines of the section it looks up.
    std::fs::write(
        db.home.path().join(".pg_service.conf"),
        "[other]\nhost=x\n[test]\nthis line has no equals sign\n",
    )
    .unwrap();
    db.pum()
        .args(["info", "-p", "test", "-t", TABLE])
        .run()
        .code(2)
        .stderr_has(".pg_service.conf:4");
}

#[test]
fn unreachable_server_names_host_and_port() {
    let db = TestDb::new();
    db.pum()
        .args([
            "info",
            "-p",
            "host=127.0.0.1 port=1 dbname=x user=postgres connect_timeout=2",
            "-t",
            TABLE,
        ])
        .run()
        .code(2)
        .stderr_has("127.0.0.1:1/x");
}

#[test]
fn malformed_config_names_line_and_column() {
    let db = TestDb::new();
    std::fs::write(
        db.home.path().join("pum.yaml"),
        "upgrades_table: a.b\ndelta_dirz: [x]\n",
    )
    .unwrap();
    db.pum()
        .args(["info", "-p", "test"])
        .run()
        .code(2)
        .stderr_has("pum.yaml:2:1: unknown field `delta_dirz`");
    let other = db.home.path().join("other.yaml");
    std::fs::write(&other, "delta_dirs: 3\n").unwrap();
    db.pum()
        .args(["-c"])
        .arg(&other)
        .args(["info", "-p", "test"])
        .run()
        .code(2)
        .stderr_has("other.yaml:1:");
}

#[test]
fn config_values_are_used_and_flags_win() {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[(
        "delta_1.0.1_x.sql",
        "CREATE TABLE from_config (v int DEFAULT %(N)s);",
    )]);
    let yaml = format!(
        "upgrades_table: {TABLE}\ndelta_dir: {}\nvariables:\n  N: 7\n",
        deltas.path().display()
    );
    std::fs::write(db.home.path().join("pum.yaml"), yaml).unwrap();
    db.pum().args(["upgrade", "-p", "test"]).run().success();
    assert_eq!(
        db.query_one("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'from_config'::regclass"),
        Some("7".into())
    );
    // -t on the command line overrides upgrades_table.
    db.pum()
        .args(["info", "-p", "test", "-t", "other.table"])
        .run()
        .code(2)
        .stderr_has("upgrades table other.table not found");
}

#[test]
fn missing_upgrades_table_says_run_baseline() {
    let db = TestDb::new();
    let deltas = delta_dir(&[("delta_1.0.0.sql", "CREATE TABLE t ();")]);
    for cmd in ["info", "upgrade"] {
        db.pum()
            .args([cmd, "-p", "test", "-t", TABLE, "-d"])
            .arg(deltas.path())
            .run()
            .code(2)
            .stderr_has("run `pum baseline");
    }
    assert!(!db.exists_table("public.t"));
}

#[test]
fn second_baseline_and_bad_versions_are_refused() {
    let db = TestDb::baselined("1.0.0");
    db.pum()
        .args(["baseline", "-p", "test", "-t", TABLE, "-b", "2.0.0"])
        .run()
        .code(2)
        .stderr_has("already has a baseline (version 1.0.0)");
    for bad in ["1.2", "01.2.3", "1.2.3.4", "v1.2.3"] {
        db.pum()
            .args(["baseline", "-p", "test", "-t", TABLE, "-b", bad])
            .run()
            .code(2)
            .stderr_has("-b/--baseline: invalid version");
    }
    assert_eq!(db.history(), ["1.0.0 baseline"]);
}

#[test]
fn missing_delta_dir_and_duplicates_and_encoding() {
    let db = TestDb::baselined("1.0.0");
    let missing = db.home.path().join("no-such-dir");
    db.upgrade(&missing).run().code(2).stderr_has("no-such-dir");
    let dup = delta_dir(&[
        ("delta_1.0.1_a.sql", "CREATE TABLE a ();"),
        ("delta_1.0.1__a.sql", "CREATE TABLE b ();"),
    ]);
    db.upgrade(dup.path())
        .run()
        .code(2)
        .stderr_has("are the same delta");
    let bad = tempfile::tempdir().unwrap();
    std::fs::write(bad.path().join("delta_1.0.1_a.sql"), "CREATE TABLE a ();").unwrap();
    std::fs::write(
        bad.path().join("delta_1.0.2_latin1.sql"),
        b"COMMENT ON TABLE a IS 'caf\xe9';",
    )
    .unwrap();
    db.upgrade(bad.path())
        .run()
        .code(2)
        .stderr_has("delta_1.0.2_latin1.sql:1:")
        .stderr_has("not valid UTF-8");
    assert!(
        !db.exists_table("public.a"),
        "nothing applied when a file is unreadable"
    );
    assert_eq!(db.history(), ["1.0.0 baseline"]);
}

#[test]
fn empty_delta_is_a_recorded_no_op() {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[
        ("delta_1.0.1_empty.sql", ""),
        ("delta_1.0.2_comment.sql", "-- nothing\n"),
    ]);
    db.upgrade(deltas.path()).run().success();
    assert_eq!(
        db.history(),
        ["1.0.0 baseline", "1.0.1 empty", "1.0.2 comment"]
    );
}

#[test]
fn syntax_error_points_at_line_and_column() {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[(
        "delta_1.0.1_typo.sql",
        "CREATE TABLE ok ();\n\nCREAT TABLE nope ();\n",
    )]);
    db.upgrade(deltas.path())
        .run()
        .code(2)
        .stderr_has("delta_1.0.1_typo.sql:3:1: [42601] syntax error at or near \"CREAT\"");
    assert!(!db.exists_table("public.ok"));
    assert_eq!(db.history(), ["1.0.0 baseline"]);
}

#[test]
fn unknown_variable_type_and_undefined_variable() {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[(
        "delta_1.0.1_v.sql",
        "CREATE TABLE v (srid int DEFAULT %(SRID)s);",
    )]);
    db.pum()
        .args([
            "upgrade", "-p", "test", "-t", TABLE, "-v", "bool", "SRID", "1", "-d",
        ])
        .arg(deltas.path())
        .run()
        .code(2)
        .stderr_has("unknown variable type \"bool\"");
    db.pum()
        .args([
            "upgrade", "-p", "test", "-t", TABLE, "-v", "int", "OTHER", "1", "-d",
        ])
        .arg(deltas.path())
        .run()
        .code(2)
        .stderr_has("delta_1.0.1_v.sql:1:34: variable \"SRID\" is not defined");
    assert!(!db.exists_table("public.v"));
    db.pum()
        .args([
            "upgrade", "-p", "test", "-t", TABLE, "-v", "int", "SRID", "2056", "-d",
        ])
        .arg(deltas.path())
        .run()
        .success();
    assert!(db.exists_table("public.v"));
}

#[test]
fn injection_through_a_variable_stays_a_literal() {
    let db = TestDb::baselined("1.0.0");
    db.execute("CREATE TABLE victim (id int)");
    let deltas = delta_dir(&[(
        "delta_1.0.1_v.sql",
        "CREATE TABLE note (t text DEFAULT %(T)s);",
    )]);
    db.pum()
        .args([
            "upgrade",
            "-p",
            "test",
            "-t",
            TABLE,
            "-v",
            "str",
            "T",
            "'); DROP TABLE victim; --",
            "-d",
        ])
        .arg(deltas.path())
        .run()
        .success();
    assert!(db.exists_table("public.victim"));
    assert!(db.exists_table("public.note"));
}

#[test]
fn hostile_upgrades_table_name_is_quoted() {
    let db = TestDb::new();
    let table = "\"My Schema\".\"up\"\"; DROP TABLE x; --\"";
    db.execute("CREATE TABLE x (id int)");
    db.pum()
        .args(["baseline", "-p", "test", "-t", table, "-b", "1.0.0"])
        .run()
        .success();
    assert!(db.exists_table("public.x"));
    let n = db.query_one("SELECT count(*)::text FROM \"My Schema\".\"up\"\"; DROP TABLE x; --\"");
    assert_eq!(n.as_deref(), Some("1"));
}

#[test]
fn max_version_and_baseline_rules() {
    let db = TestDb::baselined("0.5.0");
    let deltas = delta_dir(&[
        ("delta_0.4.0_old.sql", "CREATE TABLE old ();"),
        ("delta_0.5.0_same.sql", "CREATE TABLE same ();"),
        ("delta_0.10.0_ten.sql", "CREATE TABLE ten ();"),
        ("delta_0.15.2_later.sql", "CREATE TABLE later ();"),
    ]);
    db.pum()
        .args(["upgrade", "-p", "test", "-t", TABLE, "-u", "0.10.0", "-d"])
        .arg(deltas.path())
        .run()
        .success();
    assert_eq!(db.history(), ["0.5.0 baseline", "0.5.0 same", "0.10.0 ten"]);
    assert!(!db.exists_table("public.old"));
    let info = db
        .pum()
        .args(["--format", "json", "info", "-p", "test", "-t", TABLE, "-d"])
        .arg(deltas.path())
        .run()
        .success()
        .json();
    assert_eq!(info["current_version"], "0.10.0");
    let statuses: Vec<&str> = info["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["below_baseline", "applied", "applied", "pending"]
    );
}
