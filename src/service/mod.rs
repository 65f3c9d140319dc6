//! Resolving where to connect, exactly as libpq would: a service name looked up
//! in `pg_service.conf` files, a `postgresql://` URI or a `key=value` conninfo
//! string, then `PG*` environment variables, then libpq's defaults, and the
//! password from the passfile. The resulting [`ConnParams`] drives both pum's
//! own connection and the environment of every child process, so the two can
//! never point at different databases.
//!
//! This module holds [`ConnParams`] and the resolution itself;
//! `environment` captures what it reads of the process, `keywords` lists
//! libpq's keywords and their variables, `endpoint` pairs the host and port
//! lists, `export` hands the result to child processes.

mod conninfo;
mod endpoint;
mod environment;
mod export;
mod keywords;
mod passfile;
mod servicefile;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub use endpoint::Endpoint;
pub use environment::Environment;
pub use keywords::{ENV_VARS, KEYWORDS};
pub use passfile::DEFAULT_SOCKET_DIR;
pub use servicefile::names as service_names;

/// The resolver's pure text parsers, for property tests and fuzzing: no file
/// system, no environment, no network.
pub mod parsers {
    pub use super::conninfo::{parse_conninfo, parse_uri};
    pub use super::passfile::find as find_password;
    pub use super::servicefile::parse as parse_service_file;
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

/// `values` for a `Debug` view, those whose key `is_secret` shown as
/// `<hidden>`.
fn hide_secrets(
    values: &BTreeMap<String, String>,
    is_secret: impl Fn(&str) -> bool,
) -> BTreeMap<&str, &str> {
    values
        .iter()
        .map(|(k, v)| {
            let shown = if is_secret(k) { "<hidden>" } else { v.as_str() };
            (k.as_str(), shown)
        })
        .collect()
}

/// Keywords whose values are secrets besides `password`.
const SECRET_KEYWORDS: &[&str] = &["sslpassword"];

impl std::fmt::Debug for ConnParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnParams")
            .field(
                "params",
                &hide_secrets(&self.params, |k| SECRET_KEYWORDS.contains(&k)),
            )
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("password_source", &self.password_source)
            .field("passfile", &self.passfile)
            .field("origin", &self.origin)
            .field("service_file", &self.service_file)
            .finish()
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
}

#[cfg(test)]
mod tests;
