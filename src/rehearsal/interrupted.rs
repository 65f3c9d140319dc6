//! What an interrupted rehearsal had got to, for the one line saying where
//! each database stands once everything temporary has been removed.

use std::path::PathBuf;

use super::Rehearsal;

/// What an interrupted run had got to, for the line saying where each
/// database stands.
#[derive(Default)]
pub struct Reached {
    /// Production's version before anything ran, once read.
    pub version_before: Option<Option<String>>,
    /// The production upgrade had started.
    pub production_started: bool,
    /// A sandbox cluster was being started (an unfinished start removes
    /// its own directory).
    pub sandbox_started: bool,
    /// The sandbox cluster's directory, once started.
    pub sandbox_dir: Option<PathBuf>,
    /// A named test database (-pt) was being written.
    pub test_written: bool,
}

impl Reached {
    /// Where each database stands after an interruption; `inner` is what
    /// the interrupted step said (the production upgrade names its version).
    /// `production` is what re-reading production found, when it was read.
    pub fn describe(
        &self,
        r: &Rehearsal<'_>,
        inner: Vec<String>,
        production: Option<String>,
    ) -> Vec<String> {
        let mut state = Vec::new();
        if self.production_started {
            // The runner said at which version production is now.
            state.push("production upgrade interrupted".to_string());
            state.extend(inner);
        } else {
            state.push(match (production, &self.version_before) {
                (Some(found), _) => found,
                // Not read yet: pum had not connected to production for anything else.
                (None, None) => "production not yet read, nothing written to it".to_string(),
                (None, Some(v)) => format!(
                    "production at version {} when the rehearsal started, not re-read",
                    v.as_deref().unwrap_or("(none)")
                ),
            });
            if let (true, Some(test)) = (self.test_written, &r.test) {
                // What the interrupted restore or upgrade said of the test
                // database (removed, at which version), else that it is a copy.
                if inner.is_empty() {
                    state.push(format!(
                        "test database {} left mid-rehearsal (a copy; the next run replaces it)",
                        test.dbname()
                    ));
                }
                state.extend(
                    inner
                        .into_iter()
                        .map(|s| match s.strip_prefix("database ") {
                            Some(rest) => format!("test database {rest}"),
                            None => s,
                        }),
                );
            }
        }
        // By now the sandbox has been dropped on the way out: say what that did.
        match &self.sandbox_dir {
            Some(dir) if dir.exists() => {
                state.push(format!("sandbox left at {}: remove it", dir.display()))
            }
            Some(_) => state.push("sandbox removed".to_string()),
            None if self.sandbox_started => state.push("sandbox removed".to_string()),
            None => {}
        }
        state
    }
}
