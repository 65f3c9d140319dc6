//! pum's own connection to PostgreSQL, the server-level facts every command
//! shares (which database a connection reaches, the server's version),
//! databases as a whole (create, drop, rename, sessions) and the one helper
//! that quotes identifiers.

pub mod database;
pub mod driver;
pub mod fingerprint;
pub mod identity;
pub mod roles;
mod server;

use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode};
use postgres::Client;
use postgres_openssl::MakeTlsConnector;

use crate::error::{describe_pg_error, Error, Result};
use crate::service::{ConnParams, SslMode};

pub use server::{
    relation_exists, server_version, server_version_num, value, wal_position, wal_since,
    SERVER_VERSION_SQL,
};

/// Schemas that belong to the system, never to the user, as a condition on
/// `pg_namespace n`.
pub const SYSTEM_SCHEMA_FILTER: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// The `application_name` of every session pum opens, so DBAs can find it in
/// `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "pum";

/// Connects with the resolved parameters. Errors name the service and
/// `host:port/dbname` and never contain the password.
pub fn connect(params: &ConnParams) -> Result<Client> {
    connect_raw(params)?.map_err(|e| connect_error(params, &e))
}

/// Connects like [`connect`], but a database that does not exist on the
/// server is `None` rather than an error.
pub fn connect_if_exists(params: &ConnParams) -> Result<Option<Client>> {
    match connect_raw(params)? {
        Ok(client) => Ok(Some(client)),
        Err(e) if e.code() == Some(&postgres::error::SqlState::INVALID_CATALOG_NAME) => Ok(None),
        Err(e) => Err(connect_error(params, &e)),
    }
}

/// The name of the maintenance database every server has.
pub const MAINTENANCE_DB: &str = "postgres";

/// The server's maintenance database, for work on a database as a whole
/// (create, drop, rename, look up by name).
pub fn maintenance(params: &ConnParams) -> ConnParams {
    params.with_dbname(MAINTENANCE_DB)
}

fn connect_raw(params: &ConnParams) -> Result<std::result::Result<Client, postgres::Error>> {
    let cfg = driver::client_config(params, APPLICATION_NAME)?;
    Ok(cfg.connect(tls_connector(params)?))
}

fn connect_error(params: &ConnParams, e: &postgres::Error) -> Error {
    Error::Connect {
        target: format!("{} ({})", params.origin(), params.target()),
        message: describe_pg_error(e),
    }
}

/// The TLS side of a connection, following libpq's `sslmode`: `require`
/// encrypts (and checks the certificate only against an explicit
/// `sslrootcert`), `verify-ca` checks the certificate against `sslrootcert`,
/// `verify-full` also checks that it names the host. `sslcert`/`sslkey` give
/// a client certificate.
pub fn tls_connector(params: &ConnParams) -> Result<MakeTlsConnector> {
    let mode = params.ssl_mode()?;
    let tls_error = |what: &str, e: openssl::error::ErrorStack| {
        Error::Service(format!("{}: {what}: {e}", params.origin()))
    };
    let mut builder = SslConnector::builder(SslMethod::tls_client())
        .map_err(|e| tls_error("setting up TLS", e))?;
    let root = params.get("sslrootcert");
    let verify = match mode {
        SslMode::VerifyCa | SslMode::VerifyFull => true,
        SslMode::Require => root.is_some(),
        SslMode::Disable | SslMode::Allow | SslMode::Prefer => false,
    };
    if verify {
        let root = root.ok_or_else(|| {
            Error::Service(format!(
                "{}: sslmode={} needs a root certificate: set sslrootcert",
                params.origin(),
                params.get("sslmode").unwrap_or_default()
            ))
        })?;
        if !std::path::Path::new(root).is_file() {
            return Err(Error::Service(format!(
                "{}: root certificate file {root} does not exist; set sslrootcert, or use sslmode=require to skip verification",
                params.origin()
            )));
        }
        builder
            .set_ca_file(root)
            .map_err(|e| tls_error(&format!("reading root certificate {root}"), e))?;
        builder.set_verify(SslVerifyMode::PEER);
    } else {
        builder.set_verify(SslVerifyMode::NONE);
    }
    if let Some(cert) = params.get("sslcert") {
        builder
            .set_certificate_chain_file(cert)
            .map_err(|e| tls_error(&format!("reading client certificate {cert}"), e))?;
    }
    if let Some(key) = params.get("sslkey") {
        builder
            .set_private_key_file(key, SslFiletype::PEM)
            .map_err(|e| tls_error(&format!("reading client key {key}"), e))?;
    }
    let mut connector = MakeTlsConnector::new(builder.build());
    if mode != SslMode::VerifyFull {
        connector.set_callback(|config, _| {
            config.set_verify_hostname(false);
            Ok(())
        });
    }
    Ok(connector)
}

/// Quotes an identifier the way `quote_ident` does: always double-quoted,
/// embedded double quotes doubled.
pub fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Quotes a string as an SQL literal (`E''` form when it holds backslashes),
/// for the few places where a value cannot be bound: text sent to the server
/// as part of a script, such as substituted delta variables.
pub fn quote_literal(value: &str) -> String {
    let escaped = value.replace('\'', "''");
    if value.contains('\\') {
        format!("E'{}'", escaped.replace('\\', "\\\\"))
    } else {
        format!("'{escaped}'")
    }
}

/// A possibly schema-qualified table name such as `"My Schema".upgrades`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedName {
    pub schema: Option<String>,
    pub name: String,
}

impl QualifiedName {
    /// Parses `schema.table`, where either part may be double-quoted (and
    /// then may contain dots, spaces and doubled quotes). Unquoted parts are
    /// kept as written: pum 0.x users write them in lower case.
    pub fn parse(input: &str) -> Result<QualifiedName> {
        let err = |why: &str| Error::Usage(format!("invalid table name {input:?}: {why}"));
        let mut parts: Vec<String> = Vec::new();
        let mut chars = input.trim().chars().peekable();
        loop {
            let mut part = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            part.push('"');
                        }
                        Some('"') => break,
                        Some(c) => part.push(c),
                        None => return Err(err("unterminated double quote")),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == '.' {
                        break;
                    }
                    if c == '"' {
                        return Err(err("a double quote inside an unquoted name"));
                    }
                    part.push(c);
                    chars.next();
                }
            }
            if part.is_empty() {
                return Err(err("empty name part"));
            }
            parts.push(part);
            match chars.next() {
                None => break,
                Some('.') => continue,
                Some(c) => return Err(err(&format!("unexpected {c:?} after a quoted name"))),
            }
        }
        match parts.len() {
            1 => Ok(QualifiedName {
                schema: None,
                name: parts.remove(0),
            }),
            2 => {
                let name = parts.remove(1);
                Ok(QualifiedName {
                    schema: Some(parts.remove(0)),
                    name,
                })
            }
            _ => Err(err("expected at most schema.table")),
        }
    }

    /// The quoted form for SQL text.
    pub fn quoted(&self) -> String {
        match &self.schema {
            Some(s) => format!("{}.{}", quote_ident(s), quote_ident(&self.name)),
            None => quote_ident(&self.name),
        }
    }
}

impl std::fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |s: &str| {
            if s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                s.to_string()
            } else {
                quote_ident(s)
            }
        };
        match &self.schema {
            Some(s) => write!(f, "{}.{}", show(s), show(&self.name)),
            None => write!(f, "{}", show(&self.name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_quoted_names() {
        let q = QualifiedName::parse("public.pum_upgrades").unwrap();
        assert_eq!(q.schema.as_deref(), Some("public"));
        assert_eq!(q.quoted(), "\"public\".\"pum_upgrades\"");
        let q = QualifiedName::parse("\"My Schema\".\"a.b\"\"c\"").unwrap();
        assert_eq!(q.schema.as_deref(), Some("My Schema"));
        assert_eq!(q.name, "a.b\"c");
        assert_eq!(q.quoted(), "\"My Schema\".\"a.b\"\"c\"");
        assert!(QualifiedName::parse("a.b.c").is_err());
        assert!(QualifiedName::parse("a.").is_err());
        assert!(QualifiedName::parse("\"open").is_err());
    }

    #[test]
    fn literals_are_quoted() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "E'a\\\\b'");
        assert_eq!(
            quote_literal("'); DROP TABLE x; --"),
            "'''); DROP TABLE x; --'"
        );
    }
}
