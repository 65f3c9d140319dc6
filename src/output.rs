//! All output goes through the [`Printer`]: reports to stdout, progress and
//! warnings to stderr, colour only on a terminal and never with `NO_COLOR`.
//! A closed stdout (`pum info | head`) is not an error.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

/// How reports are written to standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables and text for a person.
    Text,
    /// One JSON document (schemas in the README).
    Json,
    /// JUnit XML for CI servers (`fleet`, `upgrade`, `install`, `check`,
    /// `test-and-upgrade`).
    Junit,
    /// Markdown for a pull-request comment (`check`, `test-and-upgrade`).
    Markdown,
    /// SARIF 2.1.0 for code scanning (`lint`).
    Sarif,
}

impl Format {
    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Sarif => "sarif",
        }
    }
}

/// Writes reports, messages and warnings, knowing the format, colour and quiet settings.
#[derive(Debug, Clone)]
pub struct Printer {
    pub format: Format,
    pub color: bool,
    pub quiet: bool,
    /// Whether stderr is a terminal (progress bars, prompts).
    pub stderr_tty: bool,
    /// What the run changed so far (each applied delta), shared by clones:
    /// a failing command's JSON error document lists it.
    pub applied: Arc<Mutex<Vec<serde_json::Value>>>,
    /// Put before every warning: which of many databases it is about (a
    /// fleet runs several at once).
    pub label: Option<String>,
}

impl Printer {
    pub fn new(format: Format, no_color: bool, quiet: bool, no_color_env: bool) -> Self {
        let stdout_tty = std::io::stdout().is_terminal();
        Printer {
            format,
            color: stdout_tty && !no_color && !no_color_env,
            quiet,
            stderr_tty: std::io::stderr().is_terminal(),
            applied: Arc::default(),
            label: None,
        }
    }

    /// A printer that writes plain text (tests, library use).
    pub fn plain(format: Format) -> Self {
        Printer {
            format,
            color: false,
            quiet: false,
            stderr_tty: false,
            applied: Arc::default(),
            label: None,
        }
    }

    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// Notes that something was applied (kept for the error document).
    pub fn note_applied(&self, entry: serde_json::Value) {
        if let Ok(mut applied) = self.applied.lock() {
            applied.push(entry);
        }
    }

    /// The JSON document a failing command prints with `--format json`:
    /// the error and what was applied before it.
    pub fn error_document(&self, err: &crate::error::Error) -> serde_json::Value {
        let applied = self.applied.lock().map(|a| a.clone()).unwrap_or_default();
        serde_json::json!({ "error": err.to_json(), "applied": applied })
    }

    /// Report text for stdout.
    pub fn out(&self, text: impl AsRef<str>) {
        let mut stdout = std::io::stdout().lock();
        // A reader that went away (broken pipe) is not our error.
        let _ = writeln!(stdout, "{}", text.as_ref());
    }

    /// A JSON document for stdout, pretty-printed.
    pub fn json(&self, value: &serde_json::Value) {
        self.out(serde_json::to_string_pretty(value).expect("JSON values always serialise"));
    }

    /// A progress line for stderr ("applying delta_1.2.0.sql ... 12 ms").
    /// In JSON mode too, so pipelines still see what happens; never with --quiet.
    pub fn step(&self, text: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "{}", text.as_ref());
        }
    }

    /// A warning for stderr; shown even with --quiet.
    pub fn warn(&self, text: impl AsRef<str>) {
        let prefix = if self.stderr_tty {
            console::style("warning:").yellow().bold().to_string()
        } else {
            "warning:".to_string()
        };
        let label = self
            .label
            .as_deref()
            .map(|l| format!("{l}: "))
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stderr().lock(),
            "{prefix} {label}{}",
            text.as_ref()
        );
    }

    /// Styles text for stdout when colour is on.
    pub fn paint(&self, text: &str, style: Style) -> String {
        if !self.color {
            return text.to_string();
        }
        let s = console::style(text).force_styling(true);
        match style {
            Style::Good => s.green().to_string(),
            Style::Bad => s.red().to_string(),
            Style::Changed => s.yellow().to_string(),
            Style::Heading => s.bold().to_string(),
            Style::Dim => s.dim().to_string(),
        }
    }

    /// A comfy-table with the house style.
    pub fn table(&self, header: &[&str]) -> comfy_table::Table {
        let mut table = comfy_table::Table::new();
        table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        if !self.color {
            table.force_no_tty();
        }
        table.set_header(header.to_vec());
        table
    }

    /// A titled table after a blank line: one section of a report.
    pub fn section(
        &self,
        title: &str,
        header: &[&str],
        rows: impl IntoIterator<Item = Vec<String>>,
    ) {
        let mut table = self.table(header);
        for row in rows {
            table.add_row(row);
        }
        self.out("");
        self.out(self.paint(title, Style::Heading));
        self.out(table.to_string());
    }
}

/// Semantic styles; the printer maps them to colours.
#[derive(Debug, Clone, Copy)]
pub enum Style {
    Good,
    Bad,
    Changed,
    Heading,
    Dim,
}
/// `12 ms`, `1.25 s`.
pub fn format_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.2} s", ms as f64 / 1000.0)
    }
}

/// Escapes text for HTML or XML element content and quoted attribute values.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
