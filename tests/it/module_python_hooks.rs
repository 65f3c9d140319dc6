//! Python application hooks of pum 1.x modules, run for real: the hook
//! process has no database driver; every statement it issues runs on pum's
//! connection inside the install's one transaction. Also `pum app` and
//! `pum uninstall`, in both command-line shapes.

use std::path::{Path, PathBuf};

use crate::support::pum1::pum1;
use crate::support::{assert_same, fixtures, TestDb};

fn fixture() -> PathBuf {
    fixtures().join("module_pyhooks")
}

/// A copy of the fixture module to change freely.
fn module_copy() -> tempfile::TempDir {
    crate::support::copy_tree(&fixture())
}

/// The interpreter of the pum 1.x virtual environment: it has psycopg.
fn venv_python() -> PathBuf {
    crate::support::pum1::bin().parent().unwrap().join("python")
}

fn install(db: &TestDb, dir: &Path) -> crate::support::Pum {
    db.pum().args(["install", "-p", "test", "-d"]).arg(dir)
}

fn fact(db: &TestDb, name: &str) -> Option<String> {
    db.query_one(&format!(
        "SELECT value FROM pyhooks_app.facts WHERE name = '{name}'"
    ))
}

/// Nothing of the module is left: no schema, no history table.
fn assert_untouched(db: &TestDb) {
    for schema in ["pyhooks", "pyhooks_app", "pyhooks_sys"] {
        assert_eq!(
            db.query_one(&format!(
                "SELECT count(*)::text FROM pg_namespace WHERE nspname = '{schema}'"
            ))
            .as_deref(),
            Some("0"),
            "schema {schema} was left behind"
        );
    }
}

#[test]
fn a_python_create_hook_runs_in_the_install_transaction() {
    let db = TestDb::new();
    install(&db, &fixture())
        .args(["--parameter", "label", "it's bound; DROP TABLE x --"])
        .env_remove("PUM_PYTHON")
        .run()
        .success()
        .stderr_has("create hook");
    // The cursor's fetchone saw the changelog's rows; self.execute's
    // {label} became the parameter's literal.
    assert_eq!(
        db.query_one(
            "SELECT heavy_items || '/' || heaviest || '/' || label FROM pyhooks_app.summary"
        )
        .as_deref(),
        Some("2/7/it's bound; DROP TABLE x --")
    );
    // Bound values arrive as they were given; rowcount came back.
    assert_eq!(
        fact(&db, "label seen by the hook").as_deref(),
        Some("it's bound; DROP TABLE x --")
    );
    assert_eq!(fact(&db, "rows inserted so far").as_deref(), Some("1"));
    // The SQL hook after the Python one ran in the same transaction.
    assert_eq!(
        db.query_one("SELECT obj_description('pyhooks_app.summary'::regclass)")
            .as_deref(),
        Some("first comment")
    );
}

#[test]
fn hooks_import_psycopg_real_or_stand_in() {
    let dir = module_copy();
    let hook = dir.path().join("app/create_view.py");
    let text = std::fs::read_to_string(&hook).unwrap();
    std::fs::write(
        &hook,
        text.replace(
            "        cursor = connection.cursor()\n",
            "        cursor = connection.cursor()\n        cursor.execute(\"INSERT INTO pyhooks_app.facts VALUES ('psycopg', %s)\", \
             (getattr(psycopg, '__version__', 'stand-in') + ' ' + sql.Literal(\"o'k\").as_string(None),))\n",
        ),
    )
    .unwrap();
    // Without psycopg installed, pum's stand-in serves the imports.
    let without = TestDb::new();
    install(&without, dir.path())
        .env("PUM_PYTHON", "python3")
        .run()
        .success();
    assert_eq!(
        fact(&without, "psycopg").as_deref(),
        Some("stand-in 'o''k'")
    );
    // Where psycopg is importable, hooks get the real module (never its connection).
    let with = TestDb::new();
    install(&with, dir.path())
        .env("PUM_PYTHON", venv_python())
        .run()
        .success();
    let seen = fact(&with, "psycopg").unwrap();
    assert!(
        seen.starts_with("3.") && seen.ends_with(" 'o''k'"),
        "{seen}"
    );
    assert!(with.exists_table("pyhooks_app.summary"));
}

#[test]
fn a_hook_that_raises_fails_the_install_naming_file_and_line_nothing_applied() {
    let dir = module_copy();
    let hook = dir.path().join("app/create_view.py");
    let text = std::fs::read_to_string(&hook).unwrap();
    let broken = text.replace(
        "        cursor.execute(\n            sql.SQL",
        "        raise RuntimeError(\"the view needs a valve\")\n        cursor.execute(\n            sql.SQL",
    );
    let line = broken
        .lines()
        .position(|l| l.contains("needs a valve"))
        .unwrap()
        + 1;
    std::fs::write(&hook, broken).unwrap();
    let db = TestDb::new();
    install(&db, dir.path())
        .run()
        .code(2)
        .stderr_has(&format!("create_view.py:{line}"))
        .stderr_has("RuntimeError: the view needs a valve");
    assert_untouched(&db);

    // A SQL error inside the hook: the server's message and SQLSTATE.
    std::fs::write(
        &hook,
        text.replace(
            "FROM pyhooks.item WHERE",
            "FROM pyhooks.no_such_table WHERE",
        ),
    )
    .unwrap();
    install(&db, dir.path())
        .run()
        .code(2)
        .stderr_has("create_view.py:")
        .stderr_has("no_such_table");
    assert_untouched(&db);
    // Corrected, the same install goes through.
    std::fs::write(&hook, text).unwrap();
    install(&db, dir.path()).run().success();
}

#[test]
fn a_hook_argument_that_is_no_parameter_is_refused_before_anything_runs() {
    let dir = module_copy();
    let hook = dir.path().join("app/create_view.py");
    let text = std::fs::read_to_string(&hook).unwrap();
    std::fs::write(
        &hook,
        text.replace("label: str)", "label: str, colour: str)"),
    )
    .unwrap();
    let db = TestDb::new();
    install(&db, dir.path())
        .run()
        .code(2)
        .stderr_has("create_view.py")
        .stderr_has("`colour`")
        .stderr_has("not a parameter");
    assert_untouched(&db);
}

#[test]
fn a_missing_import_names_the_declared_dependency() {
    let dir = module_copy();
    let config = dir.path().join(".pum.yaml");
    let yaml = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!("{yaml}\ndependencies:\n  - name: pum-absent-helper\n    minimum_version: 1.0.0\n"),
    )
    .unwrap();
    let hook = dir.path().join("app/create_view.py");
    let text = std::fs::read_to_string(&hook).unwrap();
    std::fs::write(&hook, format!("import pum_absent_helper\n{text}")).unwrap();
    let db = TestDb::new();
    install(&db, dir.path())
        .run()
        .code(2)
        .stderr_has("create_view.py:1")
        .stderr_has("`pum_absent_helper`")
        .stderr_has("`pum-absent-helper` is a declared dependency");
    assert_untouched(&db);

    // Not declared: the missing module is still named.
    std::fs::write(&hook, format!("import pum_other_absent\n{text}")).unwrap();
    let run = install(&db, dir.path())
        .run()
        .code(2)
        .stderr_has("`pum_other_absent`");
    assert!(
        !run.stderr.contains("declared dependency"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_app_only_parameter_in_a_changelog_is_refused() {
    let dir = module_copy();
    std::fs::write(
        dir.path().join("changelogs/1.1.0/01_colour.sql"),
        "COMMENT ON TABLE pyhooks.item IS {view_comment};\n",
    )
    .unwrap();
    let db = TestDb::new();
    install(&db, dir.path())
        .run()
        .code(2)
        .stderr_has("01_colour.sql")
        .stderr_has("app_only parameter \"view_comment\"");
    assert_untouched(&db);
}

#[test]
fn taking_turns_with_pum_1x_on_a_module_with_a_python_hook() {
    let by_pum1 = TestDb::new();
    pum1(by_pum1.home.path())
        .args(["-p", "test", "-d"])
        .arg(fixture())
        .arg("install")
        .run()
        .success();
    assert_eq!(
        by_pum1
            .query_one("SELECT label FROM pyhooks_app.summary")
            .as_deref(),
        Some("from the default")
    );

    // pum 1.x installs 1.0.0 and its application; we upgrade, dropping
    // and creating the application again with the Python hook.
    let pum1_then_us = TestDb::new();
    pum1(pum1_then_us.home.path())
        .args(["-p", "test", "-d"])
        .arg(fixture())
        .args(["install", "--max-version", "1.0.0"])
        .run()
        .success();
    pum1_then_us
        .pum()
        .args(["upgrade", "-p", "test", "-d"])
        .arg(fixture())
        .run()
        .success()
        .stderr_has("create hook");
    assert_same(&by_pum1, &pum1_then_us);

    // The other way round: we install 1.0.0, pum 1.x upgrades.
    let us_then_pum1 = TestDb::new();
    install(&us_then_pum1, &fixture())
        .args(["--max-version", "1.0.0"])
        .run()
        .success();
    pum1(us_then_pum1.home.path())
        .args(["-p", "test", "-d"])
        .arg(fixture())
        .arg("upgrade")
        .run()
        .success();
    assert_same(&by_pum1, &us_then_pum1);
    assert_eq!(
        us_then_pum1
            .query_strings("SELECT version FROM pyhooks_sys.pum_migrations ORDER BY version"),
        ["1.0.0", "1.1.0"]
    );
}

fn comment(db: &TestDb) -> Option<String> {
    db.query_one("SELECT obj_description('pyhooks_app.summary'::regclass)")
}

fn history_rows(db: &TestDb) -> Option<String> {
    db.query_one("SELECT count(*)::text FROM pyhooks_sys.pum_migrations")
}

#[test]
fn app_runs_the_application_hooks_alone_in_both_shapes() {
    let db = TestDb::new();
    install(&db, &fixture()).run().success();
    db.execute("INSERT INTO pyhooks.item (name, weight) VALUES ('tee', 9)");
    db.pum()
        .args(["app", "recreate", "-p", "test", "-d"])
        .arg(fixture())
        .args(["--parameter", "view_comment", "second comment"])
        .run()
        .success()
        .stderr_has("ran drop hook")
        .stderr_has("create_view.py");
    // Dropped and created again: the hook saw the new row, the app_only
    // parameter took its new value, no version was recorded.
    assert_eq!(
        db.query_one("SELECT heavy_items || '/' || heaviest FROM pyhooks_app.summary")
            .as_deref(),
        Some("3/9")
    );
    assert_eq!(comment(&db).as_deref(), Some("second comment"));
    assert_eq!(history_rows(&db).as_deref(), Some("2"));

    // A parameter that is not app_only must keep its installed value.
    db.pum()
        .args(["app", "recreate", "-p", "test", "-d"])
        .arg(fixture())
        .args(["--parameter", "label", "another"])
        .run()
        .code(2)
        .stderr_has("label");
    assert_eq!(comment(&db).as_deref(), Some("second comment"));

    // pum 1.x's shape: drop alone, then create alone.
    db.pum()
        .args(["-p", "test", "-d"])
        .arg(fixture())
        .args(["app", "drop"])
        .run()
        .success();
    assert!(!db.exists_table("pyhooks_app.facts"));
    assert!(db.exists_table("pyhooks.item"));
    db.pum()
        .args(["-p", "test", "-d"])
        .arg(fixture())
        .args(["app", "create", "-p", "view_comment", "third"])
        .run()
        .success();
    assert_eq!(comment(&db).as_deref(), Some("third"));
    assert_eq!(history_rows(&db).as_deref(), Some("2"));

    // A failing create hook leaves the application as it was.
    let dir = module_copy();
    let hook = dir.path().join("app/create_view.py");
    let text = std::fs::read_to_string(&hook).unwrap();
    std::fs::write(
        &hook,
        text.replace(
            "label: str) -> None:\n",
            "label: str) -> None:\n        1 / 0\n",
        ),
    )
    .unwrap();
    db.pum()
        .args(["app", "recreate", "-p", "test", "-d"])
        .arg(dir.path())
        .run()
        .code(2)
        .stderr_has("ZeroDivisionError");
    assert_eq!(comment(&db).as_deref(), Some("third"));
}

#[test]
fn uninstall_runs_the_uninstall_hooks_as_pum_1x_does() {
    let db = TestDb::new();
    install(&db, &fixture()).run().success();
    // Asked first: a "no" changes nothing, no answer at all is refused.
    db.pum()
        .args(["uninstall", "-p", "test", "-d"])
        .arg(fixture())
        .stdin("no\n")
        .run()
        .success()
        .stdout_has("uninstall cancelled");
    db.pum()
        .args(["uninstall", "-p", "test", "-d"])
        .arg(fixture())
        .stdin("")
        .run()
        .code(2);
    assert!(db.exists_table("pyhooks_app.summary"));
    db.pum()
        .args(["-p", "test", "-d"])
        .arg(fixture())
        .args(["uninstall", "--force"])
        .run()
        .success()
        .stderr_has("uninstall.py");
    // The hooks dropped both schemas (the Python one found it with a bound
    // array); pum_migrations stays, as pum 1.x leaves it.
    assert!(!db.exists_table("pyhooks_app.summary"));
    assert!(!db.exists_table("pyhooks.item"));
    assert_eq!(history_rows(&db).as_deref(), Some("2"));

    // pum 1.x leaves the same database behind.
    let by_pum1 = TestDb::new();
    pum1(by_pum1.home.path())
        .args(["-p", "test", "-d"])
        .arg(fixture())
        .arg("install")
        .run()
        .success();
    pum1(by_pum1.home.path())
        .args(["-p", "test", "-d"])
        .arg(fixture())
        .args(["uninstall", "--force"])
        .run()
        .success();
    assert_same(&by_pum1, &db);

    // A module without uninstall hooks is refused, as pum 1.x refuses it.
    db.pum()
        .args(["uninstall", "--force", "-p", "test", "-d"])
        .arg(fixtures().join("module_1x"))
        .run()
        .code(2)
        .stderr_has("no uninstall hooks");
}
