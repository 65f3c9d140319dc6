//! Which database a connection reaches, as the server tells it rather than
//! as it was spelt: `localhost`, `127.0.0.1`, a unix socket, a URI and a
//! service name can all name one database, and a guard that compares
//! host/port/dbname strings lets every other spelling through.
//!
//! A server is known by the moment its postmaster started and the port it
//! was configured with — both readable by any role — and, where the role may
//! read it, by the cluster's system identifier. A database is its server and
//! its OID there. A streaming replica shares its primary's system identifier
//! but not its start time, so it counts as another server (it is read-only,
//! so nothing a guard protects can be written through it).

use postgres::Client;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::service::ConnParams;

/// One running PostgreSQL server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerId {
    /// `pg_control_system().system_identifier`, when the role may call it.
    pub system_identifier: Option<i64>,
    /// `pg_postmaster_start_time()` in microseconds since the epoch.
    pub started_us: i64,
    /// The server's `port` setting (not the port the client dialled, which a
    /// proxy or a forwarded port would change).
    pub port: String,
}

impl ServerId {
    /// Whether both describe the same server.
    pub fn is(&self, other: &ServerId) -> bool {
        self.started_us == other.started_us
            && self.port == other.port
            && match (self.system_identifier, other.system_identifier) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// One database of one server.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseId {
    pub server: ServerId,
    pub oid: u32,
    pub name: String,
}

impl DatabaseId {
    /// Whether both are the same database, whatever their names now are.
    pub fn is(&self, other: &DatabaseId) -> bool {
        self.server.is(&other.server) && self.oid == other.oid
    }
}

/// Where a connection's database is: an existing database, or a name that
/// no database on that server has yet (a test database pum will create).
#[derive(Debug, Clone)]
pub enum Located {
    Exists(DatabaseId),
    Missing { server: ServerId, name: String },
}

impl Located {
    pub fn server(&self) -> &ServerId {
        match self {
            Located::Exists(id) => &id.server,
            Located::Missing { server, .. } => server,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Located::Exists(id) => &id.name,
            Located::Missing { name, .. } => name,
        }
    }

    /// Whether both name the same database (or the same future database).
    pub fn is(&self, other: &Located) -> bool {
        match (self, other) {
            (Located::Exists(a), Located::Exists(b)) => a.is(b),
            // A name that does not exist yet can only collide by name.
            (a, b) => a.server().is(b.server()) && a.name() == b.name(),
        }
    }

    pub fn existing(&self) -> Option<&DatabaseId> {
        match self {
            Located::Exists(id) => Some(id),
            Located::Missing { .. } => None,
        }
    }
}

/// One round trip: the server's identity and the OID of database `$1`
/// (the session's own when NULL); no row of `pg_database` matches a name
/// that does not exist, which leaves the OID NULL.
const IDENTITY_SQL: &str = "\
SELECT CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')
            THEN (SELECT system_identifier FROM pg_catalog.pg_control_system()) END,
       (extract(epoch FROM pg_catalog.pg_postmaster_start_time()) * 1000000)::int8,
       pg_catalog.current_setting('port'),
       d.oid,
       coalesce($1, pg_catalog.current_database())::text
  FROM (SELECT 1) one
  LEFT JOIN pg_catalog.pg_database d ON d.datname = coalesce($1, pg_catalog.current_database())";

fn query(client: &mut Client, name: Option<&str>) -> Result<Located> {
    let row = client
        .query_one(IDENTITY_SQL, &[&name])
        .map_err(|e| Error::sql("asking the server which database this is", e))?;
    let server = ServerId {
        system_identifier: row.get(0),
        started_us: row.get(1),
        port: row.get(2),
    };
    let name: String = row.get(4);
    Ok(match row.get::<_, Option<u32>>(3) {
        Some(oid) => Located::Exists(DatabaseId { server, oid, name }),
        None => Located::Missing { server, name },
    })
}

/// The database this session is connected to.
pub fn of_session(client: &mut Client) -> Result<DatabaseId> {
    match query(client, None)? {
        Located::Exists(id) => Ok(id),
        Located::Missing { name, .. } => Err(Error::State(format!(
            "the server does not list the database this session is connected to ({name})"
        ))),
    }
}

/// The database called `name` on the server of `client`'s session.
pub fn named(client: &mut Client, name: &str) -> Result<Located> {
    query(client, Some(name))
}

/// Where `params` lead: connects to the database itself or, when it does not
/// exist, to the server's maintenance database to learn which server it is.
pub fn locate(params: &ConnParams) -> Result<Located> {
    match super::connect_if_exists(params)? {
        Some(mut client) => Ok(Located::Exists(of_session(&mut client)?)),
        None => {
            let mut admin = super::connect(&super::maintenance(params))?;
            named(&mut admin, params.dbname())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(sysid: Option<i64>, started: i64, port: &str) -> ServerId {
        ServerId {
            system_identifier: sysid,
            started_us: started,
            port: port.into(),
        }
    }

    #[test]
    fn servers_match_on_start_time_and_port_and_any_known_system_identifier() {
        let a = server(Some(7), 100, "5432");
        assert!(a.is(&server(Some(7), 100, "5432")));
        assert!(a.is(&server(None, 100, "5432")));
        assert!(!a.is(&server(Some(8), 100, "5432")));
        assert!(!a.is(&server(Some(7), 101, "5432")));
        assert!(!a.is(&server(Some(7), 100, "5433")));
    }

    #[test]
    fn databases_match_on_oid_not_name() {
        let id = |oid, name: &str| {
            Located::Exists(DatabaseId {
                server: server(None, 1, "5432"),
                oid,
                name: name.into(),
            })
        };
        assert!(id(5, "prod").is(&id(5, "renamed")));
        assert!(!id(5, "prod").is(&id(6, "prod")));
        let missing = Located::Missing {
            server: server(None, 1, "5432"),
            name: "prod".into(),
        };
        assert!(missing.is(&id(5, "prod")));
        assert!(!missing.is(&id(5, "other")));
    }
}
