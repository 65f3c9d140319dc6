//! The `pum` binary: parse, run, turn the result into an exit code.

use clap::Parser;

fn main() {
    // Before anything else: a signal from here on is an interruption.
    pum::interrupt::install();
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
            if let pum::error::Error::Interrupted { signal, .. } = &err {
                // The one line that says what was stopped and where things stand.
                eprintln!("pum: {err}");
                std::process::exit(signal.exit_code());
            }
            let mut shown = err.to_string();
            eprintln!("pum: error: {shown}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                // Messages that already end with their cause (`path: why`)
                // would otherwise say it twice.
                let text = cause.to_string();
                if !shown.contains(&text) {
                    eprintln!("  caused by: {text}");
                    shown.push_str(&text);
                }
                source = cause.source();
            }
            std::process::exit(pum::ERROR_EXIT_CODE);
        }
    }
}
