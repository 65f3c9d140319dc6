//! test-and-upgrade: dump production, restore it into a test database (a
//! throw-away sandbox cluster unless one is named), apply the deltas there
//! with the same runner, compare the result with the reference, and only then,
//! after confirmation, upgrade production. Production is read by the dump
//! and written only by the last step.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use serde_json::json;

use crate::db::{self, QualifiedName};
use crate::deltas::vars::Variables;
use crate::deltas::{Discovered, Version};
use crate::diff;
use crate::dump::{self, DumpFormat, DumpOptions, RestoreMode, RestoreOptions, Tools};
use crate::error::{Error, Result};
use crate::history;
use crate::module::{self, ModuleRequest};
use crate::output::{Printer, Style};
use crate::sandbox::{Cluster, ClusterOptions};
use crate::service::ConnParams;
use crate::upgrade::{self, format_ms, RunOptions, UpgradeReport, UpgradeRequest};
use postgres::Client;

/// Where the reference (the newest model built from scratch) comes from.
pub enum Reference {
    /// An existing database (`-pc`).
    Database(ConnParams),
    /// SQL files run in order in the sandbox, then baselined at the newest
    /// delta version (`--reference-sql`).
    Scripts(Vec<PathBuf>),
}

/// What gets applied: pum 0.x delta directories or a pum 1.x module.
pub enum Project<'a> {
    Deltas {
        table: QualifiedName,
        discovered: &'a Discovered,
        variables: &'a Variables,
        max_version: Option<&'a Version>,
        options: RunOptions,
    },
    Module {
        dir: PathBuf,
        request: ModuleRequest,
    },
}

impl Project<'_> {
    /// The recorded version and the names of what is pending.
    fn state(
        &self,
        client: &mut postgres::Client,
        params: &ConnParams,
        printer: &Printer,
    ) -> Result<(Option<String>, Vec<String>)> {
        match self {
            Project::Deltas { options, .. } => {
                let req = self.request(params, None).expect("a delta project");
                let plan = upgrade::pending(client, &req)?;
                upgrade::check_drift(&plan, options.strict_checksums, printer)?;
                Ok((
                    plan.current.as_ref().map(ToString::to_string),
                    plan.deltas.iter().map(|d| d.file_name.clone()).collect(),
                ))
            }
            Project::Module { dir, request } => {
                module::state(client, params, dir, request, printer)
            }
        }
    }

    /// Applies what is pending with the project's runner.
    fn upgrade(
        &self,
        client: &mut postgres::Client,
        params: &ConnParams,
        name: Option<&str>,
        printer: &Printer,
    ) -> Result<UpgradeReport> {
        match self {
            Project::Deltas { .. } => {
                let req = self.request(params, name).expect("a delta project");
                upgrade::run(client, &req, printer)
            }
            Project::Module { dir, request } => {
                module::upgrade(client, params, dir, request, printer)
            }
        }
    }

    fn request<'r>(
        &'r self,
        params: &'r ConnParams,
        name: Option<&'r str>,
    ) -> Option<UpgradeRequest<'r>> {
        match self {
            Project::Deltas {
                table,
                discovered,
                variables,
                max_version,
                options,
            } => Some(UpgradeRequest {
                params,
                service_name: name,
                table,
                discovered,
                variables,
                max_version: *max_version,
                options: options.clone(),
            }),
            Project::Module { .. } => None,
        }
    }

    /// The pum 0.x upgrades table, whose version the dump's manifest records.
    fn upgrades_table(&self) -> Option<QualifiedName> {
        match self {
            Project::Deltas { table, .. } => Some(table.clone()),
            Project::Module { .. } => None,
        }
    }
}

/// What to rehearse and how.
pub struct Rehearsal<'a> {
    pub prod: ConnParams,
    /// What the user called production (a service name is handed to hooks).
    pub prod_name: Option<&'a str>,
    /// The test database; `None` means a sandbox cluster.
    pub test: Option<ConnParams>,
    pub test_name: Option<&'a str>,
    pub reference: Reference,
    pub project: Project<'a>,
    pub check: diff::Options,
    /// Keep the production dump here (else a private temporary file).
    pub dump_file: Option<PathBuf>,
    /// Parallel pg_dump/pg_restore jobs (directory format).
    pub jobs: Option<u32>,
    /// pum 0.x's -x: go past pg_restore errors.
    pub ignore_restore_errors: bool,
    pub tools: Tools,
    /// Stop after the comparison (CI pre-deploy mode).
    pub dry_run: bool,
    /// Skip the confirmation (pipelines).
    pub yes: bool,
    pub keep_sandbox: bool,
}

/// One step of the run and how long it took.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub name: &'static str,
    pub duration_ms: u64,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Rehearsal passed and production was upgraded.
    Upgraded,
    /// Rehearsal passed; production already had every delta.
    NothingToDo,
    /// Rehearsal passed; stopped before production (--dry-run).
    RehearsalPassed,
    /// Rehearsal passed; the person said no.
    Declined,
    /// The upgraded test database differs from the reference.
    Differences,
    /// A step of the rehearsal failed.
    RehearsalFailed,
}

/// Everything that happened, for people and for pipelines.
#[derive(Debug, Clone, Serialize)]
pub struct RehearsalReport {
    pub production: String,
    pub test: String,
    pub reference: String,
    pub version_before: Option<String>,
    pub version_after: Option<String>,
    pub pending: Vec<String>,
    pub phases: Vec<Phase>,
    pub test_upgrade: Option<UpgradeReport>,
    pub check: Option<serde_json::Value>,
    pub production_upgrade: Option<UpgradeReport>,
    pub verdict: Verdict,
    pub production_touched: bool,
    #[serde(skip)]
    pub differences_text: Option<String>,
}

impl RehearsalReport {
    pub fn exit_is_failure(&self) -> bool {
        matches!(
            self.verdict,
            Verdict::Differences | Verdict::RehearsalFailed
        )
    }
}

/// Name of the test database inside a sandbox.
const SANDBOX_TEST_DB: &str = "pum_rehearsal";
/// Name of the reference database built from scripts in a sandbox.
const SANDBOX_REFERENCE_DB: &str = "pum_reference";

struct Phases<'p> {
    list: Vec<Phase>,
    printer: &'p Printer,
}

/// Runs `f` and measures it.
fn timed<T>(f: impl FnOnce() -> Result<T>) -> (Result<T>, u64) {
    let t0 = Instant::now();
    let out = f();
    (out, t0.elapsed().as_millis() as u64)
}

impl Phases<'_> {
    /// Runs one step, printing it with its duration. No step starts after
    /// a signal.
    fn run<T>(&mut self, name: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        crate::interrupt::check(name)?;
        self.printer.step(format!("{name} ..."));
        let measured = timed(f);
        self.record(name, measured)
    }

    /// Records a step that was run (and measured) elsewhere. A step that
    /// failed because of a signal was interrupted, not failed.
    fn record<T>(&mut self, name: &'static str, (out, ms): (Result<T>, u64)) -> Result<T> {
        let out = out.map_err(|e| match crate::interrupt::mark(e, name) {
            Error::Interrupted { signal, state, .. } => Error::Interrupted {
                signal,
                during: name.to_string(),
                state,
            },
            other => other,
        });
        let ok = out.is_ok();
        let interrupted = matches!(out, Err(Error::Interrupted { .. }));
        self.printer.step(format!(
            "{name}: {} in {}",
            match (ok, interrupted) {
                (true, _) => "done",
                (false, true) => "interrupted",
                (false, false) => "FAILED",
            },
            format_ms(ms)
        ));
        self.list.push(Phase {
            name,
            duration_ms: ms,
            ok,
            error: out.as_ref().err().map(ToString::to_string),
        });
        out
    }
}

/// What an interrupted run had got to, for the line saying where each
/// database stands.
#[derive(Default)]
struct Reached {
    /// Production's version before anything ran, once read.
    version_before: Option<Option<String>>,
    /// The production upgrade had started.
    production_started: bool,
    /// A sandbox cluster was being started (an unfinished start removes
    /// its own directory).
    sandbox_started: bool,
    /// The sandbox cluster's directory, once started.
    sandbox_dir: Option<PathBuf>,
    /// A named test database (-pt) was being written.
    test_written: bool,
}

impl Reached {
    /// Where each database stands after an interruption; `inner` is what
    /// the interrupted step said (the production upgrade names its version).
    fn describe(&self, r: &Rehearsal<'_>, inner: Vec<String>) -> Vec<String> {
        let mut state = Vec::new();
        if self.production_started {
            // The runner said at which version production is now.
            state.push("production upgrade interrupted".to_string());
            state.extend(inner);
        } else {
            state.push(match &self.version_before {
                Some(v) => format!(
                    "production untouched at version {}",
                    v.as_deref().unwrap_or("(none)")
                ),
                None => "production untouched".to_string(),
            });
            if let (true, Some(test)) = (self.test_written, &r.test) {
                // What the interrupted restore or upgrade said of the test
                // database (removed, at which version), else that it is a copy.
                if inner.is_empty() {
                    state.push(format!(
                        "test database {} left mid-rehearsal (a copy; the next run replaces it)",
                        test.dbname()
                    ));
                }
                state.extend(
                    inner
                        .into_iter()
                        .map(|s| match s.strip_prefix("database ") {
                            Some(rest) => format!("test database {rest}"),
                            None => s,
                        }),
                );
            }
        }
        // By now the sandbox has been dropped on the way out: say what that did.
        match &self.sandbox_dir {
            Some(dir) if dir.exists() => {
                state.push(format!("sandbox left at {}: remove it", dir.display()))
            }
            Some(_) => state.push("sandbox removed".to_string()),
            None if self.sandbox_started => state.push("sandbox removed".to_string()),
            None => {}
        }
        state
    }
}

/// Runs the whole rehearsal and, when it passes and is confirmed, the
/// production upgrade. A signal stops it wherever it is; everything
/// temporary is removed on the way out and the error says where each
/// database stands.
pub fn run(r: &Rehearsal<'_>, printer: &Printer) -> Result<RehearsalReport> {
    let mut reached = Reached::default();
    run_steps(r, printer, &mut reached).map_err(|e| {
        match crate::interrupt::mark(e, "test-and-upgrade") {
            Error::Interrupted {
                signal,
                during,
                state,
            } => Error::Interrupted {
                signal,
                during,
                state: reached.describe(r, state),
            },
            other => other,
        }
    })
}

fn run_steps(
    r: &Rehearsal<'_>,
    printer: &Printer,
    reached: &mut Reached,
) -> Result<RehearsalReport> {
    if let Some(test) = r.test.as_ref().filter(|t| same_database(t, &r.prod)) {
        return Err(Error::Usage(format!(
            "the test database ({}) is production itself; name another with -pt",
            test.target()
        )));
    }
    let mut phases = Phases {
        list: Vec::new(),
        printer,
    };
    // Production as it is now: the version and what is pending.
    let mut prod_client = db::connect(&r.prod)?;
    let (version_before, pending) = r.project.state(&mut prod_client, &r.prod, printer)?;
    // What a sandbox needs to know of production, read on the same connection.
    let prod_facts = ProdFacts::read(&mut prod_client)?;
    drop(prod_client);
    reached.version_before = Some(version_before.clone());

    let mut report = RehearsalReport {
        production: describe(&r.prod),
        test: r
            .test
            .as_ref()
            .map(describe)
            .unwrap_or_else(|| "sandbox cluster".into()),
        reference: match &r.reference {
            Reference::Database(p) => describe(p),
            Reference::Scripts(files) => format!("{} script(s) run in the sandbox", files.len()),
        },
        version_before: version_before.clone(),
        version_after: version_before.clone(),
        pending,
        phases: Vec::new(),
        test_upgrade: None,
        check: None,
        production_upgrade: None,
        verdict: Verdict::RehearsalFailed,
        production_touched: false,
        differences_text: None,
    };

    // 1. Dump production: streamed straight into the test database unless
    // a dump file is wanted or parallel jobs need a directory archive.
    let temp = tempfile::Builder::new()
        .prefix("pum-rehearsal-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let stream = r.dump_file.is_none() && r.jobs.is_none();
    let needs_sandbox = r.test.is_none() || matches!(r.reference, Reference::Scripts(_));
    let mut dump_path = None;
    let mut sandbox = None;
    if stream {
        if needs_sandbox {
            sandbox = Some(phases.run("start sandbox cluster", || {
                reached.sandbox_started = true;
                start_sandbox(prod_facts.major, r.keep_sandbox)
            })?);
        }
    } else {
        let path = r
            .dump_file
            .clone()
            .unwrap_or_else(|| temp.path().join("production.dump"));
        let dump_opts = DumpOptions {
            format: if r.jobs.is_some() {
                DumpFormat::Directory
            } else {
                DumpFormat::Custom
            },
            jobs: r.jobs,
            upgrades_table: r.project.upgrades_table(),
            ..Default::default()
        };
        // The sandbox's initdb overlaps the dump. The cluster is started on
        // this thread, which lives to the end, because the server is tied to
        // the thread that spawned it (it dies with it).
        reached.sandbox_started = needs_sandbox;
        let (dumped, started) = std::thread::scope(|scope| {
            let dump =
                scope.spawn(|| timed(|| dump::dump(&r.prod, &path, &dump_opts, &r.tools, printer)));
            let started =
                needs_sandbox.then(|| timed(|| start_sandbox(prod_facts.major, r.keep_sandbox)));
            (
                dump.join().expect("the dump thread does not panic"),
                started,
            )
        });
        // A sandbox started beside an interrupted dump is removed with it.
        if let Some((Ok(cluster), _)) = &started {
            reached.sandbox_dir = Some(cluster.socket_dir().to_path_buf());
        }
        phases.record("dump production", dumped)?;
        if let Some(s) = started {
            sandbox = Some(phases.record("start sandbox cluster", s)?);
        }
        dump_path = Some(path);
    }
    if let Some(cluster) = &sandbox {
        reached.sandbox_dir = Some(cluster.socket_dir().to_path_buf());
    }
    reached.test_written = r.test.is_some();

    let outcome = rehearse(
        r,
        &mut phases,
        &mut report,
        dump_path.as_deref(),
        sandbox.as_ref(),
        &prod_facts,
        printer,
    )
    // A failure between steps after a signal is the interruption too.
    .map_err(|e| crate::interrupt::mark(e, "rehearsal"));
    let interrupted = matches!(outcome, Err(Error::Interrupted { .. }));
    // An interrupted rehearsal leaves nothing behind, kept or not.
    if let (Some(cluster), true) = (sandbox.as_mut(), r.keep_sandbox && !interrupted) {
        cluster.keep();
        printer.step(cluster.kept_instructions(SANDBOX_TEST_DB));
    }
    drop(sandbox);
    if let Err(e @ Error::Interrupted { .. }) = outcome {
        return Err(e);
    }
    if let Err(e) = outcome {
        report.verdict = Verdict::RehearsalFailed;
        report.phases = phases.list;
        printer.warn(format!("rehearsal failed; production was not touched: {e}"));
        return Ok(report);
    }
    if report.verdict == Verdict::Differences {
        report.phases = phases.list;
        return Ok(report);
    }

    // 5–8. The rehearsal passed.
    if report.pending.is_empty() {
        report.verdict = Verdict::NothingToDo;
        report.phases = phases.list;
        return Ok(report);
    }
    if r.dry_run {
        report.verdict = Verdict::RehearsalPassed;
        report.phases = phases.list;
        return Ok(report);
    }
    let target_version = report
        .test_upgrade
        .as_ref()
        .and_then(|u| u.version_after.clone())
        .unwrap_or_default();
    let question = format!(
        "Apply {} {} ({} → {}) to production {} ({})?",
        report.pending.len(),
        match (&r.project, report.pending.len()) {
            (Project::Module { .. }, 1) => "version",
            (Project::Module { .. }, _) => "versions",
            (_, 1) => "delta",
            _ => "deltas",
        },
        version_before.as_deref().unwrap_or("(none)"),
        target_version,
        r.prod_name.unwrap_or(r.prod.origin()),
        r.prod.target()
    );
    if !r.yes && !crate::prompt::confirm(&question)? {
        report.verdict = Verdict::Declined;
        report.phases = phases.list;
        return Ok(report);
    }
    // 7. Someone else may have upgraded production since the dump.
    let mut prod_client = db::connect(&r.prod)?;
    let (now_version, now_pending) = r.project.state(&mut prod_client, &r.prod, printer)?;
    if now_version != version_before || now_pending != report.pending {
        report.phases = phases.list;
        return Err(Error::State(format!(
            "production changed since it was dumped (version {} then, {} now); the rehearsal no longer \
             applies, production was not upgraded: run test-and-upgrade again",
            version_before.as_deref().unwrap_or("(none)"),
            now_version.as_deref().unwrap_or("(none)")
        )));
    }
    // 8. Upgrade production with the same runner.
    report.production_touched = true;
    let prod_report = phases.run("upgrade production", || {
        reached.production_started = true;
        r.project
            .upgrade(&mut prod_client, &r.prod, r.prod_name, printer)
    });
    report.phases = phases.list;
    let prod_report = prod_report?;
    report.version_after = prod_report.version_after.clone();
    report.production_upgrade = Some(prod_report);
    report.verdict = Verdict::Upgraded;
    Ok(report)
}

/// Steps 2–4: restore, upgrade and compare the test database.
fn rehearse(
    r: &Rehearsal<'_>,
    phases: &mut Phases<'_>,
    report: &mut RehearsalReport,
    dump_path: Option<&std::path::Path>,
    sandbox: Option<&Cluster>,
    prod_facts: &ProdFacts,
    printer: &Printer,
) -> Result<()> {
    let test = match (&r.test, sandbox) {
        (Some(p), _) => p.clone(),
        (None, Some(c)) => c.params(SANDBOX_TEST_DB),
        (None, None) => unreachable!("a sandbox is started when no test database is named"),
    };
    if let Some(cluster) = sandbox {
        // Grants and owners in the dump name production's roles; the sandbox needs them too.
        copy_role_names(&prod_facts.roles, &cluster.params("postgres"))?;
    }
    let mode = phases.run("prepare test database", || test_restore_mode(&test))?;
    let restore_opts = RestoreOptions {
        mode,
        jobs: r.jobs,
        exit_on_error: !r.ignore_restore_errors,
        ..Default::default()
    };
    match dump_path {
        Some(path) => phases.run("restore into test database", || {
            dump::restore(&test, path, &restore_opts, &r.tools, printer)
        })?,
        None => phases.run("copy production into test database", || {
            dump::copy(&r.prod, &test, &restore_opts, &r.tools, printer)
        })?,
    };
    let mut test_client = db::connect(&test)?;
    let upgraded = phases.run("upgrade test database", || {
        r.project
            .upgrade(&mut test_client, &test, r.test_name, printer)
    })?;
    report.test_upgrade = Some(upgraded);
    drop(test_client);
    let reference = match (&r.reference, sandbox) {
        (Reference::Database(p), _) => p.clone(),
        (Reference::Scripts(files), Some(cluster)) => phases
            .run("build reference from scripts", || {
                build_reference(r, cluster, files, printer)
            })?,
        (Reference::Scripts(_), None) => unreachable!("a sandbox is started for reference scripts"),
    };
    let result = phases.run("compare with reference", || {
        diff::check(&test, &reference, &r.check)
    })?;
    report.check = Some(result.to_json());
    if !result.is_empty() {
        report.verdict = Verdict::Differences;
        report.differences_text = Some(result.render_text(printer, false));
    }
    Ok(())
}

fn describe(p: &ConnParams) -> String {
    format!("{} ({})", p.origin(), p.target())
}

fn same_database(a: &ConnParams, b: &ConnParams) -> bool {
    a.host() == b.host() && a.get("port") == b.get("port") && a.dbname() == b.dbname()
}

/// Production's server major version and role names.
struct ProdFacts {
    major: i32,
    roles: Vec<String>,
}

impl ProdFacts {
    fn read(client: &mut Client) -> Result<ProdFacts> {
        let major: i32 = client
            .query_one(
                "SELECT current_setting('server_version_num')::int / 10000",
                &[],
            )
            .map_err(|e| Error::sql("reading production's server version", e))?
            .get(0);
        let roles = role_names(client).map_err(|e| Error::sql("listing production's roles", e))?;
        Ok(ProdFacts { major, roles })
    }
}

fn role_names(client: &mut Client) -> std::result::Result<Vec<String>, postgres::Error> {
    Ok(client
        .query(
            "SELECT rolname::text FROM pg_roles WHERE rolname !~ '^pg_'",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// A sandbox whose server is at least production's major version. One to
/// be kept is started without the parent-death signal, so it outlives pum.
fn start_sandbox(prod_major: i32, keep: bool) -> Result<Cluster> {
    let cluster = Cluster::start(&ClusterOptions {
        tcp: false,
        die_with_parent: !keep,
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

/// Creates, in the sandbox, every role production has (names only, NOLOGIN),
/// so restored grants and comparisons of privileges mean the same thing.
fn copy_role_names(roles: &[String], sandbox_admin: &ConnParams) -> Result<()> {
    let mut admin = db::connect(sandbox_admin)?;
    let existing =
        role_names(&mut admin).map_err(|e| Error::sql("listing the sandbox's roles", e))?;
    let missing: Vec<String> = roles
        .iter()
        .filter(|r| !existing.contains(r))
        .map(|r| format!("CREATE ROLE {} NOLOGIN;", db::quote_ident(r)))
        .collect();
    if !missing.is_empty() {
        admin
            .batch_execute(&missing.join("\n"))
            .map_err(|e| Error::sql("creating production's roles in the sandbox", e))?;
    }
    Ok(())
}

/// A test database that does not exist yet is created; one that exists is
/// cleaned first (pum 0.x required the user to prepare an empty one).
fn test_restore_mode(test: &ConnParams) -> Result<RestoreMode> {
    let mut admin = db::connect(&test.with_dbname("postgres"))?;
    Ok(
        if dump::guard::database_exists(&mut admin, test.dbname())? {
            RestoreMode::Clean
        } else {
            RestoreMode::Create
        },
    )
}

/// Builds the reference in the sandbox from the project's scripts and
/// baselines it at the newest delta version.
fn build_reference(
    r: &Rehearsal<'_>,
    cluster: &Cluster,
    files: &[PathBuf],
    printer: &Printer,
) -> Result<ConnParams> {
    let params = cluster.create_database(SANDBOX_REFERENCE_DB)?;
    let mut client = db::connect(&params)?;
    // Reference scripts can be long: a signal cancels the one running.
    let _cancel = crate::interrupt::watch_queries(&client, &params);
    let variables = match &r.project {
        Project::Deltas { variables, .. } => (*variables).clone(),
        Project::Module { .. } => Variables::new(),
    };
    for file in files {
        let sql = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        let sql = crate::deltas::vars::substitute(&sql, &variables)
            .map_err(|why| Error::Deltas(format!("{}:{why}", file.display())))?;
        client
            .batch_execute(&sql)
            .map_err(|e| upgrade::delta_error(file, &sql, &e, None))?;
    }
    let no_version =
        || Error::Deltas("nothing found to apply: cannot tell the reference's version".into());
    match &r.project {
        Project::Deltas {
            table,
            discovered,
            max_version,
            ..
        } => {
            let newest = discovered
                .deltas
                .iter()
                .map(|d| &d.version)
                .filter(|v| max_version.is_none_or(|m| *v <= m))
                .max()
                .cloned()
                .ok_or_else(no_version)?;
            history::create(&mut client, table)?;
            history::record_baseline(&mut client, table, &newest)?;
        }
        Project::Module { dir, request } => {
            let quiet = Printer {
                quiet: true,
                ..printer.clone()
            };
            let newest = module::newest_version(dir, request, &quiet)?.ok_or_else(no_version)?;
            module::baseline(&mut client, dir, &newest, &quiet)?;
        }
    }
    Ok(params)
}

/// The human summary printed at the end.
pub fn render_text(report: &RehearsalReport, printer: &Printer) -> String {
    let mut out = String::new();
    if let Some(diff) = &report.differences_text {
        out.push_str(diff);
        out.push('\n');
    }
    let (label, style) = match report.verdict {
        Verdict::Upgraded => ("production upgraded", Style::Good),
        Verdict::NothingToDo => ("rehearsal passed; production has nothing pending", Style::Good),
        Verdict::RehearsalPassed => ("rehearsal passed (dry run: production not touched)", Style::Good),
        Verdict::Declined => ("declined: production not touched", Style::Changed),
        Verdict::Differences => (
            "rehearsal FAILED: the upgraded copy differs from the reference; production not touched",
            Style::Bad,
        ),
        Verdict::RehearsalFailed => ("rehearsal FAILED; production not touched", Style::Bad),
    };
    out.push_str(&printer.paint(label, style));
    out.push('\n');
    out.push_str(&format!(
        "production {}: {} → {} ({} pending delta{})",
        report.production,
        report.version_before.as_deref().unwrap_or("(none)"),
        report.version_after.as_deref().unwrap_or("(none)"),
        report.pending.len(),
        if report.pending.len() == 1 { "" } else { "s" },
    ));
    let mut t = printer.table(&["Phase", "Result", "Time"]);
    for p in &report.phases {
        t.add_row(vec![
            p.name.to_string(),
            if p.ok {
                "ok".into()
            } else {
                printer.paint("failed", Style::Bad)
            },
            format_ms(p.duration_ms),
        ]);
    }
    out.push('\n');
    out.push_str(&t.to_string());
    out
}

/// The JSON document (`--format json`, `--report FILE`).
pub fn to_json(report: &RehearsalReport) -> serde_json::Value {
    let mut v = serde_json::to_value(report).expect("report serialises");
    if let Some(obj) = v.as_object_mut() {
        obj.insert("schema".into(), json!("pum.test-and-upgrade/1"));
    }
    v
}
