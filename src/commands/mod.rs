//! One module per subcommand. Each wires its arguments to the shared parts
//! and holds no SQL and no diff logic of its own.

pub mod app;
pub mod baseline;
pub mod check;
pub mod completions;
pub mod db;
pub mod demo;
pub mod dump;
pub mod dumps;
pub mod fleet;
pub mod info;
pub mod install;
pub mod lint;
pub mod new;
pub mod repair;
pub mod restore;
pub mod roles;
pub mod test_and_upgrade;
pub mod transfer;
pub mod uninstall;
pub mod upgrade;
pub mod verify_backups;

use crate::cli::Command;
use crate::error::Result;
use crate::runner::UpgradeReport;
use crate::settings::Settings;
use crate::Outcome;

/// The one exhaustive dispatch from subcommand to its implementation.
pub fn dispatch(ctx: &Settings, command: Command) -> Result<Outcome> {
    let name = name(&command);
    let result = match command {
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
        Command::App(args) => app::run(ctx, &args),
        Command::Uninstall(args) => uninstall::run(ctx, &args),
        Command::Install(args) => install::run(ctx, &args),
        Command::Repair(args) => repair::run(ctx, &args),
        Command::Db(args) => db::run(ctx, &args),
        Command::Fleet(args) => fleet::run(ctx, &args),
        Command::Export(args) => transfer::export(ctx, &args),
        Command::Import(args) => transfer::import(ctx, &args),
        Command::VerifyBackups(args) => verify_backups::run(ctx, &args),
        Command::Lint(args) => lint::run(ctx, &args),
        Command::Completions(args) => completions::completions(&args),
        Command::Man(args) => completions::man(&args),
    };
    // Whatever a command did not name more precisely is still an interruption.
    result.map_err(|e| crate::interrupt::mark(e, &format!("pum {name}")))
}

/// The subcommand's name, for messages.
fn name(command: &Command) -> &'static str {
    match command {
        Command::Baseline(_) => "baseline",
        Command::Check(_) => "check",
        Command::Info(_) => "info",
        Command::Upgrade(_) => "upgrade",
        Command::Demo(_) => "demo",
        Command::TestAndUpgrade(_) => "test-and-upgrade",
        Command::New(_) => "new",
        Command::Dump(_) => "dump",
        Command::Restore(_) => "restore",
        Command::Dumps(_) => "dumps",
        Command::Roles(_) => "roles",
        Command::App(_) => "app",
        Command::Uninstall(_) => "uninstall",
        Command::Install(_) => "install",
        Command::Repair(_) => "repair",
        Command::Db(_) => "db",
        Command::Fleet(_) => "fleet",
        Command::Export(_) => "export",
        Command::Import(_) => "import",
        Command::VerifyBackups(_) => "verify-backups",
        Command::Lint(_) => "lint",
        Command::Completions(_) => "completions",
        Command::Man(_) => "man",
    }
}

/// How `app` and `uninstall` end: the hooks run, in JSON with the one field
/// `what` saying what ran, or as the line `text` makes of the count ("1
/// hook", "3 hooks" for `noun` hook).
fn print_hooks_run(
    ctx: &Settings,
    database: &str,
    what: (&str, &str),
    report: &UpgradeReport,
    noun: &str,
    text: impl FnOnce(&str) -> String,
) {
    if ctx.printer.is_json() {
        let mut doc = serde_json::json!({
            "database": database,
            "hooks_run": report.hooks_run,
            "duration_ms": report.duration_ms,
        });
        doc[what.0] = what.1.into();
        ctx.printer.json(&doc);
    } else {
        let n = report.hooks_run.len();
        let count = format!("{n} {noun}{}", if n == 1 { "" } else { "s" });
        ctx.printer.out(text(&count));
    }
}
