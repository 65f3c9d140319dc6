//! A dump that streams: `pg_dump -Fc` writes to its standard output, which
//! is hashed on the way and handed to a writer as it comes (a store's
//! multipart upload), so no copy of the dump ever lands on disk. The
//! manifest is made from what went through.

use std::io::{Read, Write};
use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::db;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::service::ConnParams;

use super::child::Tools;
use super::manifest::{self, DumpKind, FileEntry, Manifest, SchemaSelection};
use super::pg_dump::PgDump;
use super::progress::Progress;
use super::{check_pg_dump_version, read_source, run_pre_dump, DumpFormat, DumpOptions};

/// Bytes read from pg_dump at a time.
const BLOCK: usize = 1 << 20;

/// Dumps the database of `params` as one custom archive into `sink`;
/// returns the manifest (its file entry named `file_name`) and how long it
/// took. The caller owns `sink` and decides what a failure leaves there
/// (a store aborts its upload).
pub fn dump_to(
    params: &ConnParams,
    opts: &DumpOptions,
    tools: &Tools,
    printer: &Printer,
    file_name: &str,
    sink: &mut dyn Write,
) -> Result<(Manifest, u64)> {
    let started = Instant::now();
    check_streamable(opts)?;
    let mut client = db::connect(params)?;
    run_pre_dump(&mut client, &opts.pre_dump, printer)?;
    let source = read_source(&mut client, opts.upgrades_table.as_ref(), &params.target())?;
    drop(client);
    let pg_dump_version = tools.pg_dump_version()?;
    check_pg_dump_version(&pg_dump_version, &source.server_version, tools)?;

    let progress = Progress::new(printer, &format!("dumping {}", source.database), true);
    let run = PgDump {
        params,
        opts,
        tools,
        progress: &progress,
    };
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut drain = |out: &mut dyn Read| -> Result<()> {
        let mut buf = vec![0u8; BLOCK];
        loop {
            let n = out
                .read(&mut buf)
                .map_err(|e| Error::State(format!("reading pg_dump's output: {e}")))?;
            if n == 0 {
                return Ok(());
            }
            hasher.update(&buf[..n]);
            size += n as u64;
            progress.bytes(size);
            sink.write_all(&buf[..n])
                .map_err(|e| Error::State(e.to_string()))?;
        }
    };
    run.child(run.whole_args())
        .run_draining(&progress, &mut drain)?;
    progress.finish();
    if size == 0 {
        return Err(Error::State("pg_dump wrote nothing".into()));
    }
    let manifest = Manifest {
        pum_manifest: manifest::MANIFEST_VERSION,
        kind: DumpKind::Custom,
        database: source.database,
        created_at: source.created_at,
        server_version: source.server_version,
        pg_dump_version,
        version: source.version,
        upgrades_table: opts.upgrades_table.as_ref().map(ToString::to_string),
        pum_version: Some(manifest::PUM_VERSION.to_string()),
        schemas: SchemaSelection {
            included: opts.schemas.clone(),
            excluded: opts.exclude_schemas.clone(),
        },
        schema_only: opts.schema_only,
        exclude_table_data: opts.exclude_table_data.clone(),
        files: vec![FileEntry {
            path: file_name.to_string(),
            size,
            sha256: hex(&hasher.finalize()),
            schema: None,
        }],
    };
    Ok((manifest, started.elapsed().as_millis() as u64))
}

/// A stream is one custom archive written by one process.
fn check_streamable(opts: &DumpOptions) -> Result<()> {
    if opts.format != DumpFormat::Custom || opts.schema_wise || opts.jobs.is_some() {
        return Err(Error::Usage(
            "a dump to S3 is one custom archive: -F directory|plain, -j and --schema-wise need a local target"
                .into(),
        ));
    }
    Ok(())
}

pub(crate) fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
