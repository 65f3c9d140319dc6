//! Dumps and restores through the real `pg_dump` / `pg_restore`: formats,
//! `--jobs`, schema-wise archives, the manifest with every file's sha256,
//! atomic placement (a temporary name, renamed only when `pg_dump`
//! succeeded) and the restore guards. `pum dump`, `pum restore`, `pum dumps`
//! and `test-and-upgrade` all go through [`dump()`] and [`restore()`].

pub mod child;
pub mod guard;
pub mod listing;
pub mod manifest;
pub mod progress;
mod restore;

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use postgres::Client;
use serde::Serialize;

use crate::db::{self, quote_ident, QualifiedName};
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::service::ConnParams;
use crate::{deltas, history};

pub use child::Tools;
pub use manifest::{DumpKind, FileEntry, Manifest, SchemaSelection};
pub use restore::{copy, restore, swap_back, RestoreMode, RestoreOptions, RestoreReport, SwapBack};

use child::ChildRun;
use progress::Progress;

/// The archive format `pg_dump` writes (`-F`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DumpFormat {
    /// One compressed archive (`pg_dump -Fc`); restorable in parallel.
    #[default]
    Custom,
    /// A directory of compressed files (`pg_dump -Fd`); dumped and restored in parallel.
    Directory,
    /// One SQL script (`pg_dump -Fp`), for reading or psql; pum does not restore it.
    Plain,
}

impl DumpFormat {
    fn pg_dump_arg(self) -> &'static str {
        match self {
            DumpFormat::Custom => "--format=custom",
            DumpFormat::Directory => "--format=directory",
            DumpFormat::Plain => "--format=plain",
        }
    }

    fn kind(self) -> DumpKind {
        match self {
            DumpFormat::Custom => DumpKind::Custom,
            DumpFormat::Directory => DumpKind::Directory,
            DumpFormat::Plain => DumpKind::Plain,
        }
    }
}

/// What to dump and how.
#[derive(Debug, Clone)]
pub struct DumpOptions {
    pub format: DumpFormat,
    /// Parallel workers (directory format only).
    pub jobs: Option<u32>,
    /// Only these schemas (`pg_dump -n` patterns; exact names with `schema_wise`).
    pub schemas: Vec<String>,
    /// Leave these schemas out (`pg_dump -N` patterns; exact names with `schema_wise`).
    pub exclude_schemas: Vec<String>,
    pub schema_only: bool,
    /// Tables whose rows are left out (`pg_dump --exclude-table-data` patterns).
    pub exclude_table_data: Vec<String>,
    /// Write a directory with one custom archive per user schema.
    pub schema_wise: bool,
    /// Read the finished archive back with `pg_restore --list` before
    /// placing it (custom, directory, schema-wise).
    pub verify: bool,
    /// Record the database's version from this upgrades table in the manifest.
    pub upgrades_table: Option<QualifiedName>,
    /// Replace an existing dump at the target (a file, or a dump directory).
    pub overwrite: bool,
}

impl Default for DumpOptions {
    fn default() -> Self {
        DumpOptions {
            format: DumpFormat::Custom,
            jobs: None,
            schemas: Vec::new(),
            exclude_schemas: Vec::new(),
            schema_only: false,
            exclude_table_data: Vec::new(),
            schema_wise: false,
            verify: true,
            upgrades_table: None,
            overwrite: false,
        }
    }
}

/// What a finished dump is; also its `--format json` output.
#[derive(Debug, Clone, Serialize)]
pub struct DumpInfo {
    /// The dump file or directory.
    pub path: PathBuf,
    pub manifest: PathBuf,
    pub kind: DumpKind,
    pub database: String,
    pub created_at: String,
    pub server_version: String,
    pub pg_dump_version: String,
    pub version: Option<String>,
    pub schemas: SchemaSelection,
    pub files: Vec<FileEntry>,
    /// Total bytes of the dump's files.
    pub size: u64,
    pub duration_ms: u64,
}

/// Facts about the source database, read once before dumping.
struct Source {
    database: String,
    server_version: String,
    created_at: String,
    version: Option<String>,
}

fn read_source(client: &mut Client, table: Option<&QualifiedName>, target: &str) -> Result<Source> {
    let row = client
        .query_one(
            "SELECT current_database()::text, split_part(current_setting('server_version'), ' ', 1), \
             to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
            &[],
        )
        .map_err(|e| Error::sql("reading the database name and server version", e))?;
    let version = match table {
        Some(table) => {
            history::require(client, table, target)?;
            let rows = history::read(client, table)?;
            let applied: Vec<_> = rows.iter().map(history::HistoryRow::as_applied).collect();
            deltas::plan::current_version(&applied).map(|v| v.to_string())
        }
        None => None,
    };
    Ok(Source {
        database: row.get(0),
        server_version: row.get(1),
        created_at: row.get(2),
        version,
    })
}

/// Refuses a `pg_dump` older than the server: it could not read the
/// server's catalogs, or would silently miss what it does not know.
pub(crate) fn check_pg_dump_version(pg_dump: &str, server: &str, tools: &Tools) -> Result<()> {
    match (child::major(pg_dump), child::major(server)) {
        (Some(ours), Some(theirs)) if ours < theirs => Err(Error::State(format!(
            "{} is version {pg_dump}, older than the server ({server}); pg_dump must be at least the server's version. \
             Install a newer PostgreSQL client or point pg_dump_exe in pum.yaml at one",
            tools.pg_dump.display()
        ))),
        _ => Ok(()),
    }
}

/// A path removed on drop unless [`TempPath::keep`] was called: a failed or
/// panicking dump leaves no partial file behind.
struct TempPath(Option<PathBuf>);

impl TempPath {
    fn path(&self) -> &Path {
        self.0.as_deref().expect("temporary path still owned")
    }

    fn keep(mut self) -> PathBuf {
        self.0.take().expect("temporary path still owned")
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            if p.is_dir() {
                let _ = std::fs::remove_dir_all(&p);
            } else {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
}

/// Dumps the database of `params` to `target` (a file, or a directory for
/// the directory format and schema-wise dumps) and writes its manifest.
/// Nothing appears under `target` unless `pg_dump` succeeded.
pub fn dump(
    params: &ConnParams,
    target: &Path,
    opts: &DumpOptions,
    tools: &Tools,
    printer: &Printer,
) -> Result<DumpInfo> {
    let started = Instant::now();
    if opts.jobs.is_some() && opts.format != DumpFormat::Directory {
        return Err(Error::Usage(
            "-j/--jobs needs the directory format (-F directory): pg_dump writes other formats with one process".into(),
        ));
    }
    if opts.schema_wise && opts.format != DumpFormat::Custom {
        return Err(Error::Usage(
            "--schema-wise writes one custom archive per schema; it takes no -F/--dump-format"
                .into(),
        ));
    }
    if target.is_file() && (opts.schema_wise || opts.format == DumpFormat::Directory) {
        return Err(Error::Usage(format!(
            "{} is a file; a directory or schema-wise dump needs a directory name",
            target.display()
        )));
    }
    if target.is_dir() && !(opts.schema_wise || opts.format == DumpFormat::Directory) {
        return Err(Error::Usage(format!(
            "{} is a directory; name the dump file to write",
            target.display()
        )));
    }
    refuse_to_lose(target, opts.overwrite)?;
    if !target.is_dir() {
        crate::private_file::check_writable(target, "dump")?;
    }
    let mut client = db::connect(params)?;
    let source = read_source(&mut client, opts.upgrades_table.as_ref(), &params.target())?;
    let pg_dump_version = tools.pg_dump_version()?;
    check_pg_dump_version(&pg_dump_version, &source.server_version, tools)?;

    let progress = Progress::new(printer, &format!("dumping {}", source.database), true);
    let tmp = TempPath(Some(manifest::sibling_temp(target)));
    let kind;
    let files;
    let schemas;
    if opts.schema_wise {
        kind = DumpKind::SchemaWise;
        let names = dump_schemas(&mut client, opts)?;
        drop(client);
        std::fs::create_dir(tmp.path()).map_err(|e| Error::io(tmp.path(), e))?;
        set_mode(tmp.path(), 0o700)?;
        let mut entries = Vec::new();
        for (i, schema) in names.iter().enumerate() {
            let file = format!("{:03}-{}.dump", i + 1, file_safe(schema));
            let path = tmp.path().join(&file);
            manifest::create_private(&path)?;
            let mut args = common_dump_args(opts, &progress);
            args.push(DumpFormat::Custom.pg_dump_arg().into());
            args.push(format!("--schema={}", quote_ident(schema)).into());
            args.push(file_arg(&path));
            run_pg_dump(tools, params, args, tmp.path(), &progress)?;
            let (size, sha256) = manifest::hash_file(&path)?;
            entries.push(FileEntry {
                path: file,
                size,
                sha256,
                schema: Some(schema.clone()),
            });
        }
        if opts.verify {
            for e in &entries {
                list_archive(tools, &tmp.path().join(&e.path))?;
            }
        }
        files = entries;
        schemas = SchemaSelection {
            included: names,
            excluded: opts.exclude_schemas.clone(),
        };
    } else {
        drop(client);
        kind = opts.format.kind();
        let mut args = common_dump_args(opts, &progress);
        args.push(opts.format.pg_dump_arg().into());
        if let Some(j) = opts.jobs {
            args.push(format!("--jobs={j}").into());
        }
        for s in &opts.schemas {
            args.push(format!("--schema={s}").into());
        }
        for s in &opts.exclude_schemas {
            args.push(format!("--exclude-schema={s}").into());
        }
        if opts.format != DumpFormat::Directory {
            // Created up front so the file is private from its first byte;
            // pg_dump truncates it and keeps the mode.
            manifest::create_private(tmp.path())?;
        }
        args.push(file_arg(tmp.path()));
        run_pg_dump(tools, params, args, tmp.path(), &progress)?;
        files = if kind.is_dir() {
            private_tree(tmp.path())?;
            manifest::entries_under(tmp.path())?
        } else {
            let (size, sha256) = manifest::hash_file(tmp.path())?;
            vec![FileEntry {
                path: target
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                size,
                sha256,
                schema: None,
            }]
        };
        if opts.verify && kind != DumpKind::Plain {
            list_archive(tools, tmp.path())?;
        }
        schemas = SchemaSelection {
            included: opts.schemas.clone(),
            excluded: opts.exclude_schemas.clone(),
        };
    }
    progress.finish();

    let manifest = Manifest {
        pum_manifest: manifest::MANIFEST_VERSION,
        kind,
        database: source.database.clone(),
        created_at: source.created_at.clone(),
        server_version: source.server_version.clone(),
        pg_dump_version: pg_dump_version.clone(),
        version: source.version.clone(),
        upgrades_table: opts.upgrades_table.as_ref().map(ToString::to_string),
        schemas: schemas.clone(),
        schema_only: opts.schema_only,
        exclude_table_data: opts.exclude_table_data.clone(),
        files: files.clone(),
    };
    let manifest_path = if kind.is_dir() {
        manifest.write(&tmp.path().join(manifest::DIR_MANIFEST))?;
        place_dir(tmp, target)?;
        target.join(manifest::DIR_MANIFEST)
    } else {
        // The manifest goes first: a manifest without its dump is plainly
        // incomplete, while the dump itself appears only once whole.
        let path = manifest::beside(target);
        manifest.write(&path)?;
        let partial = tmp.keep();
        std::fs::rename(&partial, target).map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            Error::io(target, e)
        })?;
        path
    };
    Ok(DumpInfo {
        path: target.to_path_buf(),
        manifest: manifest_path,
        kind,
        database: source.database,
        created_at: source.created_at,
        server_version: source.server_version,
        pg_dump_version,
        version: source.version,
        schemas,
        size: manifest.total_size(),
        files,
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

/// Nothing already at the target is replaced unless asked (`--overwrite`),
/// and a directory holding anything but a pum dump never is. Checked before
/// connecting, so the refusal comes before the long work.
fn refuse_to_lose(target: &Path, overwrite: bool) -> Result<()> {
    if target.is_dir() {
        if is_empty_dir(target) {
            return Ok(());
        }
        if !target.join(manifest::DIR_MANIFEST).is_file() {
            return Err(Error::Refused(format!(
                "{} exists and holds files that are not a pum dump; refusing to replace it \
                 (name a new or empty directory)",
                target.display()
            )));
        }
    } else if !target.exists() && target.symlink_metadata().is_err() {
        return Ok(());
    }
    if overwrite {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "{} exists; refusing to overwrite it (pass --overwrite to replace it)",
        target.display()
    )))
}

/// Arguments every pg_dump run gets, whatever the format.
fn common_dump_args(opts: &DumpOptions, progress: &Progress) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    if progress.visible() {
        args.push("--verbose".into());
    }
    if opts.schema_only {
        args.push("--schema-only".into());
    }
    for t in &opts.exclude_table_data {
        args.push(format!("--exclude-table-data={t}").into());
    }
    // The database comes from PGDATABASE in the child's environment: no
    // connection detail ever appears on the command line.
    args
}

fn file_arg(path: &Path) -> OsString {
    let mut arg = OsString::from("--file=");
    arg.push(path.as_os_str());
    arg
}

fn run_pg_dump(
    tools: &Tools,
    params: &ConnParams,
    args: Vec<OsString>,
    watch: &Path,
    progress: &Progress,
) -> Result<()> {
    ChildRun {
        program: "pg_dump",
        exe: &tools.pg_dump,
        config_key: "pg_dump_exe",
        args,
        params,
        watch: Some(watch),
        tolerate_failure: false,
    }
    .run(progress)
    .map(|_| ())
}

/// Reads an archive's table of contents, proving it is complete and readable.
fn list_archive(tools: &Tools, archive: &Path) -> Result<()> {
    let out = std::process::Command::new(&tools.pg_restore)
        .arg("--list")
        .arg(archive)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .map_err(|e| child::spawn_error(&tools.pg_restore, "pg_restore_exe", e))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Child {
            program: "pg_restore".into(),
            command: format!(
                "{} --list {}",
                tools.pg_restore.display(),
                archive.display()
            ),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// The user schemas a schema-wise dump writes, in name order: every schema
/// that is not a system schema or owned by an extension, `-n` keeping only
/// the named ones and `-N` leaving the named ones out (exact names).
fn dump_schemas(client: &mut Client, opts: &DumpOptions) -> Result<Vec<String>> {
    let rows = client
        .query(
            "SELECT n.nspname::text FROM pg_namespace n \
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' \
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass \
                               AND d.objid = n.oid AND d.deptype = 'e') \
             ORDER BY 1",
            &[],
        )
        .map_err(|e| Error::sql("listing the schemas to dump", e))?;
    let all: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    for wanted in opts.schemas.iter().chain(&opts.exclude_schemas) {
        if !all.contains(wanted) {
            return Err(Error::Usage(format!(
                "schema {wanted:?} not found in the database (with --schema-wise, -n/-N take exact schema names)"
            )));
        }
    }
    let chosen: Vec<String> = all
        .into_iter()
        .filter(|s| opts.schemas.is_empty() || opts.schemas.contains(s))
        .filter(|s| !opts.exclude_schemas.contains(s))
        .collect();
    let edges: Vec<(String, String)> = client
        .query(include_str!("sql/schema_dependencies.sql"), &[])
        .map_err(|e| Error::sql("reading dependencies between schemas", e))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    Ok(dependency_order(chosen, &edges))
}

/// Orders schemas so that each comes after the schemas its definitions
/// refer to (`edges` are `(dependent, referenced)`), ties by name; schemas
/// caught in a cycle follow in name order. A schema-wise restore goes
/// through the archives in this order.
fn dependency_order(mut schemas: Vec<String>, edges: &[(String, String)]) -> Vec<String> {
    schemas.sort();
    let mut placed: Vec<String> = Vec::with_capacity(schemas.len());
    let mut waiting = schemas;
    while !waiting.is_empty() {
        let ready = waiting.iter().position(|s| {
            edges.iter().all(|(dependent, referenced)| {
                dependent != s
                    || referenced == s
                    || placed.contains(referenced)
                    || !waiting.contains(referenced)
            })
        });
        // In a cycle nothing is ready: take the first by name and go on.
        let next = waiting.remove(ready.unwrap_or(0));
        placed.push(next);
    }
    placed
}

/// A schema name made safe as part of a file name; the manifest keeps the real name.
fn file_safe(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    if s.is_empty() {
        "_".into()
    } else {
        s
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(path, e))
}

/// Makes a directory dump private: pg_dump creates its files with the umask.
fn private_tree(dir: &Path) -> Result<()> {
    set_mode(dir, 0o700)?;
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.is_dir() {
            private_tree(&path)?;
        } else {
            set_mode(&path, 0o600)?;
        }
    }
    Ok(())
}

/// Moves a finished directory dump into place. An existing dump directory
/// there is replaced, but only after the new one is complete.
fn place_dir(tmp: TempPath, target: &Path) -> Result<()> {
    if target.exists() {
        if !target.join(manifest::DIR_MANIFEST).is_file() && !is_empty_dir(target) {
            return Err(Error::Refused(format!(
                "{} exists and is not a pum dump; refusing to replace it",
                target.display()
            )));
        }
        let old = TempPath(Some(manifest::sibling_temp(&target.with_extension("old"))));
        std::fs::rename(target, old.path()).map_err(|e| Error::io(target, e))?;
        let new = tmp.keep();
        if let Err(e) = std::fs::rename(&new, target) {
            // Put the old dump back; the new one is dropped with `new`'s guard.
            let _ = std::fs::rename(old.keep(), target);
            let _ = std::fs::remove_dir_all(&new);
            return Err(Error::io(target, e));
        }
        return Ok(());
    }
    let new = tmp.keep();
    std::fs::rename(&new, target).map_err(|e| {
        let _ = std::fs::remove_dir_all(&new);
        Error::io(target, e)
    })
}

fn is_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_pg_dump_is_refused_with_both_versions() {
        let tools = Tools::default();
        let err = check_pg_dump_version("14.2", "15.1", &tools).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("14.2") && msg.contains("15.1") && msg.contains("pg_dump_exe"));
        assert!(check_pg_dump_version("16.0", "15.1", &tools).is_ok());
        assert!(check_pg_dump_version("15.0", "15.9", &tools).is_ok());
    }

    #[test]
    fn schemas_follow_the_schemas_they_depend_on() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let edge = |a: &str, b: &str| (a.to_string(), b.to_string());
        let order = dependency_order(
            names(&["public", "audit", "Odd", "app"]),
            &[
                edge("Odd", "app"),
                edge("audit", "app"),
                edge("app", "public"),
            ],
        );
        assert_eq!(order, ["public", "app", "Odd", "audit"]);
        // Edges to schemas not dumped hold nothing back (c is ready first);
        // a cycle falls back to name order.
        let order = dependency_order(
            names(&["b", "a", "c"]),
            &[edge("a", "b"), edge("b", "a"), edge("c", "elsewhere")],
        );
        assert_eq!(order, ["c", "a", "b"]);
    }

    #[test]
    fn schema_names_become_safe_file_names() {
        assert_eq!(file_safe("public"), "public");
        assert_eq!(file_safe("a/b c"), "a_b_c");
        assert_eq!(file_safe("ünï"), "ünï");
    }
}
