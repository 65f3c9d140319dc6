//! Test harness: ONE throw-away PostgreSQL cluster per test run (the same
//! sandbox code `pum demo` uses), a fresh database per test, and a builder
//! that runs the real `pum` binary with an isolated environment.

#![allow(dead_code)]

pub mod pum1;
pub mod s3;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use pum::sandbox::{Cluster, ClusterOptions};
use pum::service::ConnParams;

/// The upgrades table most tests use.
pub const UPGRADES_TABLE: &str = "public.pum_upgrades";

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);

extern "C" fn stop_cluster() {
    if let Some(c) = CLUSTER.get() {
        c.shutdown_now();
    }
}

/// `PUM_PG_BINDIR`, where the harness's servers are looked for first (as
/// pum itself does).
pub fn server_bindir() -> Option<PathBuf> {
    std::env::var_os("PUM_PG_BINDIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
}

/// The shared cluster, started on first use. Missing server binaries fail
/// the tests with a message saying what to install.
pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        let cluster = Cluster::start(&ClusterOptions {
            tcp: true,
            die_with_parent: false,
            // Physical copies of this cluster are tested: pg_basebackup needs WAL senders.
            replication: true,
            bindir: server_bindir(),
        })
        .unwrap_or_else(|e| panic!("cannot start the test cluster: {e}"));
        // SAFETY: registering a plain extern "C" function with atexit.
        unsafe {
            libc::atexit(stop_cluster);
        }
        enable_tls(&cluster);
        cluster
    })
}

/// Where the test cluster's self-signed certificate (for `localhost`) is.
pub fn server_certificate() -> PathBuf {
    cluster().data_dir().join("server.crt")
}

/// Turns TLS on (TCP connections may then use it) with a self-signed
/// certificate for `localhost`, made by the openssl command.
fn enable_tls(cluster: &Cluster) {
    let data = cluster.data_dir();
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ])
        .arg("-keyout")
        .arg(data.join("server.key"))
        .arg("-out")
        .arg(data.join("server.crt"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the openssl command makes the test certificate (apt-get install openssl)");
    assert!(
        status.success(),
        "openssl could not make the test certificate"
    );
    let owner = std::fs::metadata(&data).unwrap();
    for f in ["server.key", "server.crt"] {
        use std::os::unix::fs::MetadataExt;
        let path = data.join(f);
        std::os::unix::fs::chown(&path, Some(owner.uid()), Some(owner.gid())).unwrap();
        let mode = if f == "server.key" { 0o600 } else { 0o644 };
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(mode))
            .unwrap();
    }
    let mut admin =
        pum::db::connect(&cluster.params("postgres")).expect("connect to the test cluster");
    // Two round trips: ALTER SYSTEM refuses the implicit transaction of a
    // multi-statement query.
    admin
        .batch_execute("ALTER SYSTEM SET ssl = on")
        .expect("turn TLS on");
    admin
        .batch_execute("SELECT pg_reload_conf()")
        .expect("reload the configuration");
    // The reload is asynchronous: wait until a new session can use TLS.
    let env = pum::service::Environment::from_vars(Vec::<(String, String)>::new(), None);
    let spec = format!(
        "host=127.0.0.1 port={} dbname=postgres user=postgres sslmode=require",
        cluster.port()
    );
    let tls = pum::service::ConnParams::resolve(&spec, &env).expect("conninfo");
    wait_until("TLS is on", || {
        admin
            .query_one("SELECT current_setting('ssl') = 'on'", &[])
            .map(|r| r.get::<_, bool>(0))
            .unwrap_or(false)
            && matches!(pum::db::connect(&tls), Err(pum::error::Error::Connect { ref message, .. }) if message.contains("password"))
    });
}

/// Polls `ready` for up to 10 s (server reloads take effect asynchronously).
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !ready() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A database of its own for one test, dropped at the end.
pub struct TestDb {
    pub name: String,
    pub params: ConnParams,
    /// A private HOME for the pum child: its service file lives here.
    pub home: tempfile::TempDir,
}

impl TestDb {
    pub fn new() -> TestDb {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("t{}_{n}", std::process::id());
        let params = cluster()
            .create_database(&name)
            .expect("create test database");
        let home = tempfile::tempdir().expect("temp home");
        let db = TestDb { name, params, home };
        db.write_service_file("[test]\n");
        db
    }

    /// A fresh database baselined at `version` in `public.pum_upgrades`.
    pub fn baselined(version: &str) -> TestDb {
        let db = TestDb::new();
        db.pum()
            .args([
                "baseline",
                "-p",
                "test",
                "-t",
                UPGRADES_TABLE,
                "-b",
                version,
            ])
            .run()
            .success();
        db
    }

    /// `version description` of every row of `public.pum_upgrades`, in order.
    pub fn history(&self) -> Vec<String> {
        self.query_strings(
            "SELECT version || ' ' || description FROM public.pum_upgrades ORDER BY id",
        )
    }

    /// `pum upgrade -p test -t public.pum_upgrades -d DIR`, ready for more flags.
    pub fn upgrade(&self, dir: &Path) -> Pum {
        self.pum()
            .args(["upgrade", "-p", "test", "-t", UPGRADES_TABLE, "-d"])
            .arg(dir)
    }

    /// A second database on the same cluster (for check, restore...).
    pub fn sibling(&self) -> TestDb {
        TestDb::new()
    }

    /// Writes `~/.pg_service.conf` with service `test` (and `extra` text
    /// prepended, e.g. more sections).
    pub fn write_service_file(&self, extra: &str) {
        let c = cluster();
        let mut text = String::new();
        if extra != "[test]\n" {
            text.push_str(extra);
            text.push('\n');
        }
        text.push_str(&format!(
            "[test]\nhost={}\nport={}\ndbname={}\nuser=postgres\n",
            c.socket_dir().display(),
            c.port(),
            self.name
        ));
        std::fs::write(self.home.path().join(".pg_service.conf"), text).unwrap();
    }

    pub fn client(&self) -> postgres::Client {
        pum::db::connect(&self.params).expect("connect to test database")
    }

    pub fn execute(&self, sql: &str) {
        self.client()
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {}", pum::error::describe_pg_error(&e)));
    }

    /// First column of the first row, as text.
    pub fn query_one(&self, sql: &str) -> Option<String> {
        let row = self.client().query_one(sql, &[]).expect(sql);
        row.get(0)
    }

    pub fn query_strings(&self, sql: &str) -> Vec<String> {
        self.client()
            .query(sql, &[])
            .expect(sql)
            .iter()
            .map(|r| r.get::<_, Option<String>>(0).unwrap_or_default())
            .collect()
    }

    /// `pum` with `-p test` reachable through the private service file.
    pub fn pum(&self) -> Pum {
        Pum::new(self.home.path())
    }

    pub fn exists_table(&self, qualified: &str) -> bool {
        self.query_one(&format!("SELECT to_regclass('{qualified}')::text"))
            .is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = pum::db::connect(&cluster().params("postgres")) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                pum::db::quote_ident(&self.name)
            ));
        }
    }
}

/// A fluent builder around the real `pum` binary.
pub struct Pum {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

/// What a run of `pum` gave back.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn success(self) -> Run {
        assert_eq!(
            self.code, 0,
            "pum failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(self, expected: i32) -> Run {
        assert_eq!(
            self.code, expected,
            "unexpected exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Run {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

impl Pum {
    pub fn new(home: &Path) -> Pum {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pum"));
        for (k, _) in std::env::vars() {
            if k.starts_with("PG")
                || k.starts_with("AWS_")
                || k == "NO_COLOR"
                || k == "PUM_PG_BINDIR"
            {
                cmd.env_remove(k);
            }
        }
        cmd.env("HOME", home).current_dir(home);
        Pum { cmd, stdin: None }
    }

    pub fn args<I, S>(mut self, args: I) -> Pum
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Pum {
        self.cmd.arg(arg);
        self
    }

    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Pum {
        self.cmd.env(k, v);
        self
    }

    pub fn env_remove(mut self, k: &str) -> Pum {
        self.cmd.env_remove(k);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Pum {
        self.cmd.current_dir(dir);
        self
    }

    /// Limits the size of files pum and its children may write, as a full
    /// disk would (`ulimit -f`): writing past it kills the writer with SIGXFSZ.
    pub fn file_size_limit(mut self, bytes: u64) -> Pum {
        use std::os::unix::process::CommandExt;
        // SAFETY: setrlimit is async-signal-safe and runs in the forked child.
        unsafe {
            self.cmd.pre_exec(move || {
                let limit = libc::rlimit {
                    rlim_cur: bytes,
                    rlim_max: bytes,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        self
    }

    pub fn stdin(mut self, input: &str) -> Pum {
        self.stdin = Some(input.as_bytes().to_vec());
        self
    }

    /// Starts the binary without waiting (stdin closed, output captured);
    /// [`finish`] collects it.
    pub fn spawn(mut self) -> std::process::Child {
        self.cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null());
        self.cmd.spawn().expect("spawn pum")
    }

    pub fn run(mut self) -> Run {
        self.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        self.cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = self.cmd.spawn().expect("spawn pum");
        if let Some(input) = self.stdin.take() {
            use std::io::Write;
            let _ = child.stdin.take().unwrap().write_all(&input);
        }
        let out: Output = child.wait_with_output().expect("wait for pum");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Waits for a spawned `pum` and collects what it printed.
pub fn finish(child: std::process::Child) -> Run {
    let out: Output = child.wait_with_output().expect("wait for pum");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The repository's shipped example deltas.
pub fn example_deltas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deltas")
}

/// The test fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A temporary delta directory with the given files.
pub fn delta_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

impl Pum {
    /// Runs with a pseudo-terminal as standard input (so pum may ask), waits
    /// until stderr shows `prompt`, calls `before` and types `answer`.
    pub fn run_answering(self, prompt: &str, before: impl FnOnce(), answer: &str) -> Run {
        self.run_at_prompt(prompt, |_, master| {
            use std::io::Write;
            before();
            master.write_all(answer.as_bytes()).unwrap();
            master.write_all(b"\n").unwrap();
        })
    }

    /// Runs with a pseudo-terminal as standard input, waits until stderr
    /// shows `prompt`, then calls `act` with pum's pid and the terminal
    /// (to type an answer, or to signal pum instead).
    pub fn run_at_prompt(mut self, prompt: &str, act: impl FnOnce(u32, &mut std::fs::File)) -> Run {
        use std::io::Read;
        use std::os::fd::{FromRawFd, OwnedFd};
        let (mut master, slave) = unsafe {
            let (mut m, mut s) = (0, 0);
            // SAFETY: openpty fills two fds we then own.
            let rc = libc::openpty(
                &mut m,
                &mut s,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            );
            assert_eq!(rc, 0, "openpty failed");
            (
                std::fs::File::from(OwnedFd::from_raw_fd(m)),
                OwnedFd::from_raw_fd(s),
            )
        };
        self.cmd
            .stdin(Stdio::from(slave))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("spawn pum");
        let mut stderr = child.stderr.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let out_thread = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
        });
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        let mut act = Some(act);
        loop {
            let n = stderr.read(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            if act.is_some() && String::from_utf8_lossy(&seen).contains(prompt) {
                (act.take().unwrap())(child.id(), &mut master);
            }
        }
        let status = child.wait().expect("wait for pum");
        Run {
            code: status.code().unwrap_or(-1),
            stdout: out_thread.join().unwrap(),
            stderr: String::from_utf8_lossy(&seen).into_owned(),
        }
    }
}

/// A conninfo string for another test database (for -pc, -p2 ...).
pub fn conninfo(db: &TestDb) -> String {
    let c = cluster();
    format!(
        "host={} port={} dbname={} user=postgres",
        c.socket_dir().display(),
        c.port(),
        db.name
    )
}

/// Sends `signal` (libc::SIGINT, SIGTERM…) to a spawned `pum`.
pub fn send_signal(child: &std::process::Child, signal: i32) {
    // SAFETY: signalling our own child process by pid.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(rc, 0, "kill({}, {signal}) failed", child.id());
}

/// Waits until `cond` holds, polling; panics with `what` after `limit`.
#[track_caller]
pub fn wait_up_to(limit: std::time::Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + limit;
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A private temporary directory for a `pum` child's `TMPDIR`, so what it
/// leaves there can be checked. Readable by all: as root the sandbox server
/// runs as `postgres` and must reach its directory inside.
pub fn private_tmpdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    dir
}

/// The names of the entries of `dir`.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Command lines of the live processes whose command line mentions `dir`.
pub fn servers_under(dir: &Path) -> Vec<String> {
    let needle = dir.display().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let cmdline = std::fs::read(path.join("cmdline")).ok()?;
            Some(String::from_utf8_lossy(&cmdline).replace('\0', " "))
        })
        .filter(|c| c.contains(&needle))
        .collect()
}

/// A process: its pid and its name (`comm`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    pub name: String,
}

impl Process {
    /// Whether it still runs (gone, reaped or a zombie all count as stopped;
    /// a reused pid does not match the name).
    pub fn alive(&self) -> bool {
        proc_stat(self.pid).is_some_and(|(name, state, _)| name == self.name && state != 'Z')
    }
}

/// `(comm, state, ppid)` from `/proc/PID/stat`.
fn proc_stat(pid: u32) -> Option<(String, char, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name is in parentheses and may itself hold spaces or parentheses.
    let (open, close) = (text.find('(')?, text.rfind(')')?);
    let name = text[open + 1..close].to_string();
    let mut rest = text[close + 1..].split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((name, state, ppid))
}

/// Every live descendant of `pid` (children, their children…).
pub fn descendants(pid: u32) -> Vec<Process> {
    let all: Vec<(u32, String, char, u32)> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| {
            let p: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
            let (name, state, ppid) = proc_stat(p)?;
            Some((p, name, state, ppid))
        })
        .collect();
    let mut found: Vec<Process> = Vec::new();
    let mut parents = vec![pid];
    while let Some(parent) = parents.pop() {
        for (p, name, state, ppid) in &all {
            if *ppid == parent && *state != 'Z' {
                found.push(Process {
                    pid: *p,
                    name: name.clone(),
                });
                parents.push(*p);
            }
        }
    }
    found
}

/// A copy of the directory tree `from` in a temporary directory, to change freely.
pub fn copy_tree(from: &Path) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(from, dir.path());
    dir
}

/// `pum check` of two databases: exit 0, or the report in the panic.
pub fn assert_same(a: &TestDb, b: &TestDb) {
    let run = a
        .pum()
        .args(["check", "-p1", "test", "-p2"])
        .arg(conninfo(b))
        .run();
    assert_eq!(
        run.code, 0,
        "the databases differ:\n{}{}",
        run.stdout, run.stderr
    );
}
