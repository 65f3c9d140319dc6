//! test-and-upgrade: production is touched only after a rehearsal on a copy
//! passed and someone (or --yes) confirmed.

use std::path::Path;

use crate::support::{conninfo, example_deltas, servers_under, TestDb};

const TABLE: &str = "public.pum_upgrades";

/// Production at the first version of the example model, with rows.
pub(crate) fn production() -> TestDb {
    let db = TestDb::new();
    db.pum()
        .args(["baseline", "-p", "test", "-t", TABLE, "-b", "1.0.0"])
        .run()
        .success();
    db.pum()
        .args(["upgrade", "-p", "test", "-t", TABLE, "-u", "1.0.0", "-d"])
        .arg(example_deltas())
        .run()
        .success();
    db.execute(
        "INSERT INTO network.node (name, x, y) VALUES ('a', 0, 0), ('b', 3, 4), ('c', 6, 8);
         INSERT INTO network.pipe (from_node, to_node, diameter_mm, material)
         SELECT a.id, b.id, 100, 'pvc' FROM network.node a, network.node b WHERE a.name = 'a' AND b.name = 'b';
         INSERT INTO network.pipe (from_node, to_node, diameter_mm, material)
         SELECT a.id, b.id, 150, 'steel' FROM network.node a, network.node b WHERE a.name = 'b' AND b.name = 'c';",
    );
    db
}

/// The newest model built from the deltas.
pub(crate) fn reference() -> TestDb {
    let db = TestDb::new();
    db.pum()
        .args(["baseline", "-p", "test", "-t", TABLE, "-b", "1.0.0"])
        .run()
        .success();
    db.upgrade(&example_deltas()).run().success();
    db
}

pub(crate) fn version(db: &TestDb) -> String {
    db.query_one("SELECT max(string_to_array(version, '.')::int[])::text FROM public.pum_upgrades")
        .unwrap()
}

fn snapshot(db: &TestDb) -> Vec<String> {
    db.query_strings(
        "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1",
    )
}

pub(crate) fn tau(prod: &TestDb, reference: &TestDb, deltas: &Path) -> crate::support::Pum {
    prod.pum()
        .args(["test-and-upgrade", "-pp", "test", "-pc"])
        .arg(conninfo(reference))
        .args(["-t", TABLE, "-d"])
        .arg(deltas)
}

#[test]
fn happy_path_upgrades_production_to_equal_the_reference() {
    let prod = production();
    let reference = reference();
    // A grant to a role of production's: its restore in the sandbox fails
    // unless the role was created there first.
    let grant = "DO $$ BEGIN CREATE ROLE pum_it_reader NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
         GRANT SELECT ON network.node TO pum_it_reader;";
    prod.execute(grant);
    reference.execute(grant);
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("report.json");
    let run = tau(&prod, &reference, &example_deltas())
        .arg("--yes")
        .arg("--report")
        .arg(&report)
        .run()
        .success();
    assert!(run.stdout.contains("production upgraded"), "{}", run.stdout);
    assert_eq!(version(&prod), "{1,2,0}");
    assert_eq!(
        prod.query_one("SELECT count(*)::text FROM network.pipe")
            .as_deref(),
        Some("2")
    );
    assert_eq!(
        prod.query_strings("SELECT code FROM network.material ORDER BY code"),
        ["pvc", "steel"],
        "data migrated by the deltas"
    );
    // The result equals a database built from scratch.
    prod.pum()
        .args(["check", "-p1", "test", "-p2"])
        .arg(conninfo(&reference))
        .run()
        .success();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["verdict"], "upgraded");
    assert_eq!(json["production_touched"], true);
    assert_eq!(json["version_before"], "1.0.0");
    assert_eq!(json["version_after"], "1.2.0");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&report).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn failing_delta_in_rehearsal_leaves_production_untouched() {
    let prod = production();
    let reference = reference();
    let deltas = crate::support::copy_tree(&example_deltas());
    std::fs::write(
        deltas.path().join("delta_1.1.0_materials.sql"),
        "ALTER TABLE network.nope ADD COLUMN x int;",
    )
    .unwrap();
    let before = snapshot(&prod);
    let run = tau(&prod, &reference, deltas.path())
        .arg("--yes")
        .run()
        .code(1);
    assert!(run.stdout.contains("rehearsal FAILED"), "{}", run.stdout);
    assert!(
        run.stderr.contains("delta_1.1.0_materials.sql"),
        "{}",
        run.stderr
    );
    assert_eq!(version(&prod), "{1,0,0}");
    assert_eq!(snapshot(&prod), before);
}

#[test]
fn differences_from_the_reference_fail_the_rehearsal() {
    let prod = production();
    let reference = reference();
    reference.execute("CREATE TABLE network.extra (id int)");
    let json = tau(&prod, &reference, &example_deltas())
        .args(["--yes", "--format", "json"])
        .run()
        .code(1)
        .json();
    assert_eq!(json["verdict"], "differences");
    assert_eq!(json["production_touched"], false);
    let diffs = json["check"]["differences"].as_array().unwrap();
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(
        diffs[0]["object"]
            .as_str()
            .unwrap()
            .contains("network.extra"),
        "{diffs:?}"
    );
    assert_eq!(version(&prod), "{1,0,0}");
}

#[test]
fn no_terminal_and_no_yes_is_refused() {
    let prod = production();
    let reference = reference();
    tau(&prod, &reference, &example_deltas())
        .run()
        .code(2)
        .stderr_has("pass --yes");
    assert_eq!(version(&prod), "{1,0,0}");
}

#[test]
fn declined_confirmation_leaves_production_untouched() {
    let prod = production();
    let reference = reference();
    let keep = tempfile::tempdir().unwrap();
    let dump = keep.path().join("prod.dump");
    let run = tau(&prod, &reference, &example_deltas())
        .arg("-f")
        .arg(&dump)
        .run_answering("[y/N]", || {}, "n");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(dump.is_file(), "-f keeps the production dump");
    assert!(keep.path().join("prod.dump.manifest.json").is_file());
    assert!(
        run.stderr
            .contains("Apply 2 deltas (1.0.0 → 1.2.0) to production test"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("declined"), "{}", run.stdout);
    assert_eq!(version(&prod), "{1,0,0}");
}

#[test]
fn confirmed_on_a_terminal_upgrades() {
    let prod = production();
    let reference = reference();
    let run = tau(&prod, &reference, &example_deltas()).run_answering("[y/N]", || {}, "y");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(version(&prod), "{1,2,0}");
}

#[test]
fn production_upgraded_by_someone_else_meanwhile_aborts() {
    let prod = production();
    let reference = reference();
    let run = tau(&prod, &reference, &example_deltas()).run_answering(
        "[y/N]",
        || {
            prod.pum()
                .args(["upgrade", "-p", "test", "-t", TABLE, "-u", "1.1.0", "-d"])
                .arg(example_deltas())
                .run()
                .success();
        },
        "y",
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("production changed since it was dumped"),
        "{}",
        run.stderr
    );
    assert_eq!(
        version(&prod),
        "{1,1,0}",
        "only the other run's upgrade happened"
    );
}

#[test]
fn dry_run_with_reference_scripts_and_no_sandbox_left_behind() {
    let prod = production();
    let scripts = tempfile::tempdir().unwrap();
    // The project's "create the latest model from scratch" script.
    let mut model = String::new();
    for f in [
        "delta_1.0.0_network.sql",
        "delta_1.1.0_materials.sql",
        "delta_1.2.0_lengths.sql",
    ] {
        model.push_str(&std::fs::read_to_string(example_deltas().join(f)).unwrap());
    }
    std::fs::write(scripts.path().join("model.sql"), model).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        tmp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let json = prod
        .pum()
        .env("TMPDIR", tmp.path())
        .args([
            "--format",
            "json",
            "test-and-upgrade",
            "-pp",
            "test",
            "--dry-run",
            "-t",
            TABLE,
            "--reference-sql",
        ])
        .arg(scripts.path().join("model.sql"))
        .arg("-d")
        .arg(example_deltas())
        .run()
        .success()
        .json();
    assert_eq!(json["verdict"], "rehearsal_passed");
    assert_eq!(json["production_touched"], false);
    assert_eq!(version(&prod), "{1,0,0}");
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "sandbox or dump left behind: {left:?}");
}

#[test]
fn demo_runs_the_whole_story_in_a_sandbox() {
    let home = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        tmp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let run = crate::support::Pum::new(home.path())
        .env("TMPDIR", tmp.path())
        .arg("demo")
        .run()
        .success();
    assert!(run.stdout.contains("production upgraded"), "{}", run.stdout);
    assert!(
        run.stdout.contains("version 1.2.0, 0 pending"),
        "{}",
        run.stdout
    );
    let json = crate::support::Pum::new(home.path())
        .env("TMPDIR", tmp.path())
        .args(["--format", "json", "demo"])
        .run()
        .success()
        .json();
    assert_eq!(json["verdict"], "upgraded");
    assert_eq!(json["version_after"], "1.2.0");
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "the demo left files behind: {left:?}");
}

#[test]
fn named_test_database_is_cleaned_and_parallel_jobs_work() {
    let prod = production();
    let reference = reference();
    let test = TestDb::new();
    test.execute("CREATE TABLE leftover (id int)");
    let json = tau(&prod, &reference, &example_deltas())
        .arg("-pt")
        .arg(conninfo(&test))
        .args(["-j", "2", "--dry-run", "--format", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json["verdict"], "rehearsal_passed");
    assert!(
        !test.exists_table("public.leftover"),
        "the test database was emptied first"
    );
    assert_eq!(
        version(&test),
        "{1,2,0}",
        "the rehearsal ran in the named test database"
    );
    assert_eq!(
        test.query_one("SELECT count(*)::text FROM network.pipe")
            .as_deref(),
        Some("2")
    );
    assert_eq!(version(&prod), "{1,0,0}");
}

#[test]
fn production_as_test_database_is_refused() {
    let prod = production();
    let reference = reference();
    tau(&prod, &reference, &example_deltas())
        .args(["-pt", "test", "--yes"])
        .run()
        .code(2)
        .stderr_has("is production itself");
    assert_eq!(version(&prod), "{1,0,0}");
}

#[test]
fn sandbox_server_is_gone_after_a_failed_rehearsal() {
    let prod = production();
    let reference = reference();
    reference.execute("CREATE TABLE network.extra (id int)");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        tmp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    tau(&prod, &reference, &example_deltas())
        .env("TMPDIR", tmp.path())
        .arg("--yes")
        .run()
        .code(1);
    assert!(
        servers_under(tmp.path()).is_empty(),
        "{:?}",
        servers_under(tmp.path())
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_pum_1x_module_is_rehearsed_and_upgraded() {
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/module_1x");
    let prod = TestDb::new();
    prod.pum()
        .arg("install")
        .args(["-p", "test", "-u", "1.0.0", "-d"])
        .arg(&module)
        .run()
        .success();
    let reference = TestDb::new();
    reference
        .pum()
        .arg("install")
        .args(["-p", "test", "-d"])
        .arg(&module)
        .run()
        .success();
    let json = prod
        .pum()
        .args(["--format", "json", "test-and-upgrade", "-pp", "test", "-pc"])
        .arg(conninfo(&reference))
        .args(["--yes", "-d"])
        .arg(&module)
        .run()
        .success()
        .json();
    assert_eq!(json["verdict"], "upgraded", "{json:#}");
    assert_eq!(json["version_before"], "1.0.0");
    assert_eq!(
        json["pending"],
        serde_json::json!(["1.9.0", "1.10.0", "1.11.0"])
    );
    let versions = prod.query_strings(
        "SELECT version FROM pipes_sys.pum_migrations ORDER BY date_installed, version",
    );
    assert!(versions.contains(&"1.10.0".to_string()), "{versions:?}");
    prod.pum()
        .args(["check", "-p1", "test", "-p2"])
        .arg(conninfo(&reference))
        .run()
        .success();
}

#[test]
fn a_restore_failing_in_the_rehearsal_leaves_production_untouched() {
    let prod = production();
    let reference = reference();
    let project = tempfile::tempdir().unwrap();
    let failing = crate::support::fixtures().join("dump/pg_restore_fails");
    std::fs::write(
        project.path().join("pum.yaml"),
        format!("pg_restore_exe: {}\n", failing.display()),
    )
    .unwrap();
    let before = snapshot(&prod);
    let json = tau(&prod, &reference, &example_deltas())
        .current_dir(project.path())
        .args(["--yes", "--format", "json"])
        .run()
        .code(1)
        .json();
    assert_eq!(json["verdict"], "rehearsal_failed");
    assert_eq!(json["production_touched"], false);
    let failed: Vec<_> = json["phases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ok"] == false)
        .collect();
    assert_eq!(failed.len(), 1, "{json:#}");
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("simulated failure"),
        "{json:#}"
    );
    assert_eq!(version(&prod), "{1,0,0}");
    assert_eq!(snapshot(&prod), before);
}

/// The streamed copy (`pg_dump -Fc | pg_restore`) fails in pg_dump when
/// production's role cannot read a sequence: the error is pg_dump's own
/// ("permission denied"), not pg_restore's "input file is too short".
#[test]
fn a_producer_failure_in_the_streamed_copy_shows_pg_dumps_own_error() {
    let prod = production();
    let reference = reference();
    let role = format!("{}_ro", prod.name);
    prod.execute(&format!(
        "CREATE ROLE {role} LOGIN; GRANT USAGE ON SCHEMA network TO {role};
         GRANT SELECT ON ALL TABLES IN SCHEMA network, public TO {role};
         GRANT SELECT ON ALL SEQUENCES IN SCHEMA network, public TO {role};
         REVOKE SELECT ON SEQUENCE network.node_id_seq FROM {role};"
    ));
    let c = crate::support::cluster();
    prod.write_service_file(&format!(
        "[ro]\nhost={}\nport={}\ndbname={}\nuser={role}\n",
        c.socket_dir().display(),
        c.port(),
        prod.name
    ));
    let before = snapshot(&prod);
    let run = prod
        .pum()
        .args(["test-and-upgrade", "-pp", "ro", "-pc"])
        .arg(conninfo(&reference))
        .args(["-t", TABLE, "--dry-run", "-d"])
        .arg(example_deltas())
        .run();
    prod.execute(&format!("DROP OWNED BY {role}; DROP ROLE {role};"));
    let all = format!("{}\n{}", run.stdout, run.stderr);
    assert_ne!(run.code, 0, "{all}");
    let cause = all
        .find("pg_dump failed")
        .unwrap_or_else(|| panic!("pg_dump's failure is not named:\n{all}"));
    assert!(all[cause..].contains("permission denied"), "{all}");
    if let Some(secondary) = all.find("input file is too short") {
        assert!(secondary > cause, "pg_restore's error comes first:\n{all}");
    }
    assert_eq!(snapshot(&prod), before, "production changed");
    assert_eq!(version(&prod), "{1,0,0}");
}
