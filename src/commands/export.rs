//! `pum export`: the `export:` section of pum.yaml wired to
//! [`crate::transfer::export`], and its report.

use crate::cli::TransferArgs;
use crate::error::Result;
use crate::settings::Settings;
use crate::transfer::{self, location, RunOptions, Setup};
use crate::Outcome;

pub fn run(ctx: &Settings, args: &TransferArgs) -> Result<Outcome> {
    let section = ctx
        .config
        .export
        .as_ref()
        .ok_or_else(|| transfer::missing_section(ctx.config.file.as_deref(), "export"))?;
    let file = ctx.config.file.as_deref();
    let store = location::open(&section.location, "export.location", file)?;
    let manifest = transfer::manifest_name(&section.manifest, "export.manifest")?;
    let params = ctx.service(args.pg_service.as_deref().or(section.service.as_deref()))?;
    let setup = Setup {
        store: store.as_ref(),
        location: &section.location,
        manifest,
        tables: &section.tables,
    };
    let opts = RunOptions {
        strict: args.strict,
        resume: args.resume.clone(),
    };
    let report = transfer::export(&params, &setup, &opts, &ctx.printer)?;
    transfer::report::print(&ctx.printer, &report);
    // Exit 2 when a table failed: the report, already printed, lists them.
    Ok(if report.failures().next().is_some() {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}
