//! Resolving where to connect, exactly as libpq would: a service name looked up
//! in `pg_service.conf` files, a `postgresql://` URI or a `key=value` conninfo
//! string, then `PG*` environment variables, then libpq's defaults, and the
//! password from the passfile. The resulting [`ConnParams`] drives both pum's
//! own connection and the environment of every child process, so the two can
//! never point at different databases.

mod conninfo;
mod servicefile;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

use crate::error::{Error, Result};

/// The slice of the process environment the resolver reads. Captured once at
/// start-up so that commands never read raw environment variables and tests
/// can resolve against an environment of their own.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: BTreeMap<String, String>,
    pub home: Option<PathBuf>,
    /// The current OS user's name: libpq's default for `user`.
    pub os_user: Option<String>,
}

impl Environment {
    /// The environment of this process.
    pub fn from_process() -> Self {
        let vars = std::env::vars()
            .filter(|(k, _)| k.starts_with("PG"))
            .collect();
        let home = std::env::var_os("HOME").map(PathBuf::from);
        Environment {
            vars,
            home,
            os_user: current_os_user(),
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
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
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

/// Fully resolved connection parameters, keyed by libpq keyword.
#[derive(Clone)]
pub struct ConnParams {
    /// libpq keywords with their final values (host, port, dbname, user, ...).
    /// Never holds the password: that lives in `password` so it cannot leak
    /// through a generic dump of the parameters.
    params: BTreeMap<String, String>,
    password: Option<String>,
    /// What the user named: `service prod`, `conninfo`, `uri`.
    origin: String,
}

impl std::fmt::Debug for ConnParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnParams")
            .field("params", &self.params)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("origin", &self.origin)
            .finish()
    }
}

/// Keywords libpq accepts in a service file or conninfo string.
pub const KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
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
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "gssencmode",
    "krbsrvname",
    "gsslib",
    "target_session_attrs",
    "load_balance_hosts",
    "service",
];

/// The `PG*` variable libpq reads for each keyword.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("host", "PGHOST"),
    ("hostaddr", "PGHOSTADDR"),
    ("port", "PGPORT"),
    ("dbname", "PGDATABASE"),
    ("user", "PGUSER"),
    ("password", "PGPASSWORD"),
    ("passfile", "PGPASSFILE"),
    ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ("client_encoding", "PGCLIENTENCODING"),
    ("options", "PGOPTIONS"),
    ("application_name", "PGAPPNAME"),
    ("sslmode", "PGSSLMODE"),
    ("sslcert", "PGSSLCERT"),
    ("sslkey", "PGSSLKEY"),
    ("sslrootcert", "PGSSLROOTCERT"),
    ("sslcrl", "PGSSLCRL"),
    ("requirepeer", "PGREQUIREPEER"),
    ("gssencmode", "PGGSSENCMODE"),
    ("target_session_attrs", "PGTARGETSESSIONATTRS"),
];

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
        origin: String,
        env: &Environment,
    ) -> Result<ConnParams> {
        // A service named inside a conninfo string (or by PGSERVICE when no
        // service was named) supplies values the string does not set.
        let service = explicit
            .get("service")
            .cloned()
            .or_else(|| env.get("PGSERVICE").map(str::to_string));
        if let Some(service) = service {
            let from_file = servicefile::lookup(&service, env)?;
            for (k, v) in from_file {
                explicit.entry(k).or_insert(v);
            }
        }
        explicit.remove("service");
        Self::finish(explicit, origin, env)
    }

    /// Parameters for a local sandbox cluster reached through a unix socket.
    pub fn local_socket(socket_dir: &std::path::Path, port: u16, dbname: &str, user: &str) -> Self {
        let mut params = BTreeMap::new();
        params.insert("host".into(), socket_dir.display().to_string());
        params.insert("port".into(), port.to_string());
        params.insert("dbname".into(), dbname.into());
        params.insert("user".into(), user.into());
        ConnParams {
            params,
            password: None,
            origin: format!("sandbox database {dbname}"),
        }
    }

    fn finish(
        mut params: BTreeMap<String, String>,
        origin: String,
        env: &Environment,
    ) -> Result<ConnParams> {
        for (key, var) in ENV_VARS {
            if !params.contains_key(*key) {
                if let Some(v) = env.get(var) {
                    params.insert((*key).to_string(), v.to_string());
                }
            }
        }
        params
            .entry("host".into())
            .or_insert_with(|| "/var/run/postgresql".into());
        params.entry("port".into()).or_insert_with(|| "5432".into());
        if !params.contains_key("user") {
            let user = env.os_user.clone().ok_or_else(|| {
                Error::Service(
                    "cannot tell the user name: set user in the service or PGUSER".into(),
                )
            })?;
            params.insert("user".into(), user);
        }
        if !params.contains_key("dbname") {
            let user = params["user"].clone();
            params.insert("dbname".into(), user);
        }
        let password = params.remove("password");
        let mut resolved = ConnParams {
            params,
            password,
            origin,
        };
        resolved.port()?;
        if resolved.password.is_none() {
            resolved.password = resolved.passfile_password(env)?;
        }
        Ok(resolved)
    }

    fn passfile_password(&self, _env: &Environment) -> Result<Option<String>> {
        Ok(None)
    }

    /// The same server and credentials, another database.
    pub fn with_dbname(&self, dbname: &str) -> ConnParams {
        let mut other = self.clone();
        other.params.insert("dbname".into(), dbname.into());
        other.origin = format!("{} (database {dbname})", self.origin);
        other
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    pub fn host(&self) -> &str {
        self.get("host").unwrap_or_default()
    }

    pub fn port(&self) -> Result<u16> {
        let raw = self.get("port").unwrap_or("5432");
        raw.parse()
            .map_err(|_| Error::Service(format!("{}: invalid port {raw:?}", self.origin)))
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

    /// What the user named, for messages: `service prod`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `host:port/dbname` for messages and reports; never the password.
    pub fn target(&self) -> String {
        format!(
            "{}:{}/{} as {}",
            self.get("hostaddr").unwrap_or(self.host()),
            self.get("port").unwrap_or("5432"),
            self.dbname(),
            self.user()
        )
    }

    /// A `postgres::Config` for pum's own connection.
    pub fn pg_config(&self, application_name: &str) -> Result<postgres::Config> {
        let mut cfg = postgres::Config::new();
        let host = self.host();
        let hostaddr = self.get("hostaddr");
        match hostaddr {
            Some(addr) => {
                let ip: std::net::IpAddr = addr.parse().map_err(|_| {
                    Error::Service(format!("{}: invalid hostaddr {addr:?}", self.origin))
                })?;
                cfg.hostaddr(ip);
                if !host.is_empty() {
                    cfg.host(host);
                }
            }
            None => {
                for h in host.split(',') {
                    if h.starts_with('/') {
                        cfg.host_path(h);
                    } else {
                        cfg.host(h);
                    }
                }
            }
        }
        cfg.port(self.port()?);
        cfg.dbname(self.dbname());
        cfg.user(self.user());
        if let Some(pw) = &self.password {
            cfg.password(pw);
        }
        if let Some(opts) = self.get("options") {
            cfg.options(opts);
        }
        if let Some(t) = self.get("connect_timeout") {
            let secs: u64 = t.parse().map_err(|_| {
                Error::Service(format!("{}: invalid connect_timeout {t:?}", self.origin))
            })?;
            if secs > 0 {
                cfg.connect_timeout(std::time::Duration::from_secs(secs.max(2)));
            }
        }
        let app = self.get("application_name").unwrap_or(application_name);
        cfg.application_name(app);
        match self.get("sslmode").unwrap_or("prefer") {
            "disable" | "allow" | "prefer" => {}
            other => {
                return Err(Error::Service(format!(
                    "{}: sslmode={other} needs TLS, which this build of pum does not support yet; use sslmode=disable or prefer",
                    self.origin
                )))
            }
        }
        Ok(cfg)
    }

    /// Environment for a child process (pg_dump, pg_restore, psql, python
    /// hooks): every resolved parameter as its `PG*` variable, the password
    /// only as `PGPASSWORD`, and `PGSERVICE` removed so the child cannot
    /// re-resolve to somewhere else. `None` means "remove from the child".
    pub fn child_env(&self) -> Vec<(OsString, Option<OsString>)> {
        let mut env: Vec<(OsString, Option<OsString>)> = Vec::new();
        for (key, var) in ENV_VARS {
            let value = if *key == "password" {
                self.password.clone()
            } else if *key == "passfile" {
                None
            } else {
                self.params.get(*key).cloned()
            };
            env.push((var.into(), value.map(OsString::from)));
        }
        env.push(("PGSERVICE".into(), None));
        env.push(("PGSERVICEFILE".into(), None));
        env
    }
}
