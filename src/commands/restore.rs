//! `pum restore`: wires the flags to [`crate::dump::restore`] (or
//! [`crate::dump::swap_back`] for `--previous`) after the `allow_restore` check.

use std::path::PathBuf;

use clap::Args;

use crate::cli::ServiceArg;
use crate::dump::{self, guard, listing, RestoreMode, RestoreOptions, Tools};
use crate::error::Result;
use crate::{upgrade, Context, Outcome};

#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub service: ServiceArg,
    /// The dump: a custom archive, a directory dump or a schema-wise directory.
    #[arg(value_name = "FILE", required_unless_present_any = ["latest", "previous"])]
    pub file: Option<PathBuf>,
    /// Restore the newest dump of the service's database found in DIR.
    #[arg(long = "latest", value_name = "DIR", conflicts_with = "file")]
    pub latest: Option<PathBuf>,
    /// Swap back the database a previous `restore --swap` replaced.
    #[arg(long = "previous", conflicts_with_all = ["file", "latest", "clean", "create", "swap", "into"])]
    pub previous: bool,
    /// Parallel pg_restore workers.
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// Objects are owned by the restoring user (the default).
    #[arg(long = "no-owner", overrides_with = "owner")]
    pub no_owner: bool,
    /// Keep the owners recorded in the dump (the roles must exist).
    #[arg(long = "owner")]
    pub owner: bool,
    /// Restore only this schema (exact name); repeatable.
    #[arg(short = 'n', long = "schema", value_name = "SCHEMA")]
    pub schemas: Vec<String>,
    /// Leave this schema out (exact name); repeatable.
    #[arg(
        short = 'N',
        long = "exclude-schema",
        visible_alias = "exclude_schema",
        value_name = "SCHEMA"
    )]
    pub exclude_schemas: Vec<String>,
    /// Go on after errors and report how many there were (pum 0.x behaviour).
    #[arg(short = 'x', long = "ignore-errors")]
    pub ignore_errors: bool,
    /// Restore even if the files do not match the manifest.
    #[arg(long = "no-verify")]
    pub no_verify: bool,
    /// Drop the target's user schemas (and recreate public) before restoring.
    #[arg(long = "clean", conflicts_with_all = ["create", "swap"])]
    pub clean: bool,
    /// Create the target database; it must not exist yet.
    #[arg(long = "create", conflicts_with = "swap")]
    pub create: bool,
    /// Restore into a temporary database, then rename the target to
    /// NAME_previous and the new one into its place.
    #[arg(long = "swap")]
    pub swap: bool,
    /// Restore into this database on the service's server instead.
    #[arg(long = "into", value_name = "NAME")]
    pub into: Option<String>,
}

pub fn run(ctx: &Context, args: &RestoreArgs) -> Result<Outcome> {
    let service_name = args
        .service
        .pg_service
        .clone()
        .or_else(|| ctx.env.get("PGSERVICE").map(str::to_string));
    guard::check_allowed(&ctx.config, service_name.as_deref())?;
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let p = &ctx.printer;
    // The same switch for every other spelling of those databases.
    let protected = guard::protected_services(&ctx.config, &ctx.env, p);
    if args.previous {
        let back = dump::swap_back(&params, &protected)?;
        if p.is_json() {
            p.json(&serde_json::to_value(&back).expect("serialisable"));
        } else {
            p.out(format!(
                "swapped back: {} is the previous database again, the replaced one is now {}",
                back.database, back.previous
            ));
        }
        return Ok(Outcome::Success);
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
    let mode = if args.clean {
        RestoreMode::Clean
    } else if args.create {
        RestoreMode::Create
    } else if args.swap {
        RestoreMode::Swap
    } else {
        RestoreMode::InPlace
    };
    let opts = RestoreOptions {
        mode,
        jobs: args.jobs,
        no_owner: !args.owner,
        exit_on_error: !args.ignore_errors,
        verify: !args.no_verify,
        schemas: args.schemas.clone(),
        exclude_schemas: args.exclude_schemas.clone(),
        protected,
    };
    let tools = Tools::from_config(&ctx.config);
    let report = dump::restore(&target, &source, &opts, &tools, p)?;
    if report.errors_ignored > 0 {
        p.warn(format!(
            "pg_restore reported {} error(s) and went on (--ignore-errors)",
            report.errors_ignored
        ));
    }
    if p.is_json() {
        p.json(&serde_json::to_value(&report).expect("restore reports always serialise"));
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
            upgrade::format_ms(report.duration_ms)
        ));
    }
    Ok(Outcome::Success)
}
