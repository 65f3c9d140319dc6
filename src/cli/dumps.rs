//! Arguments of `dump`, `restore` and `dumps`.

use std::path::PathBuf;

use clap::Args;

use super::{own_help, DeltaArgs, ServiceArg};
use crate::dump::DumpFormat;

/// `-n` / `-N`: the schemas a dump or a restore takes. pg_dump reads them
/// as patterns, a restore as exact names, so each command gives the two
/// flags its own help.
#[derive(Debug, Args, Clone, Default)]
pub struct SchemaArgs {
    #[arg(short = 'n', long = "schema", value_name = "SCHEMA")]
    pub schemas: Vec<String>,
    #[arg(
        short = 'N',
        long = "exclude-schema",
        visible_alias = "exclude_schema",
        value_name = "SCHEMA"
    )]
    pub exclude_schemas: Vec<String>,
}

#[derive(Debug, Args, Default)]
#[command(mut_args(own_help(&[
    ("schemas", "Dump only this schema (pg_dump pattern); repeatable"),
    ("exclude_schemas", "Leave this schema out (pg_dump pattern); repeatable"),
])))]
pub struct DumpArgs {
    /// Service name (pg_service.conf), postgresql:// URI or conninfo string
    /// [default: PGSERVICE, then the PG* environment variables]; repeat with
    /// --store to dump several databases.
    #[arg(
        short = 'p',
        long = "pg_service",
        visible_alias = "pg-service",
        value_name = "SERVICE"
    )]
    pub services: Vec<String>,
    /// Upgrades table: record the database's version in the manifest.
    #[arg(short = 't', long = "table", value_name = "TABLE")]
    pub table: Option<String>,
    /// The dump file (a directory for -F directory), or s3://BUCKET/KEY.dump.
    #[arg(value_name = "FILE", required_unless_present_any = ["schema_wise", "store"])]
    pub file: Option<String>,
    /// Write into a store instead: a local directory or s3://BUCKET[/PREFIX],
    /// under DATABASE/<UTC time>[.NAME].dump.
    #[arg(long = "store", value_name = "LOCATION", conflicts_with_all = ["file", "schema_wise"])]
    pub store: Option<String>,
    /// A name added to the store key (letters, digits, '_', '-').
    #[arg(long = "name", value_name = "NAME", requires = "store")]
    pub name: Option<String>,
    /// With --store: every connectable non-template database of the server.
    #[arg(long = "all", requires = "store")]
    pub all: bool,
    /// With several databases: stop at the first that fails.
    #[arg(long = "strict", requires = "store")]
    pub strict: bool,
    /// SQL run on the source before dumping; repeatable, run in order.
    #[arg(long = "pre-dump", value_name = "FILE.sql")]
    pub pre_dump: Vec<PathBuf>,
    /// Leave out tables matching this pattern (pg_dump pattern); repeatable.
    #[arg(long = "exclude-table", value_name = "PATTERN")]
    pub exclude_tables: Vec<String>,
    /// Archive format written by pg_dump.
    #[arg(short = 'F', long = "dump-format", value_enum, default_value_t = DumpFormat::Custom)]
    pub dump_format: DumpFormat,
    /// Parallel pg_dump workers (directory format only).
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    #[command(flatten)]
    pub schemas: SchemaArgs,
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
    /// The store: a directory or s3://BUCKET[/PREFIX].
    #[arg(value_name = "LOCATION", required_unless_present = "local")]
    pub location: Option<String>,
    /// Only the dumps of this database.
    #[arg(value_name = "DATABASE")]
    pub database: Option<String>,
    /// Print only the names of the databases that have dumps.
    #[arg(long = "only-db-names")]
    pub only_db_names: bool,
    /// List the database of -p and the copies swaps left beside it
    /// (NAME_previous, NAME_current) instead of a store.
    #[arg(long = "local", conflicts_with_all = ["location", "only_db_names"])]
    pub local: bool,
    #[command(flatten)]
    pub service: ServiceArg,
    /// Do not hash the files (faster; the Verified column shows "-").
    #[arg(long = "no-verify")]
    pub no_verify: bool,
}

#[derive(Debug, Args, Default)]
#[command(mut_args(own_help(&[
    ("schemas", "Restore only this schema (exact name); repeatable"),
    ("exclude_schemas", "Leave this schema out (exact name); repeatable"),
])))]
pub struct RestoreArgs {
    #[command(flatten)]
    pub service: ServiceArg,
    /// The dump: a custom archive, a directory dump, a schema-wise
    /// directory, s3://BUCKET/KEY.dump; or :previous / :current (after a
    /// --reversible swap).
    #[arg(value_name = "FILE", required_unless_present_any = ["latest", "previous"])]
    pub file: Option<String>,
    /// Restore the newest dump of the database in LOCATION (a directory or
    /// s3://BUCKET[/PREFIX]).
    #[arg(long = "latest", value_name = "LOCATION", conflicts_with = "file")]
    pub latest: Option<String>,
    /// With --latest: whose dumps [default: the target's database name].
    #[arg(long = "from-db", value_name = "DATABASE", requires = "latest")]
    pub from_db: Option<String>,
    /// With --swap: keep NAME_previous so that `:previous` and `:current`
    /// move between the two.
    #[arg(long = "reversible", requires = "swap")]
    pub reversible: bool,
    /// With --swap: SQL run on the restored database before it is swapped
    /// in; repeatable. A failure leaves the live database untouched.
    #[arg(long = "pre-swap", value_name = "FILE.sql", requires = "swap")]
    pub pre_swap: Vec<PathBuf>,
    /// With --swap: upgrade the restored database to the current version
    /// (-t TABLE -d DIR, or a module directory) before it is swapped in.
    #[arg(long = "pre-swap-upgrade", requires = "swap")]
    pub pre_swap_upgrade: bool,
    /// Upgrades table for --pre-swap-upgrade.
    #[arg(
        short = 't',
        long = "table",
        value_name = "TABLE",
        requires = "pre_swap_upgrade"
    )]
    pub table: Option<String>,
    #[command(flatten)]
    pub deltas: DeltaArgs,
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
    #[command(flatten)]
    pub schemas: SchemaArgs,
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
