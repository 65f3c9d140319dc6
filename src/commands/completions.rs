//! `pum completions SHELL` and `pum man`: generated from the clap
//! definition, so they can never disagree with the flags pum accepts.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs, Shell};
use crate::error::{Error, Result};
use crate::Outcome;

pub fn completions(args: &CompletionsArgs) -> Result<Outcome> {
    use clap_complete::Shell as S;
    let shell = match args.shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::Powershell => S::PowerShell,
    };
    let mut text = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "pum", &mut text);
    write_stdout(&text)
}

pub fn man(_args: &ManArgs) -> Result<Outcome> {
    let mut text = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut text)
        .map_err(|e| Error::io("the manual page", e))?;
    write_stdout(&text)
}

/// Writes generated text to stdout; a closed pipe (`pum man | head`) is not
/// an error.
fn write_stdout(bytes: &[u8]) -> Result<Outcome> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("standard output", e))
        }
        _ => Ok(Outcome::Success),
    }
}
