//! `pum baseline`: create the history table (the upgrades table, or a
//! module's `pum_migrations`) and record the current version.

use std::path::Path;

use crate::cli::BaselineArgs;
use crate::deltas::Version;
use crate::error::{Error, Result};
use crate::project::Project;
use crate::settings::Settings;
use crate::{db, history, module, Outcome};

pub fn run(ctx: &Settings, args: &BaselineArgs) -> Result<Outcome> {
    if let Some(dir) = Project::module_dir(&args.dirs) {
        return baseline_module(ctx, args, &dir);
    }
    let version = Version::parse(&args.baseline)
        .map_err(|why| Error::Usage(format!("-b/--baseline: {why}")))?;
    let table = ctx.upgrades_table(args.table.table.as_deref())?;
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let mut client = db::connect(&params)?;
    let mut tx = client
        .transaction()
        .map_err(|e| Error::sql("starting a transaction", e))?;
    history::create(&mut tx, &table)?;
    history::record_baseline(&mut tx, &table, &version)?;
    tx.commit()
        .map_err(|e| Error::sql("committing the baseline", e))?;
    if ctx.printer.is_json() {
        ctx.printer.json(&serde_json::json!({
            "table": table.to_string(),
            "database": params.dbname(),
            "baseline": version.to_string(),
        }));
    } else {
        ctx.printer.out(format!(
            "baselined {} at version {version} (upgrades table {table})",
            params.dbname()
        ));
    }
    Ok(Outcome::Success)
}

fn baseline_module(ctx: &Settings, args: &BaselineArgs, dir: &Path) -> Result<Outcome> {
    crate::settings::check_module_table(dir, args.table.table.as_deref())?;
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let mut client = db::connect(&params)?;
    if args.require_table {
        let table = module::config::ModuleConfig::load(dir)?.migrations_table();
        if !module::migrations::exists(&mut client, &table)? {
            return Err(Error::State(format!(
                "{table} does not exist in {}; nothing was done (pass --create-table to create it)",
                params.dbname()
            )));
        }
    }
    let report = module::baseline(
        &mut client,
        dir,
        &args.baseline,
        args.allow_multiple_modules,
        &ctx.printer,
    )?;
    if ctx.printer.is_json() {
        let mut value = serde_json::to_value(&report).expect("report serialises");
        value["database"] = params.dbname().into();
        ctx.printer.json(&value);
    } else {
        ctx.printer.out(format!(
            "baselined {} at version {} of {} ({}{})",
            params.dbname(),
            report.baseline,
            report.module,
            report.table,
            if report.created_table {
                ", created"
            } else {
                ""
            }
        ));
    }
    Ok(Outcome::Success)
}
