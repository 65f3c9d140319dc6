//! Arguments of `export`, `import` and `verify-backups`.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct TransferArgs {
    /// Stop at the first failing table (otherwise the others go on and the
    /// run ends with exit 2, listing the failures).
    #[arg(long = "strict")]
    pub strict: bool,
    /// Continue the run RUN_ID (printed at its start): the tables it
    /// finished are skipped.
    #[arg(long = "resume", value_name = "RUN_ID")]
    pub resume: Option<String>,
    /// Service, URI or conninfo to use instead of the section's `service`.
    #[arg(
        short = 'p',
        long = "pg_service",
        visible_alias = "pg-service",
        value_name = "SERVICE"
    )]
    pub pg_service: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyBackupsArgs {
    /// Take each database's newest dump from this directory instead of
    /// dumping it now.
    #[arg(long = "latest", value_name = "LOCATION")]
    pub latest: Option<PathBuf>,
    /// Restore into a new database on this service's server instead of a
    /// sandbox cluster (refused for allow_restore: false and for the source).
    #[arg(long = "into-service", value_name = "SVC")]
    pub into_service: Option<String>,
    /// Databases verified at a time.
    #[arg(short = 'j', long = "jobs", value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: u32,
}
