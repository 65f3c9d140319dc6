//! `pum check`: compare the schemas of two databases and report every
//! difference. The filter flags are a reusable group ([`CheckFilterArgs`]) so
//! that `test-and-upgrade` offers the same ones.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::catalog::Kind;
use crate::diff::{self, Options};
use crate::error::{Error, Result};
use crate::{Context, Outcome};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// First database: service name, postgresql:// URI or conninfo string (-p1).
    #[arg(
        long = "pg_service1",
        visible_alias = "pg-service1",
        value_name = "SERVICE",
        required = true
    )]
    pub pg_service1: String,
    /// Second database: service name, postgresql:// URI or conninfo string (-p2).
    #[arg(
        long = "pg_service2",
        visible_alias = "pg-service2",
        value_name = "SERVICE",
        required = true
    )]
    pub pg_service2: String,
    #[command(flatten)]
    pub filters: CheckFilterArgs,
    /// Print only the verdict (OK / N differences). pum 0.x's form with a
    /// value (`-s 1`, `--silent=yes`) is accepted too: any non-empty value
    /// means silent, as it did there.
    #[arg(
        short = 's',
        long = "silent",
        value_name = "VALUE",
        num_args = 0..=1,
        default_missing_value = "true"
    )]
    pub silent: Option<String>,
    /// pum 0.x verbosity: 0 prints only the verdict (like --silent), 1 and 2
    /// the full report.
    #[arg(
        short = 'v',
        long = "verbose_level",
        visible_alias = "verbose-level",
        value_name = "LEVEL",
        value_parser = clap::value_parser!(u8).range(0..=2)
    )]
    pub verbose_level: Option<u8>,
    /// Write the report to FILE (created with mode 0600) instead of stdout.
    #[arg(
        short = 'o',
        long = "output",
        visible_alias = "output_file",
        value_name = "FILE"
    )]
    pub output: Option<PathBuf>,
    /// Report format (pum 1.x's `check -f`): text, html (a standalone page)
    /// or json (pum 1.x's field names). Without it, the global --format
    /// decides between text and pum's own JSON.
    #[arg(short = 'f', long = "output-format", value_enum, value_name = "FORMAT")]
    pub output_format: Option<CheckFormat>,
}

/// What `check -f` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// The text report.
    Text,
    /// A standalone HTML page.
    Html,
    /// pum 1.x's JSON report.
    Json,
}

/// What `check` compares: ignored kinds, schema filters, column filters.
#[derive(Debug, Args, Clone, Default)]
pub struct CheckFilterArgs {
    /// Object kinds to leave out (also: ignore_elements in pum.yaml). Kinds:
    /// schemas, extensions, collations, types, tables, columns, constraints,
    /// indexes, sequences, views, materialized_views, functions, triggers,
    /// rules, policies, partitions, privileges, owners, comments,
    /// event_triggers, publications.
    #[arg(
        short = 'i',
        long = "ignore",
        value_name = "KIND",
        num_args = 1..,
        value_delimiter = ','
    )]
    pub ignore: Vec<String>,
    /// Schema not to compare: a name or a pattern with * and ?; repeatable.
    #[arg(
        short = 'N',
        long = "exclude-schema",
        visible_alias = "exclude_schema",
        value_name = "SCHEMA"
    )]
    pub exclude_schema: Vec<String>,
    /// Compare only this schema (name or pattern with * and ?); repeatable.
    #[arg(short = 'n', long = "schema", value_name = "SCHEMA")]
    pub schema: Vec<String>,
    /// Leave out columns whose name matches one of these SQL LIKE patterns.
    #[arg(
        short = 'P',
        long = "exclude-field-pattern",
        visible_alias = "exclude_field_pattern",
        value_name = "LIKE",
        num_args = 1..
    )]
    pub exclude_field_pattern: Vec<String>,
    /// Also report columns that are in a different order.
    #[arg(long = "column-order", visible_alias = "column_order")]
    pub column_order: bool,
}

impl CheckFilterArgs {
    /// The comparison options: pum.yaml's `ignore_elements` plus the flags.
    pub fn options(&self, ctx: &Context) -> Result<Options> {
        let configured = ctx.config.ignore_elements.iter().flatten();
        let ignore = configured
            .chain(self.ignore.iter())
            .map(|name| parse_kind(name))
            .collect::<Result<BTreeSet<Kind>>>()?;
        Ok(Options {
            ignore,
            exclude_schemas: self.exclude_schema.clone(),
            schemas: self.schema.clone(),
            exclude_field_patterns: self.exclude_field_pattern.clone(),
            column_order: self.column_order,
        })
    }
}

fn parse_kind(name: &str) -> Result<Kind> {
    Kind::parse(name).ok_or_else(|| {
        let valid: Vec<_> = Kind::ALL.iter().map(|k| k.name()).collect();
        Error::Usage(format!(
            "unknown object kind {name:?} to ignore; valid kinds: {}",
            valid.join(", ")
        ))
    })
}

pub fn run(ctx: &Context, args: &CheckArgs) -> Result<Outcome> {
    let opts = args.filters.options(ctx)?;
    let left = ctx.service(Some(&args.pg_service1))?;
    let right = ctx.service(Some(&args.pg_service2))?;
    let report = diff::check(&left, &right, &opts)?;
    if report.same_database {
        ctx.printer.warn(format!(
            "{} and {} are the same database on the same server: this compares it with itself",
            label(&args.pg_service1, &left),
            label(&args.pg_service2, &right)
        ));
    }
    let silent = args.silent.as_deref().is_some_and(|v| !v.is_empty())
        || ctx.printer.quiet
        || args.verbose_level == Some(0);
    let outcome = if report.is_empty() {
        Outcome::Success
    } else {
        Outcome::Differences
    };
    let format = match (args.output_format, ctx.printer.is_json()) {
        (Some(f), _) => Rendered::Chosen(f),
        (None, true) => Rendered::OwnJson,
        (None, false) => Rendered::Chosen(CheckFormat::Text),
    };
    let render = |printer: &crate::output::Printer| match format {
        Rendered::OwnJson => {
            let mut text = report.to_json_string();
            text.push('\n');
            text
        }
        Rendered::Chosen(CheckFormat::Text) => report.render_text(printer, silent),
        Rendered::Chosen(CheckFormat::Html) => report.render_html(
            &label(&args.pg_service1, &left),
            &label(&args.pg_service2, &right),
        ),
        Rendered::Chosen(CheckFormat::Json) => {
            let mut text = report.to_pum1_json_string(
                &label(&args.pg_service1, &left),
                &label(&args.pg_service2, &right),
            );
            text.push('\n');
            text
        }
    };
    let structured = !matches!(format, Rendered::Chosen(CheckFormat::Text));
    match &args.output {
        Some(path) => {
            // A file never gets terminal colours.
            let mut plain = ctx.printer.clone();
            plain.color = false;
            write_private(path, &render(&plain))?;
            if !structured {
                ctx.printer.out(report.verdict());
            }
        }
        None => ctx.printer.out(render(&ctx.printer).trim_end_matches('\n')),
    }
    Ok(outcome)
}

/// How a report names a database: the service name as given, or for a URI
/// or conninfo string (which may carry a password) the server, database
/// and user it reaches.
fn label(spec: &str, params: &crate::service::ConnParams) -> String {
    if spec.contains('=') || spec.contains("://") {
        params.target()
    } else {
        spec.to_string()
    }
}

/// Which report goes out: pum's own JSON (global `--format json`) or the
/// one `-f` chose.
#[derive(Clone, Copy)]
enum Rendered {
    OwnJson,
    Chosen(CheckFormat),
}

/// Writes `text` to `path`, readable by its owner only: a report names every
/// table, role and grant of the databases.
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    // An existing file keeps its mode on open; tighten it.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(path, e))
}
