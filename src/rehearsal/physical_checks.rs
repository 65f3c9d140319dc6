//! What a physical copy needs of production and of this machine, checked
//! before anything is copied, each refusal naming what to grant or fix: a
//! role that may replicate, WAL senders, room for the cluster's files, and
//! the server programs of production's major version.

use std::path::Path;

use crate::db;
use crate::error::{Error, Result};
use crate::sandbox::ServerBinaries;

use super::Rehearsal;

/// The programs a physical copy runs, all of production's major version.
pub(super) const PROGRAMS: &[&str] = &["pg_basebackup", "postgres", "pg_ctl"];

/// What the base backup and the private server are made from.
pub(super) struct Plan {
    pub binaries: ServerBinaries,
    /// The cluster's bootstrap superuser: the private server's own.
    pub superuser: String,
    /// `(oid, location)` of every tablespace outside the data directory.
    pub tablespaces: Vec<(u32, String)>,
}

/// The role, the replication settings and the cluster's size, in one
/// round trip. Databases the role may not see count as empty: the size is
/// then a lower bound (and pg_basebackup still fails cleanly on a full disk).
const FACTS_SQL: &str = "\
SELECT r.rolsuper, r.rolreplication, r.rolname::text,
       (SELECT b.rolname::text FROM pg_catalog.pg_roles b WHERE b.oid = 10),
       pg_catalog.current_setting('wal_level'),
       pg_catalog.current_setting('max_wal_senders')::int4,
       (SELECT coalesce(sum(pg_catalog.pg_database_size(d.oid)), 0)::int8
          FROM pg_catalog.pg_database d
         WHERE pg_catalog.has_database_privilege(d.oid, 'CONNECT')
            OR pg_catalog.pg_has_role('pg_read_all_stats', 'MEMBER'))
  FROM pg_catalog.pg_roles r WHERE r.rolname = current_user";

const TABLESPACES_SQL: &str = "\
SELECT oid, pg_catalog.pg_tablespace_location(oid)
  FROM pg_catalog.pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')";

/// Refuses a physical copy production cannot give or this machine cannot
/// hold; `dir` is where the copy would go.
pub(super) fn check(r: &Rehearsal<'_>, major: i32, dir: &Path) -> Result<Plan> {
    let mut client = db::connect(&r.prod)?;
    let row = client
        .query_one(FACTS_SQL, &[])
        .map_err(|e| Error::sql("reading what a physical copy needs of production", e))?;
    let (superuser, replication, role): (bool, bool, String) = (row.get(0), row.get(1), row.get(2));
    if !superuser && !replication {
        return Err(Error::Refused(format!(
            "--copy physical copies production's cluster with pg_basebackup, which needs a role \
             allowed to replicate, but role {role} has neither REPLICATION nor SUPERUSER; nothing \
             was copied. Grant it as a superuser: ALTER ROLE {} REPLICATION; or use --copy logical",
            db::quote_ident(&role)
        )));
    }
    let (wal_level, senders): (String, i32) = (row.get(4), row.get(5));
    if wal_level == "minimal" || senders < 2 {
        return Err(Error::Refused(format!(
            "--copy physical streams production's WAL beside its files, which needs wal_level = \
             replica (or logical) and two free WAL senders, but production has wal_level = \
             {wal_level} and max_wal_senders = {senders}; nothing was copied. Set them in \
             production's postgresql.conf and restart it, or use --copy logical"
        )));
    }
    let size: i64 = row.get(6);
    check_room(dir, size.max(0) as u64)?;
    let binaries = ServerBinaries::of_major(major as u32, PROGRAMS, r.tools.pg_bindir.as_deref())?;
    let tablespaces = client
        .query(TABLESPACES_SQL, &[])
        .map_err(|e| Error::sql("listing production's tablespaces", e))?
        .iter()
        .map(|t| (t.get(0), t.get(1)))
        .collect();
    Ok(Plan {
        binaries,
        superuser: row.get(3),
        tablespaces,
    })
}

/// Refuses a copy of `size` bytes (plus the WAL written meanwhile) that
/// the file system holding `dir` has no room for.
fn check_room(dir: &Path, size: u64) -> Result<()> {
    let free = free_bytes(dir)?;
    // WAL streamed while the files are copied comes on top; a tenth more
    // and 64 MiB is a guess, not a promise.
    let needed = size + size / 10 + (64 << 20);
    if free >= needed {
        return Ok(());
    }
    Err(Error::State(format!(
        "not enough disk space for a physical copy of production: its databases hold {}, the copy \
         needs about {} in {}, which has {} free; nothing was copied. Free space there, set TMPDIR \
         to a directory with room, or use --copy logical",
        mib(size),
        mib(needed),
        dir.display(),
        mib(free)
    )))
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes.div_ceil(1 << 20))
}

/// Bytes an unprivileged user may still write on the file system of `dir`.
fn free_bytes(dir: &Path) -> Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| Error::State(format!("{} holds a NUL byte", dir.display())))?;
    // SAFETY: statvfs writes into the zeroed struct we own; the path is a
    // NUL-terminated string that outlives the call.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(path.as_ptr(), &mut st) } != 0 {
        return Err(Error::io(dir, std::io::Error::last_os_error()));
    }
    Ok(st.f_bavail as u64 * st.f_frsize as u64)
}

/// pg_basebackup's refusal, when it is one pum can name the fix of: the
/// replication rule missing from pg_hba.conf, the privilege, WAL senders.
pub(super) fn explain_refusal(stderr: &str, role: &str) -> Option<String> {
    let text = stderr.to_lowercase();
    if text.contains("pg_hba.conf") {
        return Some(format!(
            "production's pg_hba.conf has no rule letting role {role} open a replication connection \
             from this machine, which pg_basebackup needs; nothing was copied. Add a line whose \
             database column is the replication keyword (for example: host replication {role} \
             ADDRESS/32 scram-sha-256), reload production, or use --copy logical.\n\
             pg_basebackup said: {}",
            stderr.trim()
        ));
    }
    if text.contains("replication role") || text.contains("permission denied to start wal sender") {
        return Some(format!(
            "role {role} may not replicate, which pg_basebackup needs; nothing was copied. Grant it \
             as a superuser: ALTER ROLE {} REPLICATION; or use --copy logical.\n\
             pg_basebackup said: {}",
            db::quote_ident(role),
            stderr.trim()
        ));
    }
    if text.contains("max_wal_senders") || text.contains("wal sender") {
        return Some(format!(
            "production has no free WAL sender for pg_basebackup (it needs two); nothing was copied. \
             Raise max_wal_senders on production, or use --copy logical.\n\
             pg_basebackup said: {}",
            stderr.trim()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_what_to_fix() {
        let hba = "pg_basebackup: error: connection to server on socket \"/x/.s.PGSQL.5432\" failed: \
                   FATAL:  no pg_hba.conf entry for replication connection from host \"[local]\", user \"app\"";
        let m = explain_refusal(hba, "app").unwrap();
        assert!(
            m.contains("pg_hba.conf") && m.contains("host replication app"),
            "{m}"
        );
        let privilege = "FATAL:  must be superuser or replication role to start walsender";
        assert!(explain_refusal(privilege, "app")
            .unwrap()
            .contains("ALTER ROLE \"app\" REPLICATION"));
        assert!(explain_refusal("could not create directory: No space left", "app").is_none());
    }

    #[test]
    fn a_copy_larger_than_the_free_space_is_refused() {
        let dir = std::env::temp_dir();
        let err = check_room(&dir, u64::MAX / 4).unwrap_err().to_string();
        assert!(
            err.contains("not enough disk space") && err.contains("TMPDIR"),
            "{err}"
        );
        check_room(&dir, 0).unwrap();
    }
}
