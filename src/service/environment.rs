//! The slice of the process environment pum reads (`PG*`, `AWS_*` and
//! `PUM_*` variables, the home directory, the OS user), captured once, and the
//! program asked for libpq's compiled-in sysconfdir.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The slice of the process environment the resolver reads. Captured once at
/// start-up so that commands never read raw environment variables and tests
/// can resolve against an environment of their own.
#[derive(Clone, Default)]
pub struct Environment {
    pub(super) vars: BTreeMap<String, String>,
    pub home: Option<PathBuf>,
    /// The current OS user's name: libpq's default for `user`.
    pub os_user: Option<String>,
    /// The program asked for libpq's compiled-in sysconfdir (`pg_config`).
    pub(super) pg_config: Option<PathBuf>,
    /// `pg_config --sysconfdir`, run at most once and only when a service is
    /// not found in the user's own service file.
    pub(super) sysconfdir: OnceLock<std::result::Result<PathBuf, String>>,
}

impl Environment {
    /// The environment of this process.
    pub fn from_process() -> Self {
        let vars = std::env::vars()
            // AWS_* for S3 dump stores, PUM_* for pum's own (PUM_PYTHON);
            // nothing else is read.
            .filter(|(k, _)| k.starts_with("PG") || k.starts_with("AWS_") || k.starts_with("PUM_"))
            .collect();
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(passwd_home);
        Environment {
            vars,
            home,
            os_user: current_os_user(),
            ..Default::default()
        }
    }

    /// An environment built from explicit values (tests, sandboxes).
    pub fn from_vars<I, K, V>(vars: I, home: Option<PathBuf>) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Environment {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            home,
            os_user: current_os_user(),
            ..Default::default()
        }
    }

    /// Uses `program` instead of `pg_config` from `PATH` to learn libpq's sysconfdir.
    pub fn with_pg_config(mut self, program: impl Into<PathBuf>) -> Self {
        self.pg_config = Some(program.into());
        self.sysconfdir = OnceLock::new();
        self
    }

    /// Fixes the sysconfdir used when `PGSYSCONFDIR` is unset (`None`: there
    /// is none), so that `pg_config` is never run.
    pub fn with_sysconfdir(self, dir: Option<PathBuf>) -> Self {
        let sysconfdir = OnceLock::new();
        let _ = sysconfdir.set(dir.ok_or_else(|| "no sysconfdir configured".to_string()));
        Environment { sysconfdir, ..self }
    }

    /// A variable's value; empty counts as unset, as it does for libpq's defaults.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// libpq's compiled-in sysconfdir, as `pg_config --sysconfdir` reports it.
    pub(super) fn default_sysconfdir(&self) -> std::result::Result<PathBuf, String> {
        self.sysconfdir
            .get_or_init(|| {
                let program = self
                    .pg_config
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("pg_config"));
                let out = std::process::Command::new(&program)
                    .arg("--sysconfdir")
                    .stdin(std::process::Stdio::null())
                    .output()
                    .map_err(|e| format!("cannot run {} --sysconfdir: {e}", program.display()))?;
                let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
                if !out.status.success() || dir.is_empty() {
                    return Err(format!(
                        "{} --sysconfdir failed ({})",
                        program.display(),
                        out.status
                    ));
                }
                Ok(PathBuf::from(dir))
            })
            .clone()
    }
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let vars = super::hide_secrets(&self.vars, |k| {
            matches!(
                k,
                "PGPASSWORD" | "AWS_SECRET_ACCESS_KEY" | "AWS_SESSION_TOKEN"
            )
        });
        f.debug_struct("Environment")
            .field("vars", &vars)
            .field("home", &self.home)
            .field("os_user", &self.os_user)
            .field("pg_config", &self.pg_config)
            .field("sysconfdir", &self.sysconfdir.get())
            .finish()
    }
}

fn current_os_user() -> Option<String> {
    // SAFETY: getpwuid returns a pointer into static storage or null; we copy
    // the name out immediately and never keep the pointer.
    unsafe {
        let pw = libc::getpwuid(libc::geteuid());
        if pw.is_null() {
            return None;
        }
        let name = std::ffi::CStr::from_ptr((*pw).pw_name);
        Some(name.to_string_lossy().into_owned())
    }
}

/// The home directory from the password database, for when `HOME` is unset.
fn passwd_home() -> Option<PathBuf> {
    // SAFETY: as in `current_os_user`; the directory is copied out at once.
    unsafe {
        let pw = libc::getpwuid(libc::geteuid());
        if pw.is_null() || (*pw).pw_dir.is_null() {
            return None;
        }
        let dir = std::ffi::CStr::from_ptr((*pw).pw_dir);
        Some(PathBuf::from(dir.to_string_lossy().into_owned()))
    }
}
