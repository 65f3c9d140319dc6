//! Python application hooks of a pum 1.x module, run for real without a
//! Python database driver. pum starts the interpreter (`PUM_PYTHON`, else
//! `python3` on PATH; an argument vector, never a shell) on a runner
//! script shipped in the binary, written with a small `pum` package
//! (`HookBase`) into a private directory. The runner imports each hook
//! file, checks its `run_hook` signature against the module's parameters,
//! and runs it on request; every statement the hook issues comes back over
//! the pipe and runs on pum's own connection, inside the open transaction
//! ([`protocol`]). A hook that raises fails the run, which is rolled back.

mod cells;
mod protocol;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use postgres::Client;
use serde_json::json;

use crate::error::{DeltaFailure, Error, Result};
use crate::module::params::Resolved;
use protocol::{Failure, FromRunner};

/// The files written next to the runner: (path in the directory, text).
const FILES: &[(&str, &str)] = &[
    ("runner.py", include_str!("runner.py")),
    ("pum/__init__.py", include_str!("pum_shim/__init__.py")),
    ("pum/hook.py", include_str!("pum_shim/hook.py")),
    ("pum/_bridge.py", include_str!("pum_shim/_bridge.py")),
    (
        "fallback/psycopg/__init__.py",
        include_str!("psycopg_shim/__init__.py"),
    ),
    (
        "fallback/psycopg/sql.py",
        include_str!("psycopg_shim/sql.py"),
    ),
    (
        "fallback/psycopg/errors.py",
        include_str!("psycopg_shim/errors.py"),
    ),
    (
        "fallback/psycopg/rows.py",
        include_str!("psycopg_shim/rows.py"),
    ),
];

/// One runner process for a run, with every Python hook of the run loaded.
pub struct PythonHooks {
    child: Child,
    to_runner: ChildStdin,
    from_runner: BufReader<ChildStdout>,
    files: Vec<PathBuf>,
    /// `dependencies:` of `.pum.yaml`, named when an import fails.
    dependencies: Vec<String>,
    python: String,
    params: Resolved,
    _dir: tempfile::TempDir,
    _watch: crate::interrupt::Registration,
}

impl PythonHooks {
    /// Starts the runner and loads `files` (each checked as pum 1.x checks
    /// a hook: a `HookBase` class whose `run_hook` takes `connection` and
    /// only parameters of the module). Fails before anything runs.
    pub fn start(
        files: &[PathBuf],
        module_dir: &Path,
        params: &Resolved,
        dependencies: &[String],
        python: &str,
    ) -> Result<PythonHooks> {
        let dir = write_runner()?;
        let python = python.to_string();
        let mut child = Command::new(&python)
            .arg(dir.path().join("runner.py"))
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env_remove("PGPASSWORD")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                Error::State(format!(
                    "{}: Python hooks need a Python 3 interpreter, but `{python}` cannot be started ({e}); \
                     install python3 or set PUM_PYTHON",
                    files[0].display()
                ))
            })?;
        let watch = crate::interrupt::watch_child(&child);
        let to_runner = child.stdin.take().expect("piped stdin");
        let from_runner = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut hooks = PythonHooks {
            child,
            to_runner,
            from_runner,
            files: files.to_vec(),
            dependencies: dependencies.to_vec(),
            python,
            params: params.clone(),
            _dir: dir,
            _watch: watch,
        };
        let absolute = |f: &PathBuf| std::path::absolute(f).unwrap_or_else(|_| f.clone());
        let list: Vec<_> = files
            .iter()
            .map(|f| json!({"file": absolute(f), "base": absolute(&module_dir.to_path_buf())}))
            .collect();
        hooks.send(&json!({"op": "load", "hooks": list, "parameters": params}))?;
        match hooks.receive(&files[0])? {
            FromRunner::Loaded => Ok(hooks),
            FromRunner::Failed(f) => Err(hooks.failure(f, &files[0])),
            _ => Err(hooks.broken(&files[0], "an unexpected answer to load")),
        }
    }

    /// Runs the hook `file` (one of those loaded), answering its SQL on
    /// `client` until it ends.
    pub fn run(&mut self, file: &Path, client: &mut Client) -> Result<()> {
        let index = self
            .files
            .iter()
            .position(|f| f == file)
            .expect("the hook was loaded");
        self.send(&json!({"op": "run", "index": index}))?;
        loop {
            match self.receive(file)? {
                FromRunner::Done => return Ok(()),
                FromRunner::Failed(f) => return Err(self.failure(f, file)),
                FromRunner::Loaded => return Err(self.broken(file, "an unexpected answer")),
                request => {
                    let reply = protocol::answer(client, request, &self.params);
                    self.send(&reply)?;
                }
            }
        }
    }

    fn send(&mut self, message: &serde_json::Value) -> Result<()> {
        let line = format!("{message}\n");
        self.to_runner
            .write_all(line.as_bytes())
            .and_then(|()| self.to_runner.flush())
            .map_err(|e| Error::State(format!("the Python hook runner stopped listening: {e}")))
    }

    fn receive(&mut self, file: &Path) -> Result<FromRunner> {
        let mut line = String::new();
        let read = self
            .from_runner
            .read_line(&mut line)
            .map_err(|e| Error::io(file, e))?;
        if read == 0 {
            return Err(self.broken(file, "no answer"));
        }
        serde_json::from_str(&line).map_err(|e| self.broken(file, &format!("a bad line ({e})")))
    }

    /// The runner ended or spoke out of turn: its own output (stderr,
    /// shown above) says why.
    fn broken(&mut self, file: &Path, what: &str) -> Error {
        let status = match self.child.try_wait() {
            Ok(Some(s)) => s.to_string(),
            _ => "still running".into(),
        };
        crate::interrupt::mark(
            Error::Child {
                program: format!("Python hook runner for {}", file.display()),
                command: format!("{} runner.py", self.python),
                status,
                stderr: format!("{what}; see its output above"),
            },
            &format!("python hook {}", file.display()),
        )
    }

    fn failure(&self, f: Failure, hook: &Path) -> Error {
        let file = f.file.clone().unwrap_or_else(|| hook.to_path_buf());
        let at = match f.line {
            Some(line) => format!("{}:{line}", file.display()),
            None => file.display().to_string(),
        };
        match f.kind.as_str() {
            "refused" => Error::Settings(f.message),
            "import" => Error::State(self.import_message(&at, &f)),
            _ => Error::Delta(Box::new(DeltaFailure {
                file,
                line: f.line,
                column: None,
                sqlstate: f.sqlstate,
                message: format!("Python hook raised {}", f.message),
                detail: None,
                hint: None,
            })),
        }
    }

    fn import_message(&self, at: &str, f: &Failure) -> String {
        let missing = f.module.as_deref().unwrap_or("?");
        let top = normalise(missing.split('.').next().unwrap_or(missing));
        let declared = self.dependencies.iter().find(|d| normalise(d) == top);
        match declared {
            Some(dep) => format!(
                "{at}: the hook imports `{missing}`, which `{}` cannot import; `{dep}` is a declared \
                 dependency of the module (dependencies: in .pum.yaml): install it for that \
                 interpreter (e.g. `{} -m pip install {dep}`) and run again",
                self.python, self.python
            ),
            None => format!(
                "{at}: the hook imports `{missing}`, which `{}` cannot import ({})",
                self.python, f.message
            ),
        }
    }
}

/// A package name as import names compare to it (`Py-Foo` ~ `py_foo`).
fn normalise(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace(['-', '.'], "_")
}

impl Drop for PythonHooks {
    fn drop(&mut self) {
        // Closing its input ends the runner; a runner stuck in a hook is stopped.
        let _ = self.to_runner.flush();
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The runner and its packages in a new private (0700) directory.
fn write_runner() -> Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("pum-hooks-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io(dir.path(), e))?;
    for (rel, text) in FILES {
        let path = dir.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    }
    Ok(dir)
}
