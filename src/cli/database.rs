//! Arguments of the commands that work on one database's version:
//! `baseline`, `info`, `upgrade`, `install`, `roles`, `new`, and the group
//! of flags saying what to apply and how ([`DeltaArgs`]).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{DirArgs, ServiceArg, TableArg};

#[derive(Debug, Args, Default)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub service: ServiceArg,
    #[command(flatten)]
    pub table: TableArg,
    /// The version the database is at now, MAJOR.MINOR.PATCH (a module
    /// directory also takes MAJOR.MINOR, as pum 1.x does).
    #[arg(short = 'b', long = "baseline", value_name = "VERSION")]
    pub baseline: String,
    /// A pum 1.x module directory (holding .pum.yaml): baseline its
    /// pum_migrations table. Otherwise accepted for pum 0.x compatibility.
    #[arg(short = 'd', long = "dir", value_name = "DIR", num_args = 1..)]
    pub dirs: Vec<PathBuf>,
    /// A module's pum_migrations must exist already: pum 1.x's command line
    /// without --create-table (never set from our own flags).
    #[arg(skip)]
    pub require_table: bool,
    /// A module directory: create pum_migrations even though another
    /// module's is in the database (pum 1.x refuses otherwise).
    #[arg(long = "allow-multiple-modules")]
    pub allow_multiple_modules: bool,
}

#[derive(Debug, Args, Default)]
pub struct InfoArgs {
    #[command(flatten)]
    pub service: ServiceArg,
    #[command(flatten)]
    pub table: TableArg,
    #[command(flatten)]
    pub dirs: DirArgs,
    /// Consider deltas only up to this version as pending.
    #[arg(short = 'u', long = "max-version", value_name = "VERSION")]
    pub max_version: Option<String>,
    /// A parameter of a pum 1.x module directory (-d DIR with .pum.yaml),
    /// shown with its type checked. Repeatable.
    #[arg(long = "parameter", num_args = 2, value_names = ["NAME", "VALUE"], action = clap::ArgAction::Append)]
    pub parameters: Vec<String>,
}

/// Flags shared by `upgrade` and `test-and-upgrade`: what to apply and how.
#[derive(Debug, Args, Clone, Default)]
pub struct DeltaArgs {
    #[command(flatten)]
    pub dirs: DirArgs,
    /// Apply deltas up to and including this version.
    #[arg(
        short = 'u',
        long = "max-version",
        visible_alias = "max_version",
        value_name = "VERSION"
    )]
    pub max_version: Option<String>,
    /// A variable for SQL deltas' %(NAME)s placeholders: TYPE is int, float
    /// or str. Repeatable; overrides `variables:` in pum.yaml.
    #[arg(short = 'v', long = "var", num_args = 3, value_names = ["TYPE", "NAME", "VALUE"], action = clap::ArgAction::Append)]
    pub vars: Vec<String>,
    /// How long to wait for another pum run's lock on the same database
    /// (500ms, 60s, 2min) [default: run_lock_timeout in pum.yaml, else 60s].
    #[arg(long = "lock-timeout", value_name = "DURATION")]
    pub lock_timeout: Option<String>,
    /// The server's lock_timeout for each delta; 0 for none
    /// [default: lock_timeout in pum.yaml, else 5s].
    #[arg(long = "delta-lock-timeout", value_name = "DURATION")]
    pub delta_lock_timeout: Option<String>,
    /// The server's statement_timeout for each delta; 0 for none
    /// [default: statement_timeout in pum.yaml, else none].
    #[arg(long = "statement-timeout", value_name = "DURATION")]
    pub statement_timeout: Option<String>,
    /// Tries again after a delta hit its lock_timeout (it was rolled back)
    /// [default: retries in pum.yaml, else 3].
    #[arg(long = "retries", value_name = "N")]
    pub retries: Option<u32>,
    /// Refuse to run when an applied delta's file changed or is missing
    /// (also: on_checksum_change: fail in pum.yaml).
    #[arg(long = "strict")]
    pub strict: bool,
    /// All or nothing: the whole run in one transaction, each delta (or
    /// version) a savepoint in it; a failure anywhere leaves the database
    /// as it was. Refused for deltas that cannot run inside a transaction.
    #[arg(long = "single-transaction")]
    pub single_transaction: bool,
    /// A parameter of a pum 1.x module directory (-d DIR with .pum.yaml),
    /// typed as .pum.yaml declares it. Repeatable; overrides its default.
    #[arg(long = "parameter", num_args = 2, value_names = ["NAME", "VALUE"], action = clap::ArgAction::Append)]
    pub parameters: Vec<String>,
    /// Module directories: after the upgrade, create the roles of .pum.yaml
    /// that are missing and grant their permissions.
    #[arg(long = "grant")]
    pub grant: bool,
    /// Module directories: create the roles of .pum.yaml that are missing
    /// (before the changelogs of an install, after those of an upgrade)
    /// and grant nothing. Implied by --grant.
    #[arg(long = "create-roles")]
    pub create_roles: bool,
    /// Module directories: leave out, with a warning, versions older than
    /// the database's that no row records (after a baseline of a restored
    /// or hand-built database) instead of refusing to upgrade.
    #[arg(long = "skip-baseline-check")]
    pub skip_baseline_check: bool,
    /// Module directories: do not run the application's drop hooks
    /// (`application.drop` in .pum.yaml) before the changelogs.
    #[arg(long = "skip-drop-app")]
    pub skip_drop_app: bool,
    /// Module directories: do not run the application's create hooks
    /// (`application.create` in .pum.yaml) after the changelogs.
    #[arg(long = "skip-create-app")]
    pub skip_create_app: bool,
    /// Module directories: install even though another module's
    /// pum_migrations is in the database (pum 1.x refuses otherwise).
    #[arg(long = "allow-multiple-modules")]
    pub allow_multiple_modules: bool,
    /// Module directories: record the versions as beta testing (pum 1.x);
    /// a database installed so is not upgraded again without --force.
    #[arg(long = "beta-testing")]
    pub beta_testing: bool,
    /// Module directories: upgrade a database installed for beta testing.
    #[arg(long = "force")]
    pub force: bool,
    /// `install` of a module: load this set of `demo_data` in .pum.yaml
    /// after the versions, in the same transaction.
    #[arg(long = "demo-data", value_name = "NAME")]
    pub demo_data: Option<String>,
}

#[derive(Debug, Args, Default)]
pub struct UpgradeArgs {
    #[command(flatten)]
    pub service: ServiceArg,
    #[command(flatten)]
    pub table: TableArg,
    #[command(flatten)]
    pub deltas: DeltaArgs,
    /// Print what would be applied (each delta, its mode, the SQL with
    /// variables substituted in JSON) and change nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Measure each delta: the locks it held and for how long, the tables
    /// it rewrote, the indexes it built, the WAL it wrote (a table after
    /// the run; fields of applied[] in JSON).
    #[arg(long = "measure", conflicts_with = "dry_run")]
    pub measure: bool,
    /// Accepted for pum 0.x compatibility (pum always prints each delta).
    #[arg(long = "verbose", hide = true)]
    pub verbose: bool,
}

/// `pum repair`: the history set right after applied files changed, were
/// applied by hand or are gone.
#[derive(Debug, Args)]
pub struct RepairArgs {
    #[command(flatten)]
    pub service: ServiceArg,
    #[command(flatten)]
    pub table: TableArg,
    #[command(flatten)]
    pub deltas: DeltaArgs,
    /// Print what would change and change nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Remove the rows of recorded deltas whose file is gone (pum 0.x layout).
    #[arg(long = "forget-missing")]
    pub forget_missing: bool,
    /// Record this pending delta file (a module: its version directory or
    /// one of its files) as applied without running it, with its checksum.
    /// Repeatable.
    #[arg(long = "mark-applied", value_name = "FILE")]
    pub mark_applied: Vec<PathBuf>,
}

/// `pum install`: a module on a database that does not have it yet.
#[derive(Debug, Args, Default)]
pub struct InstallArgs {
    #[command(flatten)]
    pub service: ServiceArg,
    #[command(flatten)]
    pub deltas: DeltaArgs,
}

/// What to do with the module's roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RolesAction {
    /// Create the missing roles (NOLOGIN; `inherit` as membership) and
    /// grant every role its permissions; with --suffix, database-specific
    /// roles NAME_SUFFIX carry the permissions.
    Create,
    /// Grant the permissions again (after new schemas or objects), creating
    /// nothing; with --to USER, make USER a member of the roles instead.
    Grant,
    /// Revoke the roles' permissions and memberships, keeping the roles;
    /// with --from USER, end USER's membership of the roles instead.
    Revoke,
    /// Revoke, then drop the roles (only the NAME_SUFFIX ones with --suffix).
    Drop,
    /// Which roles can read or write the module's schemas, against what
    /// .pum.yaml expects.
    List,
    /// Create a role that can log in (--name), with no password.
    CreateLogin,
    /// Drop a login role (--name).
    DropLogin,
    /// The login roles that are not superusers.
    LoginRoles,
    /// The login roles that are members of one role (--roles ROLE).
    Members,
}

/// The flags of the role actions, the same in both command-line shapes.
#[derive(Debug, Args, Default, Clone)]
pub struct RoleFlags {
    /// Database-specific roles: act on NAME_SUFFIX for each configured NAME.
    #[arg(long = "suffix", value_name = "SUFFIX")]
    pub suffix: Option<String>,
    /// Only these configured roles [default: all of them].
    #[arg(long = "roles", value_name = "ROLE", num_args = 1..)]
    pub roles: Vec<String>,
    /// grant: the user to make a member of the roles.
    #[arg(long = "to", value_name = "ROLE")]
    pub to: Option<String>,
    /// revoke: the user whose membership of the roles ends.
    #[arg(long = "from", value_name = "ROLE")]
    pub from: Option<String>,
    /// create-login, drop-login: the login role's name.
    #[arg(long = "name", value_name = "NAME")]
    pub name: Option<String>,
    /// drop: hand what the roles own to the current user and drop their
    /// remaining privileges first (REASSIGN OWNED, DROP OWNED).
    #[arg(long = "force")]
    pub force: bool,
    /// list: show superusers too.
    #[arg(long = "include-superusers")]
    pub include_superusers: bool,
}

#[derive(Debug, Args)]
pub struct RolesArgs {
    pub action: RolesAction,
    #[command(flatten)]
    pub service: ServiceArg,
    /// The module directory (holding .pum.yaml).
    #[arg(short = 'd', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub flags: RoleFlags,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// What the delta does; becomes the file name (`add pipe owner` →
    /// delta_X.Y.Z_add_pipe_owner.sql).
    pub description: String,
    /// Directory to create it in [default: the first delta directory].
    #[arg(short = 'd', long = "dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Version of the new delta [default: the next patch version].
    #[arg(long = "version", value_name = "VERSION")]
    pub version: Option<String>,
}
