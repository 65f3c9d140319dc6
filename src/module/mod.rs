//! pum 1.x module directories: a `.pum.yaml`, `changelogs/<version>/*.sql`,
//! typed `{NAME}` parameters, roles, and the `pum_migrations` table: loading,
//! planning, baseline, info and dry runs. Applying versions is the runner's
//! job, through the module layout in `crate::project::module`.

pub mod app_hooks;
pub mod changelog;
pub mod comments;
pub mod config;
pub mod migrations;
pub mod params;
mod pending;
pub mod plan;
pub mod python_hook;
pub mod role_admin;
pub mod role_inventory;
pub mod roles;

use std::path::Path;

use postgres::Client;
use serde::Serialize;

use crate::db::QualifiedName;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::runner::RunOptions;
use crate::service::ConnParams;

use changelog::{Changelog, ModuleVersion};
use config::ModuleConfig;
use plan::VersionStatus;

use pending::pending_for;
pub use pending::{pending, BelowBaseline, Prepared};

/// What a module upgrade should do, besides the module directory itself.
#[derive(Debug, Clone, Default)]
pub struct ModuleRequest {
    /// `--parameter NAME VALUE` pairs, flattened: NAME, VALUE, NAME, VALUE...
    pub parameters: Vec<String>,
    /// Apply versions up to and including this one (`X.Y` or `X.Y.Z`).
    pub max_version: Option<String>,
    pub options: RunOptions,
    /// Create missing roles and grant their permissions after the upgrade.
    pub grant: bool,
    /// Create the missing roles, granting nothing unless `grant` is set
    /// (`--create-roles`; pum 1.x's install without `--skip-roles`).
    pub create_roles: bool,
    /// Grant to the roles `NAME_SUFFIX` instead of the generic ones (`app --suffix`).
    pub grant_suffix: Option<String>,
    /// Leave out unrecorded versions below the database's (`--skip-baseline-check`).
    pub skip_baseline_check: bool,
    /// `install --demo-data NAME`: load that demo data set after the versions.
    pub demo_data: Option<String>,
    /// Record the versions as beta testing (`--beta-testing`).
    pub beta_testing: bool,
    /// Upgrade a database installed for beta testing anyway (`--force`).
    pub force: bool,
    /// Install next to another module's `pum_migrations` (`--allow-multiple-modules`).
    pub allow_multiple_modules: bool,
    /// Leave out the application's drop hooks (`--skip-drop-app`).
    pub skip_drop_app: bool,
    /// Leave out the application's create hooks (`--skip-create-app`).
    pub skip_create_app: bool,
}

/// A module directory loaded: configuration, changelogs and parameters.
pub struct Loaded {
    pub config: ModuleConfig,
    pub changelogs: Vec<Changelog>,
    pub params: params::Resolved,
    pub table: QualifiedName,
}

/// Loads the module and resolves its parameters.
pub fn load(module_dir: &Path, overrides: &[String], _printer: &Printer) -> Result<Loaded> {
    let config = ModuleConfig::load(module_dir)?;
    let changelogs = changelog::discover(&config)?;
    let params = params::resolve(&config.parameters, overrides).map_err(Error::Usage)?;
    let table = config.migrations_table();
    Ok(Loaded {
        config,
        changelogs,
        params,
        table,
    })
}

pub(crate) fn parse_max(max: Option<&str>) -> Result<Option<ModuleVersion>> {
    max.map(|m| {
        ModuleVersion::parse(m).map_err(|why| Error::Usage(format!("-u/--max-version: {why}")))
    })
    .transpose()
}

pub(crate) fn require_table(
    client: &mut Client,
    loaded: &Loaded,
    params: &ConnParams,
) -> Result<()> {
    if migrations::exists(client, &loaded.table)? {
        return Ok(());
    }
    Err(Error::State(format!(
        "{} not found in {}: the module is not installed there; install it with pum 1.x \
         or record the version it is at with `pum baseline -d {} -b VERSION`",
        loaded.table,
        params.target(),
        loaded.config.dir.display()
    )))
}

/// What `pum baseline -d MODULE_DIR` recorded.
#[derive(Debug, Clone, Serialize)]
pub struct BaselineReport {
    pub module: String,
    pub table: String,
    pub baseline: String,
    pub created_table: bool,
}

/// Creates `pum_migrations` if needed and records `version` as pum 1.x's
/// baseline does (no files, no parameters); refuses a version not newer
/// than the recorded one.
pub fn baseline(
    client: &mut Client,
    module_dir: &Path,
    version: &str,
    allow_multiple_modules: bool,
    printer: &Printer,
) -> Result<BaselineReport> {
    let config = ModuleConfig::load(module_dir)?;
    let version = ModuleVersion::parse(version)
        .map_err(|why| Error::Usage(format!("-b/--baseline: {why}")))?;
    let table = config.migrations_table();
    let mut tx = client
        .transaction()
        .map_err(|e| Error::sql("starting a transaction", e))?;
    let created = !migrations::exists(&mut tx, &table)?;
    if created {
        let others = migrations::other_schemas(&mut tx, &config.migration_table_schema)?;
        migrations::refuse_other_modules(&others, allow_multiple_modules, printer)?;
        migrations::create(&mut tx, &table)?;
    } else {
        migrations::update_layout(&mut tx, &table)?;
    }
    let rows = migrations::read(&mut tx, &table)?;
    if let Some(current) = plan::current_version(&rows) {
        if current >= version {
            return Err(Error::State(format!(
                "cannot record baseline {version}: {table} is already at version {current}"
            )));
        }
    }
    migrations::record(
        &mut tx,
        &table,
        &migrations::NewRow {
            module: &config.module,
            version: &version.to_string(),
            changelog_files: &[],
            parameters: &serde_json::json!({}),
            beta_testing: false,
        },
    )?;
    tx.commit()
        .map_err(|e| Error::sql("committing the baseline", e))?;
    Ok(BaselineReport {
        module: config.module,
        table: table.to_string(),
        baseline: version.to_string(),
        created_table: created,
    })
}

/// One changelog with its status, for `pum info`.
#[derive(Debug, Clone, Serialize)]
pub struct ChangelogInfo {
    pub version: String,
    pub dir: String,
    pub files: Vec<String>,
    pub app_only: bool,
    pub status: VersionStatus,
}

/// Everything `pum info -d MODULE_DIR` shows.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleInfo {
    pub module: String,
    pub database: String,
    pub table: String,
    /// Whether `pum_migrations` exists (the module is installed).
    pub installed: bool,
    pub current_version: Option<String>,
    pub pending: usize,
    pub parameters: serde_json::Value,
    pub changelogs: Vec<ChangelogInfo>,
    pub history: Vec<migrations::MigrationRow>,
}

/// Reads the module and the database's history (changes nothing).
pub fn info(
    client: &mut Client,
    params: &ConnParams,
    module_dir: &Path,
    overrides: &[String],
    max_version: Option<&str>,
    printer: &Printer,
) -> Result<ModuleInfo> {
    let loaded = load(module_dir, overrides, printer)?;
    let max = parse_max(max_version)?;
    let installed = migrations::exists(client, &loaded.table)?;
    let rows = if installed {
        migrations::read(client, &loaded.table)?
    } else {
        Vec::new()
    };
    let statuses = plan::statuses(&rows, &loaded.changelogs, max.as_ref());
    let changelogs: Vec<ChangelogInfo> = loaded
        .changelogs
        .iter()
        .zip(&statuses)
        .map(|(c, s)| ChangelogInfo {
            version: c.version.to_string(),
            dir: c.dir.display().to_string(),
            files: c.files.iter().map(|f| f.name.clone()).collect(),
            app_only: c.app_only,
            status: *s,
        })
        .collect();
    Ok(ModuleInfo {
        module: loaded.config.module.clone(),
        database: params.dbname().to_string(),
        table: loaded.table.to_string(),
        installed,
        current_version: plan::current_version(&rows).map(|v| v.to_string()),
        pending: statuses
            .iter()
            .filter(|s| **s == VersionStatus::Pending)
            .count(),
        parameters: serde_json::Value::Object(loaded.params),
        changelogs,
        history: rows,
    })
}

/// One version an upgrade would apply, with its SQL as it would run.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedVersion {
    pub version: String,
    pub dir: String,
    pub app_only: bool,
    /// `(file, SQL with parameters substituted)`.
    pub files: Vec<PlannedFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedFile {
    pub file: String,
    pub sql: String,
}

/// What `pum upgrade --dry-run -d MODULE_DIR` shows.
#[derive(Debug, Clone, Serialize)]
pub struct DryRun {
    pub dry_run: bool,
    pub module: String,
    pub database: String,
    pub table: String,
    pub version_before: Option<String>,
    pub version_after: Option<String>,
    pub parameters: serde_json::Value,
    pub versions: Vec<PlannedVersion>,
}

/// Plans an upgrade without the lock and without changing anything.
pub fn dry_run(
    client: &mut Client,
    params: &ConnParams,
    module_dir: &Path,
    req: &ModuleRequest,
    printer: &Printer,
) -> Result<DryRun> {
    let loaded = load(module_dir, &req.parameters, printer)?;
    let (current, prepared) = pending_for(client, params, &loaded, req, printer)?;
    let versions: Vec<PlannedVersion> = prepared
        .iter()
        .map(|p| PlannedVersion {
            version: p.changelog.version.to_string(),
            dir: p.changelog.dir.display().to_string(),
            app_only: p.changelog.app_only,
            files: p
                .changelog
                .files
                .iter()
                .zip(&p.sql)
                .map(|(f, sql)| PlannedFile {
                    file: f.path.display().to_string(),
                    sql: sql.clone(),
                })
                .collect(),
        })
        .collect();
    Ok(DryRun {
        dry_run: true,
        module: loaded.config.module.clone(),
        database: params.dbname().to_string(),
        table: loaded.table.to_string(),
        version_before: current.as_ref().map(ToString::to_string),
        version_after: versions
            .last()
            .map(|v| v.version.clone())
            .or_else(|| current.as_ref().map(ToString::to_string)),
        parameters: serde_json::Value::Object(loaded.params.clone()),
        versions,
    })
}

/// The module's recorded version and the versions an upgrade would apply,
/// without applying anything (test-and-upgrade compares these before and
/// after its rehearsal).
pub fn state(
    client: &mut Client,
    params: &ConnParams,
    module_dir: &Path,
    req: &ModuleRequest,
    printer: &Printer,
) -> Result<(Option<String>, Vec<String>)> {
    let loaded = load(module_dir, &req.parameters, printer)?;
    let (current, prepared) = pending_for(client, params, &loaded, req, printer)?;
    Ok((
        current.map(|v| v.to_string()),
        prepared
            .iter()
            .map(|p| p.changelog.version.to_string())
            .collect(),
    ))
}

/// The newest version of the module up to the request's max version.
pub fn newest_version(
    module_dir: &Path,
    req: &ModuleRequest,
    printer: &Printer,
) -> Result<Option<String>> {
    let loaded = load(module_dir, &req.parameters, printer)?;
    let max = parse_max(req.max_version.as_deref())?;
    Ok(loaded
        .changelogs
        .iter()
        .map(|c| &c.version)
        .filter(|v| max.as_ref().is_none_or(|m| *v <= m))
        .max()
        .map(ToString::to_string))
}
