//! Taking turns with the real pum 1.x on one database: a module installed
//! by either tool, upgraded by the other, always gives the catalog the
//! other tool would have built — comments in changelogs (function bodies
//! included) removed as pum 1.x removes them, the same `pum_migrations`.

use std::path::PathBuf;

use crate::support::pum1::pum1;
use crate::support::{assert_same, fixtures, TestDb};

fn module() -> PathBuf {
    fixtures().join("module_turns")
}

fn versions(db: &TestDb) -> Vec<String> {
    db.query_strings(
        "SELECT version FROM turns_sys.pum_migrations ORDER BY date_installed, version",
    )
}

#[test]
fn both_tools_build_the_same_module_and_take_turns_upgrading_it() {
    // Built from scratch by each tool.
    let by_pum1 = TestDb::new();
    pum1(by_pum1.home.path())
        .args(["-p", "test", "-d"])
        .arg(module())
        .arg("install")
        .run()
        .success();
    let by_us = TestDb::new();
    by_us
        .pum()
        .args(["install", "-p", "test", "-d"])
        .arg(module())
        .run()
        .success();
    assert_same(&by_pum1, &by_us);
    let body = by_us
        .query_one("SELECT prosrc FROM pg_proc WHERE proname = 'one'")
        .unwrap();
    assert!(!body.contains("a comment inside the body"), "{body}");
    assert!(body.contains("RETURN 1;"), "{body}");

    // pum 1.x installs 1.0.0, we upgrade.
    let pum1_then_us = TestDb::new();
    pum1(pum1_then_us.home.path())
        .args(["-p", "test", "-d"])
        .arg(module())
        .args(["install", "--max-version", "1.0.0"])
        .run()
        .success();
    pum1_then_us
        .pum()
        .args(["upgrade", "-p", "test", "-d"])
        .arg(module())
        .run()
        .success()
        .stdout_has("1.0.0 → 1.1.0");
    assert_eq!(versions(&pum1_then_us), ["1.0.0", "1.1.0"]);
    assert_same(&by_pum1, &pum1_then_us);

    // We install 1.0.0, pum 1.x upgrades and reads our rows.
    let us_then_pum1 = TestDb::new();
    us_then_pum1
        .pum()
        .args(["install", "-p", "test", "-d"])
        .arg(module())
        .args(["-u", "1.0.0"])
        .run()
        .success();
    pum1(us_then_pum1.home.path())
        .args(["-p", "test", "-d"])
        .arg(module())
        .arg("upgrade")
        .run()
        .success();
    assert_eq!(versions(&us_then_pum1), ["1.0.0", "1.1.0"]);
    assert_same(&by_pum1, &us_then_pum1);
    let info = pum1(us_then_pum1.home.path())
        .args(["-p", "test", "-d"])
        .arg(module())
        .arg("info")
        .run()
        .success();
    assert!(
        format!("{}{}", info.stdout, info.stderr).contains("Version: 1.1.0"),
        "{}{}",
        info.stdout,
        info.stderr
    );
}

#[test]
fn a_failing_changelog_names_the_line_in_the_file_despite_removed_comments() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path();
    std::fs::write(m.join(".pum.yaml"), "pum:\n  module: bad\n").unwrap();
    let v = m.join("changelogs").join("1.0.0");
    std::fs::create_dir_all(&v).unwrap();
    std::fs::write(
        v.join("01.sql"),
        "-- one\n-- two\n/* three\n four */\nCREATE TABLE t (id int);\n-- six\nSELECT * FROM missing_table;\n",
    )
    .unwrap();
    let db = TestDb::new();
    db.pum()
        .args(["install", "-p", "test", "-d"])
        .arg(m)
        .run()
        .code(2)
        .stderr_has("01.sql:7:15");
    // Setting the search path through set_config is refused before anything runs.
    std::fs::write(
        v.join("01.sql"),
        "CREATE TABLE t (id int);\nSELECT pg_catalog.set_config('search_path', '', false);\n",
    )
    .unwrap();
    let db = TestDb::new();
    db.pum()
        .args(["install", "-p", "test", "-d"])
        .arg(m)
        .run()
        .code(2)
        .stderr_has("setting the search path with set_config is not allowed");
    assert!(!db.exists_table("public.t"));
}
