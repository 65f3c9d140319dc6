//! Facts about the server a session is connected to, each read the one
//! way every caller shares.

use postgres::GenericClient;

use crate::error::{Error, Result};

/// The server's version as `server_version` shows it, without the
/// distribution's suffix (`15.18`, not `15.18 (Debian 15.18-1)`); an SQL
/// expression, so that a caller reading more in the same round trip can
/// include it.
pub const SERVER_VERSION_SQL: &str = "split_part(current_setting('server_version'), ' ', 1)";

/// The server's version (`15.18`).
pub fn server_version(client: &mut impl GenericClient) -> Result<String> {
    let row = client
        .query_one(&format!("SELECT {SERVER_VERSION_SQL}"), &[])
        .map_err(|e| Error::sql("reading the server version", e))?;
    Ok(row.get(0))
}

/// The server's version as a number (`150018` for 15.18), for comparing.
pub fn server_version_num(client: &mut impl GenericClient) -> Result<i32> {
    let row = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .map_err(|e| Error::sql("reading the server version", e))?;
    Ok(row.get(0))
}
