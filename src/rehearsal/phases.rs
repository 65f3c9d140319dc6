//! The rehearsal's steps as they run: each printed with its duration, a
//! step stopped by a signal recorded as interrupted rather than failed.

use std::time::Instant;

use crate::error::{Error, Result};
use crate::output::{format_ms, Printer};

use super::Phase;

/// The steps run so far, each printed as it starts and ends.
pub(super) struct Phases<'p> {
    pub(super) list: Vec<Phase>,
    pub(super) printer: &'p Printer,
}

/// Runs `f` and measures it.
pub(super) fn timed<T>(f: impl FnOnce() -> Result<T>) -> (Result<T>, u64) {
    let t0 = Instant::now();
    let out = f();
    (out, t0.elapsed().as_millis() as u64)
}

impl Phases<'_> {
    /// Runs one step, printing it with its duration. No step starts after
    /// a signal.
    pub(super) fn run<T>(
        &mut self,
        name: &'static str,
        f: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        crate::interrupt::check(name)?;
        self.printer.step(format!("{name} ..."));
        let measured = timed(f);
        self.record(name, measured)
    }

    /// Records a step that was run (and measured) elsewhere. A step that
    /// failed because of a signal was interrupted, not failed.
    pub(super) fn record<T>(
        &mut self,
        name: &'static str,
        (out, ms): (Result<T>, u64),
    ) -> Result<T> {
        let out = out.map_err(|e| match crate::interrupt::mark(e, name) {
            Error::Interrupted { signal, state, .. } => Error::Interrupted {
                signal,
                during: name.to_string(),
                state,
            },
            other => other,
        });
        let ok = out.is_ok();
        let interrupted = matches!(out, Err(Error::Interrupted { .. }));
        self.printer.step(format!(
            "{name}: {} in {}",
            match (ok, interrupted) {
                (true, _) => "done",
                (false, true) => "interrupted",
                (false, false) => "FAILED",
            },
            format_ms(ms)
        ));
        self.list.push(Phase {
            name,
            duration_ms: ms,
            ok,
            error: out.as_ref().err().map(ToString::to_string),
        });
        out
    }
}
