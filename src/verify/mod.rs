//! `pum verify-backups`: for each database, a dump (made now, or the newest
//! in a directory) restored into a throw-away database — a sandbox cluster,
//! or a new database on a server the user names — and compared with the
//! source: the schema as `pum check` compares it, the row count of every
//! table, the foreign keys. The copy is removed afterwards.
//!
//! This module holds the run over all databases and what it reports;
//! `database` verifies one, `compare` holds the counts and foreign keys,
//! `report` prints.

mod compare;
mod database;
pub mod report;

use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::Mutex;

use serde::Serialize;

use crate::db::identity;
use crate::dump::guard::Protected;
use crate::dump::Tools;
use crate::error::{Error, Result};
use crate::fleet::pool::{self, Pool};
use crate::output::Printer;
use crate::sandbox::{Cluster, ClusterOptions};
use crate::service::ConnParams;

/// One database of `verify.databases`, its service resolved.
#[derive(Debug, Clone)]
pub struct Source {
    /// As written in pum.yaml.
    pub service: String,
    /// `None` only for a skipped database whose service does not resolve.
    pub params: Option<ConnParams>,
    pub skip: bool,
}

impl Source {
    /// The source's connection; every database that is verified has one.
    fn params(&self) -> &ConnParams {
        self.params
            .as_ref()
            .expect("resolved for every database verified")
    }
}

/// How to verify.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Take the newest dump of each database from this directory.
    pub latest: Option<PathBuf>,
    /// Restore into new databases on this server instead of a sandbox.
    pub into: Option<ConnParams>,
    /// Databases at a time.
    pub jobs: usize,
    /// Databases no restore may write into (`allow_restore: false`).
    pub protected: Vec<Protected>,
    pub tools: Tools,
}

/// PASSED, FAILED, SKIPPED, or ERROR (pum itself could not get through).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Passed,
    Failed,
    Skipped,
    Error,
}

/// One step of a database's verification.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    pub step: &'static str,
    pub ok: bool,
    pub seconds: f64,
    pub detail: Option<String>,
}

/// What became of one database; also its `--format json` entry.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseReport {
    pub service: String,
    pub database: String,
    pub result: Verdict,
    /// The step that failed, with `reason`.
    pub failed_step: Option<&'static str>,
    pub reason: Option<String>,
    pub steps: Vec<StepReport>,
    pub seconds: f64,
}

/// Where copies are restored.
pub(crate) enum Target {
    Sandbox(Cluster),
    Server(ConnParams),
}

/// Verifies every source, `opts.jobs` at a time, in the order given.
pub fn verify_all(
    sources: &[Source],
    opts: &VerifyOptions,
    printer: &Printer,
) -> Result<Vec<DatabaseReport>> {
    let work: Vec<&Source> = sources.iter().filter(|s| !s.skip).collect();
    let target = match &opts.into {
        Some(into) => {
            refuse_sources(into, &work)?;
            Some(Target::Server(into.clone()))
        }
        None if work.is_empty() => None,
        None => {
            printer.step("starting a sandbox PostgreSQL cluster for the copies ...");
            Some(Target::Sandbox(Cluster::start(&ClusterOptions {
                die_with_parent: true,
                bindir: opts.tools.pg_bindir.clone(),
                ..ClusterOptions::default()
            })?))
        }
    };
    let shared = target.as_ref().map(|target| database::Shared {
        target,
        opts,
        printer,
        roles: Mutex::new(()),
        seq: AtomicUsize::new(0),
    });
    let pool = Pool {
        jobs: opts.jobs.max(1),
        canary: 0,
        keep_going: true,
    };
    let results = pool::run(
        sources,
        pool,
        |source| match &shared {
            Some(shared) if !source.skip => database::verify(shared, source),
            _ => database::skipped(source),
        },
        |_| true,
        |_, r| report::progress(printer, r),
    );
    crate::interrupt::check("verify-backups")?;
    Ok(results.into_iter().flatten().collect())
}

/// Refuses a server database that is one of the sources: the copies go
/// beside the sources, never into one.
fn refuse_sources(into: &ConnParams, sources: &[&Source]) -> Result<()> {
    let here = identity::locate(into)?;
    for source in sources {
        let there = identity::locate(source.params())?;
        if here.is(&there) {
            return Err(Error::Refused(format!(
                "--into-service reaches database {} — the same database as {} (service {}); \
                 the copies are never restored into a source, nothing was done",
                here.name(),
                there.name(),
                source.service
            )));
        }
    }
    Ok(())
}
