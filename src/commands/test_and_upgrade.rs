//! `pum test-and-upgrade`: rehearse the upgrade on a copy of production,
//! compare it with the reference, then (confirmed) upgrade production.

use crate::cli::TestAndUpgradeArgs;
use crate::config::CopyMethod;
use crate::error::Error;
use crate::error::Result;
use crate::rehearsal::{self, Reference, Rehearsal};
use crate::settings::Settings;
use crate::Outcome;

pub fn run(ctx: &Settings, args: &TestAndUpgradeArgs) -> Result<Outcome> {
    let check = ctx.check_options(&args.check)?;
    let reference = Reference::from_args(ctx, &args.reference)?;
    check_outputs(ctx, args)?;
    let prod = ctx.service(Some(&args.prod))?;
    let test = args
        .test
        .as_deref()
        .map(|t| ctx.service(Some(t)))
        .transpose()?;
    if let Some(name) = args.test.as_deref() {
        crate::dump::guard::check_allowed(&ctx.config, Some(name))?;
    }
    // The project is read up front so that bad input fails before
    // production is dumped.
    let project = ctx.project(args.table.table.as_deref(), &args.deltas)?;
    let gate = rehearsal::gate::Gate::from_args(ctx, &args.gate)?;
    let copy = copy_method(ctx, args)?;
    let mut dump_file = args.file.clone();
    if copy == CopyMethod::Logical {
        dump_file = dump_file.or_else(|| ctx.config.backup_file.clone());
    }
    let rehearsal = Rehearsal {
        prod,
        prod_name: Some(&args.prod),
        test,
        test_name: args.test.as_deref(),
        reference,
        project,
        check,
        dump_file,
        jobs: args.jobs,
        ignore_restore_errors: args.ignore_restore_errors,
        tools: ctx.tools.clone(),
        dry_run: args.dry_run,
        yes: args.yes,
        keep_sandbox: args.keep_sandbox,
        protected: crate::dump::guard::protected_services(&ctx.config, &ctx.env, &ctx.printer),
        gate,
        copy,
    };
    let report = rehearsal::run(&rehearsal, &ctx.printer)?;
    let json = rehearsal::to_json(&report);
    if let Some(path) = &args.report {
        crate::private_file::write(
            path,
            &serde_json::to_string_pretty(&json).unwrap_or_default(),
        )?;
    }
    if ctx.printer.is_json() {
        ctx.printer.json(&json);
    } else if ctx.printer.format == crate::output::Format::Junit {
        ctx.printer.out(rehearsal::ci::junit(&report));
    } else if ctx.printer.format == crate::output::Format::Markdown {
        ctx.printer.out(rehearsal::ci::markdown(&report));
    } else {
        ctx.printer
            .out(rehearsal::render_text(&report, &ctx.printer));
    }
    Ok(if report.exit_is_failure() {
        Outcome::Differences
    } else {
        Outcome::Success
    })
}

/// `--copy` over `rehearsal.copy`; a physical copy makes its own server
/// and keeps no dump, so the flags that name a test database or a dump
/// are refused with it.
fn copy_method(ctx: &Settings, args: &TestAndUpgradeArgs) -> Result<CopyMethod> {
    let copy = args
        .copy
        .or_else(|| ctx.config.rehearsal.as_ref().and_then(|r| r.copy))
        .unwrap_or_default();
    if copy == CopyMethod::Physical {
        let clash = [
            (args.test.is_some(), "--pg_service_test (-pt)"),
            (args.file.is_some(), "-f/--file"),
            (args.jobs.is_some(), "-j/--jobs"),
            (args.ignore_restore_errors, "-x"),
        ];
        if let Some((_, flag)) = clash.iter().find(|(set, _)| *set) {
            return Err(Error::Usage(format!(
                "--copy physical starts production's own cluster as a private server and restores \
                 no dump: {flag} goes with --copy logical only"
            )));
        }
    }
    Ok(copy)
}

/// Every file the run writes is checked before it starts, so a long
/// rehearsal never ends failing to write its report.
fn check_outputs(ctx: &Settings, args: &TestAndUpgradeArgs) -> Result<()> {
    if let Some(path) = &args.report {
        crate::private_file::check_writable(path, "--report")?;
    }
    if let Some(path) = args.file.as_ref().or(ctx.config.backup_file.as_ref()) {
        // A directory is a parallel dump's target; the dump checks it.
        if !path.is_dir() {
            crate::private_file::check_writable(path, "-f/--file")?;
        }
    }
    Ok(())
}
