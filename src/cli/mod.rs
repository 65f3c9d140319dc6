//! Command-line definitions. pum 0.x spellings keep working: its multi-letter
//! short flags (`-p1`, `-pp`, ...) are rewritten to long flags before clap
//! sees them, and its underscore long flags are kept beside kebab-case ones.
//! pum 1.x's shape (`pum -p CONNECTION -d DIR COMMAND ...`) is told apart
//! and translated into these definitions by [`pum1`].

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

mod app;
mod database;
mod db;
mod dumps;
mod fleet;
mod lint;
pub mod pum1;
mod rehearsal;
mod transfer;

pub use crate::output::Format;
pub use app::{AppAction, AppArgs, ModuleArgs, UninstallArgs};
pub use database::{
    BaselineArgs, DeltaArgs, InfoArgs, InstallArgs, NewArgs, RepairArgs, RoleFlags, RolesAction,
    RolesArgs, UpgradeArgs,
};
pub use db::{DbAccessArgs, DbAction, DbArgs};
pub use dumps::{DumpArgs, DumpsArgs, RestoreArgs, SchemaArgs};
pub use fleet::{
    FleetArgs, FleetCheckArgs, FleetCommand, FleetInfoArgs, FleetProjectArgs, FleetRehearsalArgs,
    FleetRunArgs, FleetSelectArgs, FleetUpgradeArgs,
};
pub use lint::LintArgs;
pub use rehearsal::{
    CheckArgs, CheckFilterArgs, CheckFormat, DemoArgs, GateArgs, ReferenceArgs, TestAndUpgradeArgs,
};
pub use transfer::{TransferArgs, VerifyBackupsArgs};

/// pum: PostgreSQL upgrade manager. Versioned SQL deltas, an upgrades table
/// inside the database, and upgrades rehearsed on a copy of production.
#[derive(Debug, Parser)]
#[command(
    name = "pum",
    version,
    about,
    long_about = None,
    max_term_width = 100,
    disable_version_flag = true
)]
pub struct Cli {
    /// Print the version and exit (pum 0.x: -v; also -V).
    #[arg(short = 'v', long = "version", short_alias = 'V', action = ArgAction::Version)]
    pub version: Option<bool>,
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file [default: pum.yaml in the current directory, if present].
    #[arg(
        short = 'c',
        long = "config",
        visible_alias = "config_file",
        global = true,
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// Output format of reports.
    #[arg(long = "format", global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Never colour the output (also: NO_COLOR set in the environment).
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,
    /// Print only errors and the final verdict.
    #[arg(short = 'q', long = "quiet", global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the upgrades table and record the database's current version.
    Baseline(BaselineArgs),
    /// Show the database's version, the deltas found and the upgrade history.
    Info(InfoArgs),
    /// Apply the pending deltas.
    Upgrade(UpgradeArgs),
    /// Rehearse the upgrade on a copy of production, compare it with the
    /// reference, then (confirmed) upgrade production.
    TestAndUpgrade(Box<TestAndUpgradeArgs>),
    /// Run test-and-upgrade on the shipped example in a sandbox cluster.
    Demo(DemoArgs),
    /// Create the next delta file and print its path.
    New(NewArgs),
    /// Compare the schemas of two databases (exit 1 when they differ).
    Check(CheckArgs),
    /// Dump a database with pg_dump, with a manifest of sha256 sums.
    Dump(DumpArgs),
    /// Restore a dump with pg_restore (guarded; --swap, --create, --latest).
    Restore(RestoreArgs),
    /// List the dumps in a directory, newest first.
    Dumps(DumpsArgs),
    /// Install a pum 1.x module (-d DIR holding .pum.yaml) on a database
    /// that does not have it: pum_migrations, then every version.
    Install(InstallArgs),
    /// Set the history right: record the new checksum of edited applied
    /// deltas, remove failed runs' rows, forget deltas whose file is gone,
    /// record deltas applied by hand (--mark-applied).
    Repair(RepairArgs),
    /// Run a pum 1.x module's application hooks alone (drop, create or
    /// both), in one transaction.
    App(AppArgs),
    /// Run a pum 1.x module's uninstall hooks (asks first unless --force).
    Uninstall(UninstallArgs),
    /// Create the roles of a pum 1.x module (.pum.yaml) and grant their permissions.
    #[command(visible_alias = "role")]
    Roles(RolesArgs),
    /// Create or drop a whole database on the service's server (pum 1.x's
    /// `db create|drop`); a drop is confirmed and guarded.
    Db(DbArgs),
    /// Run upgrade or info on many databases: the services matching a
    /// pattern, a fleet file, or every matching database of one server.
    Fleet(FleetArgs),
    /// Write the rows of configured queries to CSV files (export: in pum.yaml).
    Export(TransferArgs),
    /// Load CSV files into tables, matching columns by name (import: in pum.yaml).
    Import(TransferArgs),
    /// Dump, restore into a throw-away database and compare, for every
    /// database of verify: in pum.yaml (exit 1 when one fails).
    VerifyBackups(VerifyBackupsArgs),
    /// Warn about DDL known to lock or rewrite tables (exit 1 when it warns).
    Lint(LintArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell) to stdout.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to stdout.
    Man(ManArgs),
}

/// The shells a completion script can be written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {}

/// Where to connect: a service name from pg_service.conf, a postgresql:// URI
/// or a key=value conninfo string.
#[derive(Debug, Args, Clone, Default)]
pub struct ServiceArg {
    /// Service name (pg_service.conf), postgresql:// URI or conninfo string
    /// [default: PGSERVICE, then the PG* environment variables].
    #[arg(
        short = 'p',
        long = "pg_service",
        visible_alias = "pg-service",
        value_name = "SERVICE"
    )]
    pub pg_service: Option<String>,
}

/// The upgrades table.
#[derive(Debug, Args, Clone, Default)]
pub struct TableArg {
    /// Upgrades table, schema-qualified (e.g. public.pum_upgrades)
    /// [default: upgrades_table in pum.yaml].
    #[arg(short = 't', long = "table", value_name = "TABLE")]
    pub table: Option<String>,
}

/// The delta directories.
#[derive(Debug, Args, Clone, Default)]
pub struct DirArgs {
    /// Delta directory; repeat for several, applied in the order given
    /// [default: delta_dirs / delta_dir in pum.yaml].
    #[arg(short = 'd', long = "dir", value_name = "DIR", num_args = 1..)]
    pub dirs: Vec<PathBuf>,
}

/// For `#[command(mut_args(own_help(&[(ID, HELP), ...])))]`: a command
/// words some flags of a shared group its own way. In place, unlike
/// `Command::mut_arg`, which would move each flag to the end of the
/// command's list, and so of its completion scripts.
pub(crate) fn own_help(
    helps: &'static [(&'static str, &'static str)],
) -> impl FnMut(clap::Arg) -> clap::Arg {
    move |arg| match helps.iter().find(|(id, _)| arg.get_id() == id) {
        Some((_, help)) => arg.help(*help),
        None => arg,
    }
}

/// pum 0.x's multi-letter short flags and the long flags they stand for.
const OLD_SHORT_FLAGS: &[(&str, &str)] = &[
    ("-p1", "--pg_service1"),
    ("-p2", "--pg_service2"),
    ("-pp", "--pg_service_prod"),
    ("-pt", "--pg_service_test"),
    ("-pc", "--pg_service_comp"),
    ("-vv", "--verbose"),
];

/// Rewrites pum 0.x multi-letter short flags (`-p1 SVC`, `-pp=SVC`) into
/// their long forms; clap cannot parse multi-letter short flags itself.
/// Everything after `--` is left alone.
pub fn normalize_args<I>(args: I) -> Vec<OsString>
where
    I: IntoIterator<Item = OsString>,
{
    let mut out = Vec::new();
    let mut passthrough = false;
    for arg in args {
        if passthrough {
            out.push(arg);
            continue;
        }
        if arg == "--" {
            passthrough = true;
            out.push(arg);
            continue;
        }
        let rewritten = arg.to_str().and_then(|s| {
            OLD_SHORT_FLAGS.iter().find_map(|(short, long)| {
                if s == *short {
                    Some(OsString::from(*long))
                } else {
                    s.strip_prefix(short)
                        .and_then(|rest| rest.strip_prefix('='))
                        .map(|value| OsString::from(format!("{long}={value}")))
                }
            })
        });
        out.push(rewritten.unwrap_or(arg));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(args: &[&str]) -> Vec<String> {
        normalize_args(args.iter().map(OsString::from))
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn rewrites_old_short_flags() {
        assert_eq!(
            norm(&["pum", "check", "-p1", "a", "-p2=b"]),
            ["pum", "check", "--pg_service1", "a", "--pg_service2=b"]
        );
        assert_eq!(
            norm(&["pum", "x", "-pp", "prod"]),
            ["pum", "x", "--pg_service_prod", "prod"]
        );
        // A service literally named like a flag after `--`, and a plain -p, stay.
        assert_eq!(
            norm(&["pum", "-p", "svc", "--", "-p1"]),
            ["pum", "-p", "svc", "--", "-p1"]
        );
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
