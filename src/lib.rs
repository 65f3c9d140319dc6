//! pum: a PostgreSQL upgrade manager. The binary in `main.rs` only parses the
//! command line and maps [`run`]'s result to an exit code; everything else
//! lives in the modules below and is reusable by any subcommand.

pub mod catalog;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod db;
pub mod deltas;
pub mod diff;
pub mod dump;
pub mod error;
pub mod example;
pub mod fleet;
pub mod glob;
pub mod history;
pub mod interrupt;
pub mod junit;
pub mod lint;
pub mod module;
pub mod output;
pub mod private_file;
pub mod project;
pub mod prompt;
pub mod rehearsal;
pub mod render;
pub mod repair;
pub mod runner;
pub mod sandbox;
pub mod service;
pub mod settings;
pub mod signal;
pub mod store;
pub mod transfer;
pub mod verify;

use crate::cli::Cli;
use crate::config::Config;
use crate::error::Result;
use crate::output::Printer;
use crate::service::Environment;
use crate::settings::Settings;

/// What a command that ran to the end found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done, nothing to report (exit 0).
    Success,
    /// Ran fine and found differences, or a rehearsal failed (exit 1).
    Differences,
    /// Ran to the end and reported, but some part of the work failed
    /// (a fleet database): exit 2, the report already printed.
    Failed,
}

impl Outcome {
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Success => 0,
            Outcome::Differences => 1,
            Outcome::Failed => ERROR_EXIT_CODE,
        }
    }
}

/// Exit code of every error.
pub const ERROR_EXIT_CODE: i32 = 2;

/// Runs a parsed command line.
/// With `--format json` a failing command still prints one JSON document on
/// stdout (the error and what was applied before it); the human message
/// goes to stderr as always.
pub fn run(cli: Cli) -> Result<Outcome> {
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let printer = Printer::new(
        cli.global.format,
        cli.global.no_color,
        cli.global.quiet,
        no_color_env,
    );
    refuse_format(cli.global.format, &cli.command)?;
    let result = Config::load(cli.global.config.as_deref()).and_then(|config| {
        let ctx = Settings::new(config, Environment::from_process(), printer.clone());
        commands::dispatch(&ctx, cli.command)
    });
    if let Err(err) = &result {
        if printer.is_json() {
            printer.json(&printer.error_document(err));
        }
        if printer.format == crate::output::Format::Junit {
            printer.out(render::junit::error_document(&printer, err));
        }
    }
    result
}

/// JUnit and Markdown are written by the commands that have cases or a
/// report for a pull request; anywhere else they are refused up front.
fn refuse_format(format: crate::output::Format, command: &crate::cli::Command) -> Result<()> {
    use crate::cli::Command;
    use crate::output::Format;
    let (allowed, which) = match format {
        Format::Junit => (
            matches!(
                command,
                Command::Fleet(_)
                    | Command::Upgrade(_)
                    | Command::Install(_)
                    | Command::Check(_)
                    | Command::TestAndUpgrade(_)
                    | Command::Lint(_)
            ),
            "fleet, upgrade, install, check, test-and-upgrade and lint",
        ),
        Format::Markdown => (
            matches!(command, Command::Check(_) | Command::TestAndUpgrade(_)),
            "check and test-and-upgrade",
        ),
        Format::Sarif => (matches!(command, Command::Lint(_)), "lint"),
        Format::Text | Format::Json => (true, ""),
    };
    if allowed {
        return Ok(());
    }
    Err(crate::error::Error::Usage(format!(
        "--format {}: only {which} write it; use text or json",
        format.name()
    )))
}
