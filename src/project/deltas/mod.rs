//! The pum 0.x layout: delta files in directories, an upgrades table. What
//! is pending (by version, name and type against the recorded rows), drift
//! (applied files that changed or vanished), and how the runner applies it:
//! pre-all hooks, each delta by its mode, post-all hooks.

mod apply;
mod own_transaction;
pub mod python;

use std::path::{Path, PathBuf};

use postgres::Client;

use crate::db::QualifiedName;
use crate::deltas::plan::{self, Status};
use crate::deltas::vars::{self, Variables};
use crate::deltas::{Delta, Discovered, Hook, Version};
use crate::error::{Error, Result};
use crate::history;
use crate::output::Printer;
use crate::runner::{Applied, AppliedDelta, Layout, Plan, RunContext};
use crate::service::ConnParams;

/// A project of delta directories, read from disk, with what a run applies
/// it with.
#[derive(Debug, Clone)]
pub struct DeltaProject {
    pub table: QualifiedName,
    pub discovered: Discovered,
    pub variables: Variables,
    pub max_version: Option<Version>,
}

/// The deltas an upgrade would apply, in order, with the version before.
pub struct Pending<'a> {
    pub current: Option<Version>,
    pub deltas: Vec<&'a Delta>,
    /// Applied deltas whose file changed since, with the recorded checksum.
    pub changed: Vec<(&'a Delta, String)>,
    /// Rows recorded as applied whose file is gone: `version name (type)`.
    pub missing: Vec<String>,
}

/// Plans against the database's history (no lock, nothing applied).
pub fn pending<'a>(client: &mut Client, project: &'a DeltaProject) -> Result<Pending<'a>> {
    let rows: Vec<_> = history::read(client, &project.table)?
        .iter()
        .map(history::HistoryRow::as_applied)
        .collect();
    let current = plan::current_version(&rows);
    let statuses = plan::statuses(
        &rows,
        &project.discovered.deltas,
        current.as_ref(),
        project.max_version.as_ref(),
    );
    let mut deltas = Vec::new();
    let mut changed = Vec::new();
    for (d, s) in project.discovered.deltas.iter().zip(statuses) {
        match s {
            Status::Pending => deltas.push(d),
            Status::ChangedSinceApplied => {
                let recorded = plan::records_of(&rows, d)
                    .last()
                    .map(|r| r.checksum.clone())
                    .unwrap_or_default();
                changed.push((d, recorded));
            }
            _ => {}
        }
    }
    let missing = plan::missing_on_disk(&rows, &project.discovered.deltas)
        .into_iter()
        .map(|r| {
            format!(
                "{} {} ({})",
                r.version,
                r.description,
                crate::deltas::type_label(r.type_code)
            )
        })
        .collect();
    Ok(Pending {
        current,
        deltas,
        changed,
        missing,
    })
}

/// Warns about (or, strict, refuses) applied deltas whose file changed or vanished.
pub fn check_drift(plan: &Pending<'_>, strict: bool, printer: &Printer) -> Result<()> {
    let mut problems = Vec::new();
    for (d, recorded) in &plan.changed {
        problems.push(format!(
            "{} was changed after it was applied (checksum {recorded} recorded, {} on disk)",
            d.path.display(),
            d.checksum
        ));
    }
    for m in &plan.missing {
        problems.push(format!(
            "{m} is recorded as applied but its file was not found"
        ));
    }
    if strict && !problems.is_empty() {
        return Err(Error::State(format!(
            "{}\nrefusing to upgrade (--strict / on_checksum_change: fail); nothing was applied",
            problems.join("\n")
        )));
    }
    for p in problems {
        printer.warn(format!("{p}; it is not applied again"));
    }
    Ok(())
}

fn substitute(text: &str, variables: &Variables, path: &Path) -> Result<String> {
    vars::substitute(text, variables)
        .map_err(|why| Error::Deltas(format!("{}:{why}", path.display())))
}

/// A single-transaction run cannot hold deltas that commit on their own or
/// must run outside a transaction, nor Python, which works on a connection
/// of its own and would not see the run's uncommitted changes.
fn refuse_outside_transaction(deltas: &[&Delta], needs_python: bool) -> Result<()> {
    if let Some(d) = deltas.iter().find(|d| !d.mode.is_atomic()) {
        return Err(Error::Usage(format!(
            "--single-transaction: {} (mode: {}) cannot run inside the run's transaction; nothing was applied",
            d.path.display(),
            d.mode.label()
        )));
    }
    if needs_python {
        return Err(Error::Usage(
            "--single-transaction: Python deltas and hooks run on a connection of their own and cannot join the run's transaction; nothing was applied"
                .into(),
        ));
    }
    Ok(())
}

impl DeltaProject {
    /// The newest version among the deltas, up to the max version.
    pub fn newest_version(&self) -> Option<&Version> {
        self.discovered
            .deltas
            .iter()
            .map(|d| &d.version)
            .filter(|v| self.max_version.as_ref().is_none_or(|m| *v <= m))
            .max()
    }

    fn needs_python(&self, deltas: &[&Delta]) -> bool {
        deltas.iter().any(|d| d.kind.is_python())
            || self
                .discovered
                .pre_all
                .iter()
                .chain(&self.discovered.post_all)
                .any(|h| h.python)
    }

    fn hook_sql(&self, h: &Hook) -> Result<Option<String>> {
        h.sql
            .as_deref()
            .map(|t| substitute(t, &self.variables, &h.path))
            .transpose()
    }
}

/// The pending deltas of one run, with their SQL substituted.
pub struct DeltaPlan<'a> {
    project: &'a DeltaProject,
    before: Option<Version>,
    current: Option<Version>,
    units: Vec<(&'a Delta, Option<String>)>,
    python: Option<python::PythonRunner>,
    recorder: Option<history::Recorder>,
}

impl Layout for DeltaProject {
    type Plan<'a> = DeltaPlan<'a>;

    fn history_table(&self) -> &QualifiedName {
        &self.table
    }

    fn require_history(&self, client: &mut Client, params: &ConnParams) -> Result<()> {
        history::require(client, &self.table, &params.target())
    }

    fn plan<'a>(&'a self, client: &mut Client, run: &RunContext<'_>) -> Result<DeltaPlan<'a>> {
        let pending = pending(client, self)?;
        check_drift(&pending, run.options.strict_checksums, run.printer)?;
        // Everything that can fail without the database fails before anything runs.
        let needs_python = self.needs_python(&pending.deltas);
        if run.options.single_transaction {
            refuse_outside_transaction(&pending.deltas, needs_python)?;
        }
        if needs_python {
            python::require_python(&run.options.python)?;
        }
        let mut units = Vec::new();
        for d in &pending.deltas {
            let sql = match &d.sql {
                Some(text) => Some(substitute(text, &self.variables, &d.path)?),
                None => None,
            };
            units.push((*d, sql));
        }
        for h in self
            .discovered
            .pre_all
            .iter()
            .chain(&self.discovered.post_all)
        {
            self.hook_sql(h)?;
        }
        let python = match needs_python {
            true => Some(python::PythonRunner::new(
                run.params,
                run.service_name,
                &run.options.python,
            )?),
            false => None,
        };
        Ok(DeltaPlan {
            project: self,
            before: pending.current.clone(),
            current: pending.current,
            units,
            python,
            recorder: None,
        })
    }

    fn recorded_version(&self, client: &mut Client) -> Result<Option<String>> {
        Ok(pending(client, self)?.current.map(|v| v.to_string()))
    }
}

impl DeltaPlan<'_> {
    fn hook_context(&self) -> python::HookContext<'_> {
        python::HookContext {
            current_version: self.current.as_ref().map(ToString::to_string),
            delta_dirs: &self.project.discovered.dirs,
            upgrades_table: &self.project.table,
            variables: &self.project.variables,
        }
    }

    fn run_hooks(
        &self,
        client: &mut Client,
        hooks: &[Hook],
        label: &str,
        run: &RunContext<'_>,
    ) -> Result<Vec<String>> {
        let ctx = self.hook_context();
        let mut ran = Vec::new();
        for hook in hooks {
            let sql = self.project.hook_sql(hook)?;
            let python = self.python.as_ref().map(|p| (p, &ctx));
            apply::run_hook(client, hook, sql.as_deref(), python, run, label)?;
            ran.push(hook.path.display().to_string());
        }
        Ok(ran)
    }
}

impl Plan for DeltaPlan<'_> {
    fn noun(&self) -> &'static str {
        "deltas"
    }

    fn version_before(&self) -> Option<String> {
        self.before.as_ref().map(ToString::to_string)
    }

    fn version_after(&self) -> Option<String> {
        self.current.as_ref().map(ToString::to_string)
    }

    fn len(&self) -> usize {
        self.units.len()
    }

    fn label(&self, unit: usize) -> String {
        self.units[unit].0.file_name.clone()
    }

    fn retriable(&self, unit: usize) -> bool {
        let (delta, sql) = &self.units[unit];
        sql.is_some() && delta.mode.is_atomic()
    }

    fn nothing_to_apply(&self, dbname: &str) -> String {
        format!(
            "nothing to apply: {dbname} is at version {}",
            display_version(self.current.as_ref())
        )
    }

    fn before_all(&mut self, client: &mut Client, run: &RunContext<'_>) -> Result<Vec<String>> {
        let ran = self.run_hooks(client, &self.project.discovered.pre_all, "pre-all", run)?;
        // Prepared once for the whole run: one round trip less per delta.
        self.recorder = Some(history::Recorder::prepare(client, &self.project.table)?);
        Ok(ran)
    }

    fn apply(&mut self, client: &mut Client, unit: usize, run: &RunContext<'_>) -> Result<Applied> {
        let (delta, sql) = &self.units[unit];
        let recorder = self.recorder.as_ref().expect("prepared in before_all");
        let t0 = std::time::Instant::now();
        let mut statements = None;
        let atomic = match (sql, self.python.as_ref()) {
            (Some(sql), _) => {
                let done = apply::apply_sql(client, run.options, run.reset, recorder, delta, sql)?;
                statements = done.statements;
                done.atomic
            }
            // Python deltas make their own connections: record right after.
            (None, Some(py)) => {
                py.run(
                    &delta.path,
                    &apply::module_name(&delta.path),
                    &self.hook_context(),
                )?;
                recorder.record(client, delta, crate::runner::failure::elapsed_ms(t0))?;
                false
            }
            (None, None) => unreachable!("python runner prepared for python deltas"),
        };
        if self.current.as_ref().is_none_or(|c| &delta.version > c) {
            self.current = Some(delta.version.clone());
        }
        Ok(Applied {
            summary: format!(
                "{} ({}{})",
                delta.file_name,
                delta.kind.label(),
                if atomic { "" } else { ", not atomic" }
            ),
            entry: AppliedDelta {
                file: delta.path.display().to_string(),
                version: delta.version.to_string(),
                name: delta.description.clone(),
                kind: delta.kind,
                atomic,
                duration_ms: 0,
                measured: None,
                statements,
            },
        })
    }

    fn interrupted(&self, unit: usize) -> String {
        let delta = self.units[unit].0;
        if delta.mode.is_atomic() {
            format!("{} rolled back, not recorded", delta.file_name)
        } else {
            format!("{} stopped part-way, not recorded", delta.file_name)
        }
    }

    fn after_all(&mut self, client: &mut Client, run: &RunContext<'_>) -> Result<Vec<String>> {
        self.run_hooks(client, &self.project.discovered.post_all, "post-all", run)
    }
}

pub fn display_version(v: Option<&Version>) -> String {
    v.map(ToString::to_string)
        .unwrap_or_else(|| "(none)".into())
}

/// Delta directories as given, for messages.
pub fn dirs_label(dirs: &[PathBuf]) -> String {
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
