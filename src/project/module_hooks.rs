//! Running a module's hooks inside a run of the module layout: application
//! drop/create hooks, demo data and uninstall hooks, SQL or Python, each in
//! a unit of the run's transaction (a savepoint of it). Python hooks share
//! one runner process per run, started — and every hook file imported and
//! checked — when the run is planned, before anything is written.

use std::path::PathBuf;
use std::time::Instant;

use postgres::Client;

use crate::deltas::sql_lexer;
use crate::error::Result;
use crate::module::app_hooks::PreparedHook;
use crate::module::python_hook::PythonHooks;
use crate::module::Loaded;
use crate::output::format_ms;
use crate::runner::failure::{delta_error_in, set_timeouts};
use crate::runner::{scope, RunContext};

/// Starts the Python runner for the Python hooks among `lists`, if any.
pub fn start_python(
    loaded: &Loaded,
    lists: &[&[PreparedHook]],
    python: &str,
) -> Result<Option<PythonHooks>> {
    let files: Vec<PathBuf> = lists
        .iter()
        .flat_map(|l| l.iter())
        .filter_map(|h| match h {
            PreparedHook::Python(file) => Some(file.clone()),
            PreparedHook::Sql(_) => None,
        })
        .collect();
    if files.is_empty() {
        return Ok(None);
    }
    PythonHooks::start(
        &files,
        &loaded.config.dir,
        &loaded.params,
        &loaded.config.dependencies,
        python,
    )
    .map(Some)
}

/// Runs hooks of one kind, in order; returns what ran.
pub fn run(
    client: &mut Client,
    hooks: &[PreparedHook],
    python: &mut Option<PythonHooks>,
    kind: &str,
    run: &RunContext<'_>,
) -> Result<Vec<String>> {
    let mut ran = Vec::new();
    for hook in hooks {
        let t0 = Instant::now();
        let origin = match hook {
            PreparedHook::Sql(h) => {
                scope::unit(client, run.options, |client| {
                    set_timeouts(client, run.options, true)?;
                    let lines = |o: usize| sql_lexer::line_col(&h.text, h.stripped.original(o));
                    client
                        .batch_execute(&run.reset.after(&h.sql))
                        .map_err(|e| delta_error_in(&h.origin, &h.sql, &e, None, lines))
                })?;
                h.origin.clone()
            }
            PreparedHook::Python(file) => {
                let runner = python
                    .as_mut()
                    .expect("Python hooks are started with the plan");
                scope::unit(client, run.options, |client| {
                    set_timeouts(client, run.options, true)?;
                    runner.run(file, client)?;
                    client
                        .batch_execute(&run.reset.after(""))
                        .map_err(|e| crate::error::Error::sql("resetting the session", e))
                })?;
                file.clone()
            }
        };
        let name = format!("{kind} hook {}", origin.display());
        run.printer.step(format!(
            "ran {name} in {}",
            format_ms(t0.elapsed().as_millis() as u64)
        ));
        ran.push(name);
    }
    Ok(ran)
}
