//! `pum upgrade`: apply the pending deltas (or, with `--dry-run`, show them).

use clap::Args;
use serde_json::json;

use crate::cli::{DirArgs, ServiceArg, TableArg};
use crate::config::{parse_duration, OnChecksumChange};
use crate::deltas::vars::{self, Variables};
use crate::deltas::{self, Version};
use crate::error::{Error, Result};
use crate::module::ModuleRequest;
use crate::output::Style;
use crate::upgrade::{self, RunOptions, UpgradeRequest};
use crate::{db, Context, Outcome};

/// Flags shared by `upgrade` and `test-and-upgrade`: what to apply and how.
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
    /// How long to wait for another pum run's lock on the same database
    /// (500ms, 60s, 2min) [default: run_lock_timeout in pum.yaml, else 60s].
    #[arg(long = "lock-timeout", value_name = "DURATION")]
    pub lock_timeout: Option<String>,
    /// The server's lock_timeout for each delta; 0 for none
    /// [default: lock_timeout in pum.yaml, else 5s].
    #[arg(long = "delta-lock-timeout", value_name = "DURATION")]
    pub delta_lock_timeout: Option<String>,
    /// The server's statement_timeout for each delta; 0 for none
    /// [default: statement_timeout in pum.yaml, else none].
    #[arg(long = "statement-timeout", value_name = "DURATION")]
    pub statement_timeout: Option<String>,
    /// Tries again after a delta hit its lock_timeout (it was rolled back)
    /// [default: retries in pum.yaml, else 3].
    #[arg(long = "retries", value_name = "N")]
    pub retries: Option<u32>,
    /// Refuse to run when an applied delta's file changed or is missing
    /// (also: on_checksum_change: fail in pum.yaml).
    #[arg(long = "strict")]
    pub strict: bool,
    /// A parameter of a pum 1.x module directory (-d DIR with .pum.yaml),
    /// typed as .pum.yaml declares it. Repeatable; overrides its default.
    #[arg(long = "parameter", num_args = 2, value_names = ["NAME", "VALUE"], action = clap::ArgAction::Append)]
    pub parameters: Vec<String>,
    /// Module directories: after the upgrade, create the roles of .pum.yaml
    /// that are missing and grant their permissions.
    #[arg(long = "grant")]
    pub grant: bool,
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

    /// The request for a pum 1.x module directory.
    pub fn module_request(&self, ctx: &Context) -> Result<ModuleRequest> {
        Ok(ModuleRequest {
            parameters: self.parameters.clone(),
            max_version: self.max_version.clone(),
            options: self.run_options(ctx)?,
            grant: self.grant,
        })
    }

    /// Refuses the module-only flags for a pum 0.x delta directory.
    pub fn reject_module_flags(&self) -> Result<()> {
        if !self.parameters.is_empty() || self.grant {
            return Err(Error::Usage(
                "--parameter and --grant apply to module directories (-d DIR holding .pum.yaml); \
                 delta directories take variables as -v TYPE NAME VALUE"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Flags over pum.yaml over defaults.
    pub fn run_options(&self, ctx: &Context) -> Result<RunOptions> {
        let defaults = RunOptions::default();
        let flag = |value: &Option<String>, name: &str| -> Result<Option<std::time::Duration>> {
            value
                .as_deref()
                .map(|v| parse_duration(v).map_err(|why| Error::Usage(format!("{name}: {why}"))))
                .transpose()
        };
        let config = |value: &Option<crate::config::DurationValue>,
                      key: &str|
         -> Result<Option<std::time::Duration>> {
            value.as_ref().map(|v| v.resolve(key)).transpose()
        };
        let zero_is_none = |d: Option<std::time::Duration>| d.filter(|d| !d.is_zero());
        let run_lock_timeout = match flag(&self.lock_timeout, "--lock-timeout")? {
            Some(d) => d,
            None => config(&ctx.config.run_lock_timeout, "run_lock_timeout")?
                .unwrap_or(defaults.run_lock_timeout),
        };
        let delta_lock_timeout = match flag(&self.delta_lock_timeout, "--delta-lock-timeout")? {
            Some(d) => zero_is_none(Some(d)),
            None => match config(&ctx.config.lock_timeout, "lock_timeout")? {
                Some(d) => zero_is_none(Some(d)),
                None => defaults.delta_lock_timeout,
            },
        };
        let statement_timeout = match flag(&self.statement_timeout, "--statement-timeout")? {
            Some(d) => zero_is_none(Some(d)),
            None => zero_is_none(config(&ctx.config.statement_timeout, "statement_timeout")?),
        };
        Ok(RunOptions {
            run_lock_timeout,
            delta_lock_timeout,
            statement_timeout,
            retries: self
                .retries
                .or(ctx.config.retries)
                .unwrap_or(defaults.retries),
            strict_checksums: self.strict
                || ctx.config.on_checksum_change == Some(OnChecksumChange::Fail),
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
    /// Print what would be applied (each delta, its mode, the SQL with
    /// variables substituted in JSON) and change nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Accepted for pum 0.x compatibility (pum always prints each delta).
    #[arg(long = "verbose", hide = true)]
    pub verbose: bool,
}

pub fn run(ctx: &Context, args: &UpgradeArgs) -> Result<Outcome> {
    if let Some(dir) = crate::module::is_module_dir(&ctx.delta_dirs(&args.deltas.dirs.dirs)) {
        return super::module::upgrade(ctx, args, &dir);
    }
    args.deltas.reject_module_flags()?;
    let table = ctx.upgrades_table(args.table.table.as_deref())?;
    let variables = args.deltas.variables(ctx)?;
    let max_version = args.deltas.max_version()?;
    let options = args.deltas.run_options(ctx)?;
    let dirs = ctx.delta_dirs(&args.deltas.dirs.dirs);
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let mut client = db::connect(&params)?;
    let discovered = deltas::discover(&dirs)?;
    for warning in discovered.ignored_warnings() {
        ctx.printer.warn(warning);
    }
    let request = UpgradeRequest {
        params: &params,
        service_name: args.service.pg_service.as_deref(),
        table: &table,
        discovered: &discovered,
        variables: &variables,
        max_version: max_version.as_ref(),
        options,
    };
    if args.dry_run {
        return dry_run(ctx, &mut client, &request);
    }
    let report = upgrade::run(&mut client, &request, &ctx.printer)?;
    print_report(ctx, &params, &report, "delta");
    Ok(Outcome::Success)
}

/// The summary of an upgrade run (`unit` names what was applied).
pub fn print_report(
    ctx: &Context,
    params: &crate::service::ConnParams,
    report: &upgrade::UpgradeReport,
    unit: &str,
) {
    if ctx.printer.is_json() {
        ctx.printer
            .json(&serde_json::to_value(report).expect("report serialises"));
    } else {
        ctx.printer.out(format!(
            "{}: {} → {} ({} {unit}{} applied in {})",
            params.dbname(),
            report.version_before.as_deref().unwrap_or("(none)"),
            report.version_after.as_deref().unwrap_or("(none)"),
            report.applied.len(),
            if report.applied.len() == 1 { "" } else { "s" },
            upgrade::format_ms(report.duration_ms)
        ));
    }
}

fn dry_run(
    ctx: &Context,
    client: &mut postgres::Client,
    req: &UpgradeRequest<'_>,
) -> Result<Outcome> {
    let plan = upgrade::pending(client, req)?;
    upgrade::check_drift(&plan, req.options.strict_checksums, &ctx.printer)?;
    let mut steps = Vec::new();
    for d in &plan.deltas {
        let sql = d
            .sql
            .as_deref()
            .map(|t| {
                vars::substitute(t, req.variables)
                    .map_err(|why| Error::Deltas(format!("{}:{why}", d.path.display())))
            })
            .transpose()?;
        steps.push((d, sql));
    }
    let newest = plan
        .deltas
        .iter()
        .map(|d| &d.version)
        .max()
        .or(plan.current.as_ref());
    let hooks: Vec<String> = req
        .discovered
        .pre_all
        .iter()
        .chain(&req.discovered.post_all)
        .map(|h| h.path.display().to_string())
        .collect();
    if ctx.printer.is_json() {
        let deltas: Vec<_> = steps
            .iter()
            .map(|(d, sql)| {
                json!({
                    "file": d.path.display().to_string(),
                    "version": d.version.to_string(),
                    "name": d.description,
                    "type": d.kind,
                    "mode": d.mode,
                    "sql": sql,
                })
            })
            .collect();
        ctx.printer.json(&json!({
            "dry_run": true,
            "database": req.params.dbname(),
            "version_before": plan.current.as_ref().map(ToString::to_string),
            "version_after": newest.map(ToString::to_string),
            "deltas": deltas,
            "hooks": hooks,
        }));
        return Ok(Outcome::Success);
    }
    let p = &ctx.printer;
    p.out(format!(
        "dry run: {} would go from {} to {} with {} delta{} (nothing is changed)",
        req.params.dbname(),
        upgrade::display_version(plan.current.as_ref()),
        upgrade::display_version(newest),
        steps.len(),
        if steps.len() == 1 { "" } else { "s" }
    ));
    if !steps.is_empty() {
        let mut t = p.table(&["Version", "File", "Type", "Mode"]);
        for (d, _) in &steps {
            let mode = if d.mode.is_atomic() {
                d.mode.label().to_string()
            } else {
                p.paint(&format!("{} (not atomic)", d.mode.label()), Style::Changed)
            };
            t.add_row(vec![
                d.version.to_string(),
                d.file_name.clone(),
                d.kind.label().to_string(),
                mode,
            ]);
        }
        p.out(t.to_string());
    }
    for h in hooks {
        p.out(format!("hook that would run: {h}"));
    }
    Ok(Outcome::Success)
}
