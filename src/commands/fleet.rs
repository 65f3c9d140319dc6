//! `pum fleet upgrade|info`: the single-database command over many
//! databases, one report for all of them.

use crate::cli::{
    DeltaArgs, FleetArgs, FleetCommand, FleetInfoArgs, FleetSelectArgs, FleetUpgradeArgs,
};
use crate::error::{Error, Result};
use crate::fleet::{self, DatabaseRun, Pool, Target};
use crate::output::{format_ms, Format, Style};
use crate::project::Project;
use crate::settings::Settings;
use crate::Outcome;

pub fn run(ctx: &Settings, args: &FleetArgs) -> Result<Outcome> {
    match &args.command {
        FleetCommand::Upgrade(args) => upgrade(ctx, args),
        FleetCommand::Info(args) => info(ctx, args),
    }
}

fn upgrade(ctx: &Settings, args: &FleetUpgradeArgs) -> Result<Outcome> {
    let pool = Pool {
        jobs: jobs(args.select.jobs)?,
        canary: args.run.canary,
        keep_going: args.run.keep_going,
    };
    let fleet = Fleet::new(ctx, &args.select, args.table.table.as_deref(), &args.deltas)?;
    fleet.run(ctx, pool, Action::Upgrade)
}

fn info(ctx: &Settings, args: &FleetInfoArgs) -> Result<Outcome> {
    // Reading never halts: every database is asked, failures reported.
    let pool = Pool {
        jobs: jobs(args.select.jobs)?,
        canary: 0,
        keep_going: true,
    };
    let fleet = Fleet::new(ctx, &args.select, args.table.table.as_deref(), &args.deltas)?;
    fleet.run(ctx, pool, Action::Info)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Upgrade,
    Info,
}

/// The selected databases and the projects read for them (one per
/// distinct override; `index[i]` is the project of `targets[i]`).
struct Fleet {
    targets: Vec<Target>,
    projects: Vec<Project>,
    index: Vec<usize>,
}

impl Fleet {
    fn new(
        ctx: &Settings,
        select: &FleetSelectArgs,
        table: Option<&str>,
        deltas: &DeltaArgs,
    ) -> Result<Fleet> {
        let targets = fleet::select(ctx, select)?;
        let (projects, index) = fleet::projects(ctx, &targets, table, deltas)?;
        Ok(Fleet {
            targets,
            projects,
            index,
        })
    }

    fn run(&self, ctx: &Settings, pool: Pool, action: Action) -> Result<Outcome> {
        let work = match action {
            Action::Upgrade => fleet::upgrade,
            Action::Info => fleet::info,
        };
        let numbered: Vec<(usize, &Target)> = self.targets.iter().enumerate().collect();
        let results = fleet::pool::run(
            &numbered,
            pool,
            |(i, t)| work(&self.projects[self.index[*i]], t, &ctx.printer),
            |r| r.ok,
            |_, r| {
                if action == Action::Upgrade {
                    ctx.printer.step(finished_line(r, &self.projects[0]));
                }
            },
        );
        let runs = complete(&self.targets, results);
        // Interrupted, a JSON run prints only the error document (one
        // document on stdout, as always); its state says where the fleet stands.
        if !(ctx.printer.is_json() && crate::interrupt::received().is_some()) {
            report(ctx, &runs, &self.projects[0], action == Action::Upgrade);
        }
        let during = match action {
            Action::Upgrade => "pum fleet upgrade",
            Action::Info => "pum fleet info",
        };
        finish(during, &runs)
    }
}

fn jobs(n: usize) -> Result<usize> {
    if n == 0 {
        return Err(Error::Usage("-j/--jobs: at least 1".into()));
    }
    Ok(n)
}

/// Every target's run, those never started marked as skipped.
fn complete(targets: &[Target], results: Vec<Option<DatabaseRun>>) -> Vec<DatabaseRun> {
    targets
        .iter()
        .zip(results)
        .map(|(t, r)| r.unwrap_or_else(|| DatabaseRun::skipped(t)))
        .collect()
}

/// Exit 2 when any database failed or was not reached; a signal reports
/// itself as an interruption (exit 130/143) after the report.
fn finish(during: &str, runs: &[DatabaseRun]) -> Result<Outcome> {
    if let Err(err) = crate::interrupt::check(during) {
        let count = |status: &str| runs.iter().filter(|r| r.status == status).count();
        let state = format!(
            "{} of {} databases done, {} failed, {} not started",
            count("ok"),
            runs.len(),
            count("failed"),
            count("skipped")
        );
        return Err(crate::interrupt::with_state(err, state));
    }
    if runs.iter().all(|r| r.ok) {
        Ok(Outcome::Success)
    } else {
        Ok(Outcome::Failed)
    }
}

/// The one line printed as each database finishes (several run at once,
/// so their own step lines are left out).
fn finished_line(run: &DatabaseRun, project: &Project) -> String {
    match &run.error {
        Some(err) => format!("{}: failed: {err}", run.service),
        None => format!(
            "{}: {} ({} {}, {})",
            run.service,
            versions(run),
            run.applied.len(),
            project.units(run.applied.len()),
            format_ms(run.duration_ms)
        ),
    }
}

fn versions(run: &DatabaseRun) -> String {
    let v = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    if run.version_before == run.version_after {
        v(&run.version_after)
    } else {
        format!("{} → {}", v(&run.version_before), v(&run.version_after))
    }
}

fn report(ctx: &Settings, runs: &[DatabaseRun], project: &Project, upgrade: bool) {
    let p = &ctx.printer;
    let count = |status: &str| runs.iter().filter(|r| r.status == status).count();
    let (ok, failed, skipped) = (count("ok"), count("failed"), count("skipped"));
    if p.format == Format::Junit {
        let suite = if upgrade {
            "pum fleet upgrade"
        } else {
            "pum fleet info"
        };
        p.out(fleet::junit::render(suite, runs));
        return;
    }
    if p.is_json() {
        p.json(&serde_json::json!({
            "ok": failed + skipped == 0,
            "summary": { "ok": ok, "failed": failed, "skipped": skipped },
            "services": runs,
        }));
        return;
    }
    let header: &[&str] = if upgrade {
        &["service", "version", "applied", "duration", "result"]
    } else {
        &["service", "version", "pending", "result"]
    };
    let mut table = p.table(header);
    for run in runs {
        let result = match (run.status, &run.error) {
            (_, Some(err)) => p.paint(&format!("failed: {err}"), Style::Bad),
            ("skipped", None) => p.paint("not started", Style::Dim),
            _ => p.paint("ok", Style::Good),
        };
        let count = if upgrade {
            run.applied.len()
        } else {
            run.pending
        };
        let mut row = vec![run.service.clone(), versions(run), count.to_string()];
        if upgrade {
            row.push(format_ms(run.duration_ms));
        }
        row.push(result);
        table.add_row(row);
    }
    p.out(table.to_string());
    let what = if upgrade { "upgraded" } else { "read" };
    let mut line = format!("{ok} of {} databases {what}", runs.len());
    if failed > 0 {
        line.push_str(&format!(", {failed} failed"));
    }
    if skipped > 0 {
        line.push_str(&format!(", {skipped} not started"));
    }
    if upgrade {
        let applied: usize = runs.iter().map(|r| r.applied.len()).sum();
        line.push_str(&format!("; {applied} {} applied", project.units(applied)));
    }
    p.out(line);
}
