//! `pum dump`: wires the flags to [`crate::dump::dump`] and reports the result.

use std::path::PathBuf;

use clap::Args;
use indicatif::HumanBytes;

use crate::cli::ServiceArg;
use crate::db::QualifiedName;
use crate::dump::{self, DumpFormat, DumpOptions, Tools};
use crate::error::Result;
use crate::{upgrade, Context, Outcome};

#[derive(Debug, Args)]
pub struct DumpArgs {
    #[command(flatten)]
    pub service: ServiceArg,
    /// Upgrades table: record the database's version in the manifest.
    #[arg(short = 't', long = "table", value_name = "TABLE")]
    pub table: Option<String>,
    /// The dump file (a directory for -F directory).
    #[arg(value_name = "FILE", required_unless_present = "schema_wise")]
    pub file: Option<PathBuf>,
    /// Archive format written by pg_dump.
    #[arg(short = 'F', long = "dump-format", value_enum, default_value_t = DumpFormat::Custom)]
    pub dump_format: DumpFormat,
    /// Parallel pg_dump workers (directory format only).
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// Dump only this schema (pg_dump pattern); repeatable.
    #[arg(short = 'n', long = "schema", value_name = "SCHEMA")]
    pub schemas: Vec<String>,
    /// Leave this schema out (pg_dump pattern); repeatable.
    #[arg(
        short = 'N',
        long = "exclude-schema",
        visible_alias = "exclude_schema",
        value_name = "SCHEMA"
    )]
    pub exclude_schemas: Vec<String>,
    /// Definitions only, no table rows.
    #[arg(long = "schema-only")]
    pub schema_only: bool,
    /// Leave out the rows of tables matching this pattern; repeatable.
    #[arg(long = "exclude-table-data", value_name = "PATTERN")]
    pub exclude_table_data: Vec<String>,
    /// Write one custom archive per user schema into DIR, with a manifest
    /// (-n/-N then take exact schema names).
    #[arg(long = "schema-wise", value_name = "DIR", conflicts_with_all = ["file", "dump_format", "jobs"])]
    pub schema_wise: Option<PathBuf>,
    /// Skip reading the finished archive back with pg_restore --list.
    #[arg(long = "no-verify")]
    pub no_verify: bool,
    /// Replace an existing dump file (or dump directory) at the target;
    /// without it pum refuses to write over anything.
    #[arg(long = "overwrite")]
    pub overwrite: bool,
}

pub fn run(ctx: &Context, args: &DumpArgs) -> Result<Outcome> {
    let table = args
        .table
        .as_deref()
        .map(QualifiedName::parse)
        .transpose()?;
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let target = match (&args.schema_wise, &args.file) {
        (Some(dir), _) => dir.clone(),
        (None, Some(file)) => file.clone(),
        (None, None) => unreachable!("clap requires FILE or --schema-wise"),
    };
    let opts = DumpOptions {
        format: args.dump_format,
        jobs: args.jobs,
        schemas: args.schemas.clone(),
        exclude_schemas: args.exclude_schemas.clone(),
        schema_only: args.schema_only,
        exclude_table_data: args.exclude_table_data.clone(),
        schema_wise: args.schema_wise.is_some(),
        verify: !args.no_verify,
        upgrades_table: table,
        overwrite: args.overwrite,
    };
    let tools = Tools::from_config(&ctx.config);
    let info = dump::dump(&params, &target, &opts, &tools, &ctx.printer).map_err(|e| {
        // By now the partial files are gone (the dump removes them on the way out).
        crate::interrupt::with_state(e, format!("nothing written to {}", target.display()))
    })?;
    if ctx.printer.is_json() {
        ctx.printer
            .json(&serde_json::to_value(&info).expect("dump info always serialises"));
    } else {
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
            upgrade::format_ms(info.duration_ms)
        ));
    }
    Ok(Outcome::Success)
}
