//! `pum fleet upgrade|info|check|test-and-upgrade`: the single-database
//! command over many databases, one report for all of them.

use crate::cli::{
    FleetArgs, FleetCheckArgs, FleetCommand, FleetInfoArgs, FleetProjectArgs, FleetRehearsalArgs,
    FleetRunArgs, FleetSelectArgs, FleetUpgradeArgs,
};
use crate::error::{Error, Result};
use crate::fleet::progress::FleetProgress;
use crate::fleet::{self, rehearse, DatabaseRun, Pool, Target};
use crate::output::{format_ms, Format, Style};
use crate::project::Project;
use crate::rehearsal::Reference;
use crate::settings::Settings;
use crate::Outcome;

pub fn run(ctx: &Settings, args: &FleetArgs) -> Result<Outcome> {
    match &args.command {
        FleetCommand::Upgrade(args) => upgrade(ctx, args),
        FleetCommand::Info(args) => info(ctx, args),
        FleetCommand::Check(args) => check(ctx, args),
        FleetCommand::TestAndUpgrade(args) => test_and_upgrade(ctx, args),
    }
}

fn upgrade(ctx: &Settings, args: &FleetUpgradeArgs) -> Result<Outcome> {
    let pool = writing(&args.select, &args.run)?;
    let work = |project: &Project, t: &Target| fleet::upgrade(project, t, &ctx.printer);
    per_project(ctx, &args.select, &args.project, pool, Kind::Upgrade, work)
}

fn info(ctx: &Settings, args: &FleetInfoArgs) -> Result<Outcome> {
    // Reading never halts: every database is asked, failures reported.
    let pool = reading(args.select.jobs)?;
    let work = |project: &Project, t: &Target| fleet::info(project, t, &ctx.printer);
    per_project(ctx, &args.select, &args.project, pool, Kind::Info, work)
}

fn check(ctx: &Settings, args: &FleetCheckArgs) -> Result<Outcome> {
    let pool = reading(args.select.jobs)?;
    let opts = ctx.check_options(&args.filters)?;
    let targets = fleet::select(ctx, &args.select)?;
    let reference = fleet::check::Reference::read(&ctx.service(Some(&args.comp))?, &opts)?;
    let runs = work_through(ctx, &targets, pool, Kind::Check, None, |_, t| {
        fleet::check::check(&reference, &opts, t)
    });
    report(ctx, &runs, None, Kind::Check);
    finish(Kind::Check, &runs)
}

fn test_and_upgrade(ctx: &Settings, args: &FleetRehearsalArgs) -> Result<Outcome> {
    let pool = writing(&args.select, &args.run)?;
    let reference = Reference::from_args(ctx, &args.reference)?;
    let shared = rehearse::Shared {
        reference,
        check: ctx.check_options(&args.check)?,
        tools: ctx.tools.clone(),
        dry_run: args.dry_run,
        protected: crate::dump::guard::protected_services(&ctx.config, &ctx.env, &ctx.printer),
        gate: crate::rehearsal::gate::Gate::from_args(ctx, &args.gate)?,
    };
    let work =
        |project: &Project, t: &Target| rehearse::rehearse(&shared, project, t, &ctx.printer);
    per_project(ctx, &args.select, &args.project, pool, Kind::Rehearse, work)
}

/// The fleet commands that run each database's own project (upgrade,
/// info, test-and-upgrade): the databases selected, the project of each
/// loaded (one per distinct table and directories), `work` run on every
/// database through the pool, then the report.
fn per_project(
    ctx: &Settings,
    select: &FleetSelectArgs,
    loaded_with: &FleetProjectArgs,
    pool: Pool,
    kind: Kind,
    work: impl Fn(&Project, &Target) -> DatabaseRun + Sync,
) -> Result<Outcome> {
    let targets = fleet::select(ctx, select)?;
    let (projects, index) = fleet::projects(
        ctx,
        &targets,
        loaded_with.table.table.as_deref(),
        &loaded_with.deltas,
    )?;
    let runs = work_through(ctx, &targets, pool, kind, projects.first(), |i, t| {
        work(&projects[index[i]], t)
    });
    report(ctx, &runs, projects.first(), kind);
    finish(kind, &runs)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Upgrade,
    Info,
    Check,
    Rehearse,
}

impl Kind {
    fn during(self) -> &'static str {
        match self {
            Kind::Upgrade => "pum fleet upgrade",
            Kind::Info => "pum fleet info",
            Kind::Check => "pum fleet check",
            Kind::Rehearse => "pum fleet test-and-upgrade",
        }
    }
}

fn jobs(n: usize) -> Result<usize> {
    if n == 0 {
        return Err(Error::Usage("-j/--jobs: at least 1".into()));
    }
    Ok(n)
}

/// A pool for commands that change databases: canaries first, and a
/// failure stops new databases unless --keep-going.
fn writing(select: &FleetSelectArgs, run: &FleetRunArgs) -> Result<Pool> {
    Ok(Pool {
        jobs: jobs(select.jobs)?,
        canary: run.canary,
        keep_going: run.keep_going,
    })
}

/// A pool for commands that only read: every database is asked.
fn reading(n: usize) -> Result<Pool> {
    Ok(Pool {
        jobs: jobs(n)?,
        canary: 0,
        keep_going: true,
    })
}

/// Runs `work` on every target through the pool, with the live line on a
/// terminal, and returns every target's run (those never started skipped).
fn work_through(
    ctx: &Settings,
    targets: &[Target],
    pool: Pool,
    kind: Kind,
    project: Option<&Project>,
    work: impl Fn(usize, &Target) -> DatabaseRun + Sync,
) -> Vec<DatabaseRun> {
    let numbered: Vec<(usize, &Target)> = targets.iter().enumerate().collect();
    let progress = FleetProgress::new(&ctx.printer, targets.len());
    let results = fleet::pool::run(
        &numbered,
        pool,
        |(i, t)| {
            progress.started(&t.name);
            work(*i, t)
        },
        |r| r.ok,
        |(_, t), r| progress.finished(&t.name, r.ok, finished_line(r, project, kind)),
    );
    progress.finish();
    targets
        .iter()
        .zip(results)
        .map(|(t, r)| r.unwrap_or_else(|| DatabaseRun::skipped(t)))
        .collect()
}

/// Exit 2 when any database failed or was not reached, else 1 when any
/// differs from the reference; a signal reports itself as an interruption
/// (exit 130/143) after the report.
fn finish(kind: Kind, runs: &[DatabaseRun]) -> Result<Outcome> {
    let count = |status: &str| runs.iter().filter(|r| r.status == status).count();
    if let Err(err) = crate::interrupt::check(kind.during()) {
        let state = format!(
            "{} of {} databases done, {} failed, {} not started",
            count("ok"),
            runs.len(),
            count("failed"),
            count("skipped")
        );
        return Err(crate::interrupt::with_state(err, state));
    }
    Ok(if count("failed") + count("skipped") > 0 {
        Outcome::Failed
    } else if count("differs") > 0 {
        Outcome::Differences
    } else {
        Outcome::Success
    })
}

/// The one line printed as each database finishes (several run at once,
/// so their own step lines are left out).
fn finished_line(run: &DatabaseRun, project: Option<&Project>, kind: Kind) -> String {
    match (&run.error, kind) {
        (Some(err), _) => format!("{}: failed: {err}", run.service),
        (None, Kind::Check) => format!(
            "{}: {}",
            run.service,
            run.verdict.as_deref().unwrap_or("matches the reference")
        ),
        (None, Kind::Rehearse) => format!(
            "{}: {}: {}",
            run.service,
            versions(run),
            run.verdict.as_deref().unwrap_or_default()
        ),
        (None, _) => format!(
            "{}: {} ({} {}, {})",
            run.service,
            versions(run),
            run.applied.len(),
            units(project, run.applied.len()),
            format_ms(run.duration_ms)
        ),
    }
}

/// What `n` units of the project are called ("deltas", "versions").
fn units(project: Option<&Project>, n: usize) -> &'static str {
    project.map_or("deltas", |p| p.units(n))
}

fn versions(run: &DatabaseRun) -> String {
    let v = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    if run.version_before == run.version_after {
        v(&run.version_after)
    } else {
        format!("{} → {}", v(&run.version_before), v(&run.version_after))
    }
}

fn report(ctx: &Settings, runs: &[DatabaseRun], project: Option<&Project>, kind: Kind) {
    // Interrupted, a JSON run prints only the error document (one document
    // on stdout, as always); its state says where the fleet stands.
    if ctx.printer.is_json() && crate::interrupt::received().is_some() {
        return;
    }
    let p = &ctx.printer;
    let count = |status: &str| runs.iter().filter(|r| r.status == status).count();
    let (ok, differs, failed, skipped) = (
        count("ok"),
        count("differs"),
        count("failed"),
        count("skipped"),
    );
    if p.format == Format::Junit {
        p.out(fleet::junit::render(kind.during(), runs));
        return;
    }
    if p.is_json() {
        p.json(&serde_json::json!({
            "ok": differs + failed + skipped == 0,
            "summary": { "ok": ok, "differs": differs, "failed": failed, "skipped": skipped },
            "services": runs,
        }));
        return;
    }
    let header: &[&str] = match kind {
        Kind::Upgrade | Kind::Rehearse => &["service", "version", "applied", "duration", "result"],
        Kind::Info => &["service", "version", "pending", "result"],
        Kind::Check => &["service", "differences", "duration", "result"],
    };
    let mut table = p.table(header);
    for run in runs {
        table.add_row(row(p, run, kind));
    }
    p.out(table.to_string());
    let what = match kind {
        Kind::Upgrade => "upgraded",
        Kind::Info => "read",
        Kind::Check => "match the reference",
        Kind::Rehearse => "passed",
    };
    let mut line = format!("{ok} of {} databases {what}", runs.len());
    for (n, label) in [
        (differs, "differ"),
        (failed, "failed"),
        (skipped, "not started"),
    ] {
        if n > 0 {
            line.push_str(&format!(", {n} {label}"));
        }
    }
    if matches!(kind, Kind::Upgrade | Kind::Rehearse) {
        let applied: usize = runs.iter().map(|r| r.applied.len()).sum();
        line.push_str(&format!("; {applied} {} applied", units(project, applied)));
    }
    p.out(line);
}

fn row(p: &crate::output::Printer, run: &DatabaseRun, kind: Kind) -> Vec<String> {
    let result = match (run.status, &run.error) {
        (_, Some(err)) => p.paint(&format!("failed: {err}"), Style::Bad),
        ("skipped", None) => p.paint("not started", Style::Dim),
        ("differs", None) => p.paint(run.verdict.as_deref().unwrap_or("differs"), Style::Bad),
        _ => p.paint(run.verdict.as_deref().unwrap_or("ok"), Style::Good),
    };
    let mut row = vec![run.service.clone()];
    match kind {
        Kind::Check => {
            row.push(run.differences.map(|n| n.to_string()).unwrap_or_default());
            row.push(format_ms(run.duration_ms));
        }
        Kind::Info => {
            row.push(versions(run));
            row.push(run.pending.to_string());
        }
        Kind::Upgrade | Kind::Rehearse => {
            row.push(versions(run));
            row.push(run.applied.len().to_string());
            row.push(format_ms(run.duration_ms));
        }
    }
    row.push(result);
    row
}
