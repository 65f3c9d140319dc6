//! Arguments of `export`, `import` and `verify-backups`.

use std::path::PathBuf;

use clap::Args;

use super::{own_help, ServiceArg};

// `-p` here overrides the service each export or import section names.
#[derive(Debug, Args)]
#[command(mut_args(own_help(&[(
    "pg_service",
    "Service, URI or conninfo to use instead of the section's `service`",
)])))]
pub struct TransferArgs {
    /// Stop at the first failing table (otherwise the others go on and the
    /// run ends with exit 2, listing the failures).
    #[arg(long = "strict")]
    pub strict: bool,
    /// Continue the run RUN_ID (printed at its start): the tables it
    /// finished are skipped.
    #[arg(long = "resume", value_name = "RUN_ID")]
    pub resume: Option<String>,
    #[command(flatten)]
    pub service: ServiceArg,
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
