//! Dumps and restores through the real `pg_dump` / `pg_restore`: formats,
//! `--jobs`, schema-wise archives, the manifest with every file's sha256,
//! atomic placement (a temporary name, renamed only when `pg_dump`
//! succeeded) and the restore guards. `pum dump`, `pum restore`, `pum dumps`
//! and `test-and-upgrade` all go through [`dump()`] and [`restore()`].

//!
//! This module holds the entry point and what it reports; `pg_dump` runs
//! the program, `schemas` picks a schema-wise dump's schemas, `placement`
//! moves the finished dump into place, `restore` goes the other way.

pub mod child;
pub mod guard;
pub mod listing;
pub mod manifest;
mod pg_dump;
mod placement;
pub mod progress;
mod restore;
mod schemas;
mod stream;

use std::path::{Path, PathBuf};
use std::time::Instant;

use postgres::Client;
use serde::Serialize;

use crate::db::{self, QualifiedName};
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::service::ConnParams;
use crate::{deltas, history};

pub use child::Tools;
pub use manifest::{DumpKind, FileEntry, Manifest, SchemaSelection};
pub use restore::{
    copy, local_copies, move_to, restore, restore_stream, swap_back, BeforeSwap, LocalCopy, Moved,
    OpenStream, Position, RestoreMode, RestoreOptions, RestoreReport, SwapBack,
};
pub use stream::dump_to;

use pg_dump::PgDump;
use placement::TempPath;
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
    /// Tables left out altogether (`pg_dump --exclude-table` patterns).
    pub exclude_tables: Vec<String>,
    /// SQL files run on the source, in order, before it is dumped.
    pub pre_dump: Vec<PathBuf>,
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
            exclude_tables: Vec::new(),
            pre_dump: Vec::new(),
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
            &format!(
                "SELECT current_database()::text, {}, \
                 to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
                db::SERVER_VERSION_SQL
            ),
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
    let kind = check_options(target, opts)?;
    let mut client = db::connect(params)?;
    run_pre_dump(&mut client, &opts.pre_dump, printer)?;
    let source = read_source(&mut client, opts.upgrades_table.as_ref(), &params.target())?;
    let pg_dump_version = tools.pg_dump_version()?;
    check_pg_dump_version(&pg_dump_version, &source.server_version, tools)?;

    let progress = Progress::new(printer, &format!("dumping {}", source.database), true);
    let tmp = TempPath::beside(target);
    let run = PgDump {
        params,
        opts,
        tools,
        progress: &progress,
    };
    let written = if opts.schema_wise {
        let names = schemas::to_dump(&mut client, opts)?;
        drop(client);
        run.schema_wise(tmp.path(), names)?
    } else {
        drop(client);
        run.whole(tmp.path(), target)?
    };
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
        pum_version: Some(manifest::PUM_VERSION.to_string()),
        schemas: written.schemas.clone(),
        schema_only: opts.schema_only,
        exclude_table_data: opts.exclude_table_data.clone(),
        files: written.files.clone(),
    };
    let manifest_path = placement::place(tmp, target, &manifest)?;
    Ok(DumpInfo {
        path: target.to_path_buf(),
        manifest: manifest_path,
        kind,
        database: source.database,
        created_at: source.created_at,
        server_version: source.server_version,
        pg_dump_version,
        version: source.version,
        schemas: written.schemas,
        size: manifest.total_size(),
        files: written.files,
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

/// Runs the `--pre-dump` files on the source, each in one round trip,
/// saying so: what the dump holds then depends on them.
fn run_pre_dump(client: &mut Client, files: &[PathBuf], printer: &Printer) -> Result<()> {
    for file in files {
        let sql = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        client.batch_execute(&sql).map_err(|e| {
            let e = Error::sql(format!("running --pre-dump {}", file.display()), e);
            Error::State(format!("{e}; nothing was dumped"))
        })?;
        printer.step(format!("pre-dump: ran {} on the source", file.display()));
    }
    Ok(())
}

impl DumpInfo {
    /// What a dump written elsewhere than a local path is (a store's
    /// object), from its manifest.
    pub fn from_manifest(
        path: PathBuf,
        manifest_path: PathBuf,
        manifest: &Manifest,
        duration_ms: u64,
    ) -> DumpInfo {
        DumpInfo {
            path,
            manifest: manifest_path,
            kind: manifest.kind,
            database: manifest.database.clone(),
            created_at: manifest.created_at.clone(),
            server_version: manifest.server_version.clone(),
            pg_dump_version: manifest.pg_dump_version.clone(),
            version: manifest.version.clone(),
            schemas: manifest.schemas.clone(),
            files: manifest.files.clone(),
            size: manifest.total_size(),
            duration_ms,
        }
    }
}

/// Refuses options that do not go together and a target that cannot take
/// the dump, before connecting; returns the kind of dump to write.
fn check_options(target: &Path, opts: &DumpOptions) -> Result<DumpKind> {
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
    let kind = if opts.schema_wise {
        DumpKind::SchemaWise
    } else {
        opts.format.kind()
    };
    placement::check_target_shape(target, kind)?;
    placement::refuse_to_lose(target, opts.overwrite)?;
    if !target.is_dir() {
        crate::private_file::check_writable(target, "dump")?;
    }
    Ok(kind)
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
}
