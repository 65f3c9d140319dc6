//! Arguments of `lint`.

use clap::Args;

use super::DirArgs;

#[derive(Debug, Args, Default)]
pub struct LintArgs {
    #[command(flatten)]
    pub dirs: DirArgs,
}
