//! Applying one module version: its files, each behind a savepoint, and
//! its `pum_migrations` row, in one unit of the run.

use postgres::Client;

use crate::deltas::sql_lexer;
use crate::error::{Error, Result};
use crate::module::{self, Loaded, Prepared};
use crate::runner::failure::{
    delta_error, delta_error_in, locate_failing_statement, position_of, set_local_timeouts,
    set_timeouts, worth_replaying,
};
use crate::runner::scope;
use crate::runner::session::SessionReset;
use crate::runner::RunOptions;

/// All files of one version and its row, in one transaction (a savepoint
/// of the run's, in a single-transaction run). Each file runs behind a
/// savepoint so that, on failure, the failing statement can be located with
/// the earlier files' changes still in place. Each file starts from the same
/// session state: what one `SET`s (search_path, role...) is reset, in the
/// same round trip, before the next file and the row.
pub(super) fn apply_version(
    client: &mut Client,
    loaded: &Loaded,
    p: &Prepared<'_>,
    recorded_params: &serde_json::Value,
    beta_testing: bool,
    options: &RunOptions,
    reset: &SessionReset,
) -> Result<()> {
    client
        .batch_execute(scope::begin(options))
        .map_err(|e| Error::sql("starting a transaction", e))?;
    let applied = apply_files(client, p, options, reset).and_then(|()| {
        module::migrations::record(
            client,
            &loaded.table,
            &module::migrations::NewRow {
                module: &loaded.config.module,
                version: &p.changelog.version.to_string(),
                changelog_files: &p.changelog.recorded_files(),
                parameters: recorded_params,
                beta_testing,
            },
        )
    });
    if let Err(e) = applied {
        let _ = client.batch_execute(scope::rollback(options));
        return Err(e);
    }
    client.batch_execute(scope::commit(options)).map_err(|e| {
        let path = p.changelog.dir.clone();
        delta_error(&path, "", &e, None)
    })
}

/// The version's files, each behind a savepoint, inside the open unit.
fn apply_files(
    client: &mut Client,
    p: &Prepared<'_>,
    options: &RunOptions,
    reset: &SessionReset,
) -> Result<()> {
    set_timeouts(client, options, true)?;
    // RESET ALL also drops the per-version timeouts: set them again.
    let reset = SessionReset::with_tail(reset, &set_local_timeouts(options));
    for ((file, sql), bare) in p.changelog.files.iter().zip(&p.sql).zip(&p.stripped) {
        let lines = |o: usize| sql_lexer::line_col(&file.sql, bare.original(o));
        client
            .batch_execute("SAVEPOINT pum_file")
            .map_err(|e| Error::sql("setting a savepoint", e))?;
        if let Err(e) = client.batch_execute(&reset.after(sql)) {
            let _ =
                client.batch_execute("ROLLBACK TO SAVEPOINT pum_file; RELEASE SAVEPOINT pum_file");
            let located = if position_of(&e).is_none() && worth_replaying(&e) {
                locate_failing_statement(client, sql, options, true)
            } else {
                None
            };
            return Err(delta_error_in(&file.path, sql, &e, located, lines));
        }
        client
            .batch_execute("RELEASE SAVEPOINT pum_file")
            .map_err(|e| delta_error_in(&file.path, sql, &e, None, lines))?;
    }
    Ok(())
}
