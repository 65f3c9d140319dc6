//! test-and-upgrade --copy physical: the rehearsal runs on a base backup of
//! production's cluster started as a private server, with the same outcome
//! as on a logical copy; a role that may not replicate is refused before
//! anything is copied; nothing of the private server outlives the run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::rehearsal::{production, reference, tau, version};
use crate::support::{
    conninfo, delta_dir, descendants, entries, example_deltas, finish, private_tmpdir, send_signal,
    servers_under, wait_up_to, TestDb,
};

fn private_tmp() -> tempfile::TempDir {
    private_tmpdir()
}

fn left_in(dir: &Path) -> Vec<String> {
    entries(dir)
}

/// The versions of the deltas a rehearsal applied to its copy, in order.
fn applied(json: &serde_json::Value) -> Vec<String> {
    json["test_upgrade"]["applied"]
        .as_array()
        .unwrap_or_else(|| panic!("no applied deltas in {json}"))
        .iter()
        .map(|d| d["version"].as_str().unwrap().to_string())
        .collect()
}

/// The socket directory the run said its private server used.
fn private_socket_dir(stderr: &str) -> PathBuf {
    let line = stderr
        .lines()
        .find(|l| l.contains("private server: PostgreSQL"))
        .unwrap_or_else(|| panic!("no private server line in:\n{stderr}"));
    let dir = line
        .split("socket directory ")
        .nth(1)
        .and_then(|rest| rest.split(" (").next())
        .unwrap();
    PathBuf::from(dir)
}

fn relations(db: &TestDb) -> Vec<String> {
    db.query_strings(
        "SELECT n.nspname || '.' || c.relname || ' ' || c.relfilenode FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1",
    )
}

#[test]
fn a_physical_copy_passes_the_same_rehearsal_as_a_logical_one_then_upgrades() {
    let prod = production();
    let reference = reference();
    let before = relations(&prod);
    let tmp = private_tmp();
    let rehearse = |copy: &str| {
        let run = tau(&prod, &reference, &example_deltas())
            .env("TMPDIR", tmp.path())
            .args(["--format", "json", "--dry-run", "--copy", copy])
            .run()
            .success();
        (run.json(), run.stderr)
    };
    let (logical, _) = rehearse("logical");
    let (physical, stderr) = rehearse("physical");
    assert_eq!(logical["verdict"], "rehearsal_passed", "{logical}");
    assert_eq!(physical["verdict"], "rehearsal_passed", "{physical}");
    assert_eq!(logical["copy"], "logical");
    assert_eq!(physical["copy"], "physical");
    assert!(physical["copy_ms"].as_u64().is_some(), "{physical}");
    assert_eq!(applied(&physical), applied(&logical));
    assert_eq!(applied(&physical), ["1.1.0", "1.2.0"]);
    assert_eq!(physical["production_touched"], false);
    assert!(
        physical["phases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "base backup of production"),
        "{physical}"
    );
    // Production as it was: same version, same relations, same files.
    assert_eq!(version(&prod), "{1,0,0}");
    assert_eq!(relations(&prod), before);
    // The private server is gone: no process, no socket, no directory.
    let socket_dir = private_socket_dir(&stderr);
    assert!(!socket_dir.exists(), "{} left", socket_dir.display());
    assert!(
        servers_under(tmp.path()).is_empty(),
        "{:?}",
        servers_under(tmp.path())
    );
    assert!(
        left_in(tmp.path()).is_empty(),
        "left behind: {:?}",
        left_in(tmp.path())
    );

    // Confirmed, production itself is upgraded after the physical rehearsal.
    let run = tau(&prod, &reference, &example_deltas())
        .env("TMPDIR", tmp.path())
        .args(["--copy", "physical", "--yes"])
        .run()
        .success();
    assert!(run.stdout.contains("production upgraded"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("copy: physical (pg_basebackup, private server)"),
        "{}",
        run.stdout
    );
    assert_eq!(version(&prod), "{1,2,0}");
    assert!(
        left_in(tmp.path()).is_empty(),
        "left behind: {:?}",
        left_in(tmp.path())
    );
}

#[test]
fn a_failing_delta_on_the_physical_copy_leaves_production_untouched() {
    let prod = production();
    let reference = reference();
    let deltas = crate::support::copy_tree(&example_deltas());
    std::fs::write(
        deltas.path().join("delta_1.1.0_materials.sql"),
        "ALTER TABLE network.nope ADD COLUMN x int;",
    )
    .unwrap();
    let before = relations(&prod);
    let tmp = private_tmp();
    let run = tau(&prod, &reference, deltas.path())
        .env("TMPDIR", tmp.path())
        .args(["--copy", "physical", "--yes"])
        .run()
        .code(1);
    assert!(run.stdout.contains("rehearsal FAILED"), "{}", run.stdout);
    assert!(
        run.stdout.contains("production not touched"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("delta_1.1.0_materials.sql"),
        "{}",
        run.stderr
    );
    assert_eq!(version(&prod), "{1,0,0}");
    assert_eq!(relations(&prod), before);
    assert!(
        servers_under(tmp.path()).is_empty(),
        "{:?}",
        servers_under(tmp.path())
    );
    assert!(
        left_in(tmp.path()).is_empty(),
        "left behind: {:?}",
        left_in(tmp.path())
    );
}

#[test]
fn a_role_without_replication_is_refused_before_anything_is_copied() {
    let prod = production();
    let reference = reference();
    let role = format!("norepl_{}", std::process::id());
    prod.execute(&format!(
        "DO $$ BEGIN CREATE ROLE {role} LOGIN NOREPLICATION; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
         GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role};"
    ));
    let as_role = format!(
        "{} user={role}",
        conninfo(&prod).replace(" user=postgres", "")
    );
    let before = relations(&prod);
    let tmp = private_tmp();
    let run = prod
        .pum()
        .env("TMPDIR", tmp.path())
        .args(["test-and-upgrade", "--copy", "physical", "--dry-run", "-pp"])
        .arg(&as_role)
        .arg("-pc")
        .arg(conninfo(&reference))
        .args(["-t", "public.pum_upgrades", "-d"])
        .arg(example_deltas())
        .run()
        .code(2);
    assert!(
        run.stderr.contains(&format!(
            "ALTER ROLE {} REPLICATION",
            pum::db::quote_ident(&role)
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was copied"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("base backup of production"),
        "{}",
        run.stderr
    );
    assert_eq!(relations(&prod), before);
    assert!(
        left_in(tmp.path()).is_empty(),
        "left behind: {:?}",
        left_in(tmp.path())
    );
}

#[test]
fn a_physical_copy_with_a_named_test_database_is_refused() {
    let prod = production();
    let reference = reference();
    let test = prod.sibling();
    let run = tau(&prod, &reference, &example_deltas())
        .args(["--copy", "physical", "--dry-run", "-pt"])
        .arg(conninfo(&test))
        .run()
        .code(2);
    assert!(
        run.stderr.contains("--copy physical") && run.stderr.contains("-pt"),
        "{}",
        run.stderr
    );
    assert_eq!(version(&prod), "{1,0,0}");
}

#[test]
fn ctrl_c_during_the_rehearsal_on_a_physical_copy_removes_the_private_server() {
    let prod = TestDb::baselined("1.0.0");
    prod.execute("CREATE TABLE public.kept (id int); INSERT INTO public.kept VALUES (1), (2);");
    let reference = TestDb::baselined("1.0.0");
    reference.execute("CREATE TABLE public.kept (id int); CREATE TABLE public.half (id int);");
    let before = relations(&prod);
    let deltas = delta_dir(&[(
        "delta_1.0.1_slow.sql",
        "CREATE TABLE public.half (id int);\nSELECT pg_sleep(30);\n",
    )]);
    let tmp = private_tmp();
    let mut child = prod
        .pum()
        .env("TMPDIR", tmp.path())
        .args([
            "test-and-upgrade",
            "--copy",
            "physical",
            "--yes",
            "-pp",
            "test",
            "-pc",
        ])
        .arg(conninfo(&reference))
        .args(["-t", "public.pum_upgrades", "-d"])
        .arg(deltas.path())
        .spawn();
    let (_, private) = crate::interrupt::server_in(tmp.path(), "pum-copy-", &prod.name, &mut child);
    // The delta sleeps in the copy: the rehearsal is under way.
    wait_up_to(
        Duration::from_secs(120),
        "the delta to sleep in the copy",
        || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("pum exited ({status}) before the delta ran");
            }
            pum::db::connect(&private)
                .and_then(|mut c| {
                    c.query_one(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND wait_event = 'PgSleep'",
                        &[],
                    )
                    .map_err(|e| pum::error::Error::sql("watching the copy", e))
                })
                .is_ok_and(|row| row.get::<_, i64>(0) > 0)
        },
    );
    let started = descendants(child.id());
    send_signal(&child, libc::SIGINT);
    let run = finish(child).code(130).stderr_has(
        "production not touched (re-read: still at version 1.0.0, schema and storage unchanged); sandbox removed",
    );
    assert!(
        run.stderr.contains("interrupted (SIGINT)"),
        "{}",
        run.stderr
    );
    let alive: Vec<_> = started.iter().filter(|p| p.alive()).collect();
    assert!(
        alive.is_empty(),
        "still running after pum exited: {alive:?}"
    );
    assert!(
        servers_under(tmp.path()).is_empty(),
        "{:?}",
        servers_under(tmp.path())
    );
    assert!(
        left_in(tmp.path()).is_empty(),
        "left behind: {:?}",
        left_in(tmp.path())
    );
    // The port is closed too: nothing listens on the private socket.
    assert!(pum::db::connect(&private).is_err());
    assert_eq!(prod.history(), ["1.0.0 baseline"]);
    assert_eq!(relations(&prod), before);
}

#[test]
fn reference_scripts_are_built_in_the_private_server() {
    let prod = production();
    let scripts = tempfile::tempdir().unwrap();
    let mut model = String::new();
    for f in [
        "delta_1.0.0_network.sql",
        "delta_1.1.0_materials.sql",
        "delta_1.2.0_lengths.sql",
    ] {
        model.push_str(&std::fs::read_to_string(example_deltas().join(f)).unwrap());
    }
    std::fs::write(scripts.path().join("model.sql"), model).unwrap();
    let tmp = private_tmp();
    let json = prod
        .pum()
        .env("TMPDIR", tmp.path())
        .args(["--format", "json", "test-and-upgrade", "--copy", "physical"])
        .args(["-pp", "test", "--dry-run", "-t", "public.pum_upgrades"])
        .arg("--reference-sql")
        .arg(scripts.path().join("model.sql"))
        .arg("-d")
        .arg(example_deltas())
        .run()
        .success()
        .json();
    assert_eq!(json["verdict"], "rehearsal_passed", "{json}");
    assert_eq!(json["copy"], "physical");
    assert!(
        json["test"].as_str().unwrap().contains("physical copy"),
        "{json}"
    );
    assert_eq!(version(&prod), "{1,0,0}");
    assert!(
        left_in(tmp.path()).is_empty(),
        "left behind: {:?}",
        left_in(tmp.path())
    );
}
