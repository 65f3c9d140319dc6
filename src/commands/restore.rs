//! `pum restore`: wires the flags to a store's [`crate::store::find::Source`]
//! (a local dump or an S3 object), [`crate::dump::swap_back`] for
//! `--previous` and [`crate::dump::move_to`] for `:previous` / `:current`,
//! after the `allow_restore` check. `--pre-swap-upgrade` hands the project
//! to the swap, which runs it on the restored database with the one runner.

use std::path::PathBuf;
use std::sync::Arc;

use crate::cli::RestoreArgs;
use crate::dump::{self, guard, BeforeSwap, Position, RestoreMode, RestoreOptions};
use crate::error::{Error, Result};
use crate::output::{format_ms, Printer};
use crate::service::ConnParams;
use crate::settings::Settings;
use crate::store::{find::Source, Location};
use crate::Outcome;

pub fn run(ctx: &Settings, args: &RestoreArgs) -> Result<Outcome> {
    let service_name = ctx.service_name(args.service.pg_service.as_deref());
    guard::check_allowed(&ctx.config, service_name.as_deref())?;
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let p = &ctx.printer;
    // The same switch for every other spelling of those databases.
    let protected = guard::protected_services(&ctx.config, &ctx.env, p);
    if args.previous {
        return swap_back(ctx, &params, &protected);
    }
    if let Some(position) = args.file.as_deref().and_then(Position::parse) {
        return move_to(ctx, &params, position, &protected);
    }
    let target = match &args.into {
        Some(name) => params.with_dbname(name),
        None => params.clone(),
    };
    let source = match (&args.file, &args.latest) {
        (Some(file), _) => Source::parse(file, &ctx.env)?,
        (None, Some(location)) => {
            let database = args.from_db.as_deref().unwrap_or(params.dbname());
            let found = Source::latest(&Location::parse(location)?, database, &ctx.env)?;
            p.step(format!("newest dump of {database}: {}", found.shown()));
            found
        }
        (None, None) => unreachable!("clap requires FILE, --latest or --previous"),
    };
    let opts = RestoreOptions {
        mode: mode(args),
        jobs: args.jobs,
        no_owner: !args.owner,
        exit_on_error: !args.ignore_errors,
        verify: !args.no_verify,
        schemas: args.schemas.schemas.clone(),
        exclude_schemas: args.schemas.exclude_schemas.clone(),
        protected,
        before_swap: before_swap(ctx, args)?,
        reversible: args.reversible,
    };
    let report = source.restore(&target, &opts, &ctx.tools, p)?;
    if report.errors_ignored > 0 {
        p.warn(format!(
            "pg_restore reported {} error(s) and went on (--ignore-errors)",
            report.errors_ignored
        ));
    }
    print_report(ctx, &report);
    Ok(Outcome::Success)
}

/// What runs on the restored copy before the swap: the `--pre-swap` files
/// in order, then `--pre-swap-upgrade` through the project's runner.
fn before_swap(ctx: &Settings, args: &RestoreArgs) -> Result<Option<BeforeSwap>> {
    if args.pre_swap.is_empty() && !args.pre_swap_upgrade {
        return Ok(None);
    }
    let files: Vec<(PathBuf, String)> = args
        .pre_swap
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .map(|sql| (f.clone(), sql))
                .map_err(|e| Error::io(f, e))
        })
        .collect::<Result<_>>()?;
    let project = if args.pre_swap_upgrade {
        Some(ctx.project(args.table.as_deref(), &args.deltas)?)
    } else {
        None
    };
    let printer = ctx.printer.clone();
    let service = args.service.pg_service.clone();
    let hook = move |restored: &ConnParams| -> Result<()> {
        let mut client = crate::db::connect(restored)?;
        for (file, sql) in &files {
            client.batch_execute(sql).map_err(|e| {
                Error::sql(
                    format!("--pre-swap {} on the restored copy", file.display()),
                    e,
                )
            })?;
            printer.step(format!(
                "pre-swap: ran {} on the restored copy",
                file.display()
            ));
        }
        if let Some(project) = &project {
            let report = project.upgrade(&mut client, restored, service.as_deref(), &printer)?;
            say_upgraded(&printer, &report);
        }
        Ok(())
    };
    Ok(Some(BeforeSwap(Arc::new(hook))))
}

fn say_upgraded(printer: &Printer, report: &crate::runner::UpgradeReport) {
    printer.step(format!(
        "pre-swap upgrade: the restored copy is at version {} ({} unit(s) applied)",
        report.version_after.as_deref().unwrap_or("-"),
        report.applied.len()
    ));
}

fn mode(args: &RestoreArgs) -> RestoreMode {
    if args.clean {
        RestoreMode::Clean
    } else if args.create {
        RestoreMode::Create
    } else if args.swap {
        RestoreMode::Swap
    } else {
        RestoreMode::InPlace
    }
}

/// `--previous`: the database a swap replaced goes back in place.
fn swap_back(
    ctx: &Settings,
    params: &ConnParams,
    protected: &[guard::Protected],
) -> Result<Outcome> {
    let p = &ctx.printer;
    let back = dump::swap_back(params, protected)?;
    if p.is_json() {
        p.json(&serde_json::to_value(&back).expect("serialisable"));
    } else {
        p.out(format!(
            "swapped back: {} is the previous database again, the replaced one is now {}",
            back.database, back.previous
        ));
    }
    Ok(Outcome::Success)
}

/// `:previous` / `:current`: one of the two copies a reversible swap keeps goes live.
fn move_to(
    ctx: &Settings,
    params: &ConnParams,
    position: Position,
    protected: &[guard::Protected],
) -> Result<Outcome> {
    let p = &ctx.printer;
    let moved = dump::move_to(params, position, protected)?;
    if p.is_json() {
        p.json(&serde_json::to_value(&moved).expect("serialisable"));
        return Ok(Outcome::Success);
    }
    let which = match position {
        Position::Previous => "previous",
        Position::Current => "current",
    };
    p.out(match &moved.replaced_is_now {
        Some(name) => format!(
            "{} is now the {which} copy; the one that was live is {name}",
            moved.database
        ),
        None => format!(
            "{} already is the {which} copy; nothing changed",
            moved.database
        ),
    });
    Ok(Outcome::Success)
}

fn print_report(ctx: &Settings, report: &dump::RestoreReport) {
    let p = &ctx.printer;
    if p.is_json() {
        p.json(&serde_json::to_value(report).expect("restore reports always serialise"));
        return;
    }
    let previous = report
        .previous
        .as_deref()
        .map(|n| format!("; the replaced database is now {n}"))
        .unwrap_or_default();
    let kept = report
        .previous_kept
        .as_deref()
        .map(|n| format!(" (the older one that had that name is kept as {n})"))
        .unwrap_or_default();
    let current = report
        .current_kept
        .as_deref()
        .map(|n| format!("; an older {}_current is kept as {n}", report.database))
        .unwrap_or_default();
    p.out(format!(
        "restored {} into {} ({}, {}){previous}{kept}{current}",
        report.source.display(),
        report.database,
        report.verification,
        format_ms(report.duration_ms)
    ));
}
