//! What `info` prints for either layout: the version, every delta or
//! changelog with its status, and the history table.

use std::path::Path;

use serde_json::json;

use super::{delta_json, mode_cell, show, Shown};
use crate::deltas::{self, plan};
use crate::error::Result;
use crate::module;
use crate::output::{format_ms, Printer, Style};
use crate::project::deltas::{dirs_label, display_version};
use crate::settings::Settings;
use crate::{db, history};

/// Prints the version, the deltas with their status and the history of one
/// database (also used by `pum demo`).
pub fn deltas(
    ctx: &Settings,
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
    let info = DeltaInfo {
        dbname: params.dbname(),
        table,
        dirs,
        current,
        found,
        statuses,
        missing,
        pending,
        rows,
    };
    show(ctx, &info);
    Ok(())
}

/// What `info` found for a delta project.
struct DeltaInfo<'a> {
    dbname: &'a str,
    table: &'a crate::db::QualifiedName,
    dirs: &'a [std::path::PathBuf],
    current: Option<deltas::Version>,
    found: deltas::Discovered,
    statuses: Vec<plan::Status>,
    missing: Vec<&'a plan::AppliedRow>,
    pending: usize,
    rows: Vec<history::HistoryRow>,
}

impl Shown for DeltaInfo<'_> {
    fn to_json(&self) -> serde_json::Value {
        let deltas: Vec<_> = self
            .found
            .deltas
            .iter()
            .zip(&self.statuses)
            .map(|(d, s)| {
                let more = json!({
                    "type_code": d.kind.type_code(),
                    "status": s,
                    "atomic": d.mode.is_atomic(),
                    "mode": d.mode,
                    "checksum": d.checksum,
                });
                delta_json(d, more)
            })
            .collect();
        let missing: Vec<_> = self
            .missing
            .iter()
            .map(|r| json!({"version": r.version, "name": r.description, "type_code": r.type_code}))
            .collect();
        json!({
            "database": self.dbname,
            "table": self.table.to_string(),
            "current_version": self.current.as_ref().map(ToString::to_string),
            "pending": self.pending,
            "deltas": deltas,
            "missing_files": missing,
            "history": self.rows,
        })
    }

    fn print(&self, ctx: &Settings) {
        let p = &ctx.printer;
        let version = display_version(self.current.as_ref());
        p.out(database_line(
            p,
            self.dbname,
            &format!("upgrades table {}", self.table),
            Some(&version),
            self.pending,
        ));
        p.out("");
        p.out(p.paint(
            &format!("deltas in {}", dirs_label(self.dirs)),
            Style::Heading,
        ));
        if self.found.deltas.is_empty() {
            p.out("(no delta files found)");
        } else {
            let mut table_out = p.table(&["Version", "Name", "Type", "Status", "Mode"]);
            for (d, s) in self.found.deltas.iter().zip(&self.statuses) {
                let style = match s {
                    plan::Status::Applied => Style::Good,
                    plan::Status::Pending => Style::Changed,
                    plan::Status::ChangedSinceApplied => Style::Bad,
                    _ => Style::Dim,
                };
                table_out.add_row(vec![
                    d.version.to_string(),
                    d.description.clone(),
                    d.kind.label().to_string(),
                    p.paint(s.label(), style),
                    mode_cell(p, d.mode),
                ]);
            }
            p.out(table_out.to_string());
        }
        for r in &self.missing {
            p.warn(format!(
                "{} {} ({}) is recorded as applied but no such file was found",
                r.version,
                r.description,
                deltas::type_label(r.type_code)
            ));
        }
        let rows = self.rows.iter().map(|r| {
            vec![
                r.version.clone(),
                r.description.clone(),
                deltas::type_label(r.type_code),
                r.installed_by.clone(),
                r.installed_on.clone(),
                format_ms(r.execution_time.max(0) as u64),
                if r.success {
                    "success".into()
                } else {
                    p.paint("failed", Style::Bad)
                },
            ]
        });
        let header = [
            "Version",
            "Name",
            "Type",
            "Installed by",
            "Installed on",
            "Time",
            "Status",
        ];
        p.section("history", &header, rows);
    }
}

/// Prints a module's version, its changelogs with their status, its
/// parameters and the `pum_migrations` history.
pub fn module(ctx: &Settings, dir: &Path, info: &module::ModuleInfo) {
    if ctx.printer.is_json() {
        ctx.printer
            .json(&serde_json::to_value(info).expect("info serialises"));
        return;
    }
    let p = &ctx.printer;
    let version = info
        .installed
        .then(|| super::or_none(info.current_version.as_deref()));
    p.out(database_line(
        p,
        &info.database,
        &format!("module {}, {}", info.module, info.table),
        version,
        info.pending,
    ));
    let changelogs = info.changelogs.iter().map(|c| {
        let style = match c.status {
            module::plan::VersionStatus::Applied => Style::Good,
            module::plan::VersionStatus::Pending => Style::Changed,
            _ => Style::Dim,
        };
        vec![
            c.version.clone(),
            if c.app_only {
                "(application-only release)".to_string()
            } else {
                c.files.join("\n")
            },
            p.paint(c.status.label(), style),
        ]
    });
    let title = format!("changelogs in {}", dir.display());
    p.section(&title, &["Version", "Files", "Status"], changelogs);
    if let Some(map) = info.parameters.as_object().filter(|m| !m.is_empty()) {
        let rows = map
            .iter()
            .map(|(name, value)| vec![name.clone(), value.to_string()]);
        p.section("parameters", &["Name", "Value"], rows);
    }
    let rows = info.history.iter().map(|r| {
        vec![
            r.version.clone(),
            r.date_installed.clone(),
            r.changelog_files.len().to_string(),
            r.parameters.to_string(),
            if r.beta_testing { "yes" } else { "no" }.to_string(),
            r.pum_version
                .as_deref()
                .map(|v| format!("pum {v}"))
                .unwrap_or_default(),
        ]
    });
    let header = [
        "Version",
        "Installed on",
        "Files",
        "Parameters",
        "Beta",
        "Written by",
    ];
    p.section("history", &header, rows);
}

/// The head line of `info`: the database, where its history is kept, its
/// version (`None`: not installed) and how many units are pending.
fn database_line(
    p: &Printer,
    database: &str,
    history: &str,
    version: Option<&str>,
    pending: usize,
) -> String {
    let state = match version {
        Some(v) => format!("version {}", p.paint(v, Style::Heading)),
        None => "not installed".to_string(),
    };
    format!(
        "{} {database} ({history}): {state}, {pending} pending",
        p.paint("database", Style::Heading)
    )
}
