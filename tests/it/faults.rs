//! Faults against a real server: pum killed mid-delta, its backend
//! terminated, two runs at once, the server restarted. After each, the
//! database is at its last recorded version with no half-applied delta, and
//! the next run carries on.

use std::path::Path;
use std::time::{Duration, Instant};

use pum::sandbox::{Cluster, ClusterOptions};
use pum::service::ConnParams;

use crate::support::{delta_dir, finish, Pum, TestDb};

const TABLE: &str = "public.pum_upgrades";

/// The delta that is interrupted: a table, then a long sleep.
const SLOW: &str = "CREATE TABLE half (id int);\nSELECT pg_sleep(30);\n";
/// The same delta, fixed: what the rerun applies.
const FIXED: &str = "CREATE TABLE half (id int);\n";

fn deltas_with_slow_middle() -> tempfile::TempDir {
    delta_dir(&[
        ("delta_1.0.1_first.sql", "CREATE TABLE first (id int);"),
        ("delta_1.0.2_slow.sql", SLOW),
        ("delta_1.0.3_last.sql", "CREATE TABLE last (id int);"),
    ])
}

fn upgrade(pum: Pum, deltas: &Path) -> Pum {
    pum.args(["upgrade", "-p", "test", "-t", TABLE, "-d"])
        .arg(deltas)
}

/// Rows of the upgrades table as `version description`.
fn history(client: &mut postgres::Client) -> Vec<String> {
    client
        .query(
            "SELECT version || ' ' || description FROM public.pum_upgrades ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn exists(client: &mut postgres::Client, table: &str) -> bool {
    client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .unwrap()
        .get(0)
}

/// Backends of `dbname` (other than the caller) running the slow delta.
fn sleepers(client: &mut postgres::Client, dbname: &str) -> Vec<i32> {
    client
        .query(
            "SELECT pid FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid() AND position($2 in query) > 0",
            &[&dbname, &"pg_sleep(30)"],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Waits until `cond` holds, polling; panics with `what` after `limit`.
#[track_caller]
fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the slow delta's backend is running `pg_sleep`; its pid.
fn wait_for_sleeper(params: &ConnParams, dbname: &str, child: &mut std::process::Child) -> i32 {
    let mut watcher = pum::db::connect(params).unwrap();
    let mut pid = None;
    wait_for(Duration::from_secs(30), "the slow delta to start", || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("pum exited ({status}) before the slow delta started");
        }
        pid = sleepers(&mut watcher, dbname).first().copied();
        pid.is_some()
    });
    pid.unwrap()
}

/// The state every fault must leave: 1.0.1 recorded and applied, the
/// interrupted 1.0.2 neither recorded nor half-applied, 1.0.3 untouched.
fn assert_stopped_after_first(client: &mut postgres::Client) {
    assert_eq!(history(client), ["1.0.0 baseline", "1.0.1 first"]);
    assert!(exists(client, "public.first"));
    assert!(
        !exists(client, "public.half"),
        "the interrupted delta's CREATE TABLE survived"
    );
    assert!(!exists(client, "public.last"));
}

/// The rerun with the slow delta fixed applies 1.0.2 and 1.0.3 once each.
fn assert_rerun_continues(pum: Pum, deltas: &Path, client: &mut postgres::Client) {
    std::fs::write(deltas.join("delta_1.0.2_slow.sql"), FIXED).unwrap();
    upgrade(pum, deltas)
        .run()
        .success()
        .stdout_has("1.0.1 → 1.0.3 (2 deltas applied");
    assert_eq!(
        history(client),
        ["1.0.0 baseline", "1.0.1 first", "1.0.2 slow", "1.0.3 last"]
    );
    assert!(exists(client, "public.half") && exists(client, "public.last"));
}

#[test]
fn sigkill_mid_delta_leaves_last_recorded_version_and_rerun_continues() {
    let db = TestDb::baselined("1.0.0");
    let deltas = deltas_with_slow_middle();
    let mut child = upgrade(db.pum(), deltas.path()).spawn();
    let pid = wait_for_sleeper(&db.params, &db.name, &mut child);
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    let run = finish(child);
    assert_eq!(run.code, -1, "pum was not killed: {run:?}");

    // The server notices the dead client on its own, ends the backend and
    // rolls the delta back, well before the 30 s sleep would be over.
    let mut client = db.client();
    let t0 = Instant::now();
    wait_for(
        Duration::from_secs(10),
        "the orphaned backend to end",
        || {
            client
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                    &[&pid],
                )
                .unwrap()
                .get::<_, i64>(0)
                == 0
        },
    );
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert_stopped_after_first(&mut client);
    assert_rerun_continues(db.pum(), deltas.path(), &mut client);
}

#[test]
fn backend_terminated_mid_delta_is_a_clear_error_and_rerun_continues() {
    let db = TestDb::baselined("1.0.0");
    let deltas = deltas_with_slow_middle();
    let mut child = upgrade(db.pum(), deltas.path()).spawn();
    let pid = wait_for_sleeper(&db.params, &db.name, &mut child);
    let mut client = db.client();
    let terminated: bool = client
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap()
        .get(0);
    assert!(terminated);
    finish(child)
        .code(2)
        .stderr_has("delta_1.0.2_slow.sql")
        .stderr_has("the connection to the server was lost while it ran");
    assert_stopped_after_first(&mut client);
    assert_rerun_continues(db.pum(), deltas.path(), &mut client);
}

#[test]
fn two_runs_at_once_apply_every_delta_exactly_once() {
    const N: usize = 40;
    let db = TestDb::baselined("1.0.0");
    db.execute("CREATE TABLE applied_log (version text)");
    let files: Vec<(String, String)> = (1..=N)
        .map(|i| {
            (
                format!("delta_1.1.{i}_step.sql"),
                format!(
                    "CREATE TABLE step_{i} (id int);\nINSERT INTO applied_log VALUES ('1.1.{i}');\n"
                ),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let deltas = delta_dir(&refs);
    let a = upgrade(db.pum(), deltas.path()).spawn();
    let b = upgrade(db.pum(), deltas.path()).spawn();
    let (a, b) = (finish(a), finish(b));
    // Both succeed: the second waits for the run lock, then finds nothing to do.
    for run in [&a, &b] {
        assert_eq!(run.code, 0, "{run:?}");
        assert!(!run.stderr.contains("panicked"), "{run:?}");
    }
    let applied: Vec<usize> = [&a, &b]
        .iter()
        .map(|r| {
            if r.stdout.contains(&format!("({N} deltas applied")) {
                N
            } else {
                assert!(r.stdout.contains("(0 deltas applied"), "{r:?}");
                0
            }
        })
        .collect();
    assert_eq!(applied.iter().sum::<usize>(), N, "{a:?}\n{b:?}");
    let per_version = db.query_strings(
        "SELECT count(*)::text FROM public.pum_upgrades WHERE type <> 0 GROUP BY version",
    );
    assert_eq!(per_version.len(), N);
    assert!(per_version.iter().all(|c| c == "1"), "{per_version:?}");
    let per_log = db.query_strings("SELECT count(*)::text FROM applied_log GROUP BY version");
    assert_eq!(per_log.len(), N);
    assert!(per_log.iter().all(|c| c == "1"), "{per_log:?}");
}

/// A cluster of this test's own (the shared one must never restart), with
/// a database `faults` baselined at 1.0.0 and a home whose service file
/// names it `test`.
struct Private {
    cluster: Cluster,
    home: tempfile::TempDir,
}

impl Private {
    fn start() -> Private {
        let cluster = Cluster::start(&ClusterOptions {
            tcp: false,
            die_with_parent: true,
            replication: false,
            bindir: crate::support::server_bindir(),
        })
        .unwrap_or_else(|e| panic!("cannot start a private cluster: {e}"));
        cluster.create_database("faults").unwrap();
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join(".pg_service.conf"),
            format!(
                "[test]\nhost={}\nport={}\ndbname=faults\nuser=postgres\n",
                cluster.socket_dir().display(),
                cluster.port()
            ),
        )
        .unwrap();
        let p = Private { cluster, home };
        p.pum()
            .args(["baseline", "-p", "test", "-t", TABLE, "-b", "1.0.0"])
            .run()
            .success();
        p
    }

    fn pum(&self) -> Pum {
        Pum::new(self.home.path())
    }

    fn client(&self) -> postgres::Client {
        pum::db::connect(&self.cluster.params("faults")).unwrap()
    }
}

#[test]
fn server_restart_mid_delta_is_a_clear_error_and_rerun_continues() {
    let mut p = Private::start();
    let deltas = deltas_with_slow_middle();
    let mut child = upgrade(p.pum(), deltas.path()).spawn();
    wait_for_sleeper(&p.cluster.params("faults"), "faults", &mut child);
    p.cluster.restart().unwrap();
    finish(child)
        .code(2)
        .stderr_has("delta_1.0.2_slow.sql")
        .stderr_has("the connection to the server was lost while it ran");
    let mut client = p.client();
    assert_stopped_after_first(&mut client);
    assert_rerun_continues(p.pum(), deltas.path(), &mut client);
}

#[test]
fn server_restart_between_steps_is_a_clear_error_and_rerun_continues() {
    let mut p = Private::start();
    let marker = p.home.path().join("hook-started");
    let gate = p.home.path().join("hook-may-finish");
    // A pre-all hook that waits: pum's own session sits idle (run lock
    // taken, no delta applied yet) while the server goes down and up.
    let hook = format!(
        "import os, time\nfrom pum.core.deltapy import DeltaPy\n\n\
         class Hook(DeltaPy):\n    def run(self):\n        open({marker:?}, 'w').close()\n        \
         while not os.path.exists({gate:?}):\n            time.sleep(0.05)\n",
        marker = marker.display().to_string(),
        gate = gate.display().to_string(),
    );
    let deltas = delta_dir(&[
        ("pre-all.py", &hook),
        ("delta_1.0.1_first.sql", "CREATE TABLE first (id int);"),
        ("delta_1.0.2_second.sql", "CREATE TABLE second (id int);"),
    ]);
    let mut child = upgrade(p.pum(), deltas.path()).spawn();
    wait_for(Duration::from_secs(30), "the pre-all hook to start", || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("pum exited ({status}) before the hook started");
        }
        marker.exists()
    });
    p.cluster.restart().unwrap();
    std::fs::write(&gate, "").unwrap();
    let run = finish(child)
        .code(2)
        .stderr_has("the connection to the server was lost");
    assert!(!run.stderr.contains("panicked"), "{run:?}");
    let mut client = p.client();
    assert_eq!(history(&mut client), ["1.0.0 baseline"]);
    assert!(!exists(&mut client, "public.first"));
    upgrade(p.pum(), deltas.path())
        .run()
        .success()
        .stdout_has("1.0.0 → 1.0.2 (2 deltas applied");
    assert_eq!(
        history(&mut client),
        ["1.0.0 baseline", "1.0.1 first", "1.0.2 second"]
    );
}

#[test]
fn a_waiting_run_takes_over_when_the_lock_holder_is_killed() {
    let db = TestDb::baselined("1.0.0");
    let deltas = deltas_with_slow_middle();
    let mut first = upgrade(db.pum(), deltas.path()).spawn();
    wait_for_sleeper(&db.params, &db.name, &mut first);
    // The second run reads the fixed file, then waits for the run lock.
    std::fs::write(deltas.path().join("delta_1.0.2_slow.sql"), FIXED).unwrap();
    let second = upgrade(db.pum(), deltas.path()).spawn();
    let mut client = db.client();
    wait_for(Duration::from_secs(30), "the second run to connect", || {
        client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'pum'",
                &[&db.name],
            )
            .unwrap()
            .get::<_, i64>(0)
            >= 2
    });
    let t0 = Instant::now();
    first.kill().unwrap();
    assert_eq!(finish(first).code, -1);
    // Within seconds, not after the killed run's 30 s sleep.
    finish(second)
        .success()
        .stdout_has("1.0.1 → 1.0.3 (2 deltas applied");
    assert!(t0.elapsed() < Duration::from_secs(15), "{:?}", t0.elapsed());
    assert_eq!(
        history(&mut client),
        ["1.0.0 baseline", "1.0.1 first", "1.0.2 slow", "1.0.3 last"]
    );
}

#[test]
fn the_lock_holder_named_is_in_this_database() {
    let db = TestDb::baselined("1.0.0");
    let other = TestDb::new();
    let deltas = delta_dir(&[("delta_1.0.1_a.sql", "CREATE TABLE a ();")]);
    // The same lock key, held in another database and in this one.
    let take = "SELECT pg_advisory_lock(7370093, hashtext('\"public\".\"pum_upgrades\"'))";
    let mut elsewhere = other.client();
    elsewhere
        .batch_execute(&format!(
            "SET application_name = 'deploy-elsewhere'; {take}"
        ))
        .unwrap();
    let mut here = db.client();
    here.batch_execute(&format!("SET application_name = 'deploy-here'; {take}"))
        .unwrap();
    let run = upgrade(db.pum(), deltas.path())
        .args(["--lock-timeout", "200ms"])
        .run()
        .code(2)
        .stderr_has("application_name \"deploy-here\"");
    assert!(!run.stderr.contains("deploy-elsewhere"), "{}", run.stderr);
    assert!(!db.exists_table("public.a"));
}
