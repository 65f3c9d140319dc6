//! `pum check`: compare the schemas of two databases and report every
//! difference. The filter flags are a reusable group ([`CheckFilterArgs`]) so
//! that `test-and-upgrade` offers the same ones.

use crate::cli::{CheckArgs, CheckFormat};
use crate::diff::{self};
use crate::error::Result;
use crate::output::Format;
use crate::settings::Settings;
use crate::Outcome;

pub fn run(ctx: &Settings, args: &CheckArgs) -> Result<Outcome> {
    let opts = ctx.check_options(&args.filters)?;
    if let Some(path) = &args.output {
        crate::private_file::check_writable(path, "-o/--output")?;
    }
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
    let format = match (args.output_format, ctx.printer.format) {
        (Some(f), _) => Rendered::Chosen(f),
        (None, Format::Json) => Rendered::OwnJson,
        (None, Format::Junit) => Rendered::Junit,
        (None, Format::Markdown) => Rendered::Markdown,
        // SARIF is refused for check before it runs.
        (None, Format::Text | Format::Sarif) => Rendered::Chosen(CheckFormat::Text),
    };
    let render = |printer: &crate::output::Printer| match format {
        Rendered::OwnJson => {
            let mut text = report.to_json_string();
            text.push('\n');
            text
        }
        Rendered::Chosen(CheckFormat::Text) => report.render_text(printer, silent),
        Rendered::Junit => report.render_junit("pum check"),
        Rendered::Markdown => report.render_markdown(
            &label(&args.pg_service1, &left),
            &label(&args.pg_service2, &right),
        ),
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
            crate::private_file::write(path, &render(&plain))?;
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
    Junit,
    Markdown,
    Chosen(CheckFormat),
}
