//! Finding and running `pg_dump` / `pg_restore`: always an argument vector
//! (never a shell), the connection only through the child's environment, and
//! on failure an [`Error::Child`] that keeps the child's stderr and argv.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::service::ConnParams;

use super::progress::Progress;

/// The client programs pum drives.
#[derive(Debug, Clone)]
pub struct Tools {
    pub pg_dump: PathBuf,
    pub pg_restore: PathBuf,
    /// Where the server programs of sandboxes and physical copies are
    /// looked for first (`PUM_PG_BINDIR`).
    pub pg_bindir: Option<PathBuf>,
}

impl Default for Tools {
    fn default() -> Self {
        Tools {
            pg_dump: PathBuf::from("pg_dump"),
            pg_restore: PathBuf::from("pg_restore"),
            pg_bindir: None,
        }
    }
}

impl Tools {
    /// `pg_dump_exe` / `pg_restore_exe` from pum.yaml, else the names looked
    /// up on PATH when spawned.
    pub fn from_config(config: &Config) -> Tools {
        let default = Tools::default();
        Tools {
            pg_dump: config.pg_dump_exe.clone().unwrap_or(default.pg_dump),
            pg_restore: config.pg_restore_exe.clone().unwrap_or(default.pg_restore),
            pg_bindir: None,
        }
    }

    /// `pg_dump --version`, e.g. `15.18`.
    pub fn pg_dump_version(&self) -> Result<String> {
        program_version(&self.pg_dump, "pg_dump_exe")
    }

    /// `pg_restore --version`, e.g. `15.18`.
    pub fn pg_restore_version(&self) -> Result<String> {
        program_version(&self.pg_restore, "pg_restore_exe")
    }

    /// `pg_restore --list ARCHIVE`: the archive's table of contents, one
    /// entry a line. Reading it proves the archive complete and readable.
    pub fn pg_restore_list(&self, archive: &Path) -> Result<String> {
        let out = without_s3_keys(&mut Command::new(&self.pg_restore))
            .arg("--list")
            .arg(archive)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| spawn_error(&self.pg_restore, "pg_restore_exe", e))?;
        if !out.status.success() {
            return Err(Error::Child {
                program: "pg_restore".into(),
                command: format!("{} --list {}", self.pg_restore.display(), archive.display()),
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// Runs `exe --version` and takes the first word that looks like a version
/// (`pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` → `15.18`).
fn program_version(exe: &Path, key: &str) -> Result<String> {
    let out = without_s3_keys(&mut Command::new(exe))
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| spawn_error(exe, key, e))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(str::to_string)
        .ok_or_else(|| {
            Error::State(format!(
                "cannot read the version of {} from {:?}; set {key} in pum.yaml to a PostgreSQL client program",
                exe.display(),
                text.trim()
            ))
        })
}

/// The S3 keys are pum's business only: no child inherits them.
pub fn without_s3_keys(cmd: &mut Command) -> &mut Command {
    for key in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        cmd.env_remove(key);
    }
    cmd
}

/// The error for a program that could not be started, with the pum.yaml key that names it.
pub fn spawn_error(exe: &Path, key: &str, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::State(format!(
            "{} not found; install the PostgreSQL client (Debian/Ubuntu: apt-get install postgresql-client) or set {key} in pum.yaml",
            exe.display()
        ))
    } else {
        Error::io(exe, e)
    }
}

/// The major version of a `MAJOR.MINOR` (or `9.6.x`) version string.
pub fn major(version: &str) -> Option<u32> {
    let mut parts = version.split('.');
    let first: u32 = parts
        .next()?
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()?;
    // Before PostgreSQL 10 the major version had two parts (9.6); servers
    // that old are long unsupported, so the first part is enough to order them.
    Some(first)
}

/// What a finished child left behind.
#[derive(Debug, Default)]
pub struct ChildOutput {
    pub stderr: String,
    /// The child exited non-zero but the caller asked to tolerate that.
    pub failed: bool,
}

/// One child invocation.
pub struct ChildRun<'a> {
    /// `pg_dump` or `pg_restore`, for messages.
    pub program: &'a str,
    pub exe: &'a Path,
    /// The pum.yaml key that names `exe`, for the "not found" hint.
    pub config_key: &'a str,
    pub args: Vec<OsString>,
    pub params: &'a ConnParams,
    /// Grows while the child runs; its size feeds the progress bar.
    pub watch: Option<&'a Path>,
    /// Return normally on a non-zero exit (pg_restore with ignored errors).
    pub tolerate_failure: bool,
}

impl ChildRun<'_> {
    /// The command line for messages. Safe to show: the password never is an argument.
    pub fn display(&self) -> String {
        std::iter::once(self.exe.as_os_str())
            .chain(self.args.iter().map(OsString::as_os_str))
            .map(shell_word)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Spawns the child and waits, feeding `progress` with its `--verbose`
    /// lines and the size of the output.
    pub fn run(&self, progress: &Progress) -> Result<ChildOutput> {
        self.run_with_stdin(progress, Stdio::null())
    }

    /// As [`ChildRun::run`], reading standard input from `stdin` (the other
    /// end of a pipe from `pg_dump` when a copy streams).
    pub fn run_with_stdin(&self, progress: &Progress, stdin: Stdio) -> Result<ChildOutput> {
        let mut running = self.start(progress, stdin, Stdio::null())?;
        let _watch = crate::interrupt::watch_child(&running.child);
        let status = self.wait(&mut running, progress)?;
        self.conclude(running, status)
    }

    /// Runs the child with its standard output handed to `drain` (pg_dump
    /// streaming into a store). When `drain` fails the child is stopped and
    /// that failure is the one reported.
    pub fn run_draining(
        &self,
        progress: &Progress,
        drain: &mut dyn FnMut(&mut dyn Read) -> Result<()>,
    ) -> Result<ChildOutput> {
        let mut running = self.start(progress, Stdio::null(), Stdio::piped())?;
        let _watch = crate::interrupt::watch_child(&running.child);
        let mut stdout = running.child.stdout.take().expect("stdout was piped");
        let drained = drain(&mut stdout);
        drop(stdout);
        if drained.is_err() {
            let _ = running.child.kill();
        }
        let status = self.wait(&mut running, progress)?;
        let finished = self.conclude(running, status);
        match drained {
            Err(e) if finished.is_ok() || crate::interrupt::received().is_none() => Err(e),
            _ => finished,
        }
    }

    /// Runs the child with `feed` writing its standard input from another
    /// thread (a store's object streaming into pg_restore). A failed feed is
    /// the cause of whatever the child then says about its cut-off input.
    pub fn run_feeding(
        &self,
        progress: &Progress,
        feed: &mut (dyn FnMut(&mut dyn Write) -> Result<()> + Send),
    ) -> Result<ChildOutput> {
        let mut running = self.start(progress, Stdio::piped(), Stdio::null())?;
        let _watch = crate::interrupt::watch_child(&running.child);
        let mut stdin = running.child.stdin.take().expect("stdin was piped");
        std::thread::scope(|scope| {
            let feeder = scope.spawn(move || {
                let fed = feed(&mut stdin);
                drop(stdin);
                fed
            });
            let status = self.wait(&mut running, progress);
            let fed = feeder.join().unwrap_or_else(|_| {
                Err(Error::State("the thread feeding the child panicked".into()))
            });
            let finished = self.conclude(running, status?);
            match fed {
                // The child may stop reading early once it has what it
                // needs, or because it failed: a broken pipe is not news.
                Err(Error::Io { ref source, .. })
                    if source.kind() == std::io::ErrorKind::BrokenPipe =>
                {
                    finished
                }
                Err(e) if crate::interrupt::received().is_none() => Err(e),
                _ => finished,
            }
        })
    }

    /// Spawns the child with its stderr collected (and fed to `progress`).
    fn start(&self, progress: &Progress, stdin: Stdio, stdout: Stdio) -> Result<Running> {
        let mut cmd = Command::new(self.exe);
        cmd.args(&self.args)
            .stdin(stdin)
            .stdout(stdout)
            .stderr(Stdio::piped());
        self.params.export_to(&mut cmd, None);
        // The S3 keys are pum's business only.
        for key in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
        ] {
            cmd.env_remove(key);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| spawn_error(self.exe, self.config_key, e))?;
        let stderr = child.stderr.take().expect("stderr was piped");
        let collected = Arc::new(Mutex::new(String::new()));
        let reader = {
            let collected = Arc::clone(&collected);
            let progress = progress.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).split(b'\n').map_while(|l| l.ok()) {
                    let line = String::from_utf8_lossy(&line).into_owned();
                    progress.line(&line);
                    let mut buf = collected.lock().expect("stderr buffer");
                    buf.push_str(&line);
                    buf.push('\n');
                }
            })
        };
        Ok(Running {
            child,
            reader,
            collected,
        })
    }

    /// Waits for the child to exit. Polls only to feed a visible progress
    /// bar; otherwise a blocking wait returns the moment the child exits.
    fn wait(&self, running: &mut Running, progress: &Progress) -> Result<ExitStatus> {
        let poll = self.watch.filter(|_| progress.visible());
        loop {
            if poll.is_none() {
                return running.child.wait().map_err(|e| Error::io(self.exe, e));
            }
            match running.child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) => {
                    if let Some(path) = poll {
                        progress.bytes(disk_size(path));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(Error::io(self.exe, e)),
            }
        }
    }

    /// The child's outcome once it exited: its stderr, or the error that
    /// carries it. On SIGINT/SIGTERM/SIGHUP the child was stopped and its
    /// failure is reported as the interruption.
    fn conclude(&self, running: Running, status: ExitStatus) -> Result<ChildOutput> {
        let _ = running.reader.join();
        let stderr = std::mem::take(&mut *running.collected.lock().expect("stderr buffer"));
        if status.success() {
            return Ok(ChildOutput {
                stderr,
                failed: false,
            });
        }
        if self.tolerate_failure && status.code().is_some() {
            return Ok(ChildOutput {
                stderr,
                failed: true,
            });
        }
        let err = Error::Child {
            program: self.program.to_string(),
            command: self.display(),
            status: describe_status(&status),
            stderr: interesting_stderr(&stderr),
        };
        Err(crate::interrupt::mark(err, self.program))
    }
}

/// A child that was started: the process and the thread collecting its stderr.
struct Running {
    child: std::process::Child,
    reader: std::thread::JoinHandle<()>,
    collected: Arc<Mutex<String>>,
}

/// The exit status, with what a signal usually means for a dump.
fn describe_status(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(libc::SIGXFSZ) => {
            format!("{status}: the file size limit was reached or the disk is full")
        }
        Some(libc::SIGKILL) => {
            format!("{status}: killed, by an operator or the out-of-memory killer")
        }
        _ => status.to_string(),
    }
}

/// The stderr worth showing: `--verbose` progress lines are noise next to
/// the error, so keep only the others (or everything when that leaves nothing).
fn interesting_stderr(stderr: &str) -> String {
    let useful: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            !(l.starts_with("pg_dump: dumping")
                || l.starts_with("pg_dump: reading")
                || l.starts_with("pg_dump: saving")
                || l.starts_with("pg_dump: identifying")
                || l.starts_with("pg_dump: finding")
                || l.starts_with("pg_dump: flagging")
                || l.starts_with("pg_dump: last built-in")
                || l.starts_with("pg_restore: creating")
                || l.starts_with("pg_restore: processing")
                || l.starts_with("pg_restore: connecting")
                || l.starts_with("pg_restore: executing")
                || l.starts_with("pg_restore: launching"))
        })
        .collect();
    if useful.is_empty() {
        stderr.trim().to_string()
    } else {
        useful.join("\n").trim().to_string()
    }
}

/// Bytes on disk under `path` (a file, or a directory's files).
pub fn disk_size(path: &Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| disk_size(&e.path())).sum())
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

/// Quotes a word the way a POSIX shell would read it back, for display only.
fn shell_word(word: &OsStr) -> String {
    let s = word.to_string_lossy();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=./:,+@%".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majors_order_across_the_numbering_change() {
        assert_eq!(major("15.18"), Some(15));
        assert_eq!(major("17devel"), Some(17));
        assert_eq!(major("9.6.24"), Some(9));
        assert!(major("9.6.24") < major("10.1"));
        assert_eq!(major("x"), None);
    }

    #[test]
    fn command_line_display_quotes_odd_words() {
        assert_eq!(shell_word(OsStr::new("-Fc")), "-Fc");
        assert_eq!(shell_word(OsStr::new("my file")), "'my file'");
        assert_eq!(shell_word(OsStr::new("it's")), "'it'\\''s'");
        assert_eq!(shell_word(OsStr::new("")), "''");
    }

    #[test]
    fn verbose_lines_are_dropped_from_errors() {
        let text = "pg_dump: dumping contents of table \"a\"\npg_dump: error: boom\n";
        assert_eq!(interesting_stderr(text), "pg_dump: error: boom");
    }
}
