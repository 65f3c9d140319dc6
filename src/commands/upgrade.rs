//! `pum upgrade`: apply the pending deltas.

use std::time::Duration;

use clap::Args;

use crate::cli::{DirArgs, ServiceArg, TableArg};
use crate::deltas::vars::{self, Variables};
use crate::deltas::{self, Version};
use crate::error::{Error, Result};
use crate::upgrade::{self, UpgradeRequest};
use crate::{db, Context, Outcome};

/// Flags shared by `upgrade` and `test-and-upgrade`: what to apply.
#[derive(Debug, Args, Clone)]
pub struct DeltaArgs {
    #[command(flatten)]
    pub dirs: DirArgs,
    /// Apply deltas up to and including this version.
    #[arg(
        short = 'u',
        long = "max-version",
        visible_alias = "max_version",
        value_name = "VERSION"
    )]
    pub max_version: Option<String>,
    /// A variable for SQL deltas' %(NAME)s placeholders: TYPE is int, float
    /// or str. Repeatable; overrides `variables:` in pum.yaml.
    #[arg(short = 'v', long = "var", num_args = 3, value_names = ["TYPE", "NAME", "VALUE"], action = clap::ArgAction::Append)]
    pub vars: Vec<String>,
    /// How long to wait for another pum run's lock on the same database, in seconds.
    #[arg(long = "lock-timeout", value_name = "SECONDS", default_value_t = 60.0)]
    pub lock_timeout: f64,
}

impl DeltaArgs {
    /// Variables from pum.yaml, overridden by `-v` flags.
    pub fn variables(&self, ctx: &Context) -> Result<Variables> {
        let mut out = ctx
            .config
            .variables
            .as_ref()
            .map(vars::from_config)
            .unwrap_or_default();
        for triple in self.vars.chunks(3) {
            let (name, value) =
                vars::parse_cli(&triple[0], &triple[1], &triple[2]).map_err(Error::Usage)?;
            out.insert(name, value);
        }
        Ok(out)
    }

    pub fn max_version(&self) -> Result<Option<Version>> {
        self.max_version
            .as_deref()
            .map(|v| {
                Version::parse(v).map_err(|why| Error::Usage(format!("-u/--max-version: {why}")))
            })
            .transpose()
    }

    pub fn lock_timeout(&self) -> Result<Duration> {
        Duration::try_from_secs_f64(self.lock_timeout).map_err(|_| {
            Error::Usage(format!(
                "--lock-timeout: invalid number of seconds {}",
                self.lock_timeout
            ))
        })
    }
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    #[command(flatten)]
    pub service: ServiceArg,
    #[command(flatten)]
    pub table: TableArg,
    #[command(flatten)]
    pub deltas: DeltaArgs,
    /// Accepted for pum 0.x compatibility (pum always prints each delta).
    #[arg(long = "verbose", hide = true)]
    pub verbose: bool,
}

pub fn run(ctx: &Context, args: &UpgradeArgs) -> Result<Outcome> {
    let table = ctx.upgrades_table(args.table.table.as_deref())?;
    let variables = args.deltas.variables(ctx)?;
    let max_version = args.deltas.max_version()?;
    let lock_timeout = args.deltas.lock_timeout()?;
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let dirs = ctx.delta_dirs(&args.deltas.dirs.dirs);
    let mut client = db::connect(&params)?;
    let discovered = deltas::discover(&dirs)?;
    let request = UpgradeRequest {
        params: &params,
        service_name: args.service.pg_service.as_deref(),
        table: &table,
        discovered: &discovered,
        variables: &variables,
        max_version: max_version.as_ref(),
        lock_timeout,
    };
    let report = upgrade::run(&mut client, &request, &ctx.printer)?;
    if ctx.printer.is_json() {
        ctx.printer
            .json(&serde_json::to_value(&report).expect("report serialises"));
    } else {
        ctx.printer.out(format!(
            "{}: {} → {} ({} delta{} applied in {})",
            params.dbname(),
            report.version_before.as_deref().unwrap_or("(none)"),
            report.version_after.as_deref().unwrap_or("(none)"),
            report.applied.len(),
            if report.applied.len() == 1 { "" } else { "s" },
            upgrade::format_ms(report.duration_ms)
        ));
    }
    Ok(Outcome::Success)
}
