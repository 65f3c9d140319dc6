//! Verifying one database, step by step: dump (or find the newest dump),
//! restore into a throw-away database, compare schema, row counts and
//! foreign keys, remove the copy. A step either passes, finds the backup
//! wanting (FAILED) or cannot be done (ERROR).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::catalog::Kind;
use crate::db::{self, database, roles::Roles};
use crate::dump::{self, listing, DumpOptions, RestoreMode, RestoreOptions};
use crate::error::Error;
use crate::output::Printer;
use crate::service::ConnParams;

use super::compare;
use super::{DatabaseReport, Source, StepReport, Target, Verdict, VerifyOptions};

/// What every worker shares.
pub(super) struct Shared<'a> {
    pub target: &'a Target,
    pub opts: &'a VerifyOptions,
    pub printer: &'a Printer,
    /// Roles are the server's, not a database's: one worker copies at a time.
    pub roles: Mutex<()>,
    /// Numbers the copies, so that two of one database never clash.
    pub seq: AtomicUsize,
}

/// Why a step did not pass.
enum Problem {
    /// The backup is wanting: it does not restore, or the copy differs.
    Failed(String),
    /// The step could not be done.
    Error(String),
}

fn error(e: Error) -> Problem {
    Problem::Error(e.to_string())
}

/// The steps run so far.
#[derive(Default)]
struct Steps(Vec<StepReport>);

impl Steps {
    fn run<T>(
        &mut self,
        step: &'static str,
        f: impl FnOnce() -> Result<T, Problem>,
    ) -> Result<T, (&'static str, Problem)> {
        let started = Instant::now();
        let result = f();
        let (ok, detail) = match &result {
            Ok(_) => (true, None),
            Err(Problem::Failed(why) | Problem::Error(why)) => (false, Some(why.clone())),
        };
        self.0.push(StepReport {
            step,
            ok,
            seconds: started.elapsed().as_secs_f64(),
            detail,
        });
        result.map_err(|p| (step, p))
    }
}

/// A database listed with `skip: true`.
pub(super) fn skipped(source: &Source) -> DatabaseReport {
    DatabaseReport {
        service: source.service.clone(),
        database: source
            .params
            .as_ref()
            .map_or_else(|| "-".to_string(), |p| p.dbname().to_string()),
        result: Verdict::Skipped,
        failed_step: None,
        reason: None,
        steps: Vec::new(),
        seconds: 0.0,
    }
}

/// The throw-away copy: its name and how to reach it and its server.
struct Copy {
    name: String,
    params: ConnParams,
    admin: ConnParams,
}

pub(super) fn verify(shared: &Shared<'_>, source: &Source) -> DatabaseReport {
    let started = Instant::now();
    let mut steps = Steps::default();
    let mut copy: Option<Copy> = None;
    let outcome = run_steps(shared, source, &mut steps, &mut copy);
    if let Some(copy) = copy {
        let removed = steps.run("cleanup", || {
            let mut admin = db::connect(&copy.admin).map_err(error)?;
            database::drop_own(&mut admin, &copy.name).map_err(error)
        });
        if removed.is_err() {
            shared.printer.warn(format!(
                "{}: the copy {} could not be removed; drop it by hand",
                source.service, copy.name
            ));
        }
    }
    let (result, failed_step, reason) = match outcome {
        Ok(()) => (Verdict::Passed, None, None),
        Err((step, Problem::Failed(why))) => (Verdict::Failed, Some(step), Some(why)),
        Err((step, Problem::Error(why))) => (Verdict::Error, Some(step), Some(why)),
    };
    DatabaseReport {
        service: source.service.clone(),
        database: source.params().dbname().to_string(),
        result,
        failed_step,
        reason,
        steps: steps.0,
        seconds: started.elapsed().as_secs_f64(),
    }
}

fn run_steps(
    shared: &Shared<'_>,
    source: &Source,
    steps: &mut Steps,
    copy: &mut Option<Copy>,
) -> Result<(), (&'static str, Problem)> {
    let (_dir, dump) = steps.run("dump", || obtain_dump(shared, source))?;
    steps.run("restore", || {
        let made = create_copy(shared, source)?;
        let params = made.params.clone();
        *copy = Some(made);
        restore(shared, &params, &dump)
    })?;
    let copy = copy.as_ref().expect("set by the restore step");
    steps.run("schema", || compare_schema(shared, source, &copy.params))?;
    steps.run("rows", || {
        let (a, b) = both(source.params(), &copy.params, compare::row_counts)?;
        found(compare::count_differences(&a, &b))
    })?;
    steps.run("foreign_keys", || {
        let (a, b) = both(source.params(), &copy.params, compare::foreign_keys)?;
        found(compare::foreign_key_problems(&a, &b))
    })?;
    Ok(())
}

/// A dump made now into a private temporary directory, or the newest of
/// the database's dumps in `--latest`.
fn obtain_dump(
    shared: &Shared<'_>,
    source: &Source,
) -> Result<(Option<tempfile::TempDir>, PathBuf), Problem> {
    if let Some(dir) = &shared.opts.latest {
        let found = listing::latest(dir, source.params().dbname()).map_err(error)?;
        return Ok((None, found));
    }
    let dir = tempfile::Builder::new()
        .prefix("pum-verify-")
        .tempdir()
        .map_err(|e| error(Error::io(std::env::temp_dir(), e)))?;
    let file = dir
        .path()
        .join(format!("{}.dump", source.params().dbname()));
    dump::dump(
        source.params(),
        &file,
        &DumpOptions::default(),
        &shared.opts.tools,
        shared.printer,
    )
    .map_err(error)?;
    Ok((Some(dir), file))
}

/// An empty database for the copy: in the sandbox with the source's roles
/// and owned like the source, or new on the `--into-service` server.
fn create_copy(shared: &Shared<'_>, source: &Source) -> Result<Copy, Problem> {
    let n = shared.seq.fetch_add(1, Ordering::SeqCst);
    let name = copy_name(source.params().dbname(), n);
    match shared.target {
        Target::Sandbox(cluster) => {
            let mut src = db::connect(source.params()).map_err(error)?;
            let major = db::server_version_num(&mut src).map_err(error)? / 10000;
            if major > cluster.binaries.major as i32 {
                return Err(Problem::Error(format!(
                    "the source runs PostgreSQL {major}, the sandbox's server binaries are {} ({}); \
                     install a newer server, set PUM_PG_BINDIR, or pass --into-service",
                    cluster.binaries.major,
                    cluster.binaries.bindir.display()
                )));
            }
            let roles = Roles::read(&mut src).map_err(error)?;
            {
                let _one = shared.roles.lock().unwrap_or_else(|p| p.into_inner());
                let admin = cluster.params(db::MAINTENANCE_DB);
                roles
                    .copy_to(&mut db::connect(&admin).map_err(error)?)
                    .map_err(error)?;
            }
            let params = cluster
                .create_database_owned_by(&name, &roles.database_owner)
                .map_err(error)?;
            Ok(Copy {
                name,
                params,
                admin: cluster.params(db::MAINTENANCE_DB),
            })
        }
        Target::Server(server) => {
            let admin = db::maintenance(server);
            let mut client = db::connect(&admin).map_err(error)?;
            database::create(&mut client, &name, None).map_err(error)?;
            Ok(Copy {
                params: server.with_dbname(&name),
                name,
                admin,
            })
        }
    }
}

/// `pum_verify_<database>_<pid>_<n>`, within PostgreSQL's 63 bytes.
fn copy_name(dbname: &str, n: usize) -> String {
    let tail = format!("_{}_{n}", std::process::id());
    let mut base = format!("pum_verify_{dbname}");
    while base.len() + tail.len() > 63 {
        base.pop();
    }
    base + &tail
}

/// pg_restore into the copy, stopping at the first error; a constraint it
/// could not add (orphaned rows) is named.
fn restore(
    shared: &Shared<'_>,
    params: &ConnParams,
    dump: &std::path::Path,
) -> Result<(), Problem> {
    let opts = RestoreOptions {
        mode: RestoreMode::InPlace,
        // The sandbox has the source's roles; another server may not.
        no_owner: matches!(shared.target, Target::Server(_)),
        exit_on_error: true,
        protected: shared.opts.protected.clone(),
        ..RestoreOptions::default()
    };
    match dump::restore(params, dump, &opts, &shared.opts.tools, shared.printer) {
        Ok(_) => Ok(()),
        Err(Error::Child { stderr, .. }) => Err(Problem::Failed(
            compare::failed_constraint(&stderr)
                .unwrap_or_else(|| format!("pg_restore failed: {}", stderr.trim())),
        )),
        Err(e @ Error::Refused(_)) => Err(error(e)),
        Err(e) => Err(Problem::Failed(e.to_string())),
    }
}

/// The schemas compared as `pum check` does; owners and grants only when
/// the copy could keep them (the sandbox has the source's roles).
fn compare_schema(shared: &Shared<'_>, source: &Source, copy: &ConnParams) -> Result<(), Problem> {
    let mut opts = crate::diff::Options::default();
    if matches!(shared.target, Target::Server(_)) {
        opts.ignore.insert(Kind::Owners);
        opts.ignore.insert(Kind::Privileges);
    }
    let report = crate::diff::check(source.params(), copy, &opts).map_err(error)?;
    let lines: Vec<String> = report
        .differences
        .iter()
        .take(5)
        .map(|d| {
            let side = match d.side {
                crate::diff::Side::Left => "only in the source".to_string(),
                crate::diff::Side::Right => "only in the copy".to_string(),
                crate::diff::Side::Both => {
                    format!("{} differs", d.field.as_deref().unwrap_or("a field"))
                }
            };
            format!("{} {} {side}", d.kind.name(), d.object)
        })
        .collect();
    if report.is_empty() {
        return Ok(());
    }
    Err(Problem::Failed(format!(
        "the schema differs ({}): {}",
        report.verdict(),
        lines.join("; ")
    )))
}

/// The same reading of the source and of the copy.
fn both<T>(
    source: &ConnParams,
    copy: &ConnParams,
    read: fn(&mut postgres::Client) -> crate::error::Result<T>,
) -> Result<(T, T), Problem> {
    let a = read(&mut db::connect(source).map_err(error)?).map_err(error)?;
    let b = read(&mut db::connect(copy).map_err(error)?).map_err(error)?;
    Ok((a, b))
}

/// Differences found make the step fail, naming the first few.
fn found(problems: Vec<String>) -> Result<(), Problem> {
    if problems.is_empty() {
        return Ok(());
    }
    let more = problems.len().saturating_sub(10);
    let mut text = problems.into_iter().take(10).collect::<Vec<_>>().join("; ");
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    Err(Problem::Failed(text))
}
