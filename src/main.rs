//! The `pum` binary: parse, run, turn the result into an exit code.

use std::ffi::OsString;

use clap::Parser;

fn main() {
    // Before anything else: a signal from here on is an interruption.
    pum::interrupt::install();
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = if pum::cli::pum1::is_pum1_shape(&args) {
        let line = pum::cli::pum1::Pum1Cli::try_parse_from(args).unwrap_or_else(|e| clap_exit(e));
        pum::cli::pum1::translate(line)
            .and_then(pum::cli::pum1::prepare)
            .unwrap_or_else(|err| fail(err))
    } else {
        let args = pum::cli::normalize_args(args);
        pum::cli::Cli::try_parse_from(args).unwrap_or_else(|e| clap_exit(e))
    };
    match pum::run(cli) {
        Ok(outcome) => std::process::exit(outcome.exit_code()),
        Err(err) => fail(err),
    }
}

/// Prints clap's message (or the help it was asked for) and exits.
fn clap_exit(e: clap::Error) -> ! {
    let code = if e.use_stderr() {
        pum::ERROR_EXIT_CODE
    } else {
        0
    };
    let _ = e.print();
    std::process::exit(code);
}

/// Prints an error with its causes and exits with its code.
fn fail(err: pum::error::Error) -> ! {
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
