//! `pum test-and-upgrade`: rehearse the upgrade on a copy of production,
//! compare it with the reference, then (confirmed) upgrade production.

use std::path::PathBuf;

use clap::Args;

use crate::cli::TableArg;
use crate::commands::check::CheckFilterArgs;
use crate::commands::upgrade::DeltaArgs;
use crate::deltas;
use crate::dump::Tools;
use crate::error::{Error, Result};
use crate::rehearsal::{self, Project, Reference, Rehearsal};
use crate::{Context, Outcome};

#[derive(Debug, Args)]
pub struct TestAndUpgradeArgs {
    /// Production: service name, postgresql:// URI or conninfo (pum 0.x: -pp).
    #[arg(
        long = "pg_service_prod",
        visible_alias = "pg-service-prod",
        value_name = "SERVICE"
    )]
    pub prod: String,
    /// Test database to restore production into; created or cleaned by pum
    /// [default: a throw-away sandbox cluster] (pum 0.x: -pt).
    #[arg(
        long = "pg_service_test",
        visible_alias = "pg-service-test",
        value_name = "SERVICE"
    )]
    pub test: Option<String>,
    /// Reference database with the newest model built from scratch (pum 0.x: -pc).
    #[arg(
        long = "pg_service_comp",
        visible_alias = "pg-service-comp",
        value_name = "SERVICE"
    )]
    pub comp: Option<String>,
    /// Instead of -pc: SQL files that build the newest model from scratch,
    /// run in order in the sandbox and baselined at the newest delta version.
    #[arg(long = "reference-sql", value_name = "FILE", num_args = 1.., conflicts_with = "comp")]
    pub reference_sql: Vec<PathBuf>,
    #[command(flatten)]
    pub table: TableArg,
    #[command(flatten)]
    pub deltas: DeltaArgs,
    #[command(flatten)]
    pub check: CheckFilterArgs,
    /// Keep the production dump in this file [default: backup_file in
    /// pum.yaml, else a private temporary file removed afterwards].
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Dump and restore with N parallel jobs (directory format).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<u32>,
    /// Go past pg_restore errors (pum 0.x compatibility).
    #[arg(short = 'x')]
    pub ignore_restore_errors: bool,
    /// Upgrade production without asking (pipelines).
    #[arg(short = 'y', long = "yes")]
    pub yes: bool,
    /// Stop after the comparison: never touch production (CI pre-deploy check).
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Keep the sandbox cluster running after pum exits and print how to
    /// connect to it, stop it and remove it (an interrupted run removes it).
    #[arg(long = "keep-sandbox")]
    pub keep_sandbox: bool,
    /// Also write the JSON report to this file (mode 0600).
    #[arg(long = "report", value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Accepted for pum 0.x compatibility.
    #[arg(long = "verbose", hide = true)]
    pub verbose: bool,
}

pub fn run(ctx: &Context, args: &TestAndUpgradeArgs) -> Result<Outcome> {
    let check = args.check.options(ctx)?;
    let reference = match (&args.comp, args.reference_sql.is_empty()) {
        (Some(comp), _) => Reference::Database(ctx.service(Some(comp))?),
        (None, false) => Reference::Scripts(args.reference_sql.clone()),
        (None, true) => {
            return Err(Error::Usage(
                "nothing to compare the rehearsal with: pass -pc/--pg_service_comp SERVICE or --reference-sql FILE..."
                    .into(),
            ))
        }
    };
    // Every file the run writes is checked before it starts, so a long
    // rehearsal never ends failing to write its report.
    if let Some(path) = &args.report {
        crate::private_file::check_writable(path, "--report")?;
    }
    if let Some(path) = args.file.as_ref().or(ctx.config.backup_file.as_ref()) {
        // A directory is a parallel dump's target; the dump checks it.
        if !path.is_dir() {
            crate::private_file::check_writable(path, "-f/--file")?;
        }
    }
    let prod = ctx.service(Some(&args.prod))?;
    let test = args
        .test
        .as_deref()
        .map(|t| ctx.service(Some(t)))
        .transpose()?;
    if let Some(name) = args.test.as_deref() {
        crate::dump::guard::check_allowed(&ctx.config, Some(name))?;
    }
    let dirs = ctx.delta_dirs(&args.deltas.dirs.dirs);
    // Both kinds of project are read up front so that bad input fails
    // before production is dumped.
    let (variables, max_version, discovered);
    let project = match crate::module::is_module_dir(&dirs) {
        Some(dir) => Project::Module {
            dir,
            request: args.deltas.module_request(ctx)?,
        },
        None => {
            args.deltas.reject_module_flags()?;
            variables = args.deltas.variables(ctx)?;
            max_version = args.deltas.max_version()?;
            discovered = deltas::discover(&dirs)?;
            Project::Deltas {
                table: ctx.upgrades_table(args.table.table.as_deref())?,
                discovered: &discovered,
                variables: &variables,
                max_version: max_version.as_ref(),
                options: args.deltas.run_options(ctx)?,
            }
        }
    };
    let rehearsal = Rehearsal {
        prod,
        prod_name: Some(&args.prod),
        test,
        test_name: args.test.as_deref(),
        reference,
        project,
        check,
        dump_file: args.file.clone().or_else(|| ctx.config.backup_file.clone()),
        jobs: args.jobs,
        ignore_restore_errors: args.ignore_restore_errors,
        tools: Tools::from_config(&ctx.config),
        dry_run: args.dry_run,
        yes: args.yes,
        keep_sandbox: args.keep_sandbox,
        protected: crate::dump::guard::protected_services(&ctx.config, &ctx.env, &ctx.printer),
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
