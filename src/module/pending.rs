//! What an upgrade of a module would apply: the pending versions, read
//! against `pum_migrations`, their SQL prepared, and versions below the
//! database's that it never recorded refused as pum 1.x refuses them.

use postgres::Client;

use super::changelog::{Changelog, ModuleVersion};
use super::plan::{self, VersionStatus};
use super::{app_hooks, comments, migrations, params, parse_max, require_table};
use super::{Loaded, ModuleRequest};
use crate::deltas::sql_lexer;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::service::ConnParams;

/// A version ready to apply: its files with parameters substituted.
pub struct Prepared<'a> {
    pub changelog: &'a Changelog,
    /// Each file's SQL as it runs: comments removed as pum 1.x removes
    /// them, parameters substituted.
    pub sql: Vec<String>,
    /// Each file's comments removed, with the way back to its lines.
    pub stripped: Vec<comments::Stripped>,
}

/// What the request would apply to the installed module, read without the lock.
pub(super) fn pending_for<'a>(
    client: &mut Client,
    params: &ConnParams,
    loaded: &'a Loaded,
    req: &ModuleRequest,
    printer: &Printer,
) -> Result<(Option<ModuleVersion>, Vec<Prepared<'a>>)> {
    let max = parse_max(req.max_version.as_deref())?;
    require_table(client, loaded, params)?;
    pending(
        client,
        loaded,
        max.as_ref(),
        BelowBaseline {
            strict: req.options.strict_checksums,
            skip_check: req.skip_baseline_check,
            dry_run: true,
        },
        printer,
    )
}

/// How an upgrade treats versions older than the database's that no row
/// records (below a baseline, typically).
#[derive(Debug, Clone, Copy, Default)]
pub struct BelowBaseline {
    /// `--strict`: refuse, whatever else is asked.
    pub strict: bool,
    /// `--skip-baseline-check`: leave them out with a warning.
    pub skip_check: bool,
    /// A dry run: warn, and say that the upgrade would refuse.
    pub dry_run: bool,
}

/// The versions an upgrade would apply, prepared, and the current version.
pub fn pending<'a>(
    client: &mut Client,
    loaded: &'a Loaded,
    max: Option<&ModuleVersion>,
    below: BelowBaseline,
    printer: &Printer,
) -> Result<(Option<ModuleVersion>, Vec<Prepared<'a>>)> {
    let rows = migrations::read(client, &loaded.table)?;
    plan::check_before_upgrade(
        &rows,
        &loaded.config.module,
        &loaded.params,
        &loaded.config.app_only_parameters(),
    )
    .map_err(Error::State)?;
    let current = plan::current_version(&rows);
    let statuses = plan::statuses(&rows, &loaded.changelogs, max);
    below_baseline(loaded, &statuses, current.as_ref(), below, printer)?;
    let prepared = prepare(loaded, &statuses)?;
    Ok((current, prepared))
}

/// Versions older than the database's that it never recorded: refused, as
/// pum 1.x refuses them, unless `below` says to skip them or only warn.
fn below_baseline(
    loaded: &Loaded,
    statuses: &[VersionStatus],
    current: Option<&ModuleVersion>,
    below: BelowBaseline,
    printer: &Printer,
) -> Result<()> {
    let skipped: Vec<String> = loaded
        .changelogs
        .iter()
        .zip(statuses)
        .filter(|(_, s)| **s == VersionStatus::BelowBaseline)
        .map(|(c, _)| c.version.to_string())
        .collect();
    if !skipped.is_empty() {
        let text = format!(
            "version(s) {} are older than the database's version {} but not recorded in {}",
            skipped.join(", "),
            current.map(ToString::to_string).unwrap_or_default(),
            loaded.table
        );
        if below.strict {
            return Err(Error::State(format!(
                "{text}\nrefusing to upgrade (--strict); nothing was applied"
            )));
        }
        if below.skip_check {
            printer.warn(format!(
                "{text}; they are not applied (as after a baseline, --skip-baseline-check)"
            ));
        } else if below.dry_run {
            printer.warn(format!(
                "{text}; `upgrade` refuses this without --skip-baseline-check, as pum 1.x does"
            ));
        } else {
            return Err(Error::State(format!(
                "{text}\nrefusing to upgrade, as pum 1.x does: when the database was restored or \
                 built by hand and then baselined, pass --skip-baseline-check to leave them out; \
                 nothing was applied"
            )));
        }
    }
    Ok(())
}

/// The pending versions' SQL, comments stripped and parameters substituted;
/// what a changelog may not do (set the search path, manage the
/// transaction) is refused here, before anything runs.
fn prepare<'a>(loaded: &'a Loaded, statuses: &[VersionStatus]) -> Result<Vec<Prepared<'a>>> {
    let app_only = loaded.config.app_only_parameters();
    let changelog_params = app_hooks::changelog_params(&loaded.params, &app_only);
    let mut prepared = Vec::new();
    for (c, s) in loaded.changelogs.iter().zip(statuses) {
        if *s != VersionStatus::Pending {
            continue;
        }
        let mut sql = Vec::new();
        let mut stripped = Vec::new();
        for f in &c.files {
            let bare = comments::strip(&f.sql);
            if comments::sets_search_path(&bare.text) {
                return Err(Error::Deltas(format!(
                    "{}: setting the search path with set_config is not allowed in changelog files \
                     (pum 1.x refuses it too: it breaks PostGIS installs); use SET LOCAL or qualified names",
                    f.path.display()
                )));
            }
            let text = params::substitute(&bare.text, &changelog_params)
                .map_err(|why| app_hooks::changelog_param_error(&f.path, why, &app_only))?;
            if sql_lexer::manages_transaction(&text) {
                return Err(Error::Deltas(format!(
                    "{}: BEGIN/COMMIT are not allowed in changelog files: each version runs in one transaction with its pum_migrations row",
                    f.path.display()
                )));
            }
            sql.push(text);
            stripped.push(bare);
        }
        prepared.push(Prepared {
            changelog: c,
            sql,
            stripped,
        });
    }
    Ok(prepared)
}
