//! The run lock: a session advisory lock keyed on the upgrades table, so two
//! runs against one database never interleave. Polled with
//! `pg_try_advisory_lock` from a session holding no snapshot, so a waiting
//! run never blocks anything else.

use std::time::{Duration, Instant};

use postgres::Client;

use crate::db::QualifiedName;
use crate::error::{Error, Result};

/// First key of pum's advisory locks ("pum" in ASCII), so they are easy to
/// tell apart from an application's own advisory locks in `pg_locks`.
const LOCK_CLASS: i32 = 0x0070_756d;

/// Takes the run lock, waiting up to `timeout`; on timeout the error names
/// the session that holds it.
pub fn acquire(client: &mut Client, table: &QualifiedName, timeout: Duration) -> Result<()> {
    let key = table.quoted();
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(20);
    loop {
        let got: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock($1, hashtext($2))",
                &[&LOCK_CLASS, &key],
            )
            .map_err(|e| Error::sql("taking the upgrade lock", e))?
            .get(0);
        if got {
            return Ok(());
        }
        crate::interrupt::check("waiting for the upgrade lock")?;
        if Instant::now() >= deadline {
            return Err(Error::State(format!(
                "another pum run holds the upgrade lock on {table} ({}); gave up after {} s",
                holder(client, &key)?,
                timeout.as_secs_f64()
            )));
        }
        std::thread::sleep(delay.min(deadline.saturating_duration_since(Instant::now())));
        delay = (delay * 2).min(Duration::from_millis(500));
    }
}

/// Releases the run lock (it is released anyway when the session ends).
pub fn release(client: &mut Client, table: &QualifiedName) {
    let _ = client.query_one(
        "SELECT pg_advisory_unlock($1, hashtext($2))",
        &[&LOCK_CLASS, &table.quoted()],
    );
}

/// Who holds the run lock. Advisory locks belong to one database, and
/// another database's pum run holds the same key, so only this database's
/// locks are looked at.
fn holder(client: &mut Client, key: &str) -> Result<String> {
    let rows = client
        .query(
            "SELECT a.pid, a.usename::text, a.application_name, host(a.client_addr), \
                    to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') \
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND l.classid = $1::int4::oid AND l.objid = hashtext($2)::oid AND l.objsubid = 2",
            &[&LOCK_CLASS, &key],
        )
        .map_err(|e| Error::sql("looking up the holder of the upgrade lock", e))?;
    Ok(match rows.first() {
        Some(r) => {
            let pid: i32 = r.get(0);
            let user: Option<String> = r.get(1);
            let app: Option<String> = r.get(2);
            let addr: Option<String> = r.get(3);
            let since: Option<String> = r.get(4);
            format!(
                "pid {pid}, user {}, application_name {:?}, client {}, connected since {}",
                user.unwrap_or_default(),
                app.unwrap_or_default(),
                addr.unwrap_or_else(|| "local socket".into()),
                since.unwrap_or_default()
            )
        }
        None => "holder not visible to this user".into(),
    })
}
