//! Arguments of `pum fleet`: which databases ([`FleetSelectArgs`]), how many
//! at a time and how a failure stops the rest ([`FleetRunArgs`]), and the
//! single-database flags, reused as they are.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{CheckFilterArgs, DeltaArgs, GateArgs, ReferenceArgs, TableArg};

#[derive(Debug, Args)]
pub struct FleetArgs {
    #[command(subcommand)]
    pub command: FleetCommand,
}

#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Upgrade every selected database: N ordinary `pum upgrade` runs, each
    /// with its own connection, run lock, transactions and history.
    Upgrade(FleetUpgradeArgs),
    /// Every selected database's version and pending count, in one table.
    Info(FleetInfoArgs),
    /// Compare every selected database with one reference (exit 1 when any
    /// differs); the reference is read once.
    Check(FleetCheckArgs),
    /// Rehearse each selected database on its own sandbox copy, compare it
    /// with the reference, and upgrade it only when its rehearsal passed.
    /// Needs --yes (or --dry-run): nobody answers a prompt per database.
    TestAndUpgrade(Box<FleetRehearsalArgs>),
}

/// Which databases a fleet command works on: exactly one of --services,
/// --fleet or --databases.
#[derive(Debug, Args, Clone)]
pub struct FleetSelectArgs {
    /// Every service of the service files whose name matches GLOB (`*`, `?`, `[seq]`);
    /// repeat for several patterns. Listed in libpq's lookup order, each name once.
    #[arg(
        long = "services",
        value_name = "GLOB",
        action = clap::ArgAction::Append,
        conflicts_with_all = ["fleet", "databases"],
        required_unless_present_any = ["fleet", "databases"]
    )]
    pub services: Vec<String>,
    /// A YAML list of databases (service names, URIs or conninfo strings,
    /// each with optional `name`, `table` and `dir`), run in the order listed.
    #[arg(long = "fleet", value_name = "FILE", conflicts_with = "databases")]
    pub fleet: Option<PathBuf>,
    /// Every database of the server given with -p whose name matches GLOB
    /// (templates and databases refusing connections left out), by name.
    #[arg(long = "databases", value_name = "GLOB", requires = "server")]
    pub databases: Option<String>,
    /// The server for --databases: a service, URI or conninfo string; its
    /// database is only used to list the others.
    #[arg(
        short = 'p',
        long = "pg_service",
        visible_alias = "pg-service",
        value_name = "SERVER",
        requires = "databases"
    )]
    pub server: Option<String>,
    /// Only shard I of N (1 ≤ I ≤ N): the selected databases sorted by name,
    /// every Nth from the Ith. One shard per CI job covers each database once.
    #[arg(long = "shard", value_name = "I/N")]
    pub shard: Option<String>,
    /// Databases worked on at a time.
    #[arg(short = 'j', long = "jobs", value_name = "N", default_value_t = 4)]
    pub jobs: usize,
}

/// How a failure stops the rest of an upgrade.
#[derive(Debug, Args, Clone)]
pub struct FleetRunArgs {
    /// Upgrade the first K databases one by one before the others; any
    /// failure among them stops the run with nothing else touched.
    #[arg(long = "canary", value_name = "K", default_value_t = 0)]
    pub canary: usize,
    /// After the canaries, go on past failed databases (by default the
    /// first failure stops new databases from starting).
    #[arg(long = "keep-going")]
    pub keep_going: bool,
}

/// The upgrades table and deltas each database's project is loaded with
/// (a fleet file's entry may name its own table and directory).
#[derive(Debug, Args)]
pub struct FleetProjectArgs {
    #[command(flatten)]
    pub table: TableArg,
    #[command(flatten)]
    pub deltas: DeltaArgs,
}

#[derive(Debug, Args)]
pub struct FleetUpgradeArgs {
    #[command(flatten)]
    pub select: FleetSelectArgs,
    #[command(flatten)]
    pub run: FleetRunArgs,
    #[command(flatten)]
    pub project: FleetProjectArgs,
}

#[derive(Debug, Args)]
pub struct FleetInfoArgs {
    #[command(flatten)]
    pub select: FleetSelectArgs,
    #[command(flatten)]
    pub project: FleetProjectArgs,
}

/// The reference a fleet is compared with (pum 0.x: -pc).
#[derive(Debug, Args)]
pub struct FleetCheckArgs {
    #[command(flatten)]
    pub select: FleetSelectArgs,
    /// The reference database: service name, postgresql:// URI or conninfo.
    #[arg(
        long = "pg_service_comp",
        visible_alias = "pg-service-comp",
        value_name = "SERVICE"
    )]
    pub comp: String,
    #[command(flatten)]
    pub filters: CheckFilterArgs,
}

#[derive(Debug, Args)]
pub struct FleetRehearsalArgs {
    #[command(flatten)]
    pub select: FleetSelectArgs,
    #[command(flatten)]
    pub run: FleetRunArgs,
    #[command(flatten)]
    pub reference: ReferenceArgs,
    #[command(flatten)]
    pub project: FleetProjectArgs,
    #[command(flatten)]
    pub check: CheckFilterArgs,
    /// Upgrade each database whose rehearsal passed, without asking.
    #[arg(short = 'y', long = "yes", required_unless_present = "dry_run")]
    pub yes: bool,
    /// Rehearse and compare every database; upgrade none.
    #[arg(long = "dry-run", conflicts_with = "yes")]
    pub dry_run: bool,
    #[command(flatten)]
    pub gate: GateArgs,
}
