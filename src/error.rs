//! The one error type of pum. Every variant carries the context a user needs to
//! act on it: the file and line, the service, the SQLSTATE, the child's command
//! line and stderr. Messages are lowercase and name the thing at fault.

use std::fmt;
use std::path::PathBuf;

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in a text file something went wrong (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A server error raised while running a delta, mapped back onto the file.
#[derive(Debug, Clone)]
pub struct DeltaFailure {
    pub file: PathBuf,
    /// Line and column inside the file, when the server reported a position.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub sqlstate: Option<String>,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl fmt::Display for DeltaFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(code) = &self.sqlstate {
            write!(f, "[{code}] ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, "\n  detail: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Wrong flags or arguments.
    #[error("{0}")]
    Usage(String),

    /// A configuration file (pum.yaml, .pum.yaml) is malformed.
    #[error("{location}: {message}")]
    Config { location: Location, message: String },

    /// A configuration problem that has no position in a file.
    #[error("{0}")]
    Settings(String),

    /// A service name, service file, passfile or conninfo could not be resolved.
    #[error("{0}")]
    Service(String),

    /// Could not connect to (or authenticate with) a server.
    #[error("cannot connect to {target}: {message}")]
    Connect { target: String, message: String },

    /// A query of pum's own failed.
    #[error("{context}: {message}")]
    Sql { context: String, message: String },

    /// A delta failed; the database was left at its last good version.
    #[error("delta failed: {0}")]
    Delta(Box<DeltaFailure>),

    /// Problems with the delta files themselves (names, duplicates, encoding).
    #[error("{0}")]
    Deltas(String),

    /// The database state does not allow the operation (no upgrades table, lock held...).
    #[error("{0}")]
    State(String),

    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A child process (pg_dump, pg_restore, python3, initdb) failed.
    #[error("{program} failed ({status}): {stderr}\n  command: {command}")]
    Child {
        program: String,
        command: String,
        status: String,
        stderr: String,
    },

    /// The user declined a confirmation, or none could be asked.
    #[error("{0}")]
    Refused(String),

    /// A signal stopped the run; `state` says where each database was left.
    #[error("interrupted ({signal}) during '{during}'{}", state_suffix(.state))]
    Interrupted {
        signal: crate::signal::Signal,
        /// The step that was running.
        during: String,
        /// One phrase per database or leftover ("sandbox removed").
        state: Vec<String>,
    },
}

fn state_suffix(state: &[String]) -> String {
    state.iter().map(|s| format!("; {s}")).collect()
}

impl Error {
    /// The error as JSON for `--format json`: `message` (as printed),
    /// `kind`, and where known `sqlstate`, `file`, `line`, `column`,
    /// `detail`, `hint`, `program`, `status`, `stderr`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        out.insert("message".into(), self.to_string().into());
        let kind = match self {
            Error::Usage(_) => "usage",
            Error::Config { .. } => "config",
            Error::Settings(_) => "settings",
            Error::Service(_) => "service",
            Error::Connect { .. } => "connect",
            Error::Sql { .. } => "sql",
            Error::Delta(_) => "delta",
            Error::Deltas(_) => "deltas",
            Error::State(_) => "state",
            Error::Io { .. } => "io",
            Error::Child { .. } => "child",
            Error::Refused(_) => "refused",
            Error::Interrupted { .. } => "interrupted",
        };
        out.insert("kind".into(), kind.into());
        let mut put = |key: &str, value: Option<serde_json::Value>| {
            if let Some(v) = value {
                out.insert(key.into(), v);
            }
        };
        match self {
            Error::Delta(f) => {
                put("sqlstate", f.sqlstate.clone().map(Into::into));
                put("file", Some(f.file.display().to_string().into()));
                put("line", f.line.map(Into::into));
                put("column", f.column.map(Into::into));
                put("server_message", Some(f.message.clone().into()));
                put("detail", f.detail.clone().map(Into::into));
                put("hint", f.hint.clone().map(Into::into));
            }
            Error::Config { location, .. } => {
                put("file", Some(location.file.display().to_string().into()));
                put("line", Some(location.line.into()));
                put("column", Some(location.column.into()));
            }
            Error::Io { path, .. } => put("file", Some(path.display().to_string().into())),
            Error::Interrupted {
                signal,
                during,
                state,
            } => {
                put("signal", Some(signal.to_string().into()));
                put("during", Some(during.clone().into()));
                put("state", Some(state.clone().into()));
            }
            Error::Sql { message, .. } => put("sqlstate", sqlstate_of(message).map(Into::into)),
            Error::Child {
                program,
                status,
                stderr,
                ..
            } => {
                put("program", Some(program.clone().into()));
                put("status", Some(status.clone().into()));
                put("stderr", Some(stderr.clone().into()));
            }
            _ => {}
        }
        serde_json::Value::Object(out)
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Wraps a `postgres` error from one of pum's own queries, keeping the
    /// server's message, detail and hint.
    pub fn sql(context: impl Into<String>, err: postgres::Error) -> Self {
        let message = if connection_lost(&err) {
            format!(
                "the connection to the server was lost ({}); nothing more was done",
                describe_pg_error(&err)
            )
        } else {
            describe_pg_error(&err)
        };
        Error::Sql {
            context: context.into(),
            message,
        }
    }
}

/// The SQLSTATE at the start of a message made by [`describe_pg_error`].
fn sqlstate_of(message: &str) -> Option<String> {
    let code = message.strip_prefix('[')?.get(..5)?;
    (message.get(6..7) == Some("]") && code.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| code.to_string())
}

/// Whether an error means the session is gone: the server ended it
/// (terminated backend, shutdown, crash) or the socket failed. Such errors
/// say nothing about the SQL, only that the run cannot go on.
pub fn connection_lost(err: &postgres::Error) -> bool {
    if err.is_closed() {
        return true;
    }
    if let Some(db) = err.as_db_error() {
        let code = db.code().code();
        // admin_shutdown, crash_shutdown, cannot_connect_now, connection_exception.
        return matches!(code, "57P01" | "57P02" | "57P03") || code.starts_with("08");
    }
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if cause.is::<std::io::Error>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// Renders a `postgres::Error` with the server's SQLSTATE, message, detail and hint.
pub fn describe_pg_error(err: &postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        let mut s = format!("[{}] {}", db.code().code(), db.message());
        if let Some(d) = db.detail() {
            s.push_str(&format!(" (detail: {d})"));
        }
        if let Some(h) = db.hint() {
            s.push_str(&format!(" (hint: {h})"));
        }
        s
    } else {
        let mut s = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !s.contains(&text) {
                s.push_str(": ");
                s.push_str(&text);
            }
            source = cause.source();
        }
        s
    }
}
