//! Progress of a long dump or restore: a spinner on stderr showing the bytes
//! written and the object the child is working on, only when stderr is a
//! terminal (and not with --quiet). Otherwise every call is a no-op.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::output::Printer;

const WITH_BYTES: &str = "{spinner} {prefix} {bytes:>10} {elapsed:>4} {wide_msg}";
const WITHOUT_BYTES: &str = "{spinner} {prefix} {elapsed:>4} {wide_msg}";

/// A cheap, cloneable handle; the reader thread of a child holds one.
#[derive(Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A spinner labelled `label` ("dumping mydb"), or nothing off a
    /// terminal; `bytes`: whether to show the bytes written so far.
    pub fn new(printer: &Printer, label: &str, bytes: bool) -> Progress {
        if !printer.stderr_tty || printer.quiet {
            return Progress::hidden();
        }
        let bar = ProgressBar::new_spinner();
        let template = if bytes { WITH_BYTES } else { WITHOUT_BYTES };
        bar.set_style(ProgressStyle::with_template(template).expect("static template"));
        bar.set_prefix(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar: Some(bar) }
    }

    /// Shows nothing.
    pub fn hidden() -> Progress {
        Progress { bar: None }
    }

    /// Whether anything is shown (then the child is asked for `--verbose`).
    pub fn visible(&self) -> bool {
        self.bar.is_some()
    }

    /// A `--verbose` line of the child: what it is working on now.
    pub fn line(&self, line: &str) {
        if let Some(bar) = &self.bar {
            let text = line
                .split_once(": ")
                .map(|(_, rest)| rest)
                .unwrap_or(line)
                .trim();
            bar.set_message(text.to_string());
        }
    }

    /// Bytes written so far.
    pub fn bytes(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(n);
        }
    }

    /// Removes the spinner (the caller prints its own summary).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_and_hidden_progress_is_inert() {
        for t in [WITH_BYTES, WITHOUT_BYTES] {
            assert!(ProgressStyle::with_template(t).is_ok(), "{t}");
        }
        let p = Progress::hidden();
        assert!(!p.visible());
        p.line("pg_dump: dumping contents of table \"a\"");
        p.bytes(10);
        p.finish();
    }
}
