//! The fleet report as JUnit XML (`--format junit`): one test case per
//! database, so a CI server shows a fleet run like a test run.

use super::DatabaseRun;
use crate::junit::{self, Case, CaseResult};

/// The whole document: one suite named `suite`, a case per database.
pub fn render(suite: &str, runs: &[DatabaseRun]) -> String {
    let cases: Vec<Case> = runs.iter().map(case).collect();
    junit::render(suite, &cases)
}

fn case(run: &DatabaseRun) -> Case {
    match (run.status, &run.error) {
        (_, Some(err)) => Case::failed(&run.service, run.duration_ms, err),
        ("differs", None) => Case::failed(
            &run.service,
            run.duration_ms,
            run.verdict
                .as_deref()
                .unwrap_or("differs from the reference"),
        ),
        ("skipped", None) => Case {
            name: run.service.clone(),
            time_ms: run.duration_ms,
            result: CaseResult::Skipped("not started".into()),
        },
        _ => Case::passed(&run.service, run.duration_ms),
    }
}
