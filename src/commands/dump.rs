//! `pum dump`: wires the flags to [`crate::dump::dump`] (a file or
//! directory), [`crate::store::put`] (a store, an S3 object) and reports the
//! result; with several databases, one summary table.

use std::path::Path;

use indicatif::HumanBytes;

use crate::cli::DumpArgs;
use crate::db::{self, QualifiedName};
use crate::dump::{self, DumpInfo, DumpOptions};
use crate::error::{Error, Result};
use crate::output::{format_ms, Style};
use crate::service::ConnParams;
use crate::settings::Settings;
use crate::store::{put::Put, Location};
use crate::Outcome;

pub fn run(ctx: &Settings, args: &DumpArgs) -> Result<Outcome> {
    let table = args
        .table
        .as_deref()
        .map(QualifiedName::parse)
        .transpose()?;
    let opts = DumpOptions {
        format: args.dump_format,
        jobs: args.jobs,
        schemas: args.schemas.schemas.clone(),
        exclude_schemas: args.schemas.exclude_schemas.clone(),
        schema_only: args.schema_only,
        exclude_table_data: args.exclude_table_data.clone(),
        schema_wise: args.schema_wise.is_some(),
        verify: !args.no_verify,
        upgrades_table: table,
        overwrite: args.overwrite,
        exclude_tables: args.exclude_tables.clone(),
        pre_dump: args.pre_dump.clone(),
    };
    let put = Put {
        opts: &opts,
        tools: &ctx.tools,
        printer: &ctx.printer,
        env: &ctx.env,
    };
    if let Some(store) = &args.store {
        let location = Location::parse(store)?;
        let sources = sources(ctx, args)?;
        if sources.len() > 1 {
            return dump_many(ctx, &put, &location, args, &sources);
        }
        let params = &sources[0];
        let info = put
            .to_store(&location, args.name.as_deref(), params)
            .map_err(|e| nothing_written(e, &location.shown()))?;
        print_one(ctx, &info);
        return Ok(Outcome::Success);
    }
    if args.services.len() > 1 {
        return Err(Error::Usage(
            "several -p need --store LOCATION: each database gets its own key there".into(),
        ));
    }
    let params = ctx.service(args.services.first().map(String::as_str))?;
    let info = match (&args.schema_wise, args.file.as_deref()) {
        (None, Some(url)) if url.starts_with("s3://") => put.to_url(url, &params)?,
        (Some(dir), _) => local(ctx, &params, dir, &opts)?,
        (None, Some(file)) => local(ctx, &params, Path::new(file), &opts)?,
        (None, None) => unreachable!("clap requires FILE, --store or --schema-wise"),
    };
    print_one(ctx, &info);
    Ok(Outcome::Success)
}

fn local(
    ctx: &Settings,
    params: &ConnParams,
    target: &Path,
    opts: &DumpOptions,
) -> Result<DumpInfo> {
    dump::dump(params, target, opts, &ctx.tools, &ctx.printer)
        .map_err(|e| nothing_written(e, &target.display().to_string()))
}

/// By now the partial files are gone (the dump removes them on the way out).
fn nothing_written(e: crate::error::Error, target: &str) -> crate::error::Error {
    crate::interrupt::with_state(e, format!("nothing written to {target}"))
}

/// The databases to dump: each -p, or with --all every connectable
/// non-template database of the first one's server.
fn sources(ctx: &Settings, args: &DumpArgs) -> Result<Vec<ConnParams>> {
    let mut out = Vec::new();
    if args.services.is_empty() {
        out.push(ctx.service(None)?);
    }
    for spec in &args.services {
        out.push(ctx.service(Some(spec))?);
    }
    if !args.all {
        return Ok(out);
    }
    let first = out.swap_remove(0);
    let mut admin = db::connect(&db::maintenance(&first))?;
    let rows = admin
        .query(
            "SELECT datname::text FROM pg_database \
             WHERE datallowconn AND NOT datistemplate ORDER BY datname",
            &[],
        )
        .map_err(|e| Error::sql("listing the server's databases", e))?;
    Ok(rows
        .iter()
        .map(|r| first.with_dbname(&r.get::<_, String>(0)))
        .collect())
}

/// Each database into the store, one row each; a failure stops the rest
/// only with --strict.
fn dump_many(
    ctx: &Settings,
    put: &Put<'_>,
    location: &Location,
    args: &DumpArgs,
    sources: &[ConnParams],
) -> Result<Outcome> {
    let p = &ctx.printer;
    let mut rows = Vec::new();
    let mut failed = 0;
    for params in sources {
        crate::interrupt::check("dump")?;
        let outcome = put.to_store(location, args.name.as_deref(), params);
        if outcome.is_err() {
            failed += 1;
        }
        let stop = outcome.is_err() && args.strict;
        rows.push((params.dbname().to_string(), outcome));
        if stop {
            break;
        }
    }
    let skipped = sources.len() - rows.len();
    if p.is_json() {
        let items: Vec<_> = rows
            .iter()
            .map(|(db, r)| match r {
                Ok(info) => serde_json::json!({"database": db, "ok": true, "dump": info}),
                Err(e) => serde_json::json!({"database": db, "ok": false, "error": e.to_string()}),
            })
            .collect();
        p.json(&serde_json::json!({
            "store": location.shown(),
            "databases": items,
            "failed": failed,
            "not_started": skipped,
        }));
    } else {
        let mut table = p.table(&["Database", "Result", "Size", "Time", "Dump"]);
        for (db, r) in &rows {
            table.add_row(match r {
                Ok(info) => vec![
                    db.clone(),
                    p.paint("ok", Style::Good),
                    HumanBytes(info.size).to_string(),
                    format_ms(info.duration_ms),
                    info.path.display().to_string(),
                ],
                Err(e) => vec![
                    db.clone(),
                    p.paint("FAILED", Style::Bad),
                    "-".into(),
                    "-".into(),
                    e.to_string(),
                ],
            });
        }
        p.out(table.to_string());
        if skipped > 0 {
            p.warn(format!(
                "--strict: {skipped} database(s) not started after the failure"
            ));
        }
    }
    Ok(if failed == 0 {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

fn print_one(ctx: &Settings, info: &DumpInfo) {
    if ctx.printer.is_json() {
        ctx.printer
            .json(&serde_json::to_value(info).expect("dump info always serialises"));
        return;
    }
    let version = info
        .version
        .as_deref()
        .map(|v| format!(" at version {v}"))
        .unwrap_or_default();
    ctx.printer.out(format!(
        "dumped {}{version} to {} ({} dump, {} in {} file(s), {})",
        info.database,
        info.path.display(),
        info.kind.label(),
        HumanBytes(info.size),
        info.files.len(),
        format_ms(info.duration_ms)
    ));
}
