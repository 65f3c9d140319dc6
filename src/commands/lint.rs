//! `pum lint`: the project's SQL checked for DDL that locks or rewrites
//! tables; exit 1 when something was found.

use crate::cli::LintArgs;
use crate::error::{Error, Result};
use crate::lint::{self, report, sarif};
use crate::output::Format;
use crate::settings::Settings;
use crate::Outcome;

pub fn run(ctx: &Settings, args: &LintArgs) -> Result<Outcome> {
    let dirs = ctx.delta_dirs(&args.dirs.dirs);
    let units = lint::project_units(&dirs, &ctx.printer)?;
    let out = lint::lint(&units)?;
    let printer = &ctx.printer;
    match printer.format {
        Format::Json => printer.json(&report::json(&out)),
        Format::Sarif => {
            let cwd = std::env::current_dir()
                .map_err(|e| Error::Usage(format!("the current directory: {e}")))?;
            printer.json(&sarif::document(&out, &cwd));
        }
        Format::Junit => printer.out(report::junit(&out)),
        Format::Text | Format::Markdown => printer.out(report::text(&out)),
    }
    Ok(if out.findings.is_empty() {
        Outcome::Success
    } else {
        Outcome::Differences
    })
}
