//! CI reports: JUnit XML (parsed here as a CI server would) for upgrade,
//! check and test-and-upgrade, Markdown for check and test-and-upgrade, and
//! the formats refused where a command has nothing to put in them.

use crate::rehearsal::{production, reference, tau, version};
use crate::support::{conninfo, delta_dir, example_deltas, TestDb};

/// The cases of a JUnit document: (name, failure message if failed).
fn cases(xml: &str) -> Vec<(String, Option<String>)> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not XML ({e}):\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suite = root
        .children()
        .find(|n| n.has_tag_name("testsuite"))
        .expect("a testsuite");
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|c| {
            let failure = c
                .children()
                .find(|n| n.has_tag_name("failure"))
                .map(|f| f.attribute("message").unwrap_or_default().to_string());
            (c.attribute("name").unwrap_or_default().to_string(), failure)
        })
        .collect();
    let failed = cases.iter().filter(|(_, f)| f.is_some()).count();
    assert_eq!(
        suite.attribute("tests"),
        Some(cases.len().to_string().as_str())
    );
    assert_eq!(
        suite.attribute("failures"),
        Some(failed.to_string().as_str())
    );
    cases
}

#[test]
fn upgrade_writes_a_case_per_delta_and_a_failure_naming_the_file() {
    let db = TestDb::baselined("1.0.0");
    let dir = delta_dir(&[
        ("delta_1.0.1_a.sql", "CREATE TABLE a (id int);"),
        ("delta_1.0.2_b.sql", "CREATE TABLE b (id int);"),
    ]);
    let run = db
        .upgrade(dir.path())
        .args(["--format", "junit"])
        .run()
        .success();
    let found = cases(&run.stdout);
    assert_eq!(found.len(), 2);
    assert!(
        found
            .iter()
            .all(|(name, f)| name.ends_with(".sql") && f.is_none()),
        "{found:?}"
    );

    std::fs::write(dir.path().join("delta_1.0.3_bad.sql"), "SELECT 1/0;").unwrap();
    std::fs::write(dir.path().join("delta_1.0.4_never.sql"), "SELECT 1;").unwrap();
    let run = db
        .upgrade(dir.path())
        .args(["--format", "junit"])
        .run()
        .code(2);
    let found = cases(&run.stdout);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].0.ends_with("delta_1.0.3_bad.sql"), "{found:?}");
    assert!(
        found[0].1.as_deref().unwrap().contains("division by zero"),
        "{found:?}"
    );
}

#[test]
fn check_writes_a_case_per_kind_and_markdown_for_a_pull_request() {
    let a = TestDb::new();
    let b = TestDb::new();
    a.execute("CREATE TABLE t (id int, extra text); CREATE TABLE only_a (id int);");
    b.execute("CREATE TABLE t (id int)");
    let check = |format: &str| {
        a.pum()
            .args(["--format", format, "check", "-p1", "test", "-p2"])
            .arg(conninfo(&b))
            .run()
            .code(1)
    };
    let found = cases(&check("junit").stdout);
    let failed: Vec<&str> = found
        .iter()
        .filter(|(_, f)| f.is_some())
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(failed, ["tables", "columns"], "{found:?}");
    assert!(found.len() > 10, "every kind compared is a case: {found:?}");

    let md = check("markdown").stdout;
    assert!(md.starts_with("### ❌ pum check: 2 differences"), "{md}");
    assert!(md.contains("| tables | 1 | 0 | 0 |"), "{md}");
    assert!(md.contains("```diff\n- public.only_a\n```"), "{md}");
}

#[test]
fn test_and_upgrade_reports_steps_deltas_and_the_verdict() {
    let prod = production();
    let reference = reference();
    reference.execute("CREATE TABLE network.extra (id int)");
    let run = tau(&prod, &reference, &example_deltas())
        .args(["--yes", "--format", "junit"])
        .run()
        .code(1);
    let found = cases(&run.stdout);
    assert!(
        found
            .iter()
            .any(|(n, f)| n.starts_with("step: ") && f.is_none()),
        "{found:?}"
    );
    assert!(
        found.iter().any(|(n, _)| n.starts_with("delta: ")),
        "{found:?}"
    );
    let verdict = found
        .iter()
        .find(|(n, _)| n == "verdict")
        .expect("a verdict case");
    assert!(
        verdict
            .1
            .as_deref()
            .unwrap()
            .contains("differs from the reference"),
        "{verdict:?}"
    );
    assert_eq!(version(&prod), "{1,0,0}");

    let md = tau(&prod, &reference, &example_deltas())
        .args(["--yes", "--format", "markdown"])
        .run()
        .code(1)
        .stdout;
    assert!(
        md.starts_with("### ❌ pum test-and-upgrade: rehearsal FAILED"),
        "{md}"
    );
    assert!(md.contains("| Delta | Time | Strongest lock |"), "{md}");
    assert!(md.contains("network.extra"), "{md}");
}

#[test]
fn formats_without_content_are_refused() {
    let db = TestDb::baselined("1.0.0");
    db.pum()
        .args([
            "--format",
            "junit",
            "info",
            "-p",
            "test",
            "-t",
            "public.pum_upgrades",
        ])
        .run()
        .code(2)
        .stderr_has(
            "--format junit: only fleet, upgrade, install, check, test-and-upgrade and lint write it",
        );
    db.pum()
        .args([
            "--format",
            "markdown",
            "upgrade",
            "-p",
            "test",
            "-t",
            "public.pum_upgrades",
        ])
        .run()
        .code(2)
        .stderr_has("--format markdown: only check and test-and-upgrade write it");
}

#[test]
fn a_kept_dump_reports_how_long_its_restore_took() {
    let prod = production();
    let reference = reference();
    let keep = tempfile::tempdir().unwrap();
    let dump = keep.path().join("prod.dump");
    let json = tau(&prod, &reference, &example_deltas())
        .arg("-f")
        .arg(&dump)
        .args(["--dry-run", "--format", "json"])
        .run()
        .success()
        .json();
    assert!(json["recovery_ms"].is_u64(), "{json}");
    assert!(
        json["recovery_dump"]
            .as_str()
            .unwrap()
            .ends_with("prod.dump"),
        "{json}"
    );
    let restore = json["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "restore into test database")
        .expect("the restore step");
    assert_eq!(restore["duration_ms"], json["recovery_ms"]);
    // Without -f the copy is streamed: there is no dump to come back with.
    let streamed = tau(&prod, &reference, &example_deltas())
        .args(["--dry-run", "--format", "json"])
        .run()
        .success()
        .json();
    assert!(streamed.get("recovery_ms").is_none(), "{streamed}");
    let text = tau(&prod, &reference, &example_deltas())
        .arg("-f")
        .arg(&dump)
        .arg("--dry-run")
        .run()
        .success()
        .stdout;
    assert!(text.contains("way back: restoring the kept dump"), "{text}");
}
