//! Where a restore goes, prepared before `pg_restore` runs and settled
//! after it: the database in place (checked empty, or cleaned), a new
//! database (removed again when the restore fails), or a temporary database
//! swapped in under the target's name only once the restore succeeded —
//! and `--previous`, which swaps the two back. Databases are named here;
//! creating, dropping and renaming them is [`crate::db::database`]'s.

use postgres::Client;
use serde::Serialize;

use crate::db::identity::{self, Located};
use crate::db::{self, database};
use crate::error::{Error, Result};
use crate::service::ConnParams;

use super::super::guard;
use super::job::RestoreJob;
use super::RestoreMode;

/// PostgreSQL's limit on identifier length, in bytes.
const MAX_IDENT_BYTES: usize = 63;

/// Suffix of the database a swap keeps the replaced one under.
pub const PREVIOUS_SUFFIX: &str = "_previous";

/// Suffix of the restored database a reversible swap moved back from.
pub const CURRENT_SUFFIX: &str = "_current";

/// What placing a restore did: the errors pg_restore went past and, for a
/// swap, the name the replaced database now has and the name an older
/// `<name>_previous` was kept under.
pub(super) struct Placed {
    pub errors: u64,
    pub previous: Option<String>,
    pub previous_kept: Option<String>,
    pub current_kept: Option<String>,
}

/// Runs `job` into the target the options name (in place, cleaned, a new
/// database, or a swap).
pub(super) fn place(params: &ConnParams, job: &RestoreJob<'_>) -> Result<Placed> {
    let placed = |errors| Placed {
        errors,
        previous: None,
        previous_kept: None,
        current_kept: None,
    };
    match job.opts.mode {
        RestoreMode::InPlace | RestoreMode::Clean => in_place(params, job).map(placed),
        RestoreMode::Create => into_new(params, job).map(placed),
        RestoreMode::Swap => swapped_in(params, job),
    }
}

/// Into the existing database: refused when it is protected, and unless it
/// is empty (or `--clean` empties it first).
fn in_place(params: &ConnParams, job: &RestoreJob<'_>) -> Result<u64> {
    let opts = job.opts;
    let dbname = params.dbname();
    // Connecting to the target itself (not the maintenance database, which
    // a restricted user may not reach); a missing database gets a hint
    // instead of a check of its own.
    let mut client = db::connect(params).map_err(|e| match e {
        Error::Connect { target, message } if message.contains("does not exist") => {
            Error::Connect {
                target,
                message: format!("{message}; pass --create to create it"),
            }
        }
        other => other,
    })?;
    if !opts.protected.is_empty() {
        let here = Located::Exists(identity::of_session(&mut client)?);
        guard::refuse_protected(&here, &opts.protected, "the restore target")?;
    }
    if opts.mode == RestoreMode::Clean {
        guard::clean(&mut client)?;
    } else {
        guard::require_empty(&mut client, dbname, !opts.exit_on_error)?;
    }
    drop(client);
    job.run(params, dbname)
        .map_err(|e| crate::interrupt::with_state(e, format!("database {dbname} partly restored")))
}

/// Into a database created for it, which a failed restore removes again.
fn into_new(params: &ConnParams, job: &RestoreJob<'_>) -> Result<u64> {
    let dbname = params.dbname();
    let mut admin = db::connect(&db::maintenance(params))?;
    if database::exists(&mut admin, dbname)? {
        return Err(Error::Refused(format!(
            "database {dbname} already exists; --create restores into a new database only \
             (use --into NAME for another name, or --swap to replace it)"
        )));
    }
    database::create(&mut admin, dbname, None)?;
    job.run(params, dbname).map_err(|e| {
        // The database is ours and half-restored: remove it.
        let phrase = match database::drop_own(&mut admin, dbname) {
            Ok(()) => format!("database {dbname} not created (the half-restored one was removed)"),
            Err(_) => format!("database {dbname} half-restored: drop it"),
        };
        crate::interrupt::with_state(e, phrase)
    })
}

/// Into a temporary database that replaces the target only when the
/// restore succeeded; the replaced one is kept as `<name>_previous`.
fn swapped_in(params: &ConnParams, job: &RestoreJob<'_>) -> Result<Placed> {
    let dbname = params.dbname();
    let prev = previous_name(dbname)?;
    let mut admin = db::connect(&db::maintenance(params))?;
    require_replaceable(
        &mut admin,
        dbname,
        &job.opts.protected,
        "the restore target",
        "--swap replaces an existing database (use --create)",
    )?;
    // Fail before the long restore, not after it.
    database::require_no_sessions(&mut admin, dbname)?;
    let temp = temp_name();
    database::create(&mut admin, &temp, Some(dbname))?;
    let restored = params.with_dbname(&temp);
    let outcome = job.run(&restored, dbname).and_then(|errors| {
        if let Some(hook) = &job.opts.before_swap {
            (hook.0)(&restored).map_err(|e| match e {
                e @ Error::Interrupted { .. } => e,
                e => Error::State(format!(
                    "{e}\nthe restored copy was not swapped in: database {dbname} unchanged"
                )),
            })?;
        }
        let kept = swap(&mut admin, dbname, &temp, &prev, job.opts.reversible)?;
        Ok((errors, kept))
    });
    match outcome {
        Ok((errors, (older, current))) => Ok(Placed {
            errors,
            previous: Some(prev),
            previous_kept: older,
            current_kept: current,
        }),
        Err(e) => {
            let left = match database::drop_own(&mut admin, &temp) {
                Ok(()) => format!("temporary database {temp} removed"),
                Err(_) => format!("temporary database {temp} left behind: drop it"),
            };
            let e = crate::interrupt::with_state(e, format!("database {dbname} unchanged"));
            Err(crate::interrupt::with_state(e, left))
        }
    }
}

/// Puts the restored `temp` in place of `dbname`, which becomes `prev`.
/// An older swap's database is never dropped: it is kept under a name of
/// its own, returned to be said in the output; so is, with `reversible`, an
/// older `<name>_current`, which would otherwise stand where `:previous`
/// puts the restored one.
fn swap(
    admin: &mut Client,
    dbname: &str,
    temp: &str,
    prev: &str,
    reversible: bool,
) -> Result<(Option<String>, Option<String>)> {
    database::require_no_sessions(admin, dbname)?;
    let older = keep_aside(admin, dbname, prev, PREVIOUS_SUFFIX)?;
    let cur = format!("{dbname}{CURRENT_SUFFIX}");
    let current = if reversible {
        keep_aside(admin, dbname, &cur, CURRENT_SUFFIX)?
    } else {
        None
    };
    let mut renames = Vec::new();
    if let Some(name) = &older {
        renames.push((prev, name.as_str()));
    }
    if let Some(name) = &current {
        renames.push((cur.as_str(), name.as_str()));
    }
    renames.push((dbname, prev));
    renames.push((temp, dbname));
    database::rename_all(admin, &renames)?;
    Ok((older, current))
}

/// The name `existing` (when it exists) is to be kept under:
/// `<dbname><suffix>_<UTC time>`.
fn keep_aside(
    admin: &mut Client,
    dbname: &str,
    existing: &str,
    suffix: &str,
) -> Result<Option<String>> {
    if !database::exists(admin, existing)? {
        return Ok(None);
    }
    database::require_no_sessions(admin, existing)?;
    kept_name(admin, dbname, suffix).map(Some)
}

/// Refuses to rename `dbname` away when it is protected (`role` says what
/// it was to be) or does not exist (`hint` says what the flag is for).
pub(super) fn require_replaceable(
    admin: &mut Client,
    dbname: &str,
    protected: &[guard::Protected],
    role: &str,
    hint: &str,
) -> Result<()> {
    guard::refuse_protected(&identity::named(admin, dbname)?, protected, role)?;
    if !database::exists(admin, dbname)? {
        return Err(Error::State(format!(
            "database {dbname} does not exist; {hint}"
        )));
    }
    Ok(())
}

/// What `pum restore --previous` did.
#[derive(Debug, Clone, Serialize)]
pub struct SwapBack {
    pub database: String,
    /// The name the database that was in place now has.
    pub previous: String,
}

/// Swaps `<name>` and `<name>_previous` back (after a `--swap` restore).
pub fn swap_back(params: &ConnParams, protected: &[guard::Protected]) -> Result<SwapBack> {
    let dbname = params.dbname().to_string();
    let prev = previous_name(&dbname)?;
    let mut admin = db::connect(&db::maintenance(params))?;
    for name in [&dbname, &prev] {
        require_replaceable(
            &mut admin,
            name,
            protected,
            "the database to swap back",
            "--previous swaps back what a restore --swap replaced",
        )?;
        database::require_no_sessions(&mut admin, name)?;
    }
    let temp = temp_name();
    database::rename_all(&mut admin, &[(&dbname, &temp), (&prev, &dbname)])?;
    if let Err(e) = database::rename(&mut admin, &temp, &prev) {
        // Both still exist under known names; say where the current one is.
        return Err(Error::State(format!(
            "swapped {prev} into {dbname}, but renaming the replaced database {temp} to {prev} failed: {e}"
        )));
    }
    Ok(SwapBack {
        database: dbname,
        previous: prev,
    })
}

pub(super) fn previous_name(dbname: &str) -> Result<String> {
    suffixed(dbname, PREVIOUS_SUFFIX)
}

/// `<dbname><suffix>`, refused when longer than PostgreSQL allows.
pub(super) fn suffixed(dbname: &str, suffix: &str) -> Result<String> {
    let prev = format!("{dbname}{suffix}");
    if prev.len() > MAX_IDENT_BYTES {
        return Err(Error::Usage(format!(
            "database name {dbname} is too long to keep the replaced database as {prev} \
             (PostgreSQL names are at most {MAX_IDENT_BYTES} bytes)"
        )));
    }
    Ok(prev)
}

/// A name for an older `<dbname>_previous` that a new swap keeps:
/// `<dbname>_previous_<UTC time>` (the database name shortened to fit
/// PostgreSQL's 63 bytes), with a counter if that exists too.
fn kept_name(admin: &mut Client, dbname: &str, kind: &str) -> Result<String> {
    let stamp: String = db::value(
        admin,
        "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS\"Z\"')",
        &[],
        "reading the server's time",
    )?;
    for n in 1.. {
        let suffix = match n {
            1 => format!("{kind}_{stamp}"),
            n => format!("{kind}_{stamp}_{n}"),
        };
        let name = format!(
            "{}{suffix}",
            truncate_bytes(dbname, MAX_IDENT_BYTES - suffix.len())
        );
        if !database::exists(admin, &name)? {
            return Ok(name);
        }
    }
    unreachable!("some counter value is free")
}

/// The longest prefix of `s` of at most `max` bytes, cut at a character boundary.
fn truncate_bytes(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

pub(super) fn temp_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("pum_restore_{}_{nanos}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cut_at_character_boundaries() {
        assert_eq!(truncate_bytes("ééé", 3), "é");
        assert_eq!(truncate_bytes("abc", 10), "abc");
    }

    #[test]
    fn previous_name_respects_the_identifier_limit() {
        assert_eq!(previous_name("prod").unwrap(), "prod_previous");
        assert!(previous_name(&"x".repeat(60)).is_err());
    }
}
