//! The `pum` binary: parse, run, turn the result into an exit code.

use clap::Parser;

fn main() {
    let args = pum::cli::normalize_args(std::env::args_os());
    let cli = match pum::cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                pum::ERROR_EXIT_CODE
            } else {
                0
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    match pum::run(cli) {
        Ok(outcome) => std::process::exit(outcome.exit_code()),
        Err(err) => {
            eprintln!("pum: error: {err}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            std::process::exit(pum::ERROR_EXIT_CODE);
        }
    }
}
