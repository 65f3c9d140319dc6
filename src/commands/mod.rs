//! One module per subcommand. Each wires its arguments to the shared parts
//! and holds no SQL and no diff logic of its own.

pub mod baseline;
pub mod check;
pub mod completions;
pub mod demo;
pub mod dump;
pub mod dumps;
pub mod info;
pub mod module;
pub mod new;
pub mod restore;
pub mod roles;
pub mod test_and_upgrade;
pub mod upgrade;

use crate::cli::Command;
use crate::error::Result;
use crate::{Context, Outcome};

/// The one exhaustive dispatch from subcommand to its implementation.
pub fn dispatch(ctx: &Context, command: Command) -> Result<Outcome> {
    match command {
        Command::Baseline(args) => baseline::run(ctx, &args),
        Command::Check(args) => check::run(ctx, &args),
        Command::Info(args) => info::run(ctx, &args),
        Command::Upgrade(args) => upgrade::run(ctx, &args),
        Command::Demo(args) => demo::run(ctx, &args),
        Command::TestAndUpgrade(args) => test_and_upgrade::run(ctx, &args),
        Command::New(args) => new::run(ctx, &args),
        Command::Dump(args) => dump::run(ctx, &args),
        Command::Restore(args) => restore::run(ctx, &args),
        Command::Dumps(args) => dumps::run(ctx, &args),
        Command::Roles(args) => roles::run(ctx, &args),
        Command::Completions(args) => completions::completions(&args),
        Command::Man(args) => completions::man(&args),
        Command::Install(args) => module::install(ctx, &args),
    }
}
