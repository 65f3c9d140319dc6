//! Where a unit's work is committed. By default each unit (a delta, a
//! module version) is a transaction of its own, together with its history
//! row. With `--single-transaction` (and always for `pum install`, as pum
//! 1.x installs) the whole run is one transaction and each unit a savepoint
//! in it: a failure anywhere rolls everything back, so the database is
//! exactly where it was and a corrected retry starts from the same place.
//!
//! The statements are sent as text rather than through the driver's
//! transaction objects, which cannot stand for a savepoint of a transaction
//! opened elsewhere.

use postgres::Client;

use super::RunOptions;
use crate::error::{Error, Result};

/// Opens a unit: a transaction, or a savepoint of the run's transaction.
pub fn begin(options: &RunOptions) -> &'static str {
    if options.single_transaction {
        "SAVEPOINT pum_unit"
    } else {
        "BEGIN"
    }
}

/// Keeps a unit's work.
pub fn commit(options: &RunOptions) -> &'static str {
    if options.single_transaction {
        "RELEASE SAVEPOINT pum_unit"
    } else {
        "COMMIT"
    }
}

/// Undoes a unit's work; the run's transaction, if any, stays usable.
pub fn rollback(options: &RunOptions) -> &'static str {
    if options.single_transaction {
        "ROLLBACK TO SAVEPOINT pum_unit; RELEASE SAVEPOINT pum_unit"
    } else {
        "ROLLBACK"
    }
}

/// Runs `work` between [`begin`] and [`commit`], rolling back when it fails.
pub fn unit<T>(
    client: &mut Client,
    options: &RunOptions,
    work: impl FnOnce(&mut Client) -> Result<T>,
) -> Result<T> {
    client
        .batch_execute(begin(options))
        .map_err(|e| Error::sql("starting a transaction", e))?;
    match work(client) {
        Ok(value) => {
            client
                .batch_execute(commit(options))
                .map_err(|e| Error::sql("committing", e))?;
            Ok(value)
        }
        Err(e) => {
            let _ = client.batch_execute(rollback(options));
            Err(e)
        }
    }
}
