//! Arguments of `check`, `test-and-upgrade` and `demo`, and the group of
//! comparison filters they share ([`CheckFilterArgs`]).

use std::path::PathBuf;

use clap::Args;

use super::{DeltaArgs, TableArg};

#[derive(Debug, Args, Default)]
pub struct CheckArgs {
    /// First database: service name, postgresql:// URI or conninfo string (-p1).
    #[arg(
        long = "pg_service1",
        visible_alias = "pg-service1",
        value_name = "SERVICE",
        required = true
    )]
    pub pg_service1: String,
    /// Second database: service name, postgresql:// URI or conninfo string (-p2).
    #[arg(
        long = "pg_service2",
        visible_alias = "pg-service2",
        value_name = "SERVICE",
        required = true
    )]
    pub pg_service2: String,
    #[command(flatten)]
    pub filters: CheckFilterArgs,
    /// Print only the verdict (OK / N differences). pum 0.x's form with a
    /// value (`-s 1`, `--silent=yes`) is accepted too: any non-empty value
    /// means silent, as it did there.
    #[arg(
        short = 's',
        long = "silent",
        value_name = "VALUE",
        num_args = 0..=1,
        default_missing_value = "true"
    )]
    pub silent: Option<String>,
    /// pum 0.x verbosity: 0 prints only the verdict (like --silent), 1 and 2
    /// the full report.
    #[arg(
        short = 'v',
        long = "verbose_level",
        visible_alias = "verbose-level",
        value_name = "LEVEL",
        value_parser = clap::value_parser!(u8).range(0..=2)
    )]
    pub verbose_level: Option<u8>,
    /// Write the report to FILE (created with mode 0600) instead of stdout.
    #[arg(
        short = 'o',
        long = "output",
        visible_alias = "output_file",
        value_name = "FILE"
    )]
    pub output: Option<PathBuf>,
    /// Report format (pum 1.x's `check -f`): text, html (a standalone page)
    /// or json (pum 1.x's field names). Without it, the global --format
    /// decides between text and pum's own JSON.
    #[arg(short = 'f', long = "output-format", value_enum, value_name = "FORMAT")]
    pub output_format: Option<CheckFormat>,
}

/// What `check -f` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// The text report.
    Text,
    /// A standalone HTML page.
    Html,
    /// pum 1.x's JSON report.
    Json,
}

/// What `check` compares: ignored kinds, schema filters, column filters.
#[derive(Debug, Args, Clone, Default)]
pub struct CheckFilterArgs {
    /// Object kinds to leave out (also: ignore_elements in pum.yaml). Kinds:
    /// schemas, extensions, collations, types, tables, columns, constraints,
    /// indexes, sequences, views, materialized_views, functions, triggers,
    /// rules, policies, partitions, privileges, owners, comments,
    /// event_triggers, publications.
    #[arg(
        short = 'i',
        long = "ignore",
        value_name = "KIND",
        num_args = 1..,
        value_delimiter = ','
    )]
    pub ignore: Vec<String>,
    /// Schema not to compare: a name or a pattern with * and ?; repeatable.
    #[arg(
        short = 'N',
        long = "exclude-schema",
        visible_alias = "exclude_schema",
        value_name = "SCHEMA"
    )]
    pub exclude_schema: Vec<String>,
    /// Compare only this schema (name or pattern with * and ?); repeatable.
    #[arg(short = 'n', long = "schema", value_name = "SCHEMA")]
    pub schema: Vec<String>,
    /// Leave out columns whose name matches one of these SQL LIKE patterns.
    #[arg(
        short = 'P',
        long = "exclude-field-pattern",
        visible_alias = "exclude_field_pattern",
        value_name = "LIKE",
        num_args = 1..
    )]
    pub exclude_field_pattern: Vec<String>,
    /// Also report columns that are in a different order.
    #[arg(long = "column-order", visible_alias = "column_order")]
    pub column_order: bool,
}

#[derive(Debug, Args)]
pub struct TestAndUpgradeArgs {
    /// Production: service name, postgresql:// URI or conninfo (pum 0.x: -pp).
    #[arg(
        long = "pg_service_prod",
        visible_alias = "pg-service-prod",
        value_name = "SERVICE"
    )]
    pub prod: String,
    /// Test database to restore production into; created or cleaned by pum
    /// [default: a throw-away sandbox cluster] (pum 0.x: -pt).
    #[arg(
        long = "pg_service_test",
        visible_alias = "pg-service-test",
        value_name = "SERVICE"
    )]
    pub test: Option<String>,
    #[command(flatten)]
    pub reference: ReferenceArgs,
    #[command(flatten)]
    pub table: TableArg,
    #[command(flatten)]
    pub deltas: DeltaArgs,
    #[command(flatten)]
    pub check: CheckFilterArgs,
    /// Keep the production dump in this file [default: backup_file in
    /// pum.yaml, else a private temporary file removed afterwards].
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Dump and restore with N parallel jobs (directory format).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<u32>,
    /// Go past pg_restore errors (pum 0.x compatibility).
    #[arg(short = 'x')]
    pub ignore_restore_errors: bool,
    /// Upgrade production without asking (pipelines).
    #[arg(short = 'y', long = "yes")]
    pub yes: bool,
    /// Stop after the comparison: never touch production (CI pre-deploy check).
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Keep the sandbox cluster running after pum exits and print how to
    /// connect to it, stop it and remove it (an interrupted run removes it).
    #[arg(long = "keep-sandbox")]
    pub keep_sandbox: bool,
    /// How production is copied: logical (pg_dump | pg_restore) or physical
    /// (pg_basebackup of production's cluster started as a private server;
    /// needs the REPLICATION privilege and the server programs of
    /// production's major version) [default: rehearsal.copy in pum.yaml, else logical].
    #[arg(long = "copy", value_enum, value_name = "METHOD")]
    pub copy: Option<crate::config::CopyMethod>,
    #[command(flatten)]
    pub gate: GateArgs,
    /// Also write the JSON report to this file (mode 0600).
    #[arg(long = "report", value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Accepted for pum 0.x compatibility.
    #[arg(long = "verbose", hide = true)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the sandbox cluster running after pum exits and print how to
    /// connect to it, stop it and remove it.
    #[arg(long = "keep-sandbox")]
    pub keep_sandbox: bool,
}

/// What a rehearsal compares its upgraded copy with.
#[derive(Debug, Args, Clone)]
pub struct ReferenceArgs {
    /// Reference database with the newest model built from scratch (pum 0.x: -pc).
    #[arg(
        long = "pg_service_comp",
        visible_alias = "pg-service-comp",
        value_name = "SERVICE"
    )]
    pub comp: Option<String>,
    /// Instead of -pc: SQL files that build the newest model from scratch,
    /// run in order in the sandbox and baselined at the newest delta version.
    #[arg(long = "reference-sql", value_name = "FILE", num_args = 1.., conflicts_with = "comp")]
    pub reference_sql: Vec<PathBuf>,
}

/// The limits a rehearsal's measured test upgrade must stay within.
#[derive(Debug, Args, Clone)]
pub struct GateArgs {
    /// Fail the rehearsal (exit 1, production untouched) when a delta held
    /// a lock of ShareRowExclusiveLock or stronger on a relation that
    /// existed before it for longer than this (500ms, 2s)
    /// [default: rehearsal.max_lock in pum.yaml, else no limit].
    #[arg(long = "max-lock", value_name = "DURATION")]
    pub max_lock: Option<String>,
    /// The weakest lock mode --max-lock limits (AccessExclusiveLock,
    /// ExclusiveLock, ShareRowExclusiveLock, ShareLock, …)
    /// [default: rehearsal.max_lock_from in pum.yaml, else ShareRowExclusiveLock].
    #[arg(long = "max-lock-from", value_name = "MODE")]
    pub max_lock_from: Option<String>,
    /// Fail the rehearsal when a delta ran longer than this on the copy
    /// [default: rehearsal.max_delta_duration in pum.yaml, else no limit].
    #[arg(long = "max-delta-duration", value_name = "DURATION")]
    pub max_delta_duration: Option<String>,
}
