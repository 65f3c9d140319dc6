//! The pum 1.x layout: a module directory (`.pum.yaml`, changelogs,
//! parameters) and its `pum_migrations` table. Each pending version — all
//! its files and its row — is one unit of the runner, applied in one
//! transaction; `--grant` creates the roles and grants after the last one.

use std::path::Path;
use std::time::Instant;

use postgres::Client;

use super::module_hooks;
pub use super::module_runs::{app, install, uninstall, upgrade};
use crate::db::QualifiedName;
use crate::error::{Error, Result};
use crate::module::app_hooks::PreparedHook;
use crate::module::changelog::ModuleVersion;
use crate::module::python_hook::PythonHooks;
use crate::module::{self, Loaded, ModuleRequest, Prepared};
use crate::output::{format_ms, Printer};
use crate::runner::scope;
use crate::runner::{Applied, AppliedDelta, Layout, Plan, RunContext, RunOptions};
use crate::service::ConnParams;

/// A module directory, loaded, with what a run applies it up to.
pub struct ModuleProject {
    pub loaded: Loaded,
    pub max: Option<ModuleVersion>,
    /// Create missing roles and grant their permissions after the upgrade.
    pub grant: bool,
    /// Create missing roles (without granting unless `grant`).
    pub create_roles: bool,
    /// An install: the history table does not exist yet and is created at
    /// the start of the run's one transaction.
    pub installing: bool,
    pub skip_drop_app: bool,
    pub skip_create_app: bool,
    pub beta_testing: bool,
    pub force: bool,
    pub skip_baseline_check: bool,
    /// Grant to the roles `NAME_SUFFIX` (`app --suffix`).
    pub grant_suffix: Option<String>,
    /// `install --demo-data NAME`.
    pub demo_data: Option<String>,
    pub mode: RunMode,
}

/// What a run of the module layout does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunMode {
    /// Pending versions between the application's drop and create hooks.
    #[default]
    Versions,
    /// The application's hooks alone (`pum app`): drop, create or both,
    /// as the skip flags leave them.
    AppOnly,
    /// The `uninstall:` hooks alone (`pum uninstall`).
    Uninstall,
}

impl ModuleProject {
    /// Reads the module in `dir` with the request's parameters.
    pub fn load(dir: &Path, req: &ModuleRequest, printer: &Printer) -> Result<ModuleProject> {
        Ok(ModuleProject {
            loaded: module::load(dir, &req.parameters, printer)?,
            max: module::parse_max(req.max_version.as_deref())?,
            grant: req.grant,
            create_roles: req.create_roles || req.grant,
            installing: false,
            skip_drop_app: req.skip_drop_app,
            skip_create_app: req.skip_create_app,
            beta_testing: req.beta_testing,
            force: req.force,
            skip_baseline_check: req.skip_baseline_check,
            grant_suffix: req.grant_suffix.clone(),
            demo_data: req.demo_data.clone(),
            mode: RunMode::Versions,
        })
    }

    /// The options a run of this module takes: with application hooks, the
    /// whole run is one transaction, as in pum 1.x — the application is
    /// dropped before the changelogs and created after them, and a failure
    /// in between must not leave it dropped.
    pub(super) fn run_options(&self, options: &RunOptions) -> RunOptions {
        RunOptions {
            single_transaction: options.single_transaction || self.runs_app_hooks(),
            ..options.clone()
        }
    }

    /// Whether the rows of this run are beta testing: asked for, or the
    /// database was installed so — which, as in pum 1.x, stops an upgrade
    /// unless forced.
    fn beta_testing(&self, client: &mut Client) -> Result<bool> {
        let rows = module::migrations::read(client, &self.loaded.table)?;
        let latest = module::plan::latest_row(&rows).filter(|r| r.beta_testing);
        if let Some(row) = latest.filter(|_| !self.force && !self.installing) {
            return Err(Error::State(format!(
                "{} is installed for beta testing (version {}): upgrades are disabled; pass --force to upgrade anyway (nothing was applied)",
                self.loaded.table, row.version
            )));
        }
        let installed = latest.is_some();
        Ok(self.beta_testing || installed)
    }

    /// The demo data set asked for, ready to run as the application's hooks
    /// are (comments removed, parameters substituted).
    fn demo_files(&self) -> Result<Vec<PreparedHook>> {
        let Some(name) = &self.demo_data else {
            return Ok(Vec::new());
        };
        let sets = &self.loaded.config.demo_data;
        let Some((_, files)) = sets.iter().find(|(n, _)| n == name) else {
            let known: Vec<&str> = sets.iter().map(|(n, _)| n.as_str()).collect();
            return Err(Error::Usage(format!(
                "--demo-data {name}: no such set in .pum.yaml (demo_data: {}); nothing was applied",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        };
        let hooks: Vec<module::app_hooks::AppHook> = files
            .iter()
            .cloned()
            .map(module::app_hooks::AppHook::Sql)
            .collect();
        let config = self.loaded.config.dir.join(module::config::FILE_NAME);
        module::app_hooks::prepare(&hooks, &self.loaded.params, &config)
    }

    /// Whether a run drops or creates the application.
    fn runs_app_hooks(&self) -> bool {
        let hooks = &self.loaded.config.app_hooks;
        (!hooks.drop.is_empty() && !self.skip_drop_app)
            || (!hooks.create.is_empty() && !self.skip_create_app)
    }

    fn app_hooks(&self, kind: &str) -> Result<Vec<PreparedHook>> {
        let hooks = &self.loaded.config.app_hooks;
        let (list, skipped) = match kind {
            "drop" => (&hooks.drop, self.skip_drop_app),
            "uninstall" => (&self.loaded.config.uninstall, false),
            _ => (&hooks.create, self.skip_create_app),
        };
        if skipped {
            return Ok(Vec::new());
        }
        let config = self.loaded.config.dir.join(module::config::FILE_NAME);
        module::app_hooks::prepare(list, &self.loaded.params, &config)
    }

    /// The plan of a run that applies no version: the application's hooks
    /// or the uninstall hooks. The parameters are checked against the
    /// installed module's, as pum 1.x checks them before creating the
    /// application.
    fn hooks_only_plan<'a>(
        &'a self,
        client: &mut Client,
        run: &RunContext<'_>,
    ) -> Result<ModulePlan<'a>> {
        let (drop_hooks, create_hooks, current) = if self.mode == RunMode::Uninstall {
            (self.app_hooks("uninstall")?, Vec::new(), None)
        } else {
            let mut current = None;
            if module::migrations::exists(client, &self.loaded.table)? {
                let rows = module::migrations::read(client, &self.loaded.table)?;
                module::plan::check_before_upgrade(
                    &rows,
                    &self.loaded.config.module,
                    &self.loaded.params,
                    &self.loaded.config.app_only_parameters(),
                )
                .map_err(Error::State)?;
                current = module::plan::current_version(&rows).map(|v| v.to_string());
            }
            (self.app_hooks("drop")?, self.app_hooks("create")?, current)
        };
        self.new_plan(run, drop_hooks, create_hooks, current)
    }

    /// A plan with these hooks (their Python runner started and the files
    /// checked) from version `current`, no versions, no demo data.
    fn new_plan<'a>(
        &'a self,
        run: &RunContext<'_>,
        drop_hooks: Vec<PreparedHook>,
        create_hooks: Vec<PreparedHook>,
        current: Option<String>,
    ) -> Result<ModulePlan<'a>> {
        let python = module_hooks::start_python(
            &self.loaded,
            &[&drop_hooks, &create_hooks],
            &run.options.python,
        )?;
        Ok(ModulePlan {
            project: self,
            demo: Vec::new(),
            beta_testing: false,
            drop_hooks,
            create_hooks,
            python,
            before: current.clone(),
            current,
            units: Vec::new(),
            recorded_params: serde_json::Value::Object(self.loaded.params.clone()),
        })
    }
}

/// The pending versions of one run.
pub struct ModulePlan<'a> {
    project: &'a ModuleProject,
    /// `install --demo-data`: loaded after the versions, before the create hooks.
    demo: Vec<PreparedHook>,
    /// What the rows this run writes record as `beta_testing`.
    beta_testing: bool,
    drop_hooks: Vec<PreparedHook>,
    create_hooks: Vec<PreparedHook>,
    /// The runner of this run's Python hooks, their files loaded and checked.
    python: Option<PythonHooks>,
    before: Option<String>,
    current: Option<String>,
    units: Vec<Prepared<'a>>,
    recorded_params: serde_json::Value,
}

impl Layout for ModuleProject {
    type Plan<'a> = ModulePlan<'a>;

    fn history_table(&self) -> &QualifiedName {
        &self.loaded.table
    }

    fn require_history(&self, client: &mut Client, params: &ConnParams) -> Result<()> {
        if self.installing || self.mode != RunMode::Versions {
            return Ok(());
        }
        module::require_table(client, &self.loaded, params)
    }

    fn begin_whole(&self, client: &mut Client, run: &RunContext<'_>) -> Result<()> {
        if !self.installing {
            return Ok(());
        }
        let table = &self.loaded.table;
        module::migrations::create(client, table)?;
        // Roles first: changelogs may grant to them or set them as owners.
        if self.create_roles {
            module::roles::create(client, &self.loaded.config.roles, false, run.printer)?;
        }
        run.printer.step(format!("created {table}"));
        Ok(())
    }

    fn plan<'a>(&'a self, client: &mut Client, run: &RunContext<'_>) -> Result<ModulePlan<'a>> {
        if self.mode != RunMode::Versions {
            return self.hooks_only_plan(client, run);
        }
        module::migrations::update_layout(client, &self.loaded.table)?;
        let beta_testing = self.beta_testing(client)?;
        let (current, units) = module::pending(
            client,
            &self.loaded,
            self.max.as_ref(),
            module::BelowBaseline {
                strict: run.options.strict_checksums,
                skip_check: self.skip_baseline_check,
                dry_run: false,
            },
            run.printer,
        )?;
        let current = current.map(|v| v.to_string());
        let drop_hooks = self.app_hooks("drop")?;
        let create_hooks = self.app_hooks("create")?;
        let demo = self.demo_files()?;
        Ok(ModulePlan {
            beta_testing,
            demo,
            units,
            ..self.new_plan(run, drop_hooks, create_hooks, current)?
        })
    }

    fn recorded_version(&self, client: &mut Client) -> Result<Option<String>> {
        let rows = module::migrations::read(client, &self.loaded.table)?;
        Ok(module::plan::current_version(&rows).map(|v| v.to_string()))
    }
}

impl Plan for ModulePlan<'_> {
    fn noun(&self) -> &'static str {
        "versions"
    }

    fn version_before(&self) -> Option<String> {
        self.before.clone()
    }

    fn version_after(&self) -> Option<String> {
        self.current.clone()
    }

    fn len(&self) -> usize {
        self.units.len()
    }

    fn label(&self, unit: usize) -> String {
        format!(
            "{} {}",
            self.project.loaded.config.module, self.units[unit].changelog.version
        )
    }

    fn retriable(&self, _unit: usize) -> bool {
        true
    }

    fn nothing_to_apply(&self, dbname: &str) -> String {
        let module = &self.project.loaded.config.module;
        match self.project.mode {
            RunMode::AppOnly => {
                return format!("running the application hooks of {module} on {dbname}")
            }
            RunMode::Uninstall => {
                return format!("running the uninstall hooks of {module} on {dbname}")
            }
            RunMode::Versions => {}
        }
        format!(
            "nothing to apply: {dbname} is at version {} of {}",
            self.current.as_deref().unwrap_or("(none)"),
            self.project.loaded.config.module
        )
    }

    fn before_all(&mut self, client: &mut Client, run: &RunContext<'_>) -> Result<Vec<String>> {
        let kind = match self.project.mode {
            RunMode::Uninstall => "uninstall",
            _ => "drop",
        };
        module_hooks::run(client, &self.drop_hooks, &mut self.python, kind, run)
    }

    fn apply(&mut self, client: &mut Client, unit: usize, run: &RunContext<'_>) -> Result<Applied> {
        let p = &self.units[unit];
        super::module_version::apply_version(
            client,
            &self.project.loaded,
            p,
            &self.recorded_params,
            self.beta_testing,
            run.options,
            run.reset,
        )?;
        let c = p.changelog;
        self.current = Some(c.version.to_string());
        Ok(Applied {
            summary: format!(
                "{} ({})",
                self.label(unit),
                if c.app_only {
                    "application-only release, no SQL".to_string()
                } else {
                    format!(
                        "{} file{}",
                        c.files.len(),
                        if c.files.len() == 1 { "" } else { "s" }
                    )
                }
            ),
            entry: AppliedDelta {
                file: c.dir.display().to_string(),
                version: c.version.to_string(),
                name: c
                    .files
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                kind: crate::deltas::DeltaKind::Sql,
                atomic: true,
                duration_ms: 0,
                measured: None,
                statements: None,
            },
        })
    }

    fn interrupted(&self, unit: usize) -> String {
        format!("{} rolled back, not recorded", self.label(unit))
    }

    fn after_all(&mut self, client: &mut Client, run: &RunContext<'_>) -> Result<Vec<String>> {
        let mut ran = module_hooks::run(client, &self.demo, &mut self.python, "demo data", run)?;
        ran.extend(module_hooks::run(
            client,
            &self.create_hooks,
            &mut self.python,
            "create",
            run,
        )?);
        if !self.project.create_roles {
            return Ok(ran);
        }
        let roles = &module::role_admin::named(
            &self.project.loaded.config.roles,
            self.project.grant_suffix.as_deref(),
        );
        let grant = self.project.grant;
        let t0 = Instant::now();
        let done = scope::unit(client, run.options, |client| {
            module::roles::create(client, roles, grant, run.printer)
        })?;
        if !grant {
            return Ok(ran);
        }
        run.printer.step(format!(
            "granted permissions of {} role{} in {}",
            roles.len(),
            if roles.len() == 1 { "" } else { "s" },
            format_ms(t0.elapsed().as_millis() as u64)
        ));
        ran.extend(done.granted.iter().map(|g| format!("grant {g}")));
        Ok(ran)
    }
}
