//! The one way resolved [`ConnParams`] reach a child process (pg_dump,
//! pg_restore, psql, Python hooks): `PG*` variables in its environment —
//! never its command line —, optionally with a private service file that
//! names the same target for a child that asks for a service by name.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use super::{ConnParams, ENV_VARS};

/// The keywords a child's service file carries: where to connect and how,
/// never the password (that goes as `PGPASSWORD`).
const SERVICE_FILE_KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "sslmode",
    "options",
    "connect_timeout",
];

impl ConnParams {
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

    /// Gives `cmd` the [`ConnParams::child_env`] environment. With
    /// `service_file` (written from [`ConnParams::service_section`]),
    /// `PGSERVICEFILE` names that file instead of being removed.
    pub fn export_to(&self, cmd: &mut Command, service_file: Option<&Path>) {
        for (key, value) in self.child_env() {
            let value = match service_file {
                Some(file) if key == "PGSERVICEFILE" => Some(file.as_os_str().to_os_string()),
                _ => value,
            };
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
    }

    /// A `pg_service.conf` section `[name]` that resolves to this target,
    /// for a child that connects by service name.
    pub fn service_section(&self, name: &str) -> String {
        let mut section = format!("[{name}]\n");
        for key in SERVICE_FILE_KEYWORDS {
            if let Some(v) = self.get(key) {
                section.push_str(&format!("{key}={v}\n"));
            }
        }
        section
    }
}
