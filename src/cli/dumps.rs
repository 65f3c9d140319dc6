//! Arguments of `dump`, `restore` and `dumps`.

use std::path::PathBuf;

use clap::Args;

use super::ServiceArg;
use crate::dump::DumpFormat;

#[derive(Debug, Args, Default)]
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

#[derive(Debug, Args)]
pub struct DumpsArgs {
    /// The directory holding the dumps.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Do not hash the files (faster; the Verified column shows "-").
    #[arg(long = "no-verify")]
    pub no_verify: bool,
}

#[derive(Debug, Args, Default)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub service: ServiceArg,
    /// The dump: a custom archive, a directory dump or a schema-wise directory.
    #[arg(value_name = "FILE", required_unless_present_any = ["latest", "previous"])]
    pub file: Option<PathBuf>,
    /// Restore the newest dump of the service's database found in DIR.
    #[arg(long = "latest", value_name = "DIR", conflicts_with = "file")]
    pub latest: Option<PathBuf>,
    /// Swap back the database a previous `restore --swap` replaced.
    #[arg(long = "previous", conflicts_with_all = ["file", "latest", "clean", "create", "swap", "into"])]
    pub previous: bool,
    /// Parallel pg_restore workers.
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// Objects are owned by the restoring user (the default).
    #[arg(long = "no-owner", overrides_with = "owner")]
    pub no_owner: bool,
    /// Keep the owners recorded in the dump (the roles must exist).
    #[arg(long = "owner")]
    pub owner: bool,
    /// Restore only this schema (exact name); repeatable.
    #[arg(short = 'n', long = "schema", value_name = "SCHEMA")]
    pub schemas: Vec<String>,
    /// Leave this schema out (exact name); repeatable.
    #[arg(
        short = 'N',
        long = "exclude-schema",
        visible_alias = "exclude_schema",
        value_name = "SCHEMA"
    )]
    pub exclude_schemas: Vec<String>,
    /// Go on after errors and report how many there were (pum 0.x behaviour).
    #[arg(short = 'x', long = "ignore-errors")]
    pub ignore_errors: bool,
    /// Restore even if the files do not match the manifest.
    #[arg(long = "no-verify")]
    pub no_verify: bool,
    /// Drop the target's user schemas (and recreate public) before restoring.
    #[arg(long = "clean", conflicts_with_all = ["create", "swap"])]
    pub clean: bool,
    /// Create the target database; it must not exist yet.
    #[arg(long = "create", conflicts_with = "swap")]
    pub create: bool,
    /// Restore into a temporary database, then rename the target to
    /// NAME_previous and the new one into its place.
    #[arg(long = "swap")]
    pub swap: bool,
    /// Restore into this database on the service's server instead.
    #[arg(long = "into", value_name = "NAME")]
    pub into: Option<String>,
}
