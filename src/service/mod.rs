//! Resolving where to connect, exactly as libpq would: a service name looked up
//! in `pg_service.conf` files, a `postgresql://` URI or a `key=value` conninfo
//! string, then `PG*` environment variables, then libpq's defaults, and the
//! password from the passfile. The resulting [`ConnParams`] drives both pum's
//! own connection and the environment of every child process, so the two can
//! never point at different databases.

mod conninfo;
mod passfile;
mod servicefile;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::error::{Error, Result};

pub use passfile::DEFAULT_SOCKET_DIR;

/// The resolver's pure text parsers, for property tests and fuzzing: no file
/// system, no environment, no network.
pub mod parsers {
    pub use super::conninfo::{parse_conninfo, parse_uri};
    pub use super::passfile::find as find_password;
    pub use super::servicefile::parse as parse_service_file;
}

/// The slice of the process environment the resolver reads. Captured once at
/// start-up so that commands never read raw environment variables and tests
/// can resolve against an environment of their own.
#[derive(Clone, Default)]
pub struct Environment {
    vars: BTreeMap<String, String>,
    pub home: Option<PathBuf>,
    /// The current OS user's name: libpq's default for `user`.
    pub os_user: Option<String>,
    /// The program asked for libpq's compiled-in sysconfdir (`pg_config`).
    pg_config: Option<PathBuf>,
    /// `pg_config --sysconfdir`, run at most once and only when a service is
    /// not found in the user's own service file.
    sysconfdir: OnceLock<std::result::Result<PathBuf, String>>,
}

impl Environment {
    /// The environment of this process.
    pub fn from_process() -> Self {
        let vars = std::env::vars()
            .filter(|(k, _)| k.starts_with("PG"))
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
    fn default_sysconfdir(&self) -> std::result::Result<PathBuf, String> {
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
        let vars: BTreeMap<&str, &str> = self
            .vars
            .iter()
            .map(|(k, v)| {
                let shown = if k == "PGPASSWORD" {
                    "<hidden>"
                } else {
                    v.as_str()
                };
                (k.as_str(), shown)
            })
            .collect();
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

/// Where the password came from, which decides whether it must be looked up
/// again when the database changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSource {
    /// The service file, URI or conninfo string.
    Explicit,
    /// `PGPASSWORD`.
    Environment,
    /// The password file, for this host, port, database and user.
    Passfile,
    /// No password known (the server may not ask for one).
    None,
}

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// Treated as `prefer`: the driver cannot start without TLS and then retry with it.
    Allow,
    Prefer,
    /// Encrypted; the server's certificate is checked only when `sslrootcert` is given (as libpq).
    Require,
    /// Encrypted, the certificate signed by `sslrootcert`.
    VerifyCa,
    /// As verify-ca, and the certificate names the host.
    VerifyFull,
}

/// Fully resolved connection parameters, keyed by libpq keyword.
#[derive(Clone)]
pub struct ConnParams {
    /// libpq keywords with their final values (host, port, dbname, user, ...).
    /// Never holds the password: that lives in `password` so it cannot leak
    /// through a generic dump of the parameters.
    params: BTreeMap<String, String>,
    password: Option<String>,
    password_source: PasswordSource,
    /// The password file consulted (and to consult again for another database).
    passfile: Option<PathBuf>,
    /// What the user named: `service prod`, `conninfo`, `uri`.
    origin: String,
    /// The file the service was found in, if a service was used.
    service_file: Option<PathBuf>,
    /// What resolving found worth telling the user (a password file others
    /// may read, ...); the caller decides where it goes.
    warnings: Vec<String>,
}

/// Keywords whose values are secrets besides `password`.
const SECRET_KEYWORDS: &[&str] = &["sslpassword"];

impl std::fmt::Debug for ConnParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let params: BTreeMap<&str, &str> = self
            .params
            .iter()
            .map(|(k, v)| {
                let shown = if SECRET_KEYWORDS.contains(&k.as_str()) {
                    "<hidden>"
                } else {
                    v.as_str()
                };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("ConnParams")
            .field("params", &params)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("password_source", &self.password_source)
            .field("passfile", &self.passfile)
            .field("origin", &self.origin)
            .field("service_file", &self.service_file)
            .finish()
    }
}

/// Keywords libpq accepts in a service file, URI or conninfo string (the
/// union over the libpq versions in use, so a newer client's files work).
pub const KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "sslmode",
    "sslnegotiation",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslcertmode",
    "sslpassword",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "require_auth",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "gssencmode",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "replication",
    "target_session_attrs",
    "load_balance_hosts",
    "service",
];

/// The `PG*` variable libpq reads for each keyword. Keywords missing here
/// (keepalives, tcp_user_timeout, sslpassword, ...) have no variable.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("host", "PGHOST"),
    ("hostaddr", "PGHOSTADDR"),
    ("port", "PGPORT"),
    ("dbname", "PGDATABASE"),
    ("user", "PGUSER"),
    ("password", "PGPASSWORD"),
    ("passfile", "PGPASSFILE"),
    ("channel_binding", "PGCHANNELBINDING"),
    ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ("client_encoding", "PGCLIENTENCODING"),
    ("options", "PGOPTIONS"),
    ("application_name", "PGAPPNAME"),
    ("sslmode", "PGSSLMODE"),
    ("sslnegotiation", "PGSSLNEGOTIATION"),
    ("sslcompression", "PGSSLCOMPRESSION"),
    ("sslcert", "PGSSLCERT"),
    ("sslkey", "PGSSLKEY"),
    ("sslcertmode", "PGSSLCERTMODE"),
    ("sslrootcert", "PGSSLROOTCERT"),
    ("sslcrl", "PGSSLCRL"),
    ("sslcrldir", "PGSSLCRLDIR"),
    ("sslsni", "PGSSLSNI"),
    ("requirepeer", "PGREQUIREPEER"),
    ("require_auth", "PGREQUIREAUTH"),
    ("ssl_min_protocol_version", "PGSSLMINPROTOCOLVERSION"),
    ("ssl_max_protocol_version", "PGSSLMAXPROTOCOLVERSION"),
    ("gssencmode", "PGGSSENCMODE"),
    ("krbsrvname", "PGKRBSRVNAME"),
    ("gsslib", "PGGSSLIB"),
    ("gssdelegation", "PGGSSDELEGATION"),
    ("target_session_attrs", "PGTARGETSESSIONATTRS"),
    ("load_balance_hosts", "PGLOADBALANCEHOSTS"),
];

/// One server to try, after libpq's pairing of the `host`, `hostaddr` and
/// `port` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or socket directory; empty when only `hostaddr` is given.
    pub host: String,
    pub hostaddr: Option<String>,
    pub port: u16,
    /// The port as written (libpq matches it textually in the password file).
    port_text: String,
}

impl Endpoint {
    fn is_socket(&self) -> bool {
        self.hostaddr.is_none() && (self.host.starts_with('/') || self.host.starts_with('@'))
    }

    /// The server's name: `host` if given, else `hostaddr` (which is also
    /// what libpq looks up in the password file).
    fn name(&self) -> &str {
        if self.host.is_empty() {
            self.hostaddr.as_deref().unwrap_or_default()
        } else {
            &self.host
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.name();
        if name.contains(':') && !self.is_socket() {
            write!(f, "[{name}]:{}", self.port)
        } else {
            write!(f, "{name}:{}", self.port)
        }
    }
}

impl ConnParams {
    /// Resolves what the user wrote where a service is expected: a service
    /// name, a `postgresql://` URI or a `key=value` conninfo string.
    pub fn resolve(spec: &str, env: &Environment) -> Result<ConnParams> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(Error::Service("empty service name".into()));
        }
        let (explicit, origin) =
            if spec.starts_with("postgresql://") || spec.starts_with("postgres://") {
                (conninfo::parse_uri(spec)?, "uri".to_string())
            } else if spec.contains('=') {
                (conninfo::parse_conninfo(spec)?, "conninfo".to_string())
            } else {
                let mut m = BTreeMap::new();
                m.insert("service".to_string(), spec.to_string());
                (m, format!("service {spec}"))
            };
        Self::resolve_map(explicit, origin, env)
    }

    /// Resolves from the environment alone (`PGSERVICE`, `PG*`), as libpq
    /// does for an empty conninfo string.
    pub fn from_environment(env: &Environment) -> Result<ConnParams> {
        Self::resolve_map(BTreeMap::new(), "the PG* environment".to_string(), env)
    }

    fn resolve_map(
        mut explicit: BTreeMap<String, String>,
        mut origin: String,
        env: &Environment,
    ) -> Result<ConnParams> {
        // A service named inside a conninfo string (or by PGSERVICE when none
        // is named) supplies values the string itself does not set; both
        // come before the PG* variables, as in libpq.
        let named = explicit.remove("service").filter(|s| !s.is_empty());
        let service = named
            .clone()
            .or_else(|| env.get("PGSERVICE").map(str::to_string));
        let mut service_file = None;
        if let Some(service) = service {
            let found = servicefile::lookup(&service, env)?;
            service_file = Some(found.file);
            for (k, v) in found.values {
                explicit.entry(k).or_insert(v);
            }
            if !origin.starts_with("service ") {
                let how = if named.is_some() { "" } else { "PGSERVICE=" };
                origin = format!("{origin} (service {how}{service})");
            }
        }
        let mut resolved = Self::finish(explicit, origin, env)?;
        resolved.service_file = service_file;
        Ok(resolved)
    }

    /// Parameters for a local sandbox cluster reached through a unix socket.
    pub fn local_socket(socket_dir: &Path, port: u16, dbname: &str, user: &str) -> Self {
        let mut params = BTreeMap::new();
        params.insert("host".into(), socket_dir.display().to_string());
        params.insert("port".into(), port.to_string());
        params.insert("dbname".into(), dbname.into());
        params.insert("user".into(), user.into());
        ConnParams {
            params,
            password: None,
            password_source: PasswordSource::None,
            passfile: None,
            origin: format!("sandbox database {dbname}"),
            service_file: None,
            warnings: Vec::new(),
        }
    }

    fn finish(
        mut params: BTreeMap<String, String>,
        origin: String,
        env: &Environment,
    ) -> Result<ConnParams> {
        // An explicit password, even an empty one, hides PGPASSWORD; an
        // empty one still lets the password file answer.
        let explicit_password = params.remove("password");
        let (password, password_source) = match explicit_password {
            Some(p) => (Some(p), PasswordSource::Explicit),
            None => match env.get("PGPASSWORD") {
                Some(p) => (Some(p.to_string()), PasswordSource::Environment),
                None => (None, PasswordSource::None),
            },
        };
        // Likewise any explicit value hides its variable: libpq only falls
        // back to the environment for options still unset.
        for (key, var) in ENV_VARS {
            if *key != "password" && !params.contains_key(*key) {
                if let Some(v) = env.get(var) {
                    params.insert((*key).to_string(), v.to_string());
                }
            }
        }
        // Past this point an empty value means libpq's default.
        params.retain(|_, v| !v.is_empty());
        if !params.contains_key("host") && !params.contains_key("hostaddr") {
            params.insert("host".into(), DEFAULT_SOCKET_DIR.into());
        }
        params.entry("port".into()).or_insert_with(|| "5432".into());
        if !params.contains_key("user") {
            let user = env.os_user.clone().ok_or_else(|| {
                Error::Service(format!(
                    "{origin}: cannot tell the user name: set user in the service or PGUSER"
                ))
            })?;
            params.insert("user".into(), user);
        }
        if !params.contains_key("dbname") {
            let user = params["user"].clone();
            params.insert("dbname".into(), user);
        }
        // libpq's default root certificate, for the modes that verify.
        if matches!(
            params.get("sslmode").map(String::as_str),
            Some("verify-ca" | "verify-full")
        ) && !params.contains_key("sslrootcert")
        {
            if let Some(home) = &env.home {
                let root = home.join(".postgresql").join("root.crt");
                params.insert("sslrootcert".into(), root.display().to_string());
            }
        }
        let passfile = params
            .remove("passfile")
            .map(PathBuf::from)
            .or_else(|| env.home.as_ref().map(|h| h.join(".pgpass")));
        let mut resolved = ConnParams {
            params,
            password: password.filter(|p| !p.is_empty()),
            password_source,
            passfile,
            origin,
            service_file: None,
            warnings: Vec::new(),
        };
        if resolved.password.is_none() {
            resolved.password_source = PasswordSource::None;
        }
        resolved.endpoints()?;
        if resolved.password.is_none() {
            resolved.lookup_passfile();
        }
        Ok(resolved)
    }

    /// Fills the password from the password file. libpq looks each server
    /// of a host list up separately, but pum's driver takes one password for
    /// all of them, so the first server's line decides.
    fn lookup_passfile(&mut self) {
        let (Some(path), Ok(endpoints)) = (&self.passfile, self.endpoints()) else {
            return;
        };
        let Some(first) = endpoints.first() else {
            return;
        };
        let found = passfile::lookup(
            path,
            first.name(),
            &first.port_text,
            self.dbname(),
            self.user(),
        );
        if let Some(warning) = found.warning {
            if !self.warnings.contains(&warning) {
                self.warnings.push(warning);
            }
        }
        match found.password.filter(|p| !p.is_empty()) {
            Some(pw) => {
                self.password = Some(pw);
                self.password_source = PasswordSource::Passfile;
            }
            None => {
                self.password = None;
                self.password_source = PasswordSource::None;
            }
        }
    }

    /// The same server and credentials, another database. A password from
    /// the password file is looked up again, since its lines name databases.
    pub fn with_dbname(&self, dbname: &str) -> ConnParams {
        let mut other = self.clone();
        other.params.insert("dbname".into(), dbname.into());
        other.origin = format!("{} (database {dbname})", self.origin);
        if matches!(
            other.password_source,
            PasswordSource::Passfile | PasswordSource::None
        ) {
            other.lookup_passfile();
        }
        other
    }

    /// The same server and database as another role. Meant for servers pum
    /// started itself (a sandbox trusts its unix socket): no password goes.
    pub fn with_user(&self, user: &str) -> ConnParams {
        let mut other = self.clone();
        other.params.insert("user".into(), user.into());
        other.password = None;
        other.password_source = PasswordSource::None;
        other.origin = format!("{} (as role {user})", self.origin);
        other
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// The password, for the driver's configuration only (see `db::driver`).
    pub(crate) fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// Warnings found while resolving, to be shown once.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub fn host(&self) -> &str {
        self.get("host").unwrap_or_default()
    }

    /// The port of the first server.
    pub fn port(&self) -> Result<u16> {
        Ok(self.endpoints()?.first().map_or(5432, |e| e.port))
    }

    pub fn dbname(&self) -> &str {
        self.get("dbname").unwrap_or_default()
    }

    pub fn user(&self) -> &str {
        self.get("user").unwrap_or_default()
    }

    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// Where the password came from.
    pub fn password_source(&self) -> PasswordSource {
        self.password_source
    }

    /// The password file consulted when no password was given.
    pub fn passfile(&self) -> Option<&Path> {
        self.passfile.as_deref()
    }

    /// The service file the service was found in, when one was used.
    pub fn service_file(&self) -> Option<&Path> {
        self.service_file.as_deref()
    }

    /// What the user named, for messages: `service prod`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The servers to try, in order: libpq pairs the comma-separated `host`,
    /// `hostaddr` and `port` lists (one port may serve every host).
    pub fn endpoints(&self) -> Result<Vec<Endpoint>> {
        let err = |msg: String| Error::Service(format!("{}: {msg}", self.origin));
        let split = |key: &str| -> Vec<String> {
            self.get(key)
                .map(|v| v.split(',').map(str::to_string).collect())
                .unwrap_or_default()
        };
        let hosts = split("host");
        let hostaddrs = split("hostaddr");
        let ports = split("port");
        if !hosts.is_empty() && !hostaddrs.is_empty() && hosts.len() != hostaddrs.len() {
            return Err(err(format!(
                "could not match {} host names to {} hostaddr values",
                hosts.len(),
                hostaddrs.len()
            )));
        }
        let count = hosts.len().max(hostaddrs.len()).max(1);
        if ports.len() > 1 && ports.len() != count {
            return Err(err(format!(
                "could not match {} port numbers to {count} hosts",
                ports.len()
            )));
        }
        let mut endpoints = Vec::with_capacity(count);
        for i in 0..count {
            let hostaddr = hostaddrs.get(i).filter(|a| !a.is_empty()).cloned();
            let mut host = hosts.get(i).cloned().unwrap_or_default();
            if host.is_empty() && hostaddr.is_none() {
                host = DEFAULT_SOCKET_DIR.into();
            }
            let port_text = match ports.get(i).or(ports.first()) {
                Some(p) if !p.is_empty() => p.clone(),
                _ => "5432".to_string(),
            };
            let port = port_text
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| err(format!("invalid port number {port_text:?}")))?;
            if let Some(addr) = &hostaddr {
                addr.parse::<std::net::IpAddr>()
                    .map_err(|_| err(format!("invalid hostaddr {addr:?}")))?;
            }
            endpoints.push(Endpoint {
                host,
                hostaddr,
                port,
                port_text,
            });
        }
        Ok(endpoints)
    }

    /// `host:port/dbname as user` for messages and reports; never the password.
    pub fn target(&self) -> String {
        let servers = match self.endpoints() {
            Ok(list) => list
                .iter()
                .map(Endpoint::to_string)
                .collect::<Vec<_>>()
                .join(","),
            Err(_) => format!("{}:{}", self.host(), self.get("port").unwrap_or("5432")),
        };
        format!("{servers}/{} as {}", self.dbname(), self.user())
    }

    /// The `sslmode`, libpq's default `prefer` when unset.
    pub fn ssl_mode(&self) -> Result<SslMode> {
        Ok(match self.get("sslmode").unwrap_or("prefer") {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(Error::Service(format!(
                    "{}: invalid sslmode {other:?} (disable, allow, prefer, require, verify-ca, verify-full)",
                    self.origin
                )))
            }
        })
    }

    /// Environment for a child process (pg_dump, pg_restore, psql, python
    /// hooks): every resolved parameter that has a variable as its `PG*`
    /// variable (the others are unset in the child), the password only as
    /// `PGPASSWORD`, the same password file, and `PGSERVICE`/`PGSERVICEFILE`
    /// removed so the child cannot re-resolve to somewhere else. `None`
    /// means "remove from the child".
    pub fn child_env(&self) -> Vec<(OsString, Option<OsString>)> {
        let mut env: Vec<(OsString, Option<OsString>)> = Vec::new();
        for (key, var) in ENV_VARS {
            let value = match *key {
                "password" => self.password.clone().map(OsString::from),
                "passfile" => self.passfile.clone().map(OsString::from),
                _ => self.params.get(*key).cloned().map(OsString::from),
            };
            env.push((var.into(), value));
        }
        env.push(("PGSERVICE".into(), None));
        env.push(("PGSERVICEFILE".into(), None));
        env
    }
}

#[cfg(test)]
mod tests;
