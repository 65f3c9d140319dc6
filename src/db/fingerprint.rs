//! A cheap fingerprint of a database's user schema, to tell afterwards
//! whether anything was created, dropped, altered, rewritten or truncated in
//! it. Other sessions' row changes do not count: production is live.

use postgres::Client;

use super::SYSTEM_SCHEMA_FILTER;
use crate::error::{Error, Result};

/// Two hashes over every user relation, read in one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// OIDs, names, schemas and column counts: changes with DDL.
    pub structure: String,
    /// Storage file numbers: also changes with a rewrite or a TRUNCATE.
    pub storage: String,
}

pub fn read(client: &mut Client) -> Result<Fingerprint> {
    let sql = format!(
        "SELECT count(*)::text || ':' || coalesce(md5(string_agg(
                c.oid::text || '/' || n.nspname || '/' || c.relname || '/' || c.relnatts::text,
                ',' ORDER BY c.oid)), ''),
                coalesce(md5(string_agg(c.oid::text || '/' || c.relfilenode::text, ',' ORDER BY c.oid)), '')
           FROM pg_catalog.pg_class c
           JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE {SYSTEM_SCHEMA_FILTER}"
    );
    let row = client
        .query_one(&sql, &[])
        .map_err(|e| Error::sql("fingerprinting the database's schema", e))?;
    Ok(Fingerprint {
        structure: row.get(0),
        storage: row.get(1),
    })
}
