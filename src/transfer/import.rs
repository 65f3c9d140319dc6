//! `pum import`: each table's file (the newest, or a named one) loaded with
//! `COPY table (the file's columns) FROM STDIN`, the header matched to the
//! table's columns by name; truncate, load and manifest row in one
//! transaction, so a table is either loaded and recorded or untouched.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};

use postgres::Client;

use crate::config::{ImportStrategy, ImportTable};
use crate::db::{self, quote_ident, QualifiedName};
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::service::ConnParams;

use super::csv;
use super::location::Store;
use super::manifest::Manifest;
use super::tables::{self, Job};
use super::{work, Moved, RunOptions, RunReport, Setup};

/// Imports every configured table into the database of `params`.
pub fn import(
    params: &ConnParams,
    setup: &Setup<'_, ImportTable>,
    opts: &RunOptions,
    printer: &Printer,
) -> Result<RunReport> {
    let jobs = tables::expand(
        setup.tables,
        "import",
        "tables the location holds files of",
        || tables::stored_tables(setup.store),
    )?;
    for job in &jobs {
        if job.settings.strategy == Some(ImportStrategy::UseFilename) && job.settings.file.is_none()
        {
            return Err(Error::Settings(format!(
                "import.tables: {}: strategy use_filename needs file: NAME.csv",
                job.key
            )));
        }
    }
    let mut client = db::connect(params)?;
    let _cancel = crate::interrupt::watch_queries(&client, params);
    let run = Manifest::open(&mut client, &setup.manifest, opts.resume.as_deref())?;
    printer.step(format!(
        "import run {} (manifest {}) from {}",
        run.run_id, run.table, setup.location
    ));
    let columns = table_columns(&mut client, &jobs)?;
    let done = run.finished(&mut client)?;
    let (reports, stopped) = work(&jobs, &done, opts.strict, printer, |job| {
        let cols = columns.get(&job.key).map(Vec::as_slice);
        import_one(&mut client, setup.store, &run, job, cols)
    })?;
    Ok(RunReport {
        command: "import",
        run_id: run.run_id,
        manifest: run.table.to_string(),
        location: setup.location.to_string(),
        tables: reports,
        stopped,
    })
}

/// The columns of every job's table, by key, in one catalog query; a table
/// that does not exist has no entry.
fn table_columns(
    client: &mut Client,
    jobs: &[Job<ImportTable>],
) -> Result<HashMap<String, Vec<String>>> {
    let schemas: Vec<String> = jobs
        .iter()
        .map(|j| j.table.schema.clone().unwrap_or_default())
        .collect();
    let names: Vec<String> = jobs.iter().map(|j| j.table.name.clone()).collect();
    let rows = client
        .query(
            "SELECT n.nspname::text, c.relname::text, array_agg(a.attname::text ORDER BY a.attnum)
               FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
              WHERE c.relkind IN ('r', 'p', 'f')
                AND (n.nspname::text, c.relname::text) IN (SELECT * FROM unnest($1::text[], $2::text[]))
              GROUP BY 1, 2",
            &[&schemas, &names],
        )
        .map_err(|e| Error::sql("reading the columns of the tables to import", e))?;
    Ok(rows
        .iter()
        .map(|r| {
            let table = QualifiedName {
                schema: Some(r.get(0)),
                name: r.get(1),
            };
            (table.to_string(), r.get(2))
        })
        .collect())
}

fn import_one(
    client: &mut Client,
    store: &dyn Store,
    run: &Manifest,
    job: &Job<ImportTable>,
    columns: Option<&[String]>,
) -> Result<Moved> {
    let key = pick_file(store, job)?;
    run.started(client, &job.key)?;
    let result = match columns {
        Some(columns) => load(client, store, run, job, &key, columns),
        None => Err(Error::State(format!(
            "table {}: no such table in the target database (file {})",
            job.key,
            store.show(&key)
        ))),
    };
    if result.is_err() {
        // Rolled back; the row says so (its failure is the error returned).
        let _ = run.finished_table(client, &job.key, Some(&key), None, false);
    }
    result
}

/// The key of the file to load: the one named, or the newest.
fn pick_file(store: &dyn Store, job: &Job<ImportTable>) -> Result<String> {
    let folder = format!("{}/", job.key);
    if let Some(file) = &job.settings.file {
        return Ok(format!("{folder}{file}"));
    }
    let newest = store
        .list(&folder)?
        .into_iter()
        .filter(|k| k.ends_with(".csv"))
        .max();
    newest.ok_or_else(|| {
        Error::State(format!(
            "table {}: no <timestamp>.csv file in {}",
            job.key,
            store.show(&folder)
        ))
    })
}

/// One transaction: truncate (when asked), `COPY … FROM STDIN` with the
/// header's columns, the manifest row.
fn load(
    client: &mut Client,
    store: &dyn Store,
    run: &Manifest,
    job: &Job<ImportTable>,
    key: &str,
    columns: &[String],
) -> Result<Moved> {
    let shown = store.show(key);
    let mut reader = BufReader::with_capacity(1 << 20, store.open(key)?);
    let mut header = Vec::new();
    reader
        .read_until(b'\n', &mut header)
        .map_err(|e| Error::io(&shown, e))?;
    if header.is_empty() {
        return Err(Error::State(format!(
            "table {}: file {shown} is empty (no header line)",
            job.key
        )));
    }
    let names = csv::header_names(&String::from_utf8_lossy(&header));
    let cols = csv::column_list(&names, columns)
        .map_err(|why| Error::State(format!("file {shown} and table {}: {why}", job.key)))?;
    let failed = |message: String| Error::Sql {
        context: format!("table {}: loading {shown}", job.key),
        message,
    };
    let mut tx = client
        .transaction()
        .map_err(|e| failed(crate::error::describe_pg_error(&e)))?;
    if job.settings.truncate {
        tx.batch_execute(&format!("TRUNCATE {}", job.table.quoted()))
            .map_err(|e| failed(crate::error::describe_pg_error(&e)))?;
    }
    let list: Vec<String> = cols.iter().map(|c| quote_ident(c)).collect();
    // The header line was read here; the server gets the records only.
    let sql = format!(
        "COPY {} ({}) FROM STDIN (FORMAT csv)",
        job.table.quoted(),
        list.join(", ")
    );
    let mut writer = tx
        .copy_in(sql.as_str())
        .map_err(|e| failed(crate::error::describe_pg_error(&e)))?;
    let mut bytes = header.len() as u64;
    loop {
        let chunk = reader.fill_buf().map_err(|e| Error::io(&shown, e))?;
        if chunk.is_empty() {
            break;
        }
        writer
            .write_all(chunk)
            .map_err(|e| failed(super::stream_error(&e)))?;
        let n = chunk.len();
        bytes += n as u64;
        reader.consume(n);
    }
    let rows = writer
        .finish()
        .map_err(|e| failed(crate::error::describe_pg_error(&e)))?;
    let count = i64::try_from(rows).unwrap_or(i64::MAX);
    run.finished_table(&mut tx, &job.key, Some(key), Some(count), true)?;
    tx.commit()
        .map_err(|e| failed(crate::error::describe_pg_error(&e)))?;
    Ok(Moved {
        file: shown,
        rows,
        bytes,
    })
}
