//! Asking a person for confirmation before production is touched. Only a
//! terminal can answer: piped or empty standard input is never taken as a yes
//! (nor as a crash, as in pum 0.x).

use std::io::{BufRead, IsTerminal, Write};

use crate::error::{Error, Result};

/// Asks `question` on stderr and reads y/N from a terminal on stdin.
/// Without a terminal, refuses and tells how to proceed unattended.
pub fn confirm(question: &str) -> Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::Refused(format!(
            "{question}\nno terminal to ask on (standard input is not a TTY): pass --yes to proceed \
             unattended, or --dry-run to stop after the rehearsal"
        )));
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{question} [y/N] ");
    let _ = err.flush();
    // Not held while waiting: the signal thread may have to write.
    drop(err);
    wait_for_input()?;
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::io("standard input", e))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Waits until the terminal has a line to read, giving up when a signal
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
