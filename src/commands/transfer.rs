//! `pum export` and `pum import`: the `export:` / `import:` section of
//! pum.yaml wired to [`crate::transfer`], and the run's report.

use crate::cli::TransferArgs;
use crate::config::TransferConfig;
use crate::error::Result;
use crate::output::Printer;
use crate::service::ConnParams;
use crate::settings::Settings;
use crate::transfer::{self, location, RunOptions, RunReport, Setup};
use crate::Outcome;

pub fn export(ctx: &Settings, args: &TransferArgs) -> Result<Outcome> {
    run(
        ctx,
        args,
        ctx.config.export.as_ref(),
        "export",
        transfer::export,
    )
}

pub fn import(ctx: &Settings, args: &TransferArgs) -> Result<Outcome> {
    run(
        ctx,
        args,
        ctx.config.import.as_ref(),
        "import",
        transfer::import,
    )
}

/// One direction: `key` is the section's name in pum.yaml, `work` the run.
fn run<T>(
    ctx: &Settings,
    args: &TransferArgs,
    section: Option<&TransferConfig<T>>,
    key: &str,
    work: fn(&ConnParams, &Setup<'_, T>, &RunOptions, &Printer) -> Result<RunReport>,
) -> Result<Outcome> {
    let file = ctx.config.file.as_deref();
    let section = section.ok_or_else(|| transfer::missing_section(file, key))?;
    let store = location::open(&section.location, &format!("{key}.location"), file)?;
    let manifest = transfer::manifest_name(&section.manifest, &format!("{key}.manifest"))?;
    let params = ctx.service(
        args.service
            .pg_service
            .as_deref()
            .or(section.service.as_deref()),
    )?;
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
    let report = work(&params, &setup, &opts, &ctx.printer)?;
    transfer::report::print(&ctx.printer, &report);
    // Exit 2 when a table failed: the report, already printed, lists them.
    Ok(if report.failures().next().is_some() {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}
