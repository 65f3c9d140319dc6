//! The live line of a fleet run on a terminal: databases done of all, how
//! many failed, which are running. Finished databases' lines scroll above
//! it. Off a terminal (or with --quiet) only those lines are printed.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::output::Printer;

pub struct FleetProgress {
    bar: Option<ProgressBar>,
    running: Mutex<BTreeSet<String>>,
    failed: Mutex<usize>,
    printer: Printer,
}

impl FleetProgress {
    pub fn new(printer: &Printer, total: usize) -> FleetProgress {
        let bar = (printer.stderr_tty && !printer.quiet && !printer.is_json()).then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {pos}/{len} databases {elapsed:>4} {wide_msg}",
                )
                .expect("static template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        FleetProgress {
            bar,
            running: Mutex::new(BTreeSet::new()),
            failed: Mutex::new(0),
            printer: printer.clone(),
        }
    }

    pub fn started(&self, name: &str) {
        self.running
            .lock()
            .expect("not poisoned")
            .insert(name.to_string());
        self.refresh();
    }

    /// `line` printed above the live line (or alone, off a terminal).
    pub fn finished(&self, name: &str, ok: bool, line: String) {
        self.running.lock().expect("not poisoned").remove(name);
        if !ok {
            *self.failed.lock().expect("not poisoned") += 1;
        }
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                bar.inc(1);
                self.refresh();
            }
            None => self.printer.step(line),
        }
    }

    fn refresh(&self) {
        let Some(bar) = &self.bar else { return };
        let running = self.running.lock().expect("not poisoned");
        let failed = *self.failed.lock().expect("not poisoned");
        let names: Vec<&str> = running.iter().map(String::as_str).take(4).collect();
        let more = running.len().saturating_sub(names.len());
        let mut msg = format!("{failed} failed; running: {}", names.join(", "));
        if more > 0 {
            msg.push_str(&format!(" and {more} more"));
        }
        bar.set_message(msg);
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
