//! `pum info`: the database's version, every delta found with its status,
//! and the upgrade history.

use clap::Args;
use serde_json::json;

use crate::cli::{DirArgs, ServiceArg, TableArg};
use crate::deltas::{self, plan};
use crate::error::Result;
use crate::output::Style;
use crate::{db, history, upgrade, Context, Outcome};

#[derive(Debug, Args)]
pub struct InfoArgs {
    #[command(flatten)]
    pub service: ServiceArg,
    #[command(flatten)]
    pub table: TableArg,
    #[command(flatten)]
    pub dirs: DirArgs,
    /// Consider deltas only up to this version as pending.
    #[arg(short = 'u', long = "max-version", value_name = "VERSION")]
    pub max_version: Option<String>,
    /// A parameter of a pum 1.x module directory (-d DIR with .pum.yaml),
    /// shown with its type checked. Repeatable.
    #[arg(long = "parameter", num_args = 2, value_names = ["NAME", "VALUE"], action = clap::ArgAction::Append)]
    pub parameters: Vec<String>,
}

pub fn run(ctx: &Context, args: &InfoArgs) -> Result<Outcome> {
    if let Some(dir) = crate::module::is_module_dir(&ctx.delta_dirs(&args.dirs.dirs)) {
        return super::module::info(ctx, args, &dir);
    }
    if !args.parameters.is_empty() {
        return Err(crate::error::Error::Usage(
            "--parameter applies to module directories (-d DIR holding .pum.yaml)".into(),
        ));
    }
    let table = ctx.upgrades_table(args.table.table.as_deref())?;
    let max_version = args
        .max_version
        .as_deref()
        .map(|v| {
            deltas::Version::parse(v)
                .map_err(|why| crate::error::Error::Usage(format!("-u/--max-version: {why}")))
        })
        .transpose()?;
    let dirs = ctx.delta_dirs(&args.dirs.dirs);
    let params = ctx.service(args.service.pg_service.as_deref())?;
    show(ctx, &params, &table, &dirs, max_version.as_ref())?;
    Ok(Outcome::Success)
}

/// Prints the version, the deltas with their status and the history of one
/// database (also used by `pum demo`).
pub fn show(
    ctx: &Context,
    params: &crate::service::ConnParams,
    table: &crate::db::QualifiedName,
    dirs: &[std::path::PathBuf],
    max_version: Option<&deltas::Version>,
) -> Result<()> {
    let mut client = db::connect(params)?;
    let found = deltas::discover(dirs)?;
    for warning in found.ignored_warnings() {
        ctx.printer.warn(warning);
    }
    history::require(&mut client, table, &params.target())?;
    let rows = history::read(&mut client, table)?;
    let applied: Vec<_> = rows.iter().map(history::HistoryRow::as_applied).collect();
    let current = plan::current_version(&applied);
    let statuses = plan::statuses(&applied, &found.deltas, current.as_ref(), max_version);
    let missing = plan::missing_on_disk(&applied, &found.deltas);
    let pending = statuses
        .iter()
        .filter(|s| **s == plan::Status::Pending)
        .count();

    if ctx.printer.is_json() {
        let deltas: Vec<_> = found
            .deltas
            .iter()
            .zip(&statuses)
            .map(|(d, s)| {
                json!({
                    "file": d.path.display().to_string(),
                    "version": d.version.to_string(),
                    "name": d.description,
                    "type": d.kind,
                    "type_code": d.kind.type_code(),
                    "status": s,
                    "atomic": d.mode.is_atomic(),
                    "mode": d.mode,
                    "checksum": d.checksum,
                })
            })
            .collect();
        let missing: Vec<_> = missing
            .iter()
            .map(|r| json!({"version": r.version, "name": r.description, "type_code": r.type_code}))
            .collect();
        ctx.printer.json(&json!({
            "database": params.dbname(),
            "table": table.to_string(),
            "current_version": current.as_ref().map(ToString::to_string),
            "pending": pending,
            "deltas": deltas,
            "missing_files": missing,
            "history": rows,
        }));
        return Ok(());
    }

    let p = &ctx.printer;
    p.out(format!(
        "{} {} (upgrades table {table}): version {}, {pending} pending",
        p.paint("database", Style::Heading),
        params.dbname(),
        p.paint(&upgrade::display_version(current.as_ref()), Style::Heading)
    ));
    p.out("");
    p.out(p.paint(
        &format!("deltas in {}", upgrade::dirs_label(dirs)),
        Style::Heading,
    ));
    if found.deltas.is_empty() {
        p.out("(no delta files found)");
    } else {
        let mut table_out = p.table(&["Version", "Name", "Type", "Status", "Mode"]);
        for (d, s) in found.deltas.iter().zip(&statuses) {
            let style = match s {
                plan::Status::Applied => Style::Good,
                plan::Status::Pending => Style::Changed,
                plan::Status::ChangedSinceApplied => Style::Bad,
                _ => Style::Dim,
            };
            let mode = if d.mode.is_atomic() {
                d.mode.label().to_string()
            } else {
                p.paint(&format!("{} (not atomic)", d.mode.label()), Style::Changed)
            };
            table_out.add_row(vec![
                d.version.to_string(),
                d.description.clone(),
                d.kind.label().to_string(),
                p.paint(s.label(), style),
                mode,
            ]);
        }
        p.out(table_out.to_string());
    }
    for r in &missing {
        p.warn(format!(
            "{} {} ({}) is recorded as applied but no such file was found",
            r.version,
            r.description,
            deltas::type_label(r.type_code)
        ));
    }
    p.out("");
    p.out(p.paint("history", Style::Heading));
    let mut hist = p.table(&[
        "Version",
        "Name",
        "Type",
        "Installed by",
        "Installed on",
        "Time",
        "Status",
    ]);
    for r in &rows {
        hist.add_row(vec![
            r.version.clone(),
            r.description.clone(),
            deltas::type_label(r.type_code),
            r.installed_by.clone(),
            r.installed_on.clone(),
            upgrade::format_ms(r.execution_time.max(0) as u64),
            if r.success {
                "success".into()
            } else {
                p.paint("failed", Style::Bad)
            },
        ]);
    }
    p.out(hist.to_string());
    Ok(())
}
