//! Restoring a dump: check it against its manifest, pick where it goes (the
//! database in place, a new database, or a temporary one swapped in only
//! when the restore succeeded) and run `pg_restore` — once per section and
//! archive for schema-wise dumps, so foreign keys between schemas resolve.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Instant;

use postgres::Client;
use serde::Serialize;

use crate::db::identity::{self, Located};
use crate::db::{self, quote_ident};
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::service::ConnParams;

use super::child::{ChildRun, Tools};
use super::guard;
use super::manifest::{self, DumpKind, Manifest};
use super::progress::Progress;

/// PostgreSQL's limit on identifier length, in bytes.
const MAX_IDENT_BYTES: usize = 63;

/// Suffix of the database a swap keeps the replaced one under.
pub const PREVIOUS_SUFFIX: &str = "_previous";

/// Where the restore goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestoreMode {
    /// Into the existing database, which must hold no user objects.
    #[default]
    InPlace,
    /// Into the existing database after dropping its user schemas.
    Clean,
    /// Into a database that does not exist yet; created from `template0`,
    /// dropped again if the restore fails.
    Create,
    /// Into a temporary database; only when that succeeded is the target
    /// renamed to `<name>_previous` and the temporary one to `<name>`.
    Swap,
}

/// How to restore.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    pub mode: RestoreMode,
    /// Parallel workers (custom and directory archives).
    pub jobs: Option<u32>,
    /// Objects are owned by the restoring user (`pg_restore --no-owner`).
    pub no_owner: bool,
    /// Stop at the first error (`--exit-on-error`); off: count the errors.
    pub exit_on_error: bool,
    /// Check the files against the manifest first.
    pub verify: bool,
    /// Only these schemas (exact names).
    pub schemas: Vec<String>,
    /// Leave these schemas out (exact names).
    pub exclude_schemas: Vec<String>,
    /// Databases this restore must never write into, recognised by the
    /// server on the very connection that would write.
    pub protected: Vec<guard::Protected>,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions {
            mode: RestoreMode::default(),
            jobs: None,
            no_owner: true,
            exit_on_error: true,
            verify: true,
            schemas: Vec::new(),
            exclude_schemas: Vec::new(),
            protected: Vec::new(),
        }
    }
}

/// What a restore did; also its `--format json` output.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub database: String,
    pub source: PathBuf,
    pub kind: DumpKind,
    /// `verified`, `skipped` (--no-verify) or `no-manifest`.
    pub verification: &'static str,
    pub mode: RestoreMode,
    /// With a swap: the name the replaced database now has.
    pub previous: Option<String>,
    /// Errors pg_restore reported and went past (only without exit-on-error).
    pub errors_ignored: u64,
    /// The database's version recorded in the manifest.
    pub version: Option<String>,
    pub duration_ms: u64,
}

/// Restores the dump at `source` into the database of `params`.
pub fn restore(
    params: &ConnParams,
    source: &Path,
    opts: &RestoreOptions,
    tools: &Tools,
    printer: &Printer,
) -> Result<RestoreReport> {
    let started = Instant::now();
    if !source.exists() {
        return Err(Error::io(
            source,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such dump"),
        ));
    }
    let manifest = manifest::find(source)?;
    let kind = match &manifest {
        Some(m) => m.kind,
        None => sniff_kind(source)?,
    };
    if kind == DumpKind::Plain {
        return Err(Error::Usage(format!(
            "{} is a plain SQL dump; pg_restore cannot read it, run it with psql -f instead",
            source.display()
        )));
    }
    let verification = match (&manifest, opts.verify) {
        (_, false) => "skipped",
        (None, true) => {
            printer.warn(format!(
                "{} has no manifest ({}); restoring it unverified",
                source.display(),
                manifest::location(source).display()
            ));
            "no-manifest"
        }
        (Some(m), true) => {
            let problems = m.verify(source)?;
            if !problems.is_empty() {
                return Err(Error::Refused(format!(
                    "dump {} does not match its manifest, it changed or is incomplete:\n  {}\n\
                     pass --no-verify to restore it anyway",
                    source.display(),
                    problems.join("\n  ")
                )));
            }
            "verified"
        }
    };
    if kind == DumpKind::SchemaWise && manifest.is_none() {
        return Err(Error::State(format!(
            "{}: a schema-wise dump needs its manifest.json",
            source.display()
        )));
    }
    let plan = Plan {
        source: Source::Archive(source),
        kind,
        manifest: manifest.as_ref(),
        opts,
        tools,
        printer,
    };
    let (errors, previous) = place(params, &plan)?;
    Ok(RestoreReport {
        database: params.dbname().to_string(),
        source: source.to_path_buf(),
        kind,
        verification,
        mode: opts.mode,
        previous,
        errors_ignored: errors,
        version: manifest.and_then(|m| m.version),
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

/// Runs `plan` into the target the options name (in place, cleaned, a new
/// database, or a swap); returns the errors ignored and, for a swap, the
/// name the replaced database now has.
fn place(params: &ConnParams, plan: &Plan<'_>) -> Result<(u64, Option<String>)> {
    let opts = plan.opts;
    let dbname = params.dbname().to_string();
    let mut previous = None;
    let errors;
    match opts.mode {
        RestoreMode::InPlace | RestoreMode::Clean => {
            // Connecting to the target itself (not the maintenance database,
            // which a restricted user may not reach); a missing database
            // gets a hint instead of a check of its own.
            let mut client = db::connect(params).map_err(|e| match e {
                Error::Connect { target, message } if message.contains("does not exist") => {
                    Error::Connect {
                        target,
                        message: format!("{message}; pass --create to create it"),
                    }
                }
                other => other,
            })?;
            if !opts.protected.is_empty() {
                let here = Located::Exists(identity::of_session(&mut client)?);
                guard::refuse_protected(&here, &opts.protected, "the restore target")?;
            }
            if opts.mode == RestoreMode::Clean {
                guard::clean(&mut client)?;
            } else {
                guard::require_empty(&mut client, &dbname, !opts.exit_on_error)?;
            }
            drop(client);
            errors = plan.run(params, &dbname)?;
        }
        RestoreMode::Create => {
            let mut admin = db::connect(&db::maintenance(params))?;
            if guard::database_exists(&mut admin, &dbname)? {
                return Err(Error::Refused(format!(
                    "database {dbname} already exists; --create restores into a new database only \
                     (use --into NAME for another name, or --swap to replace it)"
                )));
            }
            create_database(&mut admin, &dbname, None)?;
            match plan.run(params, &dbname) {
                Ok(n) => errors = n,
                Err(e) => {
                    // The database is ours and half-restored: remove it.
                    let _ = drop_database(&mut admin, &dbname);
                    return Err(e);
                }
            }
        }
        RestoreMode::Swap => {
            let prev = previous_name(&dbname)?;
            let mut admin = db::connect(&db::maintenance(params))?;
            guard::refuse_protected(
                &identity::named(&mut admin, &dbname)?,
                &opts.protected,
                "the restore target",
            )?;
            if !guard::database_exists(&mut admin, &dbname)? {
                return Err(Error::State(format!(
                    "database {dbname} does not exist; --swap replaces an existing database (use --create)"
                )));
            }
            // Fail before the long restore, not after it.
            guard::require_no_sessions(&mut admin, &dbname)?;
            let temp = temp_name();
            create_database(&mut admin, &temp, Some(&dbname))?;
            let outcome = plan.run(&params.with_dbname(&temp), &dbname).and_then(|n| {
                guard::require_no_sessions(&mut admin, &dbname)?;
                if guard::database_exists(&mut admin, &prev)? {
                    guard::require_no_sessions(&mut admin, &prev)?;
                    drop_database(&mut admin, &prev)?;
                }
                rename_database(&mut admin, &dbname, &prev)?;
                if let Err(e) = rename_database(&mut admin, &temp, &dbname) {
                    let _ = rename_database(&mut admin, &prev, &dbname);
                    return Err(e);
                }
                Ok(n)
            });
            match outcome {
                Ok(n) => errors = n,
                Err(e) => {
                    let _ = drop_database(&mut admin, &temp);
                    return Err(e);
                }
            }
            previous = Some(prev);
        }
    }
    Ok((errors, previous))
}

/// Copies the live database of `from` into the target of `params` by
/// streaming `pg_dump -Fc` into `pg_restore`: both run at once and no dump
/// touches the disk. The target is prepared as by [`restore`] (`opts.mode`);
/// `opts.jobs` and `opts.verify` do not apply to a stream.
pub fn copy(
    from: &ConnParams,
    params: &ConnParams,
    opts: &RestoreOptions,
    tools: &Tools,
    printer: &Printer,
) -> Result<RestoreReport> {
    let started = Instant::now();
    let server: String = db::connect(from)?
        .query_one(
            "SELECT split_part(current_setting('server_version'), ' ', 1)",
            &[],
        )
        .map_err(|e| Error::sql("reading the source's server version", e))?
        .get(0);
    super::check_pg_dump_version(&tools.pg_dump_version()?, &server, tools)?;
    let opts = RestoreOptions {
        jobs: None,
        ..opts.clone()
    };
    let plan = Plan {
        source: Source::Live(from),
        kind: DumpKind::Custom,
        manifest: None,
        opts: &opts,
        tools,
        printer,
    };
    let (errors, previous) = place(params, &plan)?;
    Ok(RestoreReport {
        database: params.dbname().to_string(),
        source: PathBuf::from(format!("(streamed from {})", from.target())),
        kind: DumpKind::Custom,
        verification: "streamed",
        mode: opts.mode,
        previous,
        errors_ignored: errors,
        version: None,
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

/// What `pum restore --previous` did.
#[derive(Debug, Clone, Serialize)]
pub struct SwapBack {
    pub database: String,
    /// The name the database that was in place now has.
    pub previous: String,
}

/// Swaps `<name>` and `<name>_previous` back (after a `--swap` restore).
pub fn swap_back(params: &ConnParams, protected: &[guard::Protected]) -> Result<SwapBack> {
    let dbname = params.dbname().to_string();
    let prev = previous_name(&dbname)?;
    let mut admin = db::connect(&db::maintenance(params))?;
    for name in [&dbname, &prev] {
        guard::refuse_protected(
            &identity::named(&mut admin, name)?,
            protected,
            "the database to swap back",
        )?;
        if !guard::database_exists(&mut admin, name)? {
            return Err(Error::State(format!(
                "database {name} does not exist; --previous swaps back what a restore --swap replaced"
            )));
        }
        guard::require_no_sessions(&mut admin, name)?;
    }
    let temp = temp_name();
    rename_database(&mut admin, &dbname, &temp)?;
    if let Err(e) = rename_database(&mut admin, &prev, &dbname) {
        let _ = rename_database(&mut admin, &temp, &dbname);
        return Err(e);
    }
    if let Err(e) = rename_database(&mut admin, &temp, &prev) {
        // Both still exist under known names; say where the current one is.
        return Err(Error::State(format!(
            "swapped {prev} into {dbname}, but renaming the replaced database {temp} to {prev} failed: {e}"
        )));
    }
    Ok(SwapBack {
        database: dbname,
        previous: prev,
    })
}

/// What a restore reads.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// A dump on disk.
    Archive(&'a Path),
    /// A live database, streamed through `pg_dump -Fc | pg_restore`.
    Live(&'a ConnParams),
}

/// The restore itself, independent of where it goes.
struct Plan<'a> {
    source: Source<'a>,
    kind: DumpKind,
    manifest: Option<&'a Manifest>,
    opts: &'a RestoreOptions,
    tools: &'a Tools,
    printer: &'a Printer,
}

impl Plan<'_> {
    /// Runs pg_restore into `params`' database; returns the number of
    /// errors ignored. `shown` is the database name the user knows (a swap
    /// restores into a temporary one).
    fn run(&self, params: &ConnParams, shown: &str) -> Result<u64> {
        let progress = Progress::new(self.printer, &format!("restoring {shown}"), false);
        let result = if self.kind == DumpKind::SchemaWise {
            self.run_schema_wise(params, &progress)
        } else {
            let mut args = self.common_args(&progress);
            for s in &self.opts.schemas {
                args.push(format!("--schema={s}").into());
            }
            for s in &self.opts.exclude_schemas {
                args.push(format!("--exclude-schema={s}").into());
            }
            match self.source {
                Source::Archive(path) => {
                    args.push(path.as_os_str().to_os_string());
                    self.pg_restore(params, args, &progress)
                }
                Source::Live(from) => self.pg_restore_streamed(from, params, args, &progress),
            }
        };
        progress.finish();
        result
    }

    /// Each archive holds one schema; restoring all definitions first, then
    /// all data, then all indexes and constraints lets a foreign key in one
    /// schema point at a table in another, whatever the file order.
    fn run_schema_wise(&self, params: &ConnParams, progress: &Progress) -> Result<u64> {
        let manifest = self.manifest.expect("checked by the caller");
        let Source::Archive(source) = self.source else {
            unreachable!("a stream is one custom archive")
        };
        let files: Vec<_> = manifest
            .files
            .iter()
            .filter(|f| {
                let schema = f.schema.as_deref().unwrap_or_default();
                (self.opts.schemas.is_empty() || self.opts.schemas.iter().any(|s| s == schema))
                    && !self.opts.exclude_schemas.iter().any(|s| s == schema)
            })
            .collect();
        // Each archive is restored through a list file (`pg_restore -L`):
        // `pg_dump -n public` writes `CREATE SCHEMA public`, which every new
        // (or cleaned) database already has, and foreign keys must wait for
        // the primary keys of every schema, so they get a pass of their own.
        let mut lists = Vec::new();
        for file in &files {
            lists.push(self.split_list(
                &source.join(&file.path),
                file.schema.as_deref() == Some("public"),
            )?);
        }
        let mut errors = 0;
        let passes = [
            ("pre-data", false),
            ("data", false),
            ("post-data", false),
            ("post-data", true),
        ];
        for (section, foreign_keys) in passes {
            for (file, (main, fks)) in files.iter().zip(&lists) {
                let list = if foreign_keys { fks } else { main };
                let Some(list) = list else { continue };
                let mut args = self.common_args(progress);
                args.push(format!("--section={section}").into());
                let mut arg = OsString::from("--use-list=");
                arg.push(list.path());
                args.push(arg);
                args.push(source.join(&file.path).into_os_string());
                errors += self.pg_restore(params, args, progress)?;
            }
        }
        Ok(errors)
    }

    /// The archive's table of contents split in two list files: everything
    /// but foreign keys (and without `CREATE SCHEMA public` when
    /// `skip_public`), and the foreign keys alone (`None` when there are none).
    fn split_list(
        &self,
        archive: &Path,
        skip_public: bool,
    ) -> Result<(
        Option<tempfile::NamedTempFile>,
        Option<tempfile::NamedTempFile>,
    )> {
        let out = std::process::Command::new(&self.tools.pg_restore)
            .arg("--list")
            .arg(archive)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| super::child::spawn_error(&self.tools.pg_restore, "pg_restore_exe", e))?;
        if !out.status.success() {
            return Err(Error::Child {
                program: "pg_restore".into(),
                command: format!(
                    "{} --list {}",
                    self.tools.pg_restore.display(),
                    archive.display()
                ),
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        let (mut main, mut fks) = (String::new(), String::new());
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if line.starts_with(';') || words.len() < 5 || !words[0].ends_with(';') {
                continue;
            }
            if words[3] == "FK" && words[4] == "CONSTRAINT" {
                fks.push_str(line);
                fks.push('\n');
            } else if !(skip_public && is_schema_entry(line, "public")) {
                main.push_str(line);
                main.push('\n');
            }
        }
        Ok((list_file(&main)?, list_file(&fks)?))
    }

    fn common_args(&self, progress: &Progress) -> Vec<OsString> {
        // An empty --dbname makes pg_restore connect (rather than print a
        // script) while libpq takes the database from PGDATABASE: the
        // command line carries no connection detail at all.
        let mut args: Vec<OsString> = vec!["--dbname=".into()];
        if progress.visible() {
            args.push("--verbose".into());
        }
        if self.opts.exit_on_error {
            args.push("--exit-on-error".into());
        }
        if self.opts.no_owner {
            args.push("--no-owner".into());
        }
        if let Some(j) = self.opts.jobs {
            args.push(format!("--jobs={j}").into());
        }
        args
    }

    /// `pg_dump -Fc` of `from` piped into pg_restore; a failure of
    /// pg_dump is reported as such, since pg_restore only sees the stream end.
    fn pg_restore_streamed(
        &self,
        from: &ConnParams,
        params: &ConnParams,
        args: Vec<OsString>,
        progress: &Progress,
    ) -> Result<u64> {
        use std::io::Read;
        use std::process::{Command, Stdio};
        let mut dump = Command::new(&self.tools.pg_dump);
        dump.arg("--format=custom")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in from.child_env() {
            match value {
                Some(v) => dump.env(key, v),
                None => dump.env_remove(key),
            };
        }
        let mut child = dump
            .spawn()
            .map_err(|e| Error::io(&self.tools.pg_dump, e))?;
        let stream = child.stdout.take().expect("stdout was piped");
        let mut dump_stderr = child.stderr.take().expect("stderr was piped");
        let drain = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = dump_stderr.read_to_string(&mut text);
            text
        });
        let restored = self.pg_restore_from(params, args, progress, Stdio::from(stream));
        if restored.is_err() {
            // pg_restore stopped reading: do not leave pg_dump blocked on the pipe.
            let _ = child.kill();
        }
        let status = child
            .wait()
            .map_err(|e| Error::io(&self.tools.pg_dump, e))?;
        let stderr = drain.join().unwrap_or_default();
        if !status.success() && restored.is_ok() {
            return Err(Error::Child {
                program: "pg_dump".into(),
                command: format!("{} --format=custom", self.tools.pg_dump.display()),
                status: status.to_string(),
                stderr: stderr.trim().to_string(),
            });
        }
        restored
    }

    fn pg_restore(
        &self,
        params: &ConnParams,
        args: Vec<OsString>,
        progress: &Progress,
    ) -> Result<u64> {
        self.pg_restore_from(params, args, progress, std::process::Stdio::null())
    }

    fn pg_restore_from(
        &self,
        params: &ConnParams,
        args: Vec<OsString>,
        progress: &Progress,
        stdin: std::process::Stdio,
    ) -> Result<u64> {
        let child = ChildRun {
            program: "pg_restore",
            exe: &self.tools.pg_restore,
            config_key: "pg_restore_exe",
            args,
            params,
            watch: None,
            tolerate_failure: !self.opts.exit_on_error,
        };
        let out = child.run_with_stdin(progress, stdin)?;
        let errors = ignored_errors(&out.stderr);
        if out.failed && errors == 0 {
            // Failed without the "errors ignored" summary (could not
            // connect, unreadable archive): not an error we may go past.
            return Err(Error::Child {
                program: "pg_restore".into(),
                command: child.display(),
                status: "exit status 1".into(),
                stderr: out.stderr.trim().to_string(),
            });
        }
        Ok(errors)
    }
}

/// A temporary `pg_restore -L` file holding `entries`, or `None` when there are none.
fn list_file(entries: &str) -> Result<Option<tempfile::NamedTempFile>> {
    if entries.is_empty() {
        return Ok(None);
    }
    let mut file =
        tempfile::NamedTempFile::new().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    std::io::Write::write_all(&mut file, entries.as_bytes())
        .map_err(|e| Error::io(file.path(), e))?;
    Ok(Some(file))
}

/// Whether a `pg_restore --list` line is the entry creating schema `name`
/// (`2; 2615 2200 SCHEMA - public postgres`).
fn is_schema_entry(line: &str, name: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    !line.starts_with(';')
        && words.len() >= 6
        && words[0].ends_with(';')
        && words[3] == "SCHEMA"
        && words[4] == "-"
        && words[5] == name
}

/// The count in pg_restore's closing `warning: errors ignored on restore: N`.
fn ignored_errors(stderr: &str) -> u64 {
    stderr
        .lines()
        .filter_map(|l| l.split_once("errors ignored on restore:"))
        .filter_map(|(_, n)| n.trim().parse::<u64>().ok())
        .sum()
}

/// Tells a dump without a manifest by its content.
fn sniff_kind(source: &Path) -> Result<DumpKind> {
    if source.is_dir() {
        if source.join("toc.dat").is_file() {
            return Ok(DumpKind::Directory);
        }
        return Err(Error::State(format!(
            "{} is a directory without toc.dat or manifest.json: not a dump",
            source.display()
        )));
    }
    let mut magic = [0u8; 5];
    let n = {
        use std::io::Read;
        let mut f = std::fs::File::open(source).map_err(|e| Error::io(source, e))?;
        f.read(&mut magic).map_err(|e| Error::io(source, e))?
    };
    Ok(if n == 5 && &magic == b"PGDMP" {
        DumpKind::Custom
    } else {
        DumpKind::Plain
    })
}

fn previous_name(dbname: &str) -> Result<String> {
    let prev = format!("{dbname}{PREVIOUS_SUFFIX}");
    if prev.len() > MAX_IDENT_BYTES {
        return Err(Error::Usage(format!(
            "database name {dbname} is too long to keep the replaced database as {prev} \
             (PostgreSQL names are at most {MAX_IDENT_BYTES} bytes)"
        )));
    }
    Ok(prev)
}

fn temp_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("pum_restore_{}_{nanos}", std::process::id())
}

/// Creates an empty database from `template0`; with `like`, with that
/// database's owner, encoding and locale so a swap changes nothing else.
fn create_database(admin: &mut Client, name: &str, like: Option<&str>) -> Result<()> {
    let mut sql = format!("CREATE DATABASE {} TEMPLATE template0", quote_ident(name));
    if let Some(like) = like {
        let row = admin
            .query_one(
                "SELECT pg_get_userbyid(datdba)::text, pg_encoding_to_char(encoding)::text, \
                 datcollate::text, datctype::text FROM pg_database WHERE datname = $1",
                &[&like],
            )
            .map_err(|e| Error::sql(format!("reading the settings of database {like}"), e))?;
        let (owner, encoding, collate, ctype): (String, String, String, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        sql.push_str(&format!(
            " OWNER {} ENCODING {} LC_COLLATE {} LC_CTYPE {}",
            quote_ident(&owner),
            db::quote_literal(&encoding),
            db::quote_literal(&collate),
            db::quote_literal(&ctype)
        ));
    }
    admin
        .batch_execute(&sql)
        .map_err(|e| Error::sql(format!("creating database {name}"), e))
}

fn drop_database(admin: &mut Client, name: &str) -> Result<()> {
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote_ident(name)))
        .map_err(|e| Error::sql(format!("dropping database {name}"), e))
}

fn rename_database(admin: &mut Client, from: &str, to: &str) -> Result<()> {
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {} RENAME TO {}",
            quote_ident(from),
            quote_ident(to)
        ))
        .map_err(|e| Error::sql(format!("renaming database {from} to {to}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_schema_entry_in_a_list() {
        assert!(is_schema_entry(
            "2; 2615 2200 SCHEMA - public pg_database_owner",
            "public"
        ));
        assert!(!is_schema_entry("; 2615 2200 SCHEMA - public x", "public"));
        assert!(!is_schema_entry(
            "3; 2615 2201 SCHEMA - app postgres",
            "public"
        ));
        assert!(!is_schema_entry(
            "4; 0 0 COMMENT - SCHEMA public x",
            "public"
        ));
    }

    #[test]
    fn counts_ignored_errors() {
        let text = "pg_restore: error: could not execute query\npg_restore: warning: errors ignored on restore: 3\n";
        assert_eq!(ignored_errors(text), 3);
        assert_eq!(ignored_errors("nothing"), 0);
    }

    #[test]
    fn previous_name_respects_the_identifier_limit() {
        assert_eq!(previous_name("prod").unwrap(), "prod_previous");
        assert!(previous_name(&"x".repeat(60)).is_err());
    }
}
