//! Python deltas and pre/post-all `.py` hooks, run with the run's interpreter
//! (`PUM_PYTHON`, else `python3`) against a copy of pum 0.x's `pum.core.deltapy` module shipped inside the
//! binary, so existing hooks (dropping and recreating views around deltas,
//! for instance) keep working unchanged.
//!
//! The hook receives `pg_service` as a service name that a private service
//! file (passed as `PGSERVICEFILE`) resolves to exactly the database pum is
//! upgrading; the password travels only as `PGPASSWORD` in its environment.

use std::io::Write;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::db::QualifiedName;
use crate::deltas::vars::Variables;
use crate::error::{Error, Result};
use crate::service::ConnParams;

const DELTAPY: &str = include_str!("python/deltapy.py");
const RUNNER: &str = include_str!("python/run_delta.py");

/// Fails unless `python` can be started.
pub fn require_python(python: &str) -> Result<()> {
    match Command::new(python)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => Ok(()),
        _ => Err(Error::State(format!(
            "{python} is needed for the pending Python deltas/hooks but cannot be run; \
             install Python 3 or set PUM_PYTHON (nothing was applied)"
        ))),
    }
}

/// A prepared Python environment: the shim package and the private service
/// file, in a temporary directory that lives as long as this value.
pub struct PythonRunner {
    dir: tempfile::TempDir,
    service_name: String,
    python: String,
    /// Where the hooks connect: exported to each run's environment.
    params: ConnParams,
}

/// What a hook is told about the run.
pub struct HookContext<'a> {
    pub current_version: Option<String>,
    pub delta_dirs: &'a [PathBuf],
    pub upgrades_table: &'a QualifiedName,
    pub variables: &'a Variables,
}

impl PythonRunner {
    /// `service_name`: what the user called the target (a service name is
    /// kept so hooks print familiar names); `params`: where it really is.
    pub fn new(
        params: &ConnParams,
        service_name: Option<&str>,
        python: &str,
    ) -> Result<PythonRunner> {
        let dir = tempfile::Builder::new()
            .prefix("pum-python-")
            .tempdir()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let write = |rel: &str, text: &str| -> Result<()> {
            let path = dir.path().join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
        };
        write("pum/__init__.py", "")?;
        write("pum/core/__init__.py", "")?;
        write("pum/core/deltapy.py", DELTAPY)?;
        write("run_delta.py", RUNNER)?;
        let service_name = service_name
            .filter(|s| {
                s.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
            })
            .unwrap_or("pum_target")
            .to_string();
        write("pg_service.conf", &params.service_section(&service_name))?;
        Ok(PythonRunner {
            dir,
            python: python.to_string(),
            service_name,
            params: params.clone(),
        })
    }

    /// Runs one Python file; its output goes to pum's stderr.
    pub fn run(&self, file: &Path, module: &str, ctx: &HookContext<'_>) -> Result<()> {
        let vars: serde_json::Map<String, serde_json::Value> = ctx
            .variables
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        let input = serde_json::json!({
            "file": file.display().to_string(),
            "module": module,
            "current_db_version": ctx.current_version,
            "delta_dirs": ctx.delta_dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>(),
            "pg_service": self.service_name,
            "upgrades_table": ctx.upgrades_table.to_string(),
            "variables": vars,
        });
        let python = &self.python;
        let mut cmd = Command::new(python);
        cmd.arg(self.dir.path().join("run_delta.py"));
        let mut pythonpath = std::ffi::OsString::from(self.dir.path());
        if let Some(existing) = std::env::var_os("PYTHONPATH") {
            pythonpath.push(":");
            pythonpath.push(existing);
        }
        cmd.env("PYTHONPATH", pythonpath)
            .env("PYTHONDONTWRITEBYTECODE", "1");
        self.params
            .export_to(&mut cmd, Some(&self.dir.path().join("pg_service.conf")));
        let stderr_copy = std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .map(Stdio::from)
            .unwrap_or_else(|_| Stdio::inherit());
        cmd.stdin(Stdio::piped())
            .stdout(stderr_copy)
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| Error::Child {
            program: python.clone(),
            command: format!("{python} run_delta.py {}", file.display()),
            status: "could not start".into(),
            stderr: e.to_string(),
        })?;
        // Stopped on SIGINT/SIGTERM/SIGHUP, like pg_dump and pg_restore.
        let _watch = crate::interrupt::watch_child(&child);
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(input.to_string().as_bytes());
        }
        let out = child.wait_with_output().map_err(|e| Error::io(file, e))?;
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        if !stderr.trim().is_empty() && out.status.success() {
            eprint!("{stderr}");
        }
        if !out.status.success() {
            let err = Error::Child {
                program: format!("python hook {}", file.display()),
                command: format!("{python} run_delta.py {}", file.display()),
                status: out.status.to_string(),
                stderr: stderr.trim().to_string(),
            };
            return Err(crate::interrupt::mark(
                err,
                &format!("python hook {}", file.display()),
            ));
        }
        Ok(())
    }
}
