//! `pum baseline`: create the upgrades table and record the current version.

use std::path::PathBuf;

use clap::Args;

use crate::cli::{ServiceArg, TableArg};
use crate::deltas::Version;
use crate::error::{Error, Result};
use crate::{db, history, Context, Outcome};

#[derive(Debug, Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub service: ServiceArg,
    #[command(flatten)]
    pub table: TableArg,
    /// The version the database is at now, MAJOR.MINOR.PATCH (a module
    /// directory also takes MAJOR.MINOR, as pum 1.x does).
    #[arg(short = 'b', long = "baseline", value_name = "VERSION")]
    pub baseline: String,
    /// A pum 1.x module directory (holding .pum.yaml): baseline its
    /// pum_migrations table. Otherwise accepted for pum 0.x compatibility.
    #[arg(short = 'd', long = "dir", value_name = "DIR", num_args = 1..)]
    pub dirs: Vec<PathBuf>,
}

pub fn run(ctx: &Context, args: &BaselineArgs) -> Result<Outcome> {
    if let Some(dir) = crate::module::is_module_dir(&args.dirs) {
        return super::module::baseline(ctx, args, &dir);
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
