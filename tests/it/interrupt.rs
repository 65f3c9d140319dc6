//! SIGINT, SIGTERM and SIGHUP sent to a running `pum`: its children stop,
//! its temporary files, databases and sandboxes are removed, one line says
//! where each database stands, and it exits 128 + the signal. Each window
//! is made deterministic by something that sleeps or waits on the server,
//! and the signal is sent only once that is visible in `pg_stat_activity`.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use pum::service::ConnParams;

use crate::support::{
    conninfo, delta_dir, descendants, entries, finish, private_tmpdir, send_signal, servers_under,
    wait_up_to, Process, TestDb,
};

const TABLE: &str = "public.pum_upgrades";
const LONG: Duration = Duration::from_secs(60);

/// A function that sleeps 30 s in the databases whose name matches
/// `pattern` (LIKE) and returns true elsewhere, and a table with one row
/// whose CHECK calls it: restoring the table's rows into such a database
/// sleeps, while the source itself is fast.
fn sleep_when_restored_into(db: &TestDb, pattern: &str) {
    db.execute(&format!(
        "CREATE FUNCTION public.slow_in_copies() RETURNS boolean LANGUAGE plpgsql AS $$
         BEGIN
           IF current_database() LIKE '{pattern}' THEN PERFORM pg_sleep(30); END IF;
           RETURN true;
         END $$;
         CREATE TABLE public.slow (id int CHECK (public.slow_in_copies()));
         INSERT INTO public.slow VALUES (1);"
    ));
}

/// Backends (other than the caller's) of databases matching `datname`
/// (LIKE) that are sleeping in `pg_sleep`.
fn sleepers(params: &ConnParams, datname: &str) -> Vec<i32> {
    let mut client = match pum::db::connect(params) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot watch {}: {e}", params.target());
            return Vec::new();
        }
    };
    client
        .query(
            "SELECT pid FROM pg_stat_activity WHERE datname LIKE $1 \
             AND pid <> pg_backend_pid() AND wait_event = 'PgSleep'",
            &[&datname],
        )
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default()
}

/// What an exited `pum` wrote on stderr.
fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
    }
    text
}

/// Waits until a backend of `datname` sleeps; pum must still be running.
fn wait_for_sleeper(params: &ConnParams, datname: &str, child: &mut Child) -> i32 {
    let mut pid = None;
    wait_up_to(LONG, "a backend sleeping in pg_sleep", || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "pum exited ({status}) before the sleep started:\n{}",
                stderr_of(child)
            );
        }
        pid = sleepers(params, datname).first().copied();
        pid.is_some()
    });
    pid.unwrap()
}

/// Waits until pg_dump, started by `child`, waits for a table lock in `db`
/// (which the test holds).
fn wait_for_pg_dump_lock(db: &TestDb, child: &mut Child) {
    let mut watcher = db.client();
    wait_up_to(LONG, "pg_dump to wait for its lock", || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "pum exited ({status}) before pg_dump waited:\n{}",
                stderr_of(child)
            );
        }
        watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 \
                 AND wait_event_type = 'Lock' AND query LIKE 'LOCK TABLE%'",
                &[&db.name],
            )
            .unwrap()
            .get::<_, i64>(0)
            > 0
    });
}

/// The sandbox cluster pum started under `tmp`: its directory and the
/// superuser's connection to `dbname` there.
fn sandbox_in(tmp: &Path, dbname: &str, child: &mut Child) -> (PathBuf, ConnParams) {
    server_in(tmp, "pum-sandbox-", dbname, child)
}

/// The server pum started in a directory `PREFIX…` under `tmp`, once it
/// listens (its socket's name holds the port): the directory and the
/// superuser's connection to `dbname` there.
pub(crate) fn server_in(
    tmp: &Path,
    prefix: &str,
    dbname: &str,
    child: &mut Child,
) -> (PathBuf, ConnParams) {
    let mut found = None;
    // A physical copy first takes a base backup of the whole test cluster.
    let limit = Duration::from_secs(120);
    wait_up_to(limit, &format!("a server in {prefix}* to start"), || {
        if let Ok(Some(status)) = child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                use std::io::Read;
                let _ = pipe.read_to_string(&mut stderr);
            }
            panic!("pum exited ({status}) before its server in {prefix}* started:\n{stderr}");
        }
        found = entries(tmp)
            .into_iter()
            .filter(|n| n.starts_with(prefix))
            .find_map(|n| {
                let dir = tmp.join(n);
                let port = entries(&dir)
                    .iter()
                    .find_map(|f| f.strip_prefix(".s.PGSQL.")?.parse::<u16>().ok())?;
                Some((dir, port))
            });
        found.is_some()
    });
    let (dir, port) = found.unwrap();
    let params = ConnParams::local_socket(&dir, port, dbname, "postgres");
    (dir, params)
}

/// Production at 1.0.0 and a reference already at 1.0.1 (what `delta`
/// makes of it), for test-and-upgrade with one pending delta.
fn production_and_reference() -> (TestDb, TestDb) {
    let prod = TestDb::baselined("1.0.0");
    prod.execute("CREATE TABLE public.kept (id int); INSERT INTO public.kept VALUES (1), (2);");
    let reference = TestDb::baselined("1.0.0");
    reference.execute("CREATE TABLE public.kept (id int); CREATE TABLE public.half (id int);");
    (prod, reference)
}

/// User tables of a database, for "production unchanged".
fn tables(db: &TestDb) -> Vec<String> {
    db.query_strings(
        "SELECT schemaname || '.' || tablename FROM pg_tables \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    )
}

/// Everything an interrupted run must have cleaned up: the processes it
/// had started, the sandbox server and the temporary directories.
fn assert_nothing_left(started: &[Process], tmp: &Path) {
    let alive: Vec<&Process> = started.iter().filter(|p| p.alive()).collect();
    assert!(
        alive.is_empty(),
        "still running after pum exited: {alive:?}"
    );
    assert!(servers_under(tmp).is_empty(), "{:?}", servers_under(tmp));
    assert_eq!(entries(tmp), Vec::<String>::new(), "left in TMPDIR");
}

#[test]
fn sigint_during_a_rehearsal_delta_stops_it_and_leaves_production_as_it_was() {
    let (prod, reference) = production_and_reference();
    let tables_before = tables(&prod);
    let deltas = delta_dir(&[(
        "delta_1.0.1_slow.sql",
        "CREATE TABLE public.half (id int);\nSELECT pg_sleep(30);\n",
    )]);
    let tmp = private_tmpdir();
    let mut child = prod
        .pum()
        .env("TMPDIR", tmp.path())
        .args(["test-and-upgrade", "-pp", "test", "-pc"])
        .arg(conninfo(&reference))
        .args(["-t", TABLE, "--yes", "-d"])
        .arg(deltas.path())
        .spawn();
    let (_, sandbox) = sandbox_in(tmp.path(), "postgres", &mut child);
    wait_for_sleeper(&sandbox, "pum_rehearsal", &mut child);
    let started = descendants(child.id());
    assert!(
        started.iter().any(|p| p.name == "postgres"),
        "no sandbox server among {started:?}"
    );
    send_signal(&child, libc::SIGINT);
    let run = finish(child).code(130).stderr_has(
        "pum: interrupted (SIGINT) during 'upgrade test database'; \
         production not touched (re-read: still at version 1.0.0, schema and storage unchanged); sandbox removed",
    );
    assert!(!run.stderr.contains("rehearsal FAILED"), "{}", run.stderr);
    assert!(!run.stderr.contains("rehearsal failed"), "{}", run.stderr);
    assert_eq!(
        run.stderr
            .lines()
            .filter(|l| l.starts_with("pum: "))
            .count(),
        1,
        "{}",
        run.stderr
    );
    assert_nothing_left(&started, tmp.path());
    assert_eq!(prod.history(), ["1.0.0 baseline"]);
    assert_eq!(tables(&prod), tables_before);
}

#[test]
fn sigterm_during_the_copy_into_the_sandbox_stops_pg_dump_and_pg_restore() {
    let (prod, reference) = production_and_reference();
    sleep_when_restored_into(&prod, "pum_rehearsal");
    let tables_before = tables(&prod);
    let deltas = delta_dir(&[("delta_1.0.1_half.sql", "CREATE TABLE public.half (id int);")]);
    let tmp = private_tmpdir();
    let mut child = prod
        .pum()
        .env("TMPDIR", tmp.path())
        .args(["test-and-upgrade", "-pp", "test", "-pc"])
        .arg(conninfo(&reference))
        .args(["-t", TABLE, "--yes", "-d"])
        .arg(deltas.path())
        .spawn();
    let (_, sandbox) = sandbox_in(tmp.path(), "postgres", &mut child);
    wait_for_sleeper(&sandbox, "pum_rehearsal", &mut child);
    let started = descendants(child.id());
    // pg_dump of so small a database has already written all into the pipe.
    for program in ["pg_restore", "postgres"] {
        assert!(
            started.iter().any(|p| p.name == program),
            "no {program} among {started:?}"
        );
    }
    send_signal(&child, libc::SIGTERM);
    let run = finish(child).code(143).stderr_has(
        "pum: interrupted (SIGTERM) during 'copy production into test database'; \
         production not touched (re-read: still at version 1.0.0, schema and storage unchanged); sandbox removed",
    );
    assert!(!run.stderr.contains("rehearsal FAILED"), "{}", run.stderr);
    assert_nothing_left(&started, tmp.path());
    assert_eq!(prod.history(), ["1.0.0 baseline"]);
    assert_eq!(tables(&prod), tables_before);
}

#[test]
fn sigint_during_upgrade_rolls_the_running_delta_back() {
    interrupt_upgrade(libc::SIGINT, "SIGINT", 130);
}

#[test]
fn sighup_during_upgrade_rolls_the_running_delta_back() {
    interrupt_upgrade(libc::SIGHUP, "SIGHUP", 129);
}

/// `signal` while the second of three deltas sleeps: the exit code, the
/// line, the history without the interrupted delta, its backend gone.
fn interrupt_upgrade(signal: i32, name: &str, code: i32) {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[
        ("delta_1.0.1_first.sql", "CREATE TABLE first (id int);"),
        (
            "delta_1.0.2_slow.sql",
            "CREATE TABLE half (id int);\nSELECT pg_sleep(30);\n",
        ),
        ("delta_1.0.3_last.sql", "CREATE TABLE last (id int);"),
    ]);
    let mut child = db.upgrade(deltas.path()).spawn();
    let backend = wait_for_sleeper(&db.params, &db.name, &mut child);
    send_signal(&child, signal);
    finish(child).code(code).stderr_has(&format!(
        "pum: interrupted ({name}) during 'applying delta_1.0.2_slow.sql'; \
         database {} at version 1.0.1; delta_1.0.2_slow.sql rolled back, not recorded",
        db.name
    ));
    assert_eq!(db.history(), ["1.0.0 baseline", "1.0.1 first"]);
    assert!(db.exists_table("public.first"));
    assert!(!db.exists_table("public.half"));
    assert!(!db.exists_table("public.last"));
    wait_up_to(LONG, "the interrupted backend to end", || {
        db.query_one(&format!(
            "SELECT count(*)::text FROM pg_stat_activity WHERE pid = {backend}"
        ))
        .as_deref()
            == Some("0")
    });
}

#[test]
fn sigterm_during_dump_leaves_no_partial_file() {
    let db = TestDb::new();
    db.execute("CREATE TABLE public.busy (id int); INSERT INTO public.busy VALUES (1);");
    // pg_dump waits for its lock on the table as long as this transaction lasts.
    let mut holder = db.client();
    holder
        .batch_execute("BEGIN; LOCK TABLE public.busy IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut child = db
        .pum()
        .args(["dump", "-p", "test"])
        .arg(out.path().join("busy.dump"))
        .spawn();
    wait_for_pg_dump_lock(&db, &mut child);
    let started = descendants(child.id());
    assert!(
        started.iter().any(|p| p.name == "pg_dump"),
        "no pg_dump among {started:?}"
    );
    send_signal(&child, libc::SIGTERM);
    finish(child)
        .code(143)
        .stderr_has("pum: interrupted (SIGTERM) during 'pg_dump'; nothing written to");
    let alive: Vec<&Process> = started.iter().filter(|p| p.alive()).collect();
    assert!(alive.is_empty(), "still running: {alive:?}");
    assert_eq!(entries(out.path()), Vec::<String>::new());
    holder.batch_execute("ROLLBACK").unwrap();
}

#[test]
fn sigint_during_restore_swap_drops_the_temporary_database() {
    let source = TestDb::new();
    sleep_when_restored_into(&source, "pum\\_restore\\_%");
    let dumps = tempfile::tempdir().unwrap();
    let file = dumps.path().join("source.dump");
    source
        .pum()
        .args(["dump", "-p", "test"])
        .arg(&file)
        .run()
        .success();
    let target = TestDb::new();
    target
        .execute("CREATE TABLE public.original (id int); INSERT INTO public.original VALUES (7);");
    let tables_before = tables(&target);
    let mut child = target
        .pum()
        .args(["restore", "-p", "test", "--swap"])
        .arg(&file)
        .spawn();
    let admin = crate::support::cluster().params("postgres");
    wait_for_sleeper(&admin, "pum\\_restore\\_%", &mut child);
    let started = descendants(child.id());
    assert!(
        started.iter().any(|p| p.name == "pg_restore"),
        "no pg_restore among {started:?}"
    );
    send_signal(&child, libc::SIGINT);
    finish(child).code(130).stderr_has(&format!(
        "pum: interrupted (SIGINT) during 'pg_restore'; database {} unchanged; \
         temporary database pum_restore_",
        target.name
    ));
    let alive: Vec<&Process> = started.iter().filter(|p| p.alive()).collect();
    assert!(alive.is_empty(), "still running: {alive:?}");
    let mut client = pum::db::connect(&admin).unwrap();
    let temporary: Vec<String> = client
        .query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE 'pum\\_restore\\_%'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(temporary.is_empty(), "left behind: {temporary:?}");
    assert_eq!(tables(&target), tables_before);
    assert_eq!(
        target
            .query_one("SELECT id::text FROM public.original")
            .as_deref(),
        Some("7")
    );
}

#[test]
fn keep_sandbox_leaves_a_running_server_and_says_how_to_stop_it() {
    let (prod, reference) = production_and_reference();
    let deltas = delta_dir(&[("delta_1.0.1_half.sql", "CREATE TABLE public.half (id int);")]);
    let tmp = private_tmpdir();
    let run = prod
        .pum()
        .env("TMPDIR", tmp.path())
        .args(["test-and-upgrade", "-pp", "test", "-pc"])
        .arg(conninfo(&reference))
        .args(["-t", TABLE, "--dry-run", "--keep-sandbox", "-d"])
        .arg(deltas.path())
        .run()
        .success()
        .stderr_has("sandbox kept running: psql \"host=");
    let after = |marker: &str| -> String {
        let at = run.stderr.find(marker).unwrap_or_else(|| {
            panic!("stderr lacks {marker:?}:\n{}", run.stderr);
        });
        run.stderr[at + marker.len()..]
            .split(|c: char| c.is_whitespace() || c == '"')
            .next()
            .unwrap()
            .to_string()
    };
    let host = PathBuf::from(after("psql \"host="));
    let port: u16 = after(" port=").parse().unwrap();
    let pid: u32 = after("kill -INT ").parse().unwrap();
    let removal = after("rm -r ");
    assert_eq!(PathBuf::from(&removal), host);
    assert!(host.starts_with(tmp.path()), "{}", host.display());

    // pum has exited; the sandbox still answers, holding the upgraded copy.
    let params = ConnParams::local_socket(&host, port, "pum_rehearsal", "postgres");
    let mut client = pum::db::connect(&params).expect("the kept sandbox accepts connections");
    let half: bool = client
        .query_one("SELECT to_regclass('public.half') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(half, "the kept sandbox lacks the rehearsed delta");
    drop(client);

    // The printed command stops it.
    let server = Process {
        pid,
        name: "postgres".into(),
    };
    assert!(server.alive());
    // SAFETY: signalling the kept server by the pid pum printed.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) }, 0);
    wait_up_to(LONG, "the kept sandbox to stop", || !server.alive());
    std::fs::remove_dir_all(&host).unwrap();
    assert!(servers_under(tmp.path()).is_empty());
}

#[test]
fn sigint_during_the_copy_into_a_new_test_database_drops_it() {
    let (prod, reference) = production_and_reference();
    let test_name = format!("{}_rehearsal", prod.name);
    sleep_when_restored_into(&prod, &test_name);
    let c = crate::support::cluster();
    let test = format!(
        "host={} port={} dbname={test_name} user=postgres",
        c.socket_dir().display(),
        c.port()
    );
    let deltas = delta_dir(&[("delta_1.0.1_half.sql", "CREATE TABLE public.half (id int);")]);
    let tmp = private_tmpdir();
    let mut child = prod
        .pum()
        .env("TMPDIR", tmp.path())
        .args(["test-and-upgrade", "-pp", "test", "-pt", &test, "-pc"])
        .arg(conninfo(&reference))
        .args(["-t", TABLE, "--yes", "-d"])
        .arg(deltas.path())
        .spawn();
    let admin = c.params("postgres");
    wait_for_sleeper(&admin, &test_name, &mut child);
    let started = descendants(child.id());
    send_signal(&child, libc::SIGINT);
    finish(child).code(130).stderr_has(&format!(
        "pum: interrupted (SIGINT) during 'copy production into test database'; \
         production not touched (re-read: still at version 1.0.0, schema and storage unchanged); \
         test database {test_name} not created (the half-restored one was removed)"
    ));
    assert_nothing_left(&started, tmp.path());
    let mut client = pum::db::connect(&admin).unwrap();
    let left: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&test_name],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the half-restored test database is still there");
    assert_eq!(prod.history(), ["1.0.0 baseline"]);
}

#[test]
fn sigint_while_waiting_for_the_run_lock_stops_the_wait() {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[("delta_1.0.1_a.sql", "CREATE TABLE a ();")]);
    // Another run's lock, held for longer than pum would wait.
    let mut holder = db.client();
    holder
        .batch_execute("SELECT pg_advisory_lock(7370093, hashtext('\"public\".\"pum_upgrades\"'))")
        .unwrap();
    let mut child = db
        .upgrade(deltas.path())
        .args(["--lock-timeout", "10min"])
        .spawn();
    let mut watcher = db.client();
    wait_up_to(LONG, "pum to poll for the run lock", || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "pum exited ({status}) before waiting:\n{}",
                stderr_of(&mut child)
            );
        }
        watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 \
                 AND application_name = 'pum' AND query LIKE '%pg_try_advisory_lock%'",
                &[&db.name],
            )
            .unwrap()
            .get::<_, i64>(0)
            > 0
    });
    send_signal(&child, libc::SIGINT);
    finish(child).code(130).stderr_has(&format!(
        "pum: interrupted (SIGINT) during 'waiting for the upgrade lock'; \
         database {} at version 1.0.0",
        db.name
    ));
    assert_eq!(db.history(), ["1.0.0 baseline"]);
    assert!(!db.exists_table("public.a"));
}

#[test]
fn ctrl_c_at_the_confirmation_leaves_production_untouched() {
    let (prod, reference) = production_and_reference();
    let deltas = delta_dir(&[("delta_1.0.1_half.sql", "CREATE TABLE public.half (id int);")]);
    let tmp = private_tmpdir();
    let run = prod
        .pum()
        .env("TMPDIR", tmp.path())
        .args(["test-and-upgrade", "-pp", "test", "-pc"])
        .arg(conninfo(&reference))
        .args(["-t", TABLE, "-d"])
        .arg(deltas.path())
        .run_at_prompt("[y/N]", |pid, _| {
            // SAFETY: signalling the pum child by its pid.
            assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) }, 0);
        })
        .code(130)
        .stderr_has(
            "pum: interrupted (SIGINT) during 'confirmation'; \
             production not touched (re-read: still at version 1.0.0, schema and storage unchanged); sandbox removed",
        );
    assert!(!run.stderr.contains("rehearsal FAILED"), "{}", run.stderr);
    assert_eq!(entries(tmp.path()), Vec::<String>::new());
    assert_eq!(prod.history(), ["1.0.0 baseline"]);
    assert!(!prod.exists_table("public.half"));
}

#[test]
fn sigterm_during_the_production_upgrade_says_where_production_stands() {
    let (prod, reference) = production_and_reference();
    // Slow in production only: the rehearsal passes quickly, then the
    // production upgrade sleeps in its second delta.
    let slow_in_prod = format!(
        "CREATE TABLE public.half (id int);\n\
         DO $$ BEGIN IF current_database() = '{}' THEN PERFORM pg_sleep(30); END IF; END $$;\n",
        prod.name
    );
    reference.execute("CREATE TABLE public.first (id int);");
    let deltas = delta_dir(&[
        (
            "delta_1.0.1_first.sql",
            "CREATE TABLE public.first (id int);",
        ),
        ("delta_1.0.2_slow.sql", &slow_in_prod),
    ]);
    let tmp = private_tmpdir();
    let mut child = prod
        .pum()
        .env("TMPDIR", tmp.path())
        .args(["test-and-upgrade", "-pp", "test", "-pc"])
        .arg(conninfo(&reference))
        .args(["-t", TABLE, "--yes", "-d"])
        .arg(deltas.path())
        .spawn();
    wait_for_sleeper(&prod.params, &prod.name, &mut child);
    send_signal(&child, libc::SIGTERM);
    finish(child).code(143).stderr_has(&format!(
        "pum: interrupted (SIGTERM) during 'upgrade production'; production upgrade interrupted; \
         database {} at version 1.0.1; delta_1.0.2_slow.sql rolled back, not recorded; sandbox removed",
        prod.name
    ));
    assert_eq!(entries(tmp.path()), Vec::<String>::new());
    assert_eq!(prod.history(), ["1.0.0 baseline", "1.0.1 first"]);
    assert!(!prod.exists_table("public.half"));
}

#[test]
fn sigint_during_the_production_dump_leaves_no_dump_and_no_sandbox() {
    let (prod, reference) = production_and_reference();
    let deltas = delta_dir(&[("delta_1.0.1_half.sql", "CREATE TABLE public.half (id int);")]);
    // pg_dump waits for its lock on the table as long as this transaction lasts.
    let mut holder = prod.client();
    holder
        .batch_execute("BEGIN; LOCK TABLE public.kept IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("production.dump");
    let tmp = private_tmpdir();
    let mut child = prod
        .pum()
        .env("TMPDIR", tmp.path())
        .args(["test-and-upgrade", "-pp", "test", "-pc"])
        .arg(conninfo(&reference))
        .args(["-t", TABLE, "--yes", "-f"])
        .arg(&file)
        .arg("-d")
        .arg(deltas.path())
        .spawn();
    // The sandbox starts while the dump waits; signal once both are under way.
    sandbox_in(tmp.path(), "postgres", &mut child);
    wait_for_pg_dump_lock(&prod, &mut child);
    let started = descendants(child.id());
    assert!(
        started.iter().any(|p| p.name == "pg_dump"),
        "no pg_dump among {started:?}"
    );
    send_signal(&child, libc::SIGINT);
    finish(child).code(130).stderr_has(
        "pum: interrupted (SIGINT) during 'dump production'; \
         production not touched (re-read: still at version 1.0.0, schema and storage unchanged); sandbox removed",
    );
    holder.batch_execute("ROLLBACK").unwrap();
    assert_nothing_left(&started, tmp.path());
    assert_eq!(entries(out.path()), Vec::<String>::new(), "a dump was left");
    assert_eq!(prod.history(), ["1.0.0 baseline"]);
}

#[test]
fn sigterm_during_a_python_hook_stops_python() {
    let db = TestDb::baselined("1.0.0");
    let marker = db.home.path().join("hook-started");
    let stopped = db.home.path().join("hook-got-sigterm");
    // The hook notes the SIGTERM it gets: a child that inherited blocked
    // signals would only ever be killed (SIGKILL), never told.
    let hook = format!(
        "import signal, sys, time\nfrom pum.core.deltapy import DeltaPy\n\n\
         def stop(*_):\n    open({stopped:?}, 'w').close()\n    sys.exit(1)\n\n\
         class Hook(DeltaPy):\n    def run(self):\n        signal.signal(signal.SIGTERM, stop)\n        \
         open({marker:?}, 'w').close()\n        time.sleep(30)\n",
        marker = marker.display().to_string(),
        stopped = stopped.display().to_string(),
    );
    let deltas = delta_dir(&[
        ("pre-all.py", &hook),
        ("delta_1.0.1_a.sql", "CREATE TABLE a ();"),
    ]);
    let tmp = private_tmpdir();
    let mut child = db.upgrade(deltas.path()).env("TMPDIR", tmp.path()).spawn();
    wait_up_to(LONG, "the python hook to start", || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "pum exited ({status}) before the hook started:\n{}",
                stderr_of(&mut child)
            );
        }
        marker.exists()
    });
    let started = descendants(child.id());
    assert!(
        started.iter().any(|p| p.name.starts_with("python")),
        "no python among {started:?}"
    );
    send_signal(&child, libc::SIGTERM);
    finish(child).code(143).stderr_has(&format!(
        "pum: interrupted (SIGTERM) during 'python hook {}'; database {} at version 1.0.0",
        deltas.path().join("pre-all.py").display(),
        db.name
    ));
    assert!(stopped.exists(), "the hook was never sent SIGTERM");
    assert_nothing_left(&started, tmp.path());
    assert_eq!(db.history(), ["1.0.0 baseline"]);
    assert!(!db.exists_table("public.a"));
}
