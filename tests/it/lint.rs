//! `pum lint`: each rule found at its line and column in a fixture project
//! with one delta per rule, `-- pum:allow` silencing exactly what it names,
//! exit codes, SARIF and JUnit parsed as code scanning and CI read them,
//! a pum 1.x module, and the findings of pending deltas shown as warnings
//! by `upgrade --dry-run`.

use std::path::{Path, PathBuf};

use crate::support::{delta_dir, fixtures, Pum, TestDb};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `pum lint` run from the repository root, with a HOME of its own.
fn lint() -> Pum {
    static HOME: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let home = HOME.get_or_init(|| tempfile::tempdir().unwrap());
    Pum::new(home.path()).current_dir(repo()).arg("lint")
}

/// (rule, file name, line, column) of every finding of a JSON report.
fn findings(json: &serde_json::Value) -> Vec<(String, String, u64, u64)> {
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let file = Path::new(f["file"].as_str().unwrap());
            (
                f["rule"].as_str().unwrap().to_string(),
                file.file_name().unwrap().to_string_lossy().into_owned(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn expected_rules() -> Vec<(String, String, u64, u64)> {
    [
        ("index-without-concurrently", "delta_1.0.1_index.sql", 5, 1),
        ("alter-column-type", "delta_1.0.2_column_type.sql", 2, 34),
        (
            "volatile-default",
            "delta_1.0.3_volatile_default.sql",
            2,
            30,
        ),
        ("set-not-null", "delta_1.0.4_set_not_null.sql", 4, 1),
        (
            "constraint-without-not-valid",
            "delta_1.0.5_not_valid.sql",
            2,
            23,
        ),
        ("vacuum-full", "delta_1.0.6_vacuum_full.sql", 2, 8),
        ("cluster", "delta_1.0.7_cluster.sql", 1, 1),
        ("rename-column", "delta_1.0.8_rename_column.sql", 1, 1),
        ("drop-column", "delta_1.0.9_drop_column.sql", 1, 1),
        ("lock-table", "delta_1.1.0_lock_table.sql", 2, 1),
        ("missing-lock-timeout", "delta_1.1.1_lock_timeout.sql", 2, 1),
    ]
    .iter()
    .map(|(r, f, l, c)| (r.to_string(), f.to_string(), *l, *c))
    .collect()
}

#[test]
fn each_rule_is_found_at_its_line_and_column() {
    let run = lint()
        .args(["--format", "json", "-d", "tests/fixtures/lint_rules"])
        .run()
        .code(1);
    let json = run.json();
    assert_eq!(findings(&json), expected_rules());
    assert_eq!(json["count"], 11);
    assert_eq!(json["files"].as_array().unwrap().len(), 11);
    // Stable tables, constants and new tables are left alone: now() as a
    // default, a CHECK proven by VALIDATE before SET NOT NULL, a NOT VALID
    // foreign key, an index on a table made in the same delta.
    let text = lint()
        .args(["-d", "tests/fixtures/lint_rules"])
        .run()
        .code(1);
    let first = text.stdout.lines().next().unwrap();
    assert!(
        first.starts_with(
            "tests/fixtures/lint_rules/delta_1.0.1_index.sql:5:1: index-without-concurrently: \
             index towns_name built on towns without CONCURRENTLY: "
        ),
        "{first}"
    );
    assert!(first.contains("CONCURRENTLY"), "{first}");
    assert_eq!(text.stdout.lines().count(), 12, "{}", text.stdout);
    assert_eq!(text.stdout.lines().last(), Some("11 findings in 11 files"));
}

#[test]
fn a_clean_project_exits_zero() {
    lint()
        .args(["-d", "tests/fixtures/lint_clean"])
        .run()
        .success()
        .stdout_has("no findings in 2 files");
}

#[test]
fn allow_comments_silence_exactly_the_rules_they_name() {
    let dir = delta_dir(&[(
        "delta_1.0.0_allowed.sql",
        "-- pum:allow cluster\n\
         CLUSTER towns;\n\
         -- pum:allow drop-column\n\
         ALTER TABLE towns DROP COLUMN a;\n\
         ALTER TABLE towns DROP COLUMN b;\n\
         LOCK TABLE towns; -- pum:allow lock-table, vacuum-full\n\
         VACUUM FULL towns;\n\
         -- pum:allow rename-colum -- a typo\n\
         ALTER TABLE towns RENAME COLUMN c TO d;\n\
         CLUSTER towns;\n",
    )]);
    let run = lint()
        .args(["--format", "json", "-d"])
        .arg(dir.path())
        .run()
        .code(1);
    let got: Vec<(String, u64, u64)> = findings(&run.json())
        .into_iter()
        .map(|(r, _, l, c)| (r, l, c))
        .collect();
    assert_eq!(
        got,
        vec![
            ("drop-column".to_string(), 5, 1),
            ("vacuum-full".to_string(), 7, 8),
            ("unknown-rule-in-allow".to_string(), 8, 1),
            ("rename-column".to_string(), 9, 1),
        ]
    );
    let text = lint().arg("-d").arg(dir.path()).run().code(1);
    assert!(
        text.stdout.contains(
            "delta_1.0.0_allowed.sql:8:1: unknown-rule-in-allow: `pum:allow rename-colum`"
        ),
        "{}",
        text.stdout
    );
}

#[test]
fn sql_that_does_not_parse_is_an_error_naming_file_line_and_column() {
    let dir = delta_dir(&[
        ("delta_1.0.0_ok.sql", "SELECT 1;\n"),
        (
            "delta_1.0.1_broken.sql",
            "CREATE TABLE a (id int);\nALTER TABLE a\n  ADD COLUMN b intt oops;\n",
        ),
    ]);
    let run = lint().arg("-d").arg(dir.path()).run().code(2);
    let file = dir.path().join("delta_1.0.1_broken.sql");
    run.stderr_has(&format!(
        "{}:3:21: the SQL does not parse: syntax error at or near \"oops\"",
        file.display()
    ));
}

#[test]
fn sarif_is_a_2_1_0_log_with_rules_and_regions() {
    let run = lint()
        .args(["--format", "sarif", "-d", "tests/fixtures/lint_rules"])
        .run()
        .code(1);
    let log = run.json();
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "pum");
    assert!(driver["version"].is_string());
    let rules = driver["rules"].as_array().unwrap();
    for rule in rules {
        for key in ["shortDescription", "fullDescription", "help"] {
            assert!(
                rule[key]["text"].as_str().is_some_and(|t| !t.is_empty()),
                "{rule}"
            );
        }
    }
    let rule_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let results = runs[0]["results"].as_array().unwrap();
    let got: Vec<(String, String, u64, u64)> = results
        .iter()
        .map(|r| {
            assert_eq!(r["level"], "warning");
            assert!(!r["message"]["text"].as_str().unwrap().is_empty());
            let id = r["ruleId"].as_str().unwrap();
            assert!(rule_ids.contains(&id), "{id} not among the rules");
            let loc = &r["locations"][0]["physicalLocation"];
            let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
            assert!(uri.starts_with("tests/fixtures/lint_rules/"), "{uri}");
            (
                id.to_string(),
                uri.rsplit('/').next().unwrap().to_string(),
                loc["region"]["startLine"].as_u64().unwrap(),
                loc["region"]["startColumn"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, expected_rules());
}

#[test]
fn sarif_uris_are_relative_to_the_current_directory() {
    let home = tempfile::tempdir().unwrap();
    let run = Pum::new(home.path())
        .current_dir(fixtures())
        .args(["lint", "--format", "sarif", "-d"])
        .arg(fixtures().join("lint_rules"))
        .run()
        .code(1);
    let uri = run.json()["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        ["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(uri, "lint_rules/delta_1.0.1_index.sql");
}

#[test]
fn junit_has_a_failed_case_per_finding() {
    let run = lint()
        .args(["--format", "junit", "-d", "tests/fixtures/lint_rules"])
        .run()
        .code(1);
    let doc = roxmltree::Document::parse(&run.stdout).expect("JUnit XML");
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("failures"), Some("11"));
    let failed: Vec<(String, String)> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .filter_map(|c| {
            let failure = c.children().find(|n| n.has_tag_name("failure"))?;
            Some((
                c.attribute("name").unwrap().to_string(),
                failure.attribute("message").unwrap().to_string(),
            ))
        })
        .collect();
    assert_eq!(failed.len(), 11);
    assert!(
        failed[0].0.starts_with(
            "index-without-concurrently tests/fixtures/lint_rules/delta_1.0.1_index.sql:5:1"
        ),
        "{failed:?}"
    );
    assert!(failed[0].1.contains("without CONCURRENTLY"), "{failed:?}");
    let clean = lint()
        .args(["--format", "junit", "-d", "tests/fixtures/lint_clean"])
        .run()
        .success();
    let doc = roxmltree::Document::parse(&clean.stdout).unwrap();
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("tests"), Some("2"));
    assert_eq!(suite.attribute("failures"), Some("0"));
}

#[test]
fn sarif_is_refused_by_other_commands() {
    let home = tempfile::tempdir().unwrap();
    Pum::new(home.path())
        .args(["--format", "sarif", "info", "-p", "nowhere"])
        .run()
        .code(2)
        .stderr_has("--format sarif: only lint write");
}

#[test]
fn a_module_is_linted_version_by_version_with_parameters_masked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join(".pum.yaml"),
        "pum:\n  module: m\nparameters:\n  - name: SRID\n    type: integer\n    default: 2056\n",
    )
    .unwrap();
    let v1 = root.join("changelogs/1.0.0");
    let v2 = root.join("changelogs/1.1.0");
    std::fs::create_dir_all(&v1).unwrap();
    std::fs::create_dir_all(&v2).unwrap();
    std::fs::write(
        v1.join("01_tables.sql"),
        "CREATE TABLE m.pipe (id int, g geometry(Point, {SRID}));\n",
    )
    .unwrap();
    // The table was made by the same version: its index is no risk.
    std::fs::write(
        v1.join("02_index.sql"),
        "CREATE INDEX pipe_g ON m.pipe (g);\n",
    )
    .unwrap();
    std::fs::write(
        v2.join("01_type.sql"),
        "CREATE INDEX pipe_id ON m.pipe (id);\nALTER TABLE m.pipe ALTER COLUMN id TYPE bigint;\n",
    )
    .unwrap();
    let run = lint()
        .args(["--format", "json", "-d"])
        .arg(root)
        .run()
        .code(1);
    let json = run.json();
    let got: Vec<(String, String, u64, u64)> = findings(&json);
    assert_eq!(
        got,
        vec![
            (
                "index-without-concurrently".into(),
                "01_type.sql".into(),
                1,
                1
            ),
            ("alter-column-type".into(), "01_type.sql".into(), 2, 41),
        ]
    );
    assert_eq!(json["files"].as_array().unwrap().len(), 3);
}

#[test]
fn upgrade_dry_run_warns_about_pending_deltas_only() {
    let db = TestDb::baselined("1.0.0");
    db.execute("CREATE TABLE towns (id int, name text)");
    let dir = delta_dir(&[
        ("delta_0.9.0_applied.sql", "LOCK TABLE towns;\n"),
        (
            "delta_1.0.1_index.sql",
            "CREATE INDEX towns_name ON towns (name);\n",
        ),
    ]);
    let run = db.upgrade(dir.path()).arg("--dry-run").run().success();
    let index = dir.path().join("delta_1.0.1_index.sql");
    let run = run.stderr_has(&format!(
        "warning: lint: {}:1:1: index-without-concurrently: ",
        index.display()
    ));
    assert!(!run.stderr.contains("lock-table"), "{}", run.stderr);
    // A dry run changes nothing: the index is not there.
    assert_eq!(
        db.query_one("SELECT to_regclass('public.towns_name')::text"),
        None
    );
}

#[test]
fn the_rehearsal_warns_about_pending_deltas_and_still_passes() {
    let prod = crate::rehearsal::production();
    let reference = crate::rehearsal::reference();
    let deltas = crate::support::example_deltas();
    let run = crate::rehearsal::tau(&prod, &reference, &deltas)
        .arg("--yes")
        .run()
        .success();
    let materials = deltas.join("delta_1.1.0_materials.sql");
    let run = run
        .stderr_has(&format!(
            "warning: lint: {}:20:1: drop-column: column network.pipe.material dropped",
            materials.display()
        ))
        .stderr_has(&format!(
            "warning: lint: {}:22:1: index-without-concurrently: ",
            materials.display()
        ));
    assert!(run.stdout.contains("production upgraded"), "{}", run.stdout);
    assert_eq!(crate::rehearsal::version(&prod), "{1,2,0}");
}
