//! Facts about the server a session is connected to, each read the one
//! way every caller shares.

use postgres::types::{FromSql, ToSql};
use postgres::GenericClient;

use crate::error::{Error, Result};

/// The server's version as `server_version` shows it, without the
/// distribution's suffix (`15.18`, not `15.18 (Debian 15.18-1)`); an SQL
/// expression, so that a caller reading more in the same round trip can
/// include it.
pub const SERVER_VERSION_SQL: &str = "split_part(current_setting('server_version'), ' ', 1)";

/// The server's version (`15.18`).
pub fn server_version(client: &mut impl GenericClient) -> Result<String> {
    value(
        client,
        &format!("SELECT {SERVER_VERSION_SQL}"),
        &[],
        "reading the server version",
    )
}

/// The server's version as a number (`150018` for 15.18), for comparing.
pub fn server_version_num(client: &mut impl GenericClient) -> Result<i32> {
    value(
        client,
        "SELECT current_setting('server_version_num')::int",
        &[],
        "reading the server version",
    )
}

/// The one value a one-row, one-column query returns; `what` says what was
/// being read when it fails.
pub fn value<T: for<'a> FromSql<'a>>(
    client: &mut impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    what: impl Into<String>,
) -> Result<T> {
    let row = client
        .query_one(sql, params)
        .map_err(|e| Error::sql(what, e))?;
    Ok(row.get(0))
}

/// Whether the relation `quoted` (a schema-qualified, quoted name) exists.
pub fn relation_exists(
    client: &mut impl GenericClient,
    quoted: &str,
    what: impl Into<String>,
) -> Result<bool> {
    value(
        client,
        "SELECT to_regclass($1) IS NOT NULL",
        &[&quoted],
        what,
    )
}

/// The server's WAL insert position, as text, to measure from.
pub fn wal_position(client: &mut impl GenericClient) -> Result<String> {
    value(
        client,
        "SELECT pg_current_wal_insert_lsn()::text",
        &[],
        "reading the WAL position",
    )
}

/// Bytes of WAL written since [`wal_position`] returned `lsn`.
pub fn wal_since(client: &mut impl GenericClient, lsn: &str) -> Result<i64> {
    value(
        client,
        "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::text::pg_lsn)::int8",
        &[&lsn],
        "reading the WAL position",
    )
}
