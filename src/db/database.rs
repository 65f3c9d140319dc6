//! Databases as a whole, on a connection to the server's maintenance
//! database ([`super::maintenance`]): whether one exists, who else is
//! connected to it, creating, dropping and renaming it. Deciding when to do
//! any of that is the caller's business (a restore, a swap).

use postgres::Client;

use super::{quote_ident, quote_literal};
use crate::error::{Error, Result};

/// Whether a database of that name exists on the server.
pub fn exists(admin: &mut Client, dbname: &str) -> Result<bool> {
    let row = admin
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
            &[&dbname],
        )
        .map_err(|e| Error::sql(format!("looking for database {dbname}"), e))?;
    Ok(row.get(0))
}

/// The names of the server's databases one can connect to, templates left
/// out, sorted by name: what `pum fleet --databases` chooses from.
pub fn names(client: &mut Client) -> Result<Vec<String>> {
    let rows = client
        .query(
            "SELECT datname::text FROM pg_catalog.pg_database \
             WHERE datallowconn AND NOT datistemplate ORDER BY datname COLLATE \"C\"",
            &[],
        )
        .map_err(|e| Error::sql("listing the server's databases", e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The other sessions connected to `dbname`, as `application (pid N, user)`.
pub fn sessions(admin: &mut Client, dbname: &str) -> Result<Vec<String>> {
    let rows = admin
        .query(
            "SELECT coalesce(nullif(application_name, ''), '?') || ' (pid ' || pid || ', ' || coalesce(usename::text, '?') || ')' \
               FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY pid",
            &[&dbname],
        )
        .map_err(|e| Error::sql(format!("looking for sessions on {dbname}"), e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Refuses when other sessions are connected to `dbname`: renaming or
/// dropping it would fail half-way or cut them off mid-transaction.
pub fn require_no_sessions(admin: &mut Client, dbname: &str) -> Result<()> {
    // A client that just disconnected leaves its backend for a moment:
    // give such sessions a second to go before calling them users.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    let rows = loop {
        let rows = sessions(admin, dbname)?;
        if rows.is_empty() || std::time::Instant::now() > deadline {
            break rows;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    if rows.is_empty() {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "database {dbname} has {} other session(s): {}; close them (or terminate them with \
         pg_terminate_backend) and run again — pum does not cut off other users",
        rows.len(),
        rows.join(", ")
    )))
}

/// Creates an empty database from `template0`; with `like`, with that
/// database's owner, encoding and locale so a swap changes nothing else.
pub fn create(admin: &mut Client, name: &str, like: Option<&str>) -> Result<()> {
    let mut sql = format!("CREATE DATABASE {} TEMPLATE template0", quote_ident(name));
    if let Some(like) = like {
        let row = admin
            .query_one(
                "SELECT pg_get_userbyid(datdba)::text, pg_encoding_to_char(encoding)::text, \
                 datcollate::text, datctype::text FROM pg_database WHERE datname = $1",
                &[&like],
            )
            .map_err(|e| Error::sql(format!("reading the settings of database {like}"), e))?;
        let (owner, encoding, collate, ctype): (String, String, String, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        sql.push_str(&format!(
            " OWNER {} ENCODING {} LC_COLLATE {} LC_CTYPE {}",
            quote_ident(&owner),
            quote_literal(&encoding),
            quote_literal(&collate),
            quote_literal(&ctype)
        ));
    }
    admin
        .batch_execute(&sql)
        .map_err(|e| Error::sql(format!("creating database {name}"), e))
}

/// `CREATE DATABASE`, as a user types it: from `template1`, or from
/// `template` (a copy of that database).
pub fn create_from(admin: &mut Client, name: &str, template: Option<&str>) -> Result<()> {
    let mut sql = format!("CREATE DATABASE {}", quote_ident(name));
    if let Some(template) = template {
        sql.push_str(&format!(" TEMPLATE {}", quote_ident(template)));
    }
    admin
        .batch_execute(&sql)
        .map_err(|e| Error::sql(format!("creating database {name}"), e))
}

/// Who may connect to database `name`: CONNECT revoked from PUBLIC (when
/// `revoke_public`), then from `revoke`, then granted to `grant`, all in one
/// transaction so that an unknown role changes nothing.
pub fn set_connect(
    admin: &mut Client,
    name: &str,
    revoke_public: bool,
    revoke: &[String],
    grant: &[String],
) -> Result<()> {
    let target = quote_ident(name);
    let mut sql = String::new();
    if revoke_public {
        sql.push_str(&format!(
            "REVOKE CONNECT ON DATABASE {target} FROM PUBLIC;\n"
        ));
    }
    for role in revoke {
        sql.push_str(&format!(
            "REVOKE CONNECT ON DATABASE {target} FROM {};\n",
            quote_ident(role)
        ));
    }
    for role in grant {
        sql.push_str(&format!(
            "GRANT CONNECT ON DATABASE {target} TO {};\n",
            quote_ident(role)
        ));
    }
    let what = || format!("setting CONNECT on database {name}");
    let mut tx = admin.transaction().map_err(|e| Error::sql(what(), e))?;
    tx.batch_execute(&sql).map_err(|e| Error::sql(what(), e))?;
    tx.commit().map_err(|e| Error::sql(what(), e))
}

/// Drops a database if it exists; fails while sessions are connected to it.
pub fn drop(admin: &mut Client, name: &str) -> Result<()> {
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote_ident(name)))
        .map_err(|e| Error::sql(format!("dropping database {name}"), e))
}

/// Drops a database pum created itself (a half-restored one): sessions a
/// killed pg_restore left behind are ended first (`WITH (FORCE)`, from
/// PostgreSQL 13), as they are pum's own children's.
pub fn drop_own(admin: &mut Client, name: &str) -> Result<()> {
    let forced = admin.batch_execute(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    ));
    match forced {
        Ok(()) => Ok(()),
        // A server before 13 does not know the option.
        Err(e) if e.code() == Some(&postgres::error::SqlState::SYNTAX_ERROR) => drop(admin, name),
        Err(e) => Err(Error::sql(format!("dropping database {name}"), e)),
    }
}

/// Renames database `from` to `to`.
pub fn rename(admin: &mut Client, from: &str, to: &str) -> Result<()> {
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {} RENAME TO {}",
            quote_ident(from),
            quote_ident(to)
        ))
        .map_err(|e| Error::sql(format!("renaming database {from} to {to}"), e))
}

/// Renames databases in order (`(from, to)` pairs), as one step: when one
/// rename fails, those already done are undone, last first, and the error
/// is returned. Undoing is best effort — a server that refused one rename
/// may refuse its undo too.
pub fn rename_all(admin: &mut Client, renames: &[(&str, &str)]) -> Result<()> {
    for (done, (from, to)) in renames.iter().enumerate() {
        if let Err(e) = rename(admin, from, to) {
            for (from, to) in renames[..done].iter().rev() {
                let _ = rename(admin, to, from);
            }
            return Err(e);
        }
    }
    Ok(())
}
