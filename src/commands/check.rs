//! `pum check`: compare the schemas of two databases and report every
//! difference. The filter flags are a reusable group ([`CheckFilterArgs`]) so
//! that `test-and-upgrade` offers the same ones.

use crate::cli::CheckArgs;
use crate::diff::{self};
use crate::error::Result;
use crate::settings::Settings;
use crate::Outcome;

pub fn run(ctx: &Settings, args: &CheckArgs) -> Result<Outcome> {
    let opts = ctx.check_options(&args.filters)?;
    if let Some(path) = &args.output {
        crate::private_file::check_writable(path, "-o/--output")?;
    }
    let left = ctx.service(Some(&args.pg_service1))?;
    let right = ctx.service(Some(&args.pg_service2))?;
    let report = diff::check(&left, &right, &opts)?;
    if report.same_database {
        ctx.printer.warn(format!(
            "{} and {} are the same database on the same server: this compares it with itself",
            args.pg_service1, args.pg_service2
        ));
    }
    let silent = args.silent || ctx.printer.quiet || args.verbose_level == Some(0);
    let outcome = if report.is_empty() {
        Outcome::Success
    } else {
        Outcome::Differences
    };
    let json = ctx.printer.is_json();
    let render = |printer: &crate::output::Printer| {
        if json {
            let mut text = report.to_json_string();
            text.push('\n');
            text
        } else {
            report.render_text(printer, silent)
        }
    };
    match &args.output {
        Some(path) => {
            // A file never gets terminal colours.
            let mut plain = ctx.printer.clone();
            plain.color = false;
            crate::private_file::write(path, &render(&plain))?;
            if !json {
                ctx.printer.out(report.verdict());
            }
        }
        None => ctx.printer.out(render(&ctx.printer).trim_end_matches('\n')),
    }
    Ok(outcome)
}
