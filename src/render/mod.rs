//! Rendering of reports that more than one command prints (`info` in the
//! demo, upgrade summaries after `upgrade` and `install`), kept out of the
//! commands so that no command imports another.

pub mod info;
pub mod junit;
pub mod measure;
pub mod upgrade;

use serde_json::json;

use crate::deltas::{Delta, TxMode};
use crate::output::{Printer, Style};
use crate::settings::Settings;

/// A report printed as JSON or as text, whichever the printer is set to.
trait Shown {
    fn to_json(&self) -> serde_json::Value;
    fn print(&self, ctx: &Settings);
}

fn show(ctx: &Settings, report: &impl Shown) {
    if ctx.printer.is_json() {
        ctx.printer.json(&report.to_json());
    } else {
        report.print(ctx);
    }
}

/// A delta's mode in a table: one that is not applied atomically says so.
fn mode_cell(p: &Printer, mode: TxMode) -> String {
    if mode.is_atomic() {
        mode.label().to_string()
    } else {
        p.paint(&format!("{} (not atomic)", mode.label()), Style::Changed)
    }
}

/// A delta in a JSON report: the keys every report gives, then `more`'s.
fn delta_json(d: &Delta, more: serde_json::Value) -> serde_json::Value {
    let mut entry = json!({
        "file": d.path.display().to_string(),
        "version": d.version.to_string(),
        "name": d.description,
        "type": d.kind,
    });
    if let (Some(entry), serde_json::Value::Object(more)) = (entry.as_object_mut(), more) {
        entry.extend(more);
    }
    entry
}

/// An optional version as the summaries show it.
fn or_none(version: Option<&str>) -> &str {
    version.unwrap_or("(none)")
}

/// The plural ending for `n` of something.
fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
