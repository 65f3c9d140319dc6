//! What `upgrade` and `install` print: the summary of a run, and the plan of
//! a dry run for either layout.

use serde_json::json;

use super::{delta_json, mode_cell, or_none, plural, show, Shown};
use crate::deltas::vars;
use crate::error::{Error, Result};
use crate::module;
use crate::output::format_ms;
use crate::project::deltas::{self, display_version, DeltaProject};
use crate::runner::{RunOptions, UpgradeReport};
use crate::service::ConnParams;
use crate::settings::Settings;

/// The summary of an upgrade run (`unit` names what was applied).
pub fn report(ctx: &Settings, params: &ConnParams, report: &UpgradeReport, unit: &str) {
    if ctx.printer.format == crate::output::Format::Junit {
        ctx.printer.out(crate::render::junit::upgrade(report));
    } else if ctx.printer.is_json() {
        ctx.printer
            .json(&serde_json::to_value(report).expect("report serialises"));
    } else {
        ctx.printer.out(format!(
            "{}: {} → {} ({} {unit}{} applied in {})",
            params.dbname(),
            or_none(report.version_before.as_deref()),
            or_none(report.version_after.as_deref()),
            report.applied.len(),
            plural(report.applied.len()),
            format_ms(report.duration_ms)
        ));
        if let Some(table) = crate::render::measure::table(report, &ctx.printer) {
            ctx.printer.out(table);
        }
    }
}

/// What `upgrade --dry-run` shows for delta directories: each pending delta,
/// its mode and (in JSON) its SQL with variables substituted; nothing changes.
pub fn deltas_dry_run(
    ctx: &Settings,
    client: &mut postgres::Client,
    params: &ConnParams,
    project: &DeltaProject,
    options: &RunOptions,
) -> Result<()> {
    crate::history::require(client, &project.table, &params.target())?;
    let plan = deltas::pending(client, project)?;
    deltas::check_drift(&plan, options.strict_checksums, &ctx.printer)?;
    let units: Vec<_> = plan
        .deltas
        .iter()
        .filter_map(|d| crate::lint::Unit::of_delta(d))
        .collect();
    crate::lint::warn_units(&units, &ctx.printer);
    let mut steps = Vec::new();
    for d in &plan.deltas {
        let sql = d
            .sql
            .as_deref()
            .map(|t| {
                vars::substitute(t, &project.variables)
                    .map_err(|why| Error::Deltas(format!("{}:{why}", d.path.display())))
            })
            .transpose()?;
        steps.push((*d, sql));
    }
    let newest = plan
        .deltas
        .iter()
        .map(|d| &d.version)
        .max()
        .or(plan.current.as_ref());
    let hooks: Vec<String> = project
        .discovered
        .pre_all
        .iter()
        .chain(&project.discovered.post_all)
        .map(|h| h.path.display().to_string())
        .collect();
    let dry = DryRun {
        dbname: params.dbname(),
        before: plan.current.as_ref(),
        after: newest,
        steps,
        hooks,
    };
    show(ctx, &dry);
    Ok(())
}

/// The plan of a delta dry run, ready to show.
struct DryRun<'a> {
    dbname: &'a str,
    before: Option<&'a crate::deltas::Version>,
    after: Option<&'a crate::deltas::Version>,
    steps: Vec<(&'a crate::deltas::Delta, Option<String>)>,
    hooks: Vec<String>,
}

impl Shown for DryRun<'_> {
    fn to_json(&self) -> serde_json::Value {
        let deltas: Vec<_> = self
            .steps
            .iter()
            .map(|(d, sql)| delta_json(d, json!({"mode": d.mode, "sql": sql})))
            .collect();
        json!({
            "dry_run": true,
            "database": self.dbname,
            "version_before": self.before.map(ToString::to_string),
            "version_after": self.after.map(ToString::to_string),
            "deltas": deltas,
            "hooks": self.hooks,
        })
    }

    fn print(&self, ctx: &Settings) {
        let p = &ctx.printer;
        p.out(format!(
            "dry run: {} would go from {} to {} with {} delta{} (nothing is changed)",
            self.dbname,
            display_version(self.before),
            display_version(self.after),
            self.steps.len(),
            plural(self.steps.len())
        ));
        if !self.steps.is_empty() {
            let mut t = p.table(&["Version", "File", "Type", "Mode"]);
            for (d, _) in &self.steps {
                t.add_row(vec![
                    d.version.to_string(),
                    d.file_name.clone(),
                    d.kind.label().to_string(),
                    mode_cell(p, d.mode),
                ]);
            }
            p.out(t.to_string());
        }
        for h in &self.hooks {
            p.out(format!("hook that would run: {h}"));
        }
    }
}

/// What `upgrade --dry-run` shows for a module directory.
pub fn module_dry_run(ctx: &Settings, plan: &module::DryRun) {
    let p = &ctx.printer;
    if p.is_json() {
        p.json(&serde_json::to_value(plan).expect("plan serialises"));
        return;
    }
    p.out(format!(
        "dry run: {} would go from {} to {} with {} version{} of {} (nothing is changed)",
        plan.database,
        or_none(plan.version_before.as_deref()),
        or_none(plan.version_after.as_deref()),
        plan.versions.len(),
        plural(plan.versions.len()),
        plan.module
    ));
    if !plan.versions.is_empty() {
        let mut t = p.table(&["Version", "Files"]);
        for v in &plan.versions {
            let files: Vec<&str> = v
                .files
                .iter()
                .map(|f| f.file.rsplit('/').next().unwrap_or(&f.file))
                .collect();
            t.add_row(vec![
                v.version.clone(),
                if v.app_only {
                    "(application-only release)".to_string()
                } else {
                    files.join("\n")
                },
            ]);
        }
        p.out(t.to_string());
    }
}
