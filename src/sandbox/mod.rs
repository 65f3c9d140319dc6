//! A throw-away PostgreSQL cluster started from the installed server binaries:
//! `initdb` into a private temporary directory, the server listening on a
//! unix socket there, durability off. `test-and-upgrade` rehearses in it, `pum
//! demo` runs in it, and the integration tests use the same code. As root the
//! server runs as the `postgres` OS user, because PostgreSQL refuses root.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::service::ConnParams;

mod binaries;

pub use binaries::ServerBinaries;

/// The superuser created by `initdb` in every sandbox.
pub const SUPERUSER: &str = "postgres";

/// Options for [`Cluster::start`].
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// Also listen on 127.0.0.1 (password authentication there) on this port.
    pub tcp: bool,
    /// Kill the server when the thread that started it dies (a safety net
    /// against stray servers if pum itself is killed).
    pub die_with_parent: bool,
    /// WAL for replicas (`wal_level = replica`, WAL senders), so that
    /// `pg_basebackup` can copy this cluster.
    pub replication: bool,
    /// Where the server programs are looked for first (`PUM_PG_BINDIR`).
    pub bindir: Option<PathBuf>,
}

/// How to start a server on a data directory that is already there (a
/// base backup): see [`Cluster::launch`].
#[derive(Debug, Clone)]
pub struct Launch {
    /// The superuser pum connects as (the copied cluster's own).
    pub superuser: String,
    /// A database that exists, to wait on until connections are accepted.
    pub ready_db: String,
    /// `name=value` settings given on the server's command line
    /// (`--name=value`): they win over every configuration file the data
    /// directory brings.
    pub settings: Vec<String>,
    /// How long start-up (with its recovery) may take.
    pub ready_timeout: Duration,
    pub die_with_parent: bool,
}

/// A running throw-away cluster; stopped and removed on drop.
pub struct Cluster {
    dir: Option<tempfile::TempDir>,
    server: Option<Child>,
    port: u16,
    pub binaries: ServerBinaries,
    keep: bool,
    launch: Launch,
}

impl Cluster {
    /// Initialises and starts a new cluster.
    pub fn start(options: &ClusterOptions) -> Result<Cluster> {
        let binaries = ServerBinaries::find(options.bindir.as_deref())?;
        let dir = tempfile::Builder::new()
            .prefix("pum-sandbox-")
            .tempdir()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let owner = server_owner()?;
        if let Some((uid, gid)) = owner {
            chown(dir.path(), uid, gid)?;
        }
        // The server insists that its data directory be private.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(dir.path(), e))?;
        let data = dir.path().join("data");
        let mut initdb = Command::new(binaries.bindir.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .current_dir(dir.path());
        run_as(&mut initdb, owner);
        let child = initdb
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::io(binaries.bindir.join("initdb"), e))?;
        // Stopped with pum's other children when pum is interrupted.
        let watch = crate::interrupt::watch_child(&child);
        let out = child
            .wait_with_output()
            .map_err(|e| Error::io(binaries.bindir.join("initdb"), e))?;
        drop(watch);
        if !out.status.success() {
            return Err(child_error("initdb", &initdb, &out.status, &out.stderr));
        }
        let port = free_port()?;
        // A throw-away copy: durability and WAL for replicas buy nothing,
        // memory for index builds makes restores fast, and autovacuum would
        // only compete with the restore.
        let conf = format!(
            "\n# pum sandbox\nport = {port}\nunix_socket_directories = '{socket}'\n\
             listen_addresses = '{listen}'\nfsync = off\nsynchronous_commit = off\n\
             full_page_writes = off\nmax_connections = 100\nshared_buffers = 256MB\n\
             max_wal_size = 4GB\ncheckpoint_timeout = 30min\nlog_min_messages = warning\n\
             logging_collector = off\nmaintenance_work_mem = 256MB\n{wal}\n\
             autovacuum = off\n",
            socket = dir.path().display().to_string().replace('\'', "''"),
            listen = if options.tcp { "127.0.0.1" } else { "" },
            // Each pg_basebackup -X stream at the same time takes two WAL
            // senders and a temporary slot.
            wal = if options.replication {
                "wal_level = replica\nmax_wal_senders = 32\nmax_replication_slots = 32"
            } else {
                "wal_level = minimal\nmax_wal_senders = 0"
            },
        );
        append(&data.join("postgresql.conf"), &conf)?;
        let launch = Launch {
            superuser: SUPERUSER.into(),
            ready_db: crate::db::MAINTENANCE_DB.into(),
            settings: Vec::new(),
            ready_timeout: Duration::from_secs(60),
            die_with_parent: options.die_with_parent,
        };
        Cluster::launch(dir, binaries, port, launch)
    }

    /// Starts a server on `dir/data`, filled by someone else (a base
    /// backup), listening on `port`, and waits until it accepts
    /// connections. The server and `dir` are removed on drop.
    pub fn launch(
        dir: tempfile::TempDir,
        binaries: ServerBinaries,
        port: u16,
        launch: Launch,
    ) -> Result<Cluster> {
        let child = spawn_server(&binaries, dir.path(), server_owner()?, &launch)?;
        let mut cluster = Cluster {
            dir: Some(dir),
            server: Some(child),
            port,
            binaries,
            keep: false,
            launch,
        };
        cluster.wait_ready()?;
        Ok(cluster)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + self.launch.ready_timeout;
        let params = self.params(&self.launch.ready_db);
        loop {
            crate::interrupt::check("start sandbox cluster")?;
            if let Some(child) = self.server.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(Error::State(format!(
                        "the sandbox server exited ({status}) during start-up:\n{}",
                        self.log_tail()
                    )));
                }
            }
            if crate::db::connect(&params).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::State(format!(
                    "the sandbox server did not accept connections within {} s:\n{}",
                    self.launch.ready_timeout.as_secs(),
                    self.log_tail()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_tail(&self) -> String {
        let Some(dir) = &self.dir else {
            return String::new();
        };
        let text = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Connection parameters for one of this cluster's databases, as the superuser.
    pub fn params(&self, dbname: &str) -> ConnParams {
        ConnParams::local_socket(self.socket_dir(), self.port, dbname, &self.launch.superuser)
    }

    /// The data directory (configuration files, certificates).
    pub fn data_dir(&self) -> PathBuf {
        self.socket_dir().join("data")
    }

    pub fn socket_dir(&self) -> &Path {
        self.dir.as_ref().expect("cluster directory").path()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id (for clean-up hooks).
    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(Child::id)
    }

    /// Immediate shutdown from a shared reference, for `atexit` hooks where
    /// the value itself is never dropped (a test harness's static cluster).
    pub fn shutdown_now(&self) {
        if let Some(child) = &self.server {
            let pid = child.id() as libc::pid_t;
            // SAFETY: signalling and reaping our own child process by pid.
            unsafe {
                libc::kill(pid, libc::SIGINT);
                let mut status = 0;
                libc::waitpid(pid, &mut status, 0);
            }
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir.path());
        }
    }

    /// Leaves the cluster running and its directory in place when dropped.
    /// A server that should outlive pum must be started without
    /// `die_with_parent`.
    pub fn keep(&mut self) {
        self.keep = true;
    }

    /// How to reach, stop and remove a kept cluster: the lines printed when
    /// pum leaves it running.
    pub fn kept_instructions(&self, dbname: &str) -> String {
        let dir = self.socket_dir().display();
        let pid = self
            .pid()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "?".into());
        format!(
            "sandbox kept running: psql \"host={dir} port={port} user={user} dbname={dbname}\"\n  \
             stop it: kill -INT {pid}  (or, as the server's OS user: {pg_ctl} -D {data} stop)\n  \
             then remove it: rm -r {dir}",
            port = self.port,
            user = self.launch.superuser,
            pg_ctl = self.binaries.bindir.join("pg_ctl").display(),
            data = self.data_dir().display(),
        )
    }

    /// Creates a database (owned by the superuser).
    pub fn create_database(&self, name: &str) -> Result<ConnParams> {
        self.create_database_owned_by(name, SUPERUSER)
    }

    /// Creates a database owned by `owner` (a role that exists here), so
    /// that what the owner may do in it (create in `public` among others)
    /// is what it may do in the database it copies.
    pub fn create_database_owned_by(&self, name: &str, owner: &str) -> Result<ConnParams> {
        let mut client = crate::db::connect(&self.params(crate::db::MAINTENANCE_DB))?;
        client
            .batch_execute(&format!(
                "CREATE DATABASE {} OWNER {}",
                crate::db::quote_ident(name),
                crate::db::quote_ident(owner)
            ))
            .map_err(|e| Error::sql(format!("creating sandbox database {name}"), e))?;
        Ok(self.params(name))
    }

    /// Restarts the server on the same data directory and port: a fast
    /// shutdown (every session is terminated, as in a real restart), then a
    /// new server, waiting until it accepts connections. For fault tests.
    pub fn restart(&mut self) -> Result<()> {
        if let Some(child) = self.server.take() {
            stop_server(child);
        }
        let dir = self.dir.as_ref().expect("cluster directory").path();
        self.server = Some(spawn_server(
            &self.binaries,
            dir,
            server_owner()?,
            &self.launch,
        )?);
        self.wait_ready()
    }

    /// Fast shutdown, wait for the server to exit, remove the directory.
    pub fn stop(&mut self) {
        if self.keep {
            if let Some(dir) = self.dir.take() {
                let _ = dir.keep();
            }
            self.server.take();
            return;
        }
        if let Some(child) = self.server.take() {
            stop_server(child);
        }
        self.dir.take();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts `postgres` on `dir/data`, logging to `dir/server.log` (appended to,
/// so a restart keeps the earlier log).
fn spawn_server(
    binaries: &ServerBinaries,
    dir: &Path,
    owner: Option<(u32, u32)>,
    launch: &Launch,
) -> Result<Child> {
    let log_path = dir.join("server.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| Error::io(&log_path, e))?;
    if let Some((uid, gid)) = owner {
        chown(&log_path, uid, gid)?;
    }
    let mut server = Command::new(binaries.bindir.join("postgres"));
    server
        .arg("-D")
        .arg(dir.join("data"))
        // `--name=value`: the server's long form of a setting.
        .args(launch.settings.iter().map(|s| format!("--{s}")))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| Error::io(&log_path, e))?)
        .stderr(log)
        // A process group of its own: a Ctrl-C at pum's terminal reaches the
        // whole foreground group, and the sandbox server is pum's to stop (or,
        // when kept, to leave running), not the terminal's.
        .process_group(0);
    run_as(&mut server, owner);
    if launch.die_with_parent {
        // SAFETY: prctl is async-signal-safe; it runs in the forked child
        // just before exec and touches no memory of the parent.
        unsafe {
            server.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT);
                Ok(())
            });
        }
    }
    server
        .spawn()
        .map_err(|e| Error::io(binaries.bindir.join("postgres"), e))
}

/// Fast shutdown (SIGINT) of our server child, killed if it takes over 30 s.
fn stop_server(mut child: Child) {
    // SAFETY: sending a signal to our own child process by pid.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => break,
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// `(uid, gid)` of the `postgres` OS user when pum runs as root.
pub(crate) fn server_owner() -> Result<Option<(u32, u32)>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = std::ffi::CString::new(SUPERUSER).expect("static name");
    // SAFETY: getpwnam returns null or a pointer to static storage that we
    // read immediately.
    unsafe {
        let pw = libc::getpwnam(name.as_ptr());
        if pw.is_null() {
            return Err(Error::State(
                "running as root, but there is no 'postgres' OS user to run the sandbox server as; \
                 install the postgresql package or run pum as an ordinary user"
                    .into(),
            ));
        }
        Ok(Some(((*pw).pw_uid, (*pw).pw_gid)))
    }
}

fn run_as(cmd: &mut Command, owner: Option<(u32, u32)>) {
    // std drops root's supplementary groups itself when a uid is set.
    if let Some((uid, gid)) = owner {
        cmd.uid(uid).gid(gid);
    }
}

/// Gives `dir` and everything under it to the server's OS user (files a
/// child running as root wrote for a server that runs as `postgres`).
pub(crate) fn give_to_server_owner(dir: &Path) -> Result<()> {
    let Some((uid, gid)) = server_owner()? else {
        return Ok(());
    };
    chown(dir, uid, gid)?;
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            give_to_server_owner(&entry.map_err(|e| Error::io(dir, e))?.path())?;
        }
    }
    Ok(())
}

pub(crate) fn chown(path: &Path, uid: u32, gid: u32) -> Result<()> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|e| Error::io(path, e))
}

fn append(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.write_all(text.as_bytes()).map_err(|e| Error::io(path, e))
}

pub(crate) fn free_port() -> Result<u16> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| Error::io("127.0.0.1:0", e))?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::io("127.0.0.1:0", e))?
        .port();
    Ok(port)
}

fn child_error(
    program: &str,
    cmd: &Command,
    status: &std::process::ExitStatus,
    stderr: &[u8],
) -> Error {
    Error::Child {
        program: program.into(),
        command: format!("{cmd:?}"),
        status: status.to_string(),
        stderr: String::from_utf8_lossy(stderr).trim().to_string(),
    }
}
