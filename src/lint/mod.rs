//! `pum lint`: DDL known to lock or rewrite tables on PostgreSQL, found in
//! a project's SQL by PostgreSQL's own parser (libpg_query), never by
//! pattern matching. Units are what runs together: one pum 0.x delta file,
//! or every file of one pum 1.x changelog version. Pure: reads files,
//! touches no database.
//!
//! `source` parses a file, `mask` hides placeholders from the parser
//! without moving a byte, `check` applies the `rules`, `allow` reads the
//! `-- pum:allow` comments, `location` maps offsets to line:column, and
//! `report`/`sarif` write the findings.

mod allow;
mod check;
mod location;
mod mask;
pub mod report;
pub mod rules;
pub mod sarif;
mod source;

use std::path::{Path, PathBuf};

use crate::deltas::{Delta, TxMode};
use crate::error::Result;
use crate::output::Printer;
use crate::project::Project;

pub use mask::Placeholders;

/// One SQL file of a unit.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub sql: String,
    /// Runs statement by statement outside a transaction.
    pub no_transaction: bool,
    pub placeholders: Placeholders,
}

/// Files that run as one: a delta, or the files of a changelog version.
#[derive(Debug, Clone)]
pub struct Unit {
    pub name: String,
    pub files: Vec<SourceFile>,
}

/// A rule broken at file:line:column.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static rules::Rule,
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// What linting a project found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub files: Vec<PathBuf>,
    pub findings: Vec<Finding>,
}

impl Unit {
    /// A pum 0.x SQL delta (`None` for a Python one).
    pub fn of_delta(delta: &Delta) -> Option<Unit> {
        let sql = delta.sql.as_ref()?;
        Some(Unit {
            name: delta.file_name.clone(),
            files: vec![SourceFile {
                path: delta.path.clone(),
                sql: sql.clone(),
                no_transaction: delta.mode == TxMode::NoTransaction,
                placeholders: Placeholders::Variables,
            }],
        })
    }

    /// A pum 1.x changelog version.
    pub fn of_changelog(changelog: &crate::module::changelog::Changelog) -> Unit {
        Unit {
            name: changelog.version.to_string(),
            files: changelog
                .files
                .iter()
                .map(|f| SourceFile {
                    path: f.path.clone(),
                    sql: f.sql.clone(),
                    no_transaction: false,
                    placeholders: Placeholders::Parameters,
                })
                .collect(),
        }
    }
}

/// Lints one unit; a file that does not parse is an error.
pub fn lint_unit(unit: &Unit, out: &mut Outcome) -> Result<()> {
    let mut state = check::UnitState::default();
    for file in &unit.files {
        let masked = mask::mask(&file.sql, file.placeholders);
        let parsed = source::parse(&file.path, &masked)?;
        let lines = location::LineIndex::new(&file.sql);
        let allows = allow::collect(&parsed, &lines, |id| rules::find(id).is_some());
        let mut found = Vec::new();
        for (offset, id) in &allows.unknown {
            found.push((
                *offset,
                rules::get(rules::UNKNOWN_ALLOW),
                format!(
                    "`pum:allow {id}`: no rule is called {id:?} (known: {})",
                    rules::RULES
                        .iter()
                        .filter(|r| r.id != rules::UNKNOWN_ALLOW)
                        .map(|r| r.id)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        for hit in check::check_file(&parsed, file.no_transaction, &mut state) {
            if !allows.silences(hit.statement, hit.rule) {
                found.push((hit.offset, rules::get(hit.rule), hit.message));
            }
        }
        found.sort_by_key(|(offset, ..)| *offset);
        out.files.push(file.path.clone());
        out.findings
            .extend(found.into_iter().map(|(offset, rule, message)| {
                let (line, column) = lines.line_col(offset);
                Finding {
                    rule,
                    file: file.path.clone(),
                    line,
                    column,
                    message,
                }
            }));
    }
    Ok(())
}

/// Every unit of the project in `dirs`: a pum 1.x module's changelog
/// versions, or the SQL deltas of pum 0.x delta directories.
pub fn project_units(dirs: &[PathBuf], printer: &Printer) -> Result<Vec<Unit>> {
    if let Some(dir) = Project::module_dir(dirs) {
        let config = crate::module::config::ModuleConfig::load(&dir)?;
        let changelogs = crate::module::changelog::discover(&config)?;
        return Ok(changelogs.iter().map(Unit::of_changelog).collect());
    }
    let discovered = crate::deltas::discover(dirs)?;
    for warning in discovered.ignored_warnings() {
        printer.warn(warning);
    }
    Ok(discovered
        .deltas
        .iter()
        .filter_map(Unit::of_delta)
        .collect())
}

/// The units of what is pending, by the names `Project::state` gives
/// (delta file names, or module versions).
fn pending_units(project: &Project, pending: &[String]) -> Result<Vec<Unit>> {
    match project {
        Project::Deltas { project, .. } => Ok(project
            .discovered
            .deltas
            .iter()
            .filter(|d| pending.contains(&d.file_name))
            .filter_map(Unit::of_delta)
            .collect()),
        Project::Module { dir, .. } => {
            let config = crate::module::config::ModuleConfig::load(dir)?;
            Ok(crate::module::changelog::discover(&config)?
                .iter()
                .filter(|c| pending.contains(&c.version.to_string()))
                .map(Unit::of_changelog)
                .collect())
        }
    }
}

/// Lints what is pending and prints each finding as a warning (for
/// `upgrade --dry-run` and the rehearsal): it never fails the command, a
/// file that does not parse is a warning too.
pub fn warn_pending(project: &Project, pending: &[String], printer: &Printer) {
    match pending_units(project, pending) {
        Ok(units) => warn_units(&units, printer),
        Err(e) => printer.warn(format!("lint: {e}")),
    }
}

/// Lints `units` and prints each finding as a warning; a file that does
/// not parse is a warning too.
pub fn warn_units(units: &[Unit], printer: &Printer) {
    let mut out = Outcome::default();
    for unit in units {
        if let Err(e) = lint_unit(unit, &mut out) {
            printer.warn(format!("lint: {e}"));
        }
    }
    for f in &out.findings {
        printer.warn(format!("lint: {}", report::text_line(f)));
    }
}

/// Lints the units given.
pub fn lint(units: &[Unit]) -> Result<Outcome> {
    let mut out = Outcome::default();
    for unit in units {
        lint_unit(unit, &mut out)?;
    }
    Ok(out)
}

/// A path as SARIF and editors want it: relative to `base` where it can be.
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let absolute = |p: &Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        })
    };
    if path.is_relative() {
        return path
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect();
    }
    let (p, b) = (absolute(path), absolute(base));
    let common = p
        .components()
        .zip(b.components())
        .take_while(|(x, y)| x == y)
        .count();
    if common == 0 {
        return p;
    }
    let mut rel = PathBuf::new();
    for _ in b.components().skip(common) {
        rel.push("..");
    }
    rel.extend(p.components().skip(common));
    rel
}
