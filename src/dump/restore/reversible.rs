//! Reversible restores: after `restore --swap --reversible` the database
//! that was live is `<name>_previous`; `:previous` puts it back (the
//! restored one becomes `<name>_current`) and `:current` moves forward
//! again. Only renames: nothing is copied or dropped, and the same guards
//! as a swap hold (protected services, no other sessions).

use serde::Serialize;

use crate::db::{self, database};
use crate::error::{Error, Result};
use crate::service::ConnParams;

use super::super::guard;
use super::target::{self, CURRENT_SUFFIX, PREVIOUS_SUFFIX};

/// Which copy `pum restore :previous` / `:current` makes live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    Previous,
    Current,
}

impl Position {
    /// `:previous` or `:current`, as given in place of a dump.
    pub fn parse(word: &str) -> Option<Position> {
        match word {
            ":previous" => Some(Position::Previous),
            ":current" => Some(Position::Current),
            _ => None,
        }
    }
}

/// What a move did; also its `--format json` output.
#[derive(Debug, Clone, Serialize)]
pub struct Moved {
    pub database: String,
    /// The copy that is live now.
    pub live: Position,
    /// The name the database that was live before now has (`None`: it
    /// already was the asked copy, nothing changed).
    pub replaced_is_now: Option<String>,
}

/// Makes the `position` copy of the database of `params` live.
pub fn move_to(
    params: &ConnParams,
    position: Position,
    protected: &[guard::Protected],
) -> Result<Moved> {
    let dbname = params.dbname().to_string();
    let prev = target::suffixed(&dbname, PREVIOUS_SUFFIX)?;
    let cur = target::suffixed(&dbname, CURRENT_SUFFIX)?;
    let (from, aside) = match position {
        Position::Previous => (&prev, &cur),
        Position::Current => (&cur, &prev),
    };
    let mut admin = db::connect(&db::maintenance(params))?;
    // The guard first: a protected database is refused whatever its copies.
    target::require_replaceable(
        &mut admin,
        &dbname,
        protected,
        "the database to swap",
        "there is no live database to move aside",
    )?;
    let (has_from, has_aside) = (
        database::exists(&mut admin, from)?,
        database::exists(&mut admin, aside)?,
    );
    let unchanged = Moved {
        database: dbname.clone(),
        live: position,
        replaced_is_now: None,
    };
    match (has_from, has_aside) {
        (false, true) => return Ok(unchanged),
        (false, false) => {
            return Err(Error::State(format!(
                "neither {prev} nor {cur} exists: nothing to move to \
                 (restore --swap --reversible keeps the replaced database as {prev})"
            )))
        }
        (true, true) => {
            return Err(Error::Refused(format!(
                "both {prev} and {cur} exist, so pum cannot tell which is which \
                 (a swap without --reversible left one behind); rename or drop one of them"
            )))
        }
        (true, false) => {}
    }
    target::require_replaceable(
        &mut admin,
        from,
        protected,
        "the database to swap in",
        "it disappeared meanwhile",
    )?;
    for name in [&dbname, from] {
        database::require_no_sessions(&mut admin, name)?;
    }
    database::rename_all(
        &mut admin,
        &[
            (dbname.as_str(), aside.as_str()),
            (from.as_str(), dbname.as_str()),
        ],
    )?;
    Ok(Moved {
        database: dbname,
        live: position,
        replaced_is_now: Some(aside.clone()),
    })
}

/// One database a swap left on the server; the `pum dumps --local` row.
#[derive(Debug, Clone, Serialize)]
pub struct LocalCopy {
    pub name: String,
    /// `live`, `previous`, `current`, `kept previous` or `kept current`.
    pub role: String,
    pub size: i64,
}

/// The database of `params` and the copies swaps left beside it, in one
/// catalog query.
pub fn local_copies(params: &ConnParams) -> Result<Vec<LocalCopy>> {
    let dbname = params.dbname().to_string();
    let mut admin = db::connect(&db::maintenance(params))?;
    let prev = format!("{dbname}{PREVIOUS_SUFFIX}");
    let cur = format!("{dbname}{CURRENT_SUFFIX}");
    let rows = admin
        .query(
            "SELECT datname::text, pg_database_size(oid) FROM pg_database \
             WHERE datname = $1 OR left(datname, length($2)) = $2 OR left(datname, length($3)) = $3 \
             ORDER BY datname",
            &[&dbname, &prev, &cur],
        )
        .map_err(|e| Error::sql("listing the database and its swapped copies", e))?;
    Ok(rows
        .iter()
        .map(|row| {
            let name: String = row.get(0);
            let role = if name == dbname {
                "live"
            } else if name == prev {
                "previous"
            } else if name == cur {
                "current"
            } else if name.starts_with(&prev) {
                "kept previous"
            } else {
                "kept current"
            };
            LocalCopy {
                role: role.to_string(),
                size: row.get(1),
                name,
            }
        })
        .collect())
}
