//! Settings: the command-line flags, `pum.yaml` and the environment merged
//! once into the values commands work with — where to connect, the upgrade
//! table, the delta directories, the tools, run options, variables and
//! parameters, the max version, the comparison filters, and the project
//! with its layout detected once. Nothing below the commands reads raw
//! flags, the configuration file or the environment again.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use crate::catalog::Kind;
use crate::cli::{CheckFilterArgs, DeltaArgs};
use crate::config::{parse_duration, Config, OnChecksumChange};
use crate::db::QualifiedName;
use crate::deltas::vars::{self, Variables};
use crate::deltas::Version;
use crate::diff::Options;
use crate::dump::Tools;
use crate::error::{Error, Result};
use crate::module::ModuleRequest;
use crate::output::Printer;
use crate::project::{DeltaProject, Project};
use crate::runner::RunOptions;
use crate::service::{ConnParams, Environment};

/// Everything a command needs besides its own arguments: the configuration
/// file, the captured environment and the printer, merged once before any
/// command runs.
pub struct Settings {
    pub config: Config,
    pub env: Environment,
    pub printer: Printer,
    /// pg_dump and pg_restore as pum.yaml names them, and where the server
    /// programs are looked for first (`PUM_PG_BINDIR`).
    pub tools: Tools,
}

impl Settings {
    pub fn new(config: Config, env: Environment, printer: Printer) -> Settings {
        let tools = Tools {
            pg_bindir: env
                .get("PUM_PG_BINDIR")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
            ..Tools::from_config(&config)
        };
        Settings {
            config,
            env,
            printer,
            tools,
        }
    }

    /// The service name the user means: the flag, else `PGSERVICE`.
    pub fn service_name(&self, flag: Option<&str>) -> Option<String> {
        flag.map(str::to_string)
            .or_else(|| self.env.get("PGSERVICE").map(str::to_string))
    }

    /// Resolves a service given by a flag (or, without one, from `PG*`).
    pub fn service(&self, value: Option<&str>) -> Result<ConnParams> {
        let params = match value {
            Some(spec) => ConnParams::resolve(spec, &self.env),
            None => ConnParams::from_environment(&self.env),
        }?;
        for warning in params.warnings() {
            self.printer.warn(warning);
        }
        Ok(params)
    }

    /// The upgrades table: the flag, else `upgrades_table` in pum.yaml.
    pub fn upgrades_table(&self, flag: Option<&str>) -> Result<QualifiedName> {
        let raw = flag
            .map(str::to_string)
            .or_else(|| self.config.upgrades_table.clone())
            .ok_or_else(|| {
                Error::Usage(
                    "no upgrades table: pass -t/--table SCHEMA.TABLE or set upgrades_table in pum.yaml"
                        .into(),
                )
            })?;
        QualifiedName::parse(&raw)
    }

    /// The delta directories: the flags, else pum.yaml, else `./deltas`.
    pub fn delta_dirs(&self, flags: &[PathBuf]) -> Vec<PathBuf> {
        if !flags.is_empty() {
            return flags.to_vec();
        }
        let configured = self.config.delta_dirs();
        if configured.is_empty() {
            vec![PathBuf::from("deltas")]
        } else {
            configured
        }
    }
}

impl Settings {
    /// The comparison options: pum.yaml's `ignore_elements` plus the flags.
    pub fn check_options(&self, flags: &CheckFilterArgs) -> Result<Options> {
        let configured = self.config.ignore_elements.iter().flatten();
        let ignore = configured
            .chain(flags.ignore.iter())
            .map(|name| parse_kind(name))
            .collect::<Result<BTreeSet<Kind>>>()?;
        Ok(Options {
            ignore,
            exclude_schemas: flags.exclude_schema.clone(),
            schemas: flags.schema.clone(),
            exclude_field_patterns: flags.exclude_field_pattern.clone(),
            column_order: flags.column_order,
        })
    }

    /// Variables from pum.yaml, overridden by `-v` flags.
    pub fn variables(&self, flags: &DeltaArgs) -> Result<Variables> {
        let mut out = self
            .config
            .variables
            .as_ref()
            .map(vars::from_config)
            .unwrap_or_default();
        for triple in flags.vars.chunks(3) {
            let (name, value) =
                vars::parse_cli(&triple[0], &triple[1], &triple[2]).map_err(Error::Usage)?;
            out.insert(name, value);
        }
        Ok(out)
    }

    pub fn max_version(&self, flags: &DeltaArgs) -> Result<Option<Version>> {
        parse_max_version(flags.max_version.as_deref())
    }

    /// The request for a pum 1.x module directory.
    pub fn module_request(&self, flags: &DeltaArgs) -> Result<ModuleRequest> {
        Ok(ModuleRequest {
            parameters: flags.parameters.clone(),
            max_version: flags.max_version.clone(),
            options: self.run_options(flags)?,
            grant: flags.grant,
            create_roles: flags.create_roles || flags.grant,
            allow_multiple_modules: flags.allow_multiple_modules,
            beta_testing: flags.beta_testing,
            force: flags.force,
            skip_baseline_check: flags.skip_baseline_check,
            grant_suffix: None,
            demo_data: flags.demo_data.clone(),
            skip_drop_app: flags.skip_drop_app,
            skip_create_app: flags.skip_create_app,
        })
    }

    /// Refuses the module-only flags for a pum 0.x delta directory.
    pub fn reject_module_flags(&self, flags: &DeltaArgs) -> Result<()> {
        if !flags.parameters.is_empty()
            || flags.grant
            || flags.create_roles
            || flags.skip_baseline_check
            || flags.skip_drop_app
            || flags.skip_create_app
        {
            return Err(Error::Usage(
                "--parameter, --grant, --create-roles, --skip-baseline-check, --skip-drop-app, --skip-create-app, --allow-multiple-modules, --beta-testing, --force and --demo-data apply to module directories (-d DIR holding .pum.yaml); \
                 delta directories take variables as -v TYPE NAME VALUE"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Flags over pum.yaml over defaults.
    pub fn run_options(&self, flags: &DeltaArgs) -> Result<RunOptions> {
        let defaults = RunOptions::default();
        let flag = |value: &Option<String>, name: &str| -> Result<Option<Duration>> {
            value
                .as_deref()
                .map(|v| parse_duration(v).map_err(|why| Error::Usage(format!("{name}: {why}"))))
                .transpose()
        };
        let config =
            |value: &Option<crate::config::DurationValue>, key: &str| -> Result<Option<Duration>> {
                value.as_ref().map(|v| v.resolve(key)).transpose()
            };
        let zero_is_none = |d: Option<Duration>| d.filter(|d| !d.is_zero());
        let run_lock_timeout = match flag(&flags.lock_timeout, "--lock-timeout")? {
            Some(d) => d,
            None => config(&self.config.run_lock_timeout, "run_lock_timeout")?
                .unwrap_or(defaults.run_lock_timeout),
        };
        let delta_lock_timeout = match flag(&flags.delta_lock_timeout, "--delta-lock-timeout")? {
            Some(d) => zero_is_none(Some(d)),
            None => match config(&self.config.lock_timeout, "lock_timeout")? {
                Some(d) => zero_is_none(Some(d)),
                None => defaults.delta_lock_timeout,
            },
        };
        let statement_timeout = match flag(&flags.statement_timeout, "--statement-timeout")? {
            Some(d) => zero_is_none(Some(d)),
            None => zero_is_none(config(&self.config.statement_timeout, "statement_timeout")?),
        };
        Ok(RunOptions {
            run_lock_timeout,
            delta_lock_timeout,
            statement_timeout,
            retries: flags
                .retries
                .or(self.config.retries)
                .unwrap_or(defaults.retries),
            strict_checksums: flags.strict
                || self.config.on_checksum_change == Some(OnChecksumChange::Fail),
            measure: false,
            single_transaction: flags.single_transaction,
            python: self
                .env
                .get("PUM_PYTHON")
                .filter(|p| !p.trim().is_empty())
                .unwrap_or(crate::runner::DEFAULT_PYTHON)
                .to_string(),
        })
    }
}

impl Settings {
    /// The project in the delta directories (flags, else pum.yaml, else
    /// `./deltas`), its layout detected here once: a directory holding
    /// `.pum.yaml` is a pum 1.x module, anything else pum 0.x deltas read
    /// from disk now, so that bad input fails before any database work.
    pub fn project(&self, table_flag: Option<&str>, flags: &DeltaArgs) -> Result<Project> {
        let dirs = self.delta_dirs(&flags.dirs.dirs);
        if let Some(dir) = Project::module_dir(&dirs) {
            check_module_table(&dir, table_flag)?;
            if !flags.vars.is_empty() {
                return Err(Error::Usage(
                    "-v/--var: a module directory takes its parameters as --parameter NAME VALUE"
                        .into(),
                ));
            }
            return Ok(Project::Module {
                dir,
                request: self.module_request(flags)?,
            });
        }
        self.reject_module_flags(flags)?;
        let discovered = crate::deltas::discover(&dirs)?;
        for warning in discovered.ignored_warnings() {
            self.printer.warn(warning);
        }
        Ok(Project::Deltas {
            project: DeltaProject {
                table: self.upgrades_table(table_flag)?,
                discovered,
                variables: self.variables(flags)?,
                max_version: self.max_version(flags)?,
            },
            options: self.run_options(flags)?,
        })
    }
}

/// `-t` given with a module directory: accepted when it names the module's
/// own history table (`SCHEMA.pum_migrations`, the schema from
/// `pum.migration_table_schema`), so that scripts passing it keep working;
/// any other table is refused, as a module keeps its history nowhere else.
pub fn check_module_table(dir: &std::path::Path, table_flag: Option<&str>) -> Result<()> {
    let Some(t) = table_flag else {
        return Ok(());
    };
    let own = crate::module::config::ModuleConfig::load(dir)?.migrations_table();
    if QualifiedName::parse(t)? == own {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "-t {t}: the module in {} keeps its history in {own} \
         (pum.migration_table_schema in .pum.yaml); name that table or leave out -t",
        dir.display()
    )))
}

/// `-u/--max-version` of a delta project.
pub fn parse_max_version(flag: Option<&str>) -> Result<Option<Version>> {
    flag.map(|v| Version::parse(v).map_err(|why| Error::Usage(format!("-u/--max-version: {why}"))))
        .transpose()
}

fn parse_kind(name: &str) -> Result<Kind> {
    Kind::parse(name).ok_or_else(|| {
        let valid: Vec<_> = Kind::ALL.iter().map(|k| k.name()).collect();
        Error::Usage(format!(
            "unknown object kind {name:?} to ignore; valid kinds: {}",
            valid.join(", ")
        ))
    })
}
