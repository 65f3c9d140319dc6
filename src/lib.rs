//! pum: a PostgreSQL upgrade manager. The binary in `main.rs` only parses the
//! command line and maps [`run`]'s result to an exit code; everything else
//! lives in the modules below and is reusable by any subcommand.

pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod deltas;
pub mod demo;
pub mod diff;
pub mod dump;
pub mod error;
pub mod history;
pub mod interrupt;
pub mod module;
pub mod output;
pub mod private_file;
pub mod prompt;
pub mod rehearsal;
pub mod sandbox;
pub mod service;
pub mod upgrade;

use std::path::PathBuf;

use crate::cli::Cli;
use crate::config::Config;
use crate::db::QualifiedName;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::service::{ConnParams, Environment};

/// What a command that ran to the end found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done, nothing to report (exit 0).
    Success,
    /// Ran fine and found differences, or a rehearsal failed (exit 1).
    Differences,
}

impl Outcome {
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Success => 0,
            Outcome::Differences => 1,
        }
    }
}

/// Exit code of every error.
pub const ERROR_EXIT_CODE: i32 = 2;

/// Everything a command needs besides its own arguments: the configuration
/// file, the captured environment and the printer, merged once before any
/// command runs.
pub struct Context {
    pub config: Config,
    pub env: Environment,
    pub printer: Printer,
}

impl Context {
    /// Resolves a service given by a flag (or, without one, from `PG*`).
    pub fn service(&self, value: Option<&str>) -> Result<ConnParams> {
        let params = match value {
            Some(spec) => ConnParams::resolve(spec, &self.env),
            None => ConnParams::from_environment(&self.env),
        }?;
        for warning in params.warnings() {
            self.printer.warn(warning);
        }
        Ok(params)
    }

    /// The upgrades table: the flag, else `upgrades_table` in pum.yaml.
    pub fn upgrades_table(&self, flag: Option<&str>) -> Result<QualifiedName> {
        let raw = flag
            .map(str::to_string)
            .or_else(|| self.config.upgrades_table.clone())
            .ok_or_else(|| {
                Error::Usage(
                    "no upgrades table: pass -t/--table SCHEMA.TABLE or set upgrades_table in pum.yaml"
                        .into(),
                )
            })?;
        QualifiedName::parse(&raw)
    }

    /// The delta directories: the flags, else pum.yaml, else `./deltas`.
    pub fn delta_dirs(&self, flags: &[PathBuf]) -> Vec<PathBuf> {
        if !flags.is_empty() {
            return flags.to_vec();
        }
        let configured = self.config.delta_dirs();
        if configured.is_empty() {
            vec![PathBuf::from("deltas")]
        } else {
            configured
        }
    }
}

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
    let result = Config::load(cli.global.config.as_deref()).and_then(|config| {
        let ctx = Context {
            config,
            env: Environment::from_process(),
            printer: printer.clone(),
        };
        commands::dispatch(&ctx, cli.command)
    });
    if let Err(err) = &result {
        if printer.is_json() {
            printer.json(&printer.error_document(err));
        }
    }
    result
}
