//! `pum repair`: the history of either layout set right, or with
//! `--dry-run` only shown.

use crate::cli::RepairArgs;
use crate::error::Result;
use crate::output::{Printer, Style};
use crate::repair::{self, RepairReport, RepairRequest};
use crate::settings::Settings;
use crate::{db, Outcome};

pub fn run(ctx: &Settings, args: &RepairArgs) -> Result<Outcome> {
    let project = ctx.project(args.table.table.as_deref(), &args.deltas)?;
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let mut client = db::connect(&params)?;
    let req = RepairRequest {
        dry_run: args.dry_run,
        forget_missing: args.forget_missing,
        mark_applied: args.mark_applied.clone(),
    };
    let report = repair::repair(&mut client, &project, &params.target(), &req, &ctx.printer)?;
    print(&ctx.printer, &report);
    Ok(Outcome::Success)
}

/// Exactly what changed (or, dry, would change), then what was left alone.
fn print(p: &Printer, report: &RepairReport) {
    if p.is_json() {
        p.json(&serde_json::to_value(report).expect("the report serialises"));
        return;
    }
    let verb = if report.dry_run { "would make" } else { "made" };
    p.out(format!(
        "{} {} ({}): {verb} {} change{}",
        p.paint("repair of", Style::Heading),
        report.database,
        report.table,
        report.changes.len(),
        if report.changes.len() == 1 { "" } else { "s" }
    ));
    for change in &report.changes {
        p.out(format!("  {}", change.describe()));
    }
    for warning in &report.warnings {
        p.warn(warning);
    }
    if report.version_before != report.version_after {
        p.out(format!(
            "version {} -> {}",
            report.version_before.as_deref().unwrap_or("(none)"),
            report.version_after.as_deref().unwrap_or("(none)")
        ));
    }
    if report.dry_run {
        p.out("dry run: nothing was changed");
    }
}
