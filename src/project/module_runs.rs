//! The runs of the module layout, each through the one runner: upgrade,
//! install (all or nothing), the application's hooks alone, uninstall.

use std::path::Path;

use postgres::Client;

use super::module::{ModuleProject, RunMode};
use crate::error::{Error, Result};
use crate::module::{self, ModuleRequest};
use crate::output::Printer;
use crate::runner::{self, RunOptions, UpgradeReport};
use crate::service::ConnParams;

/// Applies the pending versions of the module in `module_dir`. A failing
/// file rolls back its whole version (files and row); earlier versions stay.
pub fn upgrade(
    client: &mut Client,
    params: &ConnParams,
    module_dir: &Path,
    req: &ModuleRequest,
    printer: &Printer,
) -> Result<UpgradeReport> {
    let project = ModuleProject::load(module_dir, req, printer)?;
    if req.demo_data.is_some() {
        return Err(Error::Usage(
            "--demo-data: demo data is loaded by `install` (pum 1.x loads it only there)".into(),
        ));
    }
    let options = project.run_options(&req.options);
    runner::run(client, &project, params, None, &options, printer)
}

/// Installs the module on a database that does not have it yet, as pum 1.x's
/// `install` does, all or nothing: in one transaction, `pum_migrations` is
/// created, the roles (with `grant`), every version applied as [`upgrade`]
/// applies it, and the permissions granted (with `grant`). A failure leaves
/// no table and no version behind, so a corrected retry starts afresh.
pub fn install(
    client: &mut Client,
    params: &ConnParams,
    module_dir: &Path,
    req: &ModuleRequest,
    printer: &Printer,
) -> Result<UpgradeReport> {
    let mut project = ModuleProject::load(module_dir, req, printer)?;
    project.installing = true;
    let table = &project.loaded.table;
    if module::migrations::exists(client, table)? {
        return Err(Error::State(format!(
            "{table} already exists in {}: the module is installed; use `pum upgrade`",
            params.target()
        )));
    }
    let schema = &project.loaded.config.migration_table_schema;
    let others = module::migrations::other_schemas(client, schema)?;
    module::migrations::refuse_other_modules(&others, req.allow_multiple_modules, printer)?;
    all_or_nothing(client, &project, params, req, printer)
}

/// `pum app`: the application's drop and/or create hooks alone, in one
/// transaction under the run lock, as pum 1.x's `app drop|create|recreate`
/// runs them (with `req.grant`, the roles' permissions granted after).
pub fn app(
    client: &mut Client,
    params: &ConnParams,
    module_dir: &Path,
    req: &ModuleRequest,
    drop: bool,
    create: bool,
    printer: &Printer,
) -> Result<UpgradeReport> {
    let mut project = ModuleProject::load(module_dir, req, printer)?;
    project.mode = RunMode::AppOnly;
    project.skip_drop_app = !drop;
    project.skip_create_app = !create;
    // pum 1.9 grants after creating the application, when there are roles.
    project.grant = req.grant && create && !project.loaded.config.roles.is_empty();
    project.create_roles = project.grant;
    all_or_nothing(client, &project, params, req, printer)
}

/// `pum uninstall`: the module's `uninstall:` hooks, in order, in one
/// transaction, as pum 1.x runs them; `pum_migrations` is left to what the
/// hooks do with it (pum 1.x removes nothing else).
pub fn uninstall(
    client: &mut Client,
    params: &ConnParams,
    module_dir: &Path,
    req: &ModuleRequest,
    printer: &Printer,
) -> Result<UpgradeReport> {
    let mut project = ModuleProject::load(module_dir, req, printer)?;
    if project.loaded.config.uninstall.is_empty() {
        return Err(Error::Settings(format!(
            "{}: no uninstall hooks; add an `uninstall:` list of hooks (as pum 1.x requires); nothing was changed",
            module_dir.join(module::config::FILE_NAME).display()
        )));
    }
    project.mode = RunMode::Uninstall;
    project.grant = false;
    project.create_roles = false;
    all_or_nothing(client, &project, params, req, printer)
}

/// Runs `project` in one transaction, whatever `--single-transaction` says:
/// pum 1.x's install, app and uninstall leave nothing half done.
fn all_or_nothing(
    client: &mut Client,
    project: &ModuleProject,
    params: &ConnParams,
    req: &ModuleRequest,
    printer: &Printer,
) -> Result<UpgradeReport> {
    let options = RunOptions {
        single_transaction: true,
        ..req.options.clone()
    };
    runner::run(client, project, params, None, &options, printer)
}
