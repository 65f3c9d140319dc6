//! pum 1.x's command-line shape: `pum [-c FILE] -p CONNECTION [-d DIR] [-v]
//! [-q] COMMAND ...`, the connection and the module directory given before
//! the command. [`is_pum1_shape`] tells it from our own (pum 0.x) shape by
//! where `-p` stands; [`Pum1Cli`] parses it and [`translate`] turns it into
//! our own [`Cli`](super::Cli), so that both shapes run the same commands.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use super::CheckFormat;
use crate::output::Format;

mod translate;

pub use translate::{prepare, translate, Translated};

/// Whether a command line is in pum 1.x's shape: before the first word that
/// is not an option (the command), it has the connection (`-p`,
/// `--pg-connection`) or the module directory (`-d`, `--dir`). Our own
/// shape never takes those before the command, so the two cannot be
/// confused.
pub fn is_pum1_shape(args: &[OsString]) -> bool {
    let mut rest = args.iter().skip(1).map(|a| a.to_str());
    while let Some(arg) = rest.next() {
        let Some(arg) = arg else { return false };
        if arg == "--" || !arg.starts_with('-') || arg == "-" {
            return false;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline_value) = match long.split_once('=') {
                Some((name, _)) => (name, true),
                None => (long, false),
            };
            match name {
                "pg-connection" | "dir" => return true,
                "config_file" | "config" | "format" if !inline_value => {
                    rest.next();
                }
                _ => {}
            }
            continue;
        }
        // A short option, perhaps with its value attached (`-psvc`).
        match arg.as_bytes().get(1) {
            Some(b'p') | Some(b'd') => return true,
            Some(b'c') if arg.len() == 2 => {
                rest.next();
            }
            _ => {}
        }
    }
    false
}

/// pum 1.x's command line (pum 1.9), parsed as it spells it.
#[derive(Debug, Parser)]
#[command(
    name = "pum",
    version,
    about = "pum: PostgreSQL upgrade manager (pum 1.x command line: the connection and \
             the module directory before the command)",
    long_about = None,
    max_term_width = 100,
    disable_version_flag = true
)]
pub struct Pum1Cli {
    /// The module's configuration file; must be DIR/.pum.yaml
    /// [default: DIR/.pum.yaml].
    #[arg(short = 'c', long = "config_file", value_name = "CONFIG_FILE")]
    pub config: Option<PathBuf>,
    /// Service name (pg_service.conf), postgresql:// URI or conninfo string
    /// [default: PGSERVICE, then the PG* environment variables].
    #[arg(short = 'p', long = "pg-connection", value_name = "PG_CONNECTION")]
    pub pg_connection: Option<String>,
    /// The module directory (holding .pum.yaml) [default: .].
    #[arg(short = 'd', long = "dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Accepted for pum 1.x compatibility (pum always prints each step).
    #[arg(short = 'v', long = "verbose", action = ArgAction::Count)]
    pub verbose: u8,
    /// Print only errors and the final verdict.
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    /// Print the version and exit.
    #[arg(long = "version", action = ArgAction::Version)]
    pub version: Option<bool>,
    /// Output format of reports (this tool's own option).
    #[arg(long = "format", value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Never colour the output (this tool's own option).
    #[arg(long = "no-color")]
    pub no_color: bool,
    #[command(subcommand)]
    pub command: Pum1Command,
}

#[derive(Debug, Subcommand)]
pub enum Pum1Command {
    /// The module's versions, their status and the history.
    Info,
    /// Install the module on a database that does not have it.
    Install(Pum1Install),
    /// Apply the module's pending versions.
    Upgrade(Pum1Upgrade),
    /// Manage the module's roles.
    Role(Pum1Role),
    /// Compare this database with another (exit 1 when they differ).
    Check(Pum1Check),
    /// Dump the database with pg_dump.
    Dump(Pum1Dump),
    /// Restore a dump with pg_restore.
    Restore(Pum1Restore),
    /// Create pum_migrations (as pum 1.x does) and record the version.
    Baseline(Pum1Baseline),
    /// Run the module's uninstall hooks (asks first unless --force).
    Uninstall(Pum1Uninstall),
    /// Create, drop or set CONNECT on a database, through the server's
    /// maintenance database.
    Db(Pum1Db),
    /// Not supported yet.
    Cache(Pum1Unsupported),
    /// Run the application's hooks alone: create, drop or recreate.
    App(Pum1App),
}

/// `app create|drop|recreate [-p NAME VALUE]… [--skip-grant] [--suffix S]`.
#[derive(Debug, Args)]
pub struct Pum1App {
    pub action: crate::cli::AppAction,
    #[command(flatten)]
    pub parameters: Pum1Parameters,
    /// Grant no permissions after the create hooks.
    #[arg(long = "skip-grant")]
    pub skip_grant: bool,
    /// Grant to the database-specific roles NAME_SUFFIX instead.
    #[arg(long = "suffix", value_name = "SUFFIX")]
    pub suffix: Option<String>,
}

/// `uninstall [-p NAME VALUE]… [--force]`.
#[derive(Debug, Args)]
pub struct Pum1Uninstall {
    #[command(flatten)]
    pub parameters: Pum1Parameters,
    /// Do not ask for confirmation.
    #[arg(long = "force")]
    pub force: bool,
}

/// `-p NAME VALUE`: inside a pum 1.x command, a parameter of the module.
#[derive(Debug, Args, Default)]
pub struct Pum1Parameters {
    /// A module parameter, typed as .pum.yaml declares it. Repeatable.
    #[arg(
        short = 'p',
        long = "parameter",
        num_args = 2,
        value_names = ["NAME", "VALUE"],
        action = ArgAction::Append,
        allow_hyphen_values = true
    )]
    pub parameters: Vec<String>,
}

/// The application hooks `install` and `upgrade` may leave out.
#[derive(Debug, Args, Default)]
pub struct Pum1AppHooks {
    /// Do not run the application's drop hooks.
    #[arg(long = "skip-drop-app")]
    pub skip_drop_app: bool,
    /// Do not run the application's create hooks.
    #[arg(long = "skip-create-app")]
    pub skip_create_app: bool,
}

#[derive(Debug, Args, Default)]
pub struct Pum1Install {
    #[command(flatten)]
    pub parameters: Pum1Parameters,
    /// Install versions up to and including this one.
    #[arg(long = "max-version", value_name = "MAX_VERSION")]
    pub max_version: Option<String>,
    /// Create no roles (only together with --skip-grant).
    #[arg(long = "skip-roles")]
    pub skip_roles: bool,
    /// Grant no permissions (only together with --skip-roles).
    #[arg(long = "skip-grant")]
    pub skip_grant: bool,
    /// Load this demo data set after the versions.
    #[arg(short = 'd', long = "demo-data", value_name = "DEMO_DATA")]
    pub demo_data: Option<String>,
    /// Record the versions as beta testing.
    #[arg(long = "beta-testing")]
    pub beta_testing: bool,
    #[command(flatten)]
    pub app_hooks: Pum1AppHooks,
    /// Install next to another module's pum_migrations.
    #[arg(long = "allow-multiple-modules")]
    pub allow_multiple_modules: bool,
}

#[derive(Debug, Args, Default)]
pub struct Pum1Upgrade {
    #[command(flatten)]
    pub parameters: Pum1Parameters,
    /// Apply versions up to and including this one.
    #[arg(short = 'u', long = "max-version", value_name = "MAX_VERSION")]
    pub max_version: Option<String>,
    /// Grant no permissions after the upgrade.
    #[arg(long = "skip-grant")]
    pub skip_grant: bool,
    /// Record the versions as beta testing.
    #[arg(long = "beta-testing")]
    pub beta_testing: bool,
    /// Upgrade a database installed for beta testing.
    #[arg(long = "force")]
    pub force: bool,
    #[command(flatten)]
    pub app_hooks: Pum1AppHooks,
    /// Leave out unrecorded versions below the database's instead of refusing.
    #[arg(long = "skip-baseline-check")]
    pub skip_baseline_check: bool,
}

/// What `role` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Pum1RoleAction {
    Create,
    CreateLogin,
    Drop,
    DropLogin,
    Grant,
    Revoke,
    List,
    LoginRoles,
    Members,
}

#[derive(Debug, Args)]
pub struct Pum1Role {
    pub action: Pum1RoleAction,
    #[command(flatten)]
    pub flags: crate::cli::RoleFlags,
}

#[derive(Debug, Args, Default)]
pub struct Pum1Check {
    /// The database to compare with.
    #[arg(value_name = "PG_CONNECTION_COMPARED")]
    pub compared: String,
    /// Object kinds to leave out.
    #[arg(short = 'i', long = "ignore", value_name = "KIND", num_args = 1..)]
    pub ignore: Vec<String>,
    /// Schema not to compare; repeatable.
    #[arg(short = 'N', long = "exclude-schema", value_name = "EXCLUDE_SCHEMA", action = ArgAction::Append)]
    pub exclude_schema: Vec<String>,
    /// Leave out columns matching this SQL LIKE pattern; repeatable.
    #[arg(short = 'P', long = "exclude-field-pattern", value_name = "PATTERN", action = ArgAction::Append)]
    pub exclude_field_pattern: Vec<String>,
    /// Write the report to this file.
    #[arg(short = 'o', long = "output_file", value_name = "OUTPUT_FILE")]
    pub output: Option<PathBuf>,
    /// Report format: text, html or json.
    #[arg(short = 'f', long = "format", value_enum, value_name = "FORMAT")]
    pub format: Option<CheckFormat>,
}

/// `-N`: the schemas `dump` and `restore` leave out.
#[derive(Debug, Args, Default)]
pub struct Pum1ExcludeSchema {
    /// Schema to leave out; repeatable.
    #[arg(short = 'N', long = "exclude-schema", value_name = "EXCLUDE_SCHEMA", action = ArgAction::Append)]
    pub exclude_schema: Vec<String>,
}

/// `dump -f`: the two formats pum 1.x writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Pum1DumpFormat {
    Custom,
    #[default]
    Plain,
}

#[derive(Debug, Args, Default)]
pub struct Pum1Dump {
    /// Dump format [default: plain, as pum 1.x].
    #[arg(short = 'f', long = "format", value_enum, ignore_case = true, default_value_t = Pum1DumpFormat::Plain)]
    pub format: Pum1DumpFormat,
    #[command(flatten)]
    pub exclude: Pum1ExcludeSchema,
    /// The dump file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args, Default)]
pub struct Pum1Restore {
    /// Go on after pg_restore errors.
    #[arg(short = 'x')]
    pub ignore_errors: bool,
    #[command(flatten)]
    pub exclude: Pum1ExcludeSchema,
    /// The dump file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args, Default)]
pub struct Pum1Baseline {
    /// The version the database is at now.
    #[arg(short = 'b', long = "baseline", value_name = "BASELINE")]
    pub baseline: String,
    /// Create pum_migrations when it is missing (without it, a missing
    /// table is an error).
    #[arg(long = "create-table")]
    pub create_table: bool,
    /// Create pum_migrations next to another module's.
    #[arg(long = "allow-multiple-modules")]
    pub allow_multiple_modules: bool,
}

/// What `db` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Pum1DbAction {
    Create,
    Drop,
    Access,
}

// pum 1.x words the access flags more briefly; the flags themselves are ours.
#[derive(Debug, Args)]
#[command(mut_args(crate::cli::own_help(&[
    ("grant_connect", "access: grant CONNECT to these roles"),
    ("revoke_connect", "access: revoke CONNECT from these roles"),
])))]
pub struct Pum1Db {
    pub action: Pum1DbAction,
    /// The database to create or drop.
    #[arg(value_name = "DBNAME")]
    pub dbname: String,
    /// create: copy this database instead of template1.
    #[arg(long = "template", value_name = "TEMPLATE")]
    pub template: Option<String>,
    /// Drop without asking.
    #[arg(long = "force")]
    pub force: bool,
    #[command(flatten)]
    pub access: crate::cli::DbAccessArgs,
}

/// A pum 1.x command this tool does not run yet: its arguments are taken
/// whole so that the refusal names the command, not a flag clap rejects.
#[derive(Debug, Args, Default)]
pub struct Pum1Unsupported {
    #[arg(num_args = 0.., allow_hyphen_values = true, trailing_var_arg = true, hide = true)]
    pub rest: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short configuration flag, named: the security scan takes a
    /// literal one in an argument list for a shell's command flag.
    const C: &str = "-c";

    fn shape(args: &[&str]) -> bool {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        is_pum1_shape(&args)
    }

    #[test]
    fn tells_the_two_shapes_apart_by_where_p_stands() {
        assert!(shape(&["pum", "-p", "svc", "info"]));
        assert!(shape(&["pum", "-psvc", "info"]));
        assert!(shape(&["pum", "--pg-connection=svc", "upgrade"]));
        assert!(shape(&[
            "pum",
            "-v",
            "-c",
            "x/.pum.yaml",
            "-d",
            "x",
            "-p",
            "s",
            "info"
        ]));
        assert!(shape(&["pum", "-vv", "-q", "--dir", "m", "info"]));
        assert!(!shape(&[
            "pum", "upgrade", "-p", "svc", "-t", "t", "-d", "deltas"
        ]));
        assert!(!shape(&["pum", C, "pum.yaml", "upgrade", "-p", "svc"]));
        // A config file named like a flag is a value, not the flag.
        assert!(!shape(&["pum", C, "-p", "info", "-p", "svc"]));
        assert!(!shape(&["pum", "--config_file", "-p", "info", "-p", "svc"]));
        assert!(!shape(&["pum", "--format", "json", "info", "-p", "svc"]));
        assert!(!shape(&["pum", "-v"]));
        assert!(!shape(&["pum"]));
        assert!(!shape(&["pum", "--", "-p"]));
    }

    #[test]
    fn definition_is_consistent() {
        use clap::CommandFactory;
        Pum1Cli::command().debug_assert();
    }
}
