//! Asking a person for confirmation before production is touched. A
//! terminal gets the question; a pipe may answer it the way pum 0.x's
//! `input()` is answered (`yes | pum test-and-upgrade …`), but an empty or
//! closed standard input is never taken as a yes (nor as a crash, as in
//! pum 0.x).

use std::io::{BufRead, IsTerminal, Write};

use crate::error::{Error, Result};

/// Asks `question` on stderr and reads y/N from standard input.
///
/// A terminal is asked. A pipe or file is read for one line: `y`/`yes` (any
/// case) confirms, any other line declines, as "no" at a terminal does. End
/// of input before any line refuses and tells how to proceed unattended.
pub fn confirm(question: &str) -> Result<bool> {
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    // Asked before reading in every case: a pipeline that never answers
    // shows in its log what it is waiting for.
    {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{question} [y/N] ");
        let _ = err.flush();
    }
    wait_for_input()?;
    let answer = read_answer(&mut stdin.lock()).map_err(|e| Error::io("standard input", e))?;
    match answer {
        Some(line) => {
            if !terminal {
                // A piped answer is not echoed by a terminal: say it for the log.
                eprintln!("{}", line.trim());
            }
            Ok(is_yes(&line))
        }
        None => {
            eprintln!();
            if terminal {
                return Ok(false);
            }
            Err(Error::Refused(format!(
                "{question}\nno answer on standard input (not a terminal, and nothing to read): \
                 pass --yes to proceed unattended, pipe an answer (`yes | pum …`), or --dry-run \
                 to stop after the rehearsal"
            )))
        }
    }
}

/// One line of `input`, `None` at end of input before any byte.
fn read_answer(input: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut line = String::new();
    match input.read_line(&mut line)? {
        0 => Ok(None),
        _ => Ok(Some(line)),
    }
}

/// `y` or `yes`, in any case, with surrounding blanks.
fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Waits until standard input has a line (or its end) to read, giving up when a signal
/// interrupts pum: a blocking read would not return until someone typed.
fn wait_for_input() -> Result<()> {
    loop {
        crate::interrupt::check("confirmation")?;
        let mut fd = libc::pollfd {
            fd: libc::STDIN_FILENO,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: polls one descriptor we own a reference to, for 200 ms.
        let ready = unsafe { libc::poll(&mut fd, 1, 200) };
        if ready > 0 {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_y_or_yes_confirms() {
        for yes in ["y\n", "Y", "yes\r\n", " YES ", "Yes\n"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["n\n", "no", "", "\n", "yess", "ok", "y e s", "oui"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }

    #[test]
    fn end_of_input_is_no_answer_but_an_empty_line_is_one() {
        assert_eq!(read_answer(&mut &b""[..]).unwrap(), None);
        assert_eq!(read_answer(&mut &b"\n"[..]).unwrap().as_deref(), Some("\n"));
        assert_eq!(
            read_answer(&mut &b"y\ny\ny\n"[..]).unwrap().as_deref(),
            Some("y\n")
        );
        assert_eq!(
            read_answer(&mut &b"yes"[..]).unwrap().as_deref(),
            Some("yes")
        );
    }
}
