//! `pum app` and `pum uninstall`: a pum 1.x module's application hooks or
//! uninstall hooks, run alone.

use std::path::PathBuf;

use clap::{ArgAction, Args, ValueEnum};

use super::{DeltaArgs, DirArgs, ServiceArg};

/// The module whose hooks run: where, in which directory, with which
/// parameters.
#[derive(Debug, Args)]
pub struct ModuleArgs {
    #[command(flatten)]
    pub service: ServiceArg,
    /// The module directory (holding .pum.yaml).
    #[arg(short = 'd', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// A module parameter, typed as .pum.yaml declares it. Repeatable.
    #[arg(long = "parameter", num_args = 2, value_names = ["NAME", "VALUE"], action = ArgAction::Append)]
    pub parameters: Vec<String>,
}

impl ModuleArgs {
    /// The delta flags that name this module and its parameters, as
    /// settings read them to load the module.
    pub fn deltas(&self) -> DeltaArgs {
        DeltaArgs {
            dirs: DirArgs {
                dirs: vec![self.dir.clone()],
            },
            parameters: self.parameters.clone(),
            ..Default::default()
        }
    }
}

/// Which application hooks `pum app` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AppAction {
    /// The create hooks (`application.create`), then the roles' grants.
    Create,
    /// The drop hooks (`application.drop`).
    Drop,
    /// The drop hooks, then the create hooks and the grants.
    Recreate,
}

#[derive(Debug, Args)]
pub struct AppArgs {
    pub action: AppAction,
    #[command(flatten)]
    pub module: ModuleArgs,
    /// Grant the roles no permissions after the create hooks.
    #[arg(long = "skip-grant")]
    pub skip_grant: bool,
    /// Grant to the database-specific roles NAME_SUFFIX (see `pum roles
    /// create --suffix`) instead of the generic ones.
    #[arg(long = "suffix", value_name = "SUFFIX")]
    pub suffix: Option<String>,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    #[command(flatten)]
    pub module: ModuleArgs,
    /// Run the uninstall hooks without asking first (pum 1.x: --force).
    #[arg(long = "force", visible_alias = "yes", short = 'y')]
    pub force: bool,
}
