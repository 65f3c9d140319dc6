//! The rehearsal's sandbox: a throw-away cluster at least as new as
//! production, holding production's roles with their attributes and
//! memberships, a test database owned like production's, and — with
//! `--reference-sql` — the reference built by production's own role.

use std::path::{Path, PathBuf};

use crate::db;
use crate::deltas::vars;
use crate::error::{Error, Result};
use crate::history;
use crate::module;
use crate::output::Printer;
use crate::project::Project;
use crate::runner::delta_error;
use crate::sandbox::{Cluster, ClusterOptions};
use crate::service::ConnParams;

use super::targets::ProdFacts;
use super::Rehearsal;

/// Name of the test database inside a sandbox.
pub const TEST_DB: &str = "pum_rehearsal";
/// Name of the reference database built from scripts in a sandbox.
const REFERENCE_DB: &str = "pum_reference";

/// A sandbox whose server is at least production's major version. A kept
/// sandbox must outlive pum, so only a throw-away one dies with it.
pub fn start(prod_major: i32, keep: bool, bindir: Option<&Path>) -> Result<Cluster> {
    let cluster = Cluster::start(&ClusterOptions {
        die_with_parent: !keep,
        bindir: bindir.map(Path::to_path_buf),
        ..ClusterOptions::default()
    })?;
    if (cluster.binaries.major as i32) < prod_major {
        return Err(Error::State(format!(
            "the sandbox needs PostgreSQL {prod_major} or newer (production's version), but the server \
             binaries found are {} in {}; install a newer server or set PUM_PG_BINDIR, or name a test database with -pt",
            cluster.binaries.major,
            cluster.binaries.bindir.display()
        )));
    }
    Ok(cluster)
}

/// Gives the sandbox production's roles and an empty test database owned
/// by production's database owner. Returns the test database as the
/// sandbox superuser (to restore into, owners and all) and as production's
/// role (to rehearse as).
pub fn prepare(cluster: &Cluster, prod: &ProdFacts) -> Result<(ConnParams, ConnParams)> {
    let mut admin = db::connect(&cluster.params(db::MAINTENANCE_DB))?;
    prod.roles.copy_to(&mut admin)?;
    drop(admin);
    let test = cluster.create_database_owned_by(TEST_DB, &prod.roles.database_owner)?;
    let as_prod = test.with_user(&prod.roles.session_user);
    Ok((test, as_prod))
}

/// Builds the reference in the sandbox from the project's scripts, as
/// production's role in a database owned like production's, so that owners
/// and grants compare like for like; then baselines it at the newest version.
pub fn build_reference(
    r: &Rehearsal<'_>,
    cluster: &Cluster,
    prod: &ProdFacts,
    files: &[PathBuf],
    printer: &Printer,
) -> Result<ConnParams> {
    let params = cluster
        .create_database_owned_by(REFERENCE_DB, &prod.roles.database_owner)?
        .with_user(&prod.roles.session_user);
    let mut client = db::connect(&params)?;
    // Reference scripts can be long: a signal cancels the one running.
    let _cancel = crate::interrupt::watch_queries(&client, &params);
    let variables = r.project.variables();
    for file in files {
        let sql = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        let sql = vars::substitute(&sql, &variables)
            .map_err(|why| Error::Deltas(format!("{}:{why}", file.display())))?;
        client
            .batch_execute(&sql)
            .map_err(|e| delta_error(file, &sql, &e, None))?;
    }
    let no_version =
        || Error::Deltas("nothing found to apply: cannot tell the reference's version".into());
    match &r.project {
        Project::Deltas { project, .. } => {
            let newest = project.newest_version().ok_or_else(no_version)?;
            history::create(&mut client, &project.table)?;
            history::record_baseline(&mut client, &project.table, newest)?;
        }
        Project::Module { dir, request } => {
            let quiet = Printer {
                quiet: true,
                ..printer.clone()
            };
            let newest = module::newest_version(dir, request, &quiet)?.ok_or_else(no_version)?;
            module::baseline(&mut client, dir, &newest, true, &quiet)?;
        }
    }
    Ok(params)
}
