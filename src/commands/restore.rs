//! `pum restore`: wires the flags to [`crate::dump::restore`] (or
//! [`crate::dump::swap_back`] for `--previous`) after the `allow_restore` check.

use crate::cli::RestoreArgs;
use crate::dump::{self, guard, listing, RestoreMode, RestoreOptions};
use crate::error::Result;
use crate::output::format_ms;
use crate::settings::Settings;
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
    let target = match &args.into {
        Some(name) => params.with_dbname(name),
        None => params.clone(),
    };
    let source = match (&args.file, &args.latest) {
        (Some(file), _) => file.clone(),
        (None, Some(dir)) => {
            let found = listing::latest(dir, params.dbname())?;
            p.step(format!(
                "newest dump of {}: {}",
                params.dbname(),
                found.display()
            ));
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
        schemas: args.schemas.clone(),
        exclude_schemas: args.exclude_schemas.clone(),
        protected,
    };
    let tools = ctx.tools.clone();
    let report = dump::restore(&target, &source, &opts, &tools, p)?;
    if report.errors_ignored > 0 {
        p.warn(format!(
            "pg_restore reported {} error(s) and went on (--ignore-errors)",
            report.errors_ignored
        ));
    }
    print_report(ctx, &report);
    Ok(Outcome::Success)
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
    params: &crate::service::ConnParams,
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

fn print_report(ctx: &Settings, report: &dump::RestoreReport) {
    let p = &ctx.printer;
    if p.is_json() {
        p.json(&serde_json::to_value(report).expect("restore reports always serialise"));
    } else {
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
        p.out(format!(
            "restored {} into {} ({}, {}){previous}{kept}",
            report.source.display(),
            report.database,
            report.verification,
            format_ms(report.duration_ms)
        ));
    }
}
