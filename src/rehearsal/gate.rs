//! The gate a rehearsal's measurements must pass before production is
//! touched: no unit may hold a lock on a relation that existed before it
//! for longer than its limit (see [`LockLimits`]), nor run longer than
//! `--max-delta-duration`.

use std::time::Duration;

use serde::Serialize;

use super::lock_limits::LockLimits;
use crate::output::format_ms;
use crate::runner::UpgradeReport;

impl Gate {
    /// The flags over `rehearsal:` in pum.yaml.
    pub fn from_args(
        ctx: &crate::settings::Settings,
        args: &crate::cli::GateArgs,
    ) -> crate::error::Result<Gate> {
        let config = ctx.config.rehearsal.as_ref();
        Ok(Gate {
            max_lock: LockLimits::resolve(
                config,
                args.max_lock.as_deref(),
                args.max_lock_from.as_deref(),
            )?,
            max_delta_duration: crate::config::RehearsalConfig::max_delta_duration(
                config,
                args.max_delta_duration.as_deref(),
            )?,
        })
    }
}

/// Limits on what one unit may do; `None` means no limit.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    pub max_lock: LockLimits,
    pub max_delta_duration: Option<Duration>,
}

/// One limit a unit went past.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateFailure {
    /// `max_lock` or `max_delta_duration`.
    pub gate: &'static str,
    pub delta: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// The measured time: the lock held, or the unit's duration.
    pub measured_ms: u64,
    pub limit_ms: u64,
    /// The setting the limit comes from (`--max-lock`,
    /// `rehearsal.max_lock_by_relation "audit.*"`, …).
    pub rule: String,
}

impl GateFailure {
    /// The sentence naming the delta, what it did and the limit.
    pub fn message(&self) -> String {
        match (&self.relation, &self.mode) {
            (Some(relation), Some(mode)) => format!(
                "{} held {mode} on {relation} for {} ({} {})",
                self.delta,
                format_ms(self.measured_ms),
                self.rule,
                format_ms(self.limit_ms)
            ),
            _ => format!(
                "{} ran for {} ({} {})",
                self.delta,
                format_ms(self.measured_ms),
                self.rule,
                format_ms(self.limit_ms)
            ),
        }
    }
}

/// Every limit the measured units of `report` went past.
pub fn check(report: &UpgradeReport, gate: &Gate) -> Vec<GateFailure> {
    let mut failures = Vec::new();
    for unit in &report.applied {
        let delta = unit
            .file
            .rsplit('/')
            .next()
            .unwrap_or(&unit.file)
            .to_string();
        if let Some(measured) = &unit.measured {
            for lock in measured.locks.iter().filter(|l| l.existing) {
                let Some((limit, rule)) = gate.max_lock.limit_for(&lock.relation, &lock.mode)
                else {
                    continue;
                };
                let limit_ms = limit.as_millis() as u64;
                if lock.held_ms > limit_ms {
                    failures.push(GateFailure {
                        gate: "max_lock",
                        delta: delta.clone(),
                        relation: Some(lock.relation.clone()),
                        mode: Some(lock.mode.clone()),
                        measured_ms: lock.held_ms,
                        limit_ms,
                        rule: rule.describe(),
                    });
                }
            }
        }
        if let Some(limit) = gate.max_delta_duration {
            let limit_ms = limit.as_millis() as u64;
            if unit.duration_ms > limit_ms {
                failures.push(GateFailure {
                    gate: "max_delta_duration",
                    delta,
                    relation: None,
                    mode: None,
                    measured_ms: unit.duration_ms,
                    limit_ms,
                    rule: "--max-delta-duration".into(),
                });
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::measure::{LockHeld, Measured};
    use crate::runner::AppliedDelta;

    fn unit(locks: Vec<LockHeld>, duration_ms: u64) -> AppliedDelta {
        AppliedDelta {
            file: "deltas/delta_1.1.0_x.sql".into(),
            version: "1.1.0".into(),
            name: "x".into(),
            kind: crate::deltas::DeltaKind::Sql,
            atomic: true,
            duration_ms,
            measured: Some(Measured {
                locks,
                ..Default::default()
            }),
            statements: None,
        }
    }

    fn lock(mode: &str, held_ms: u64, existing: bool) -> LockHeld {
        LockHeld {
            relation: "public.t".into(),
            mode: mode.into(),
            held_ms,
            existing,
        }
    }

    #[test]
    fn only_strong_locks_on_existing_relations_past_the_limit_fail() {
        let report = UpgradeReport {
            version_before: None,
            version_after: None,
            applied: vec![unit(
                vec![
                    lock("AccessExclusiveLock", 300, true),
                    lock("ShareUpdateExclusiveLock", 900, true),
                    lock("AccessExclusiveLock", 900, false),
                    lock("ShareRowExclusiveLock", 50, true),
                ],
                1000,
            )],
            hooks_run: vec![],
            duration_ms: 1000,
        };
        let gate = Gate {
            max_lock: LockLimits::resolve(None, Some("100ms"), None).unwrap(),
            max_delta_duration: Some(Duration::from_secs(2)),
        };
        let failures = check(&report, &gate);
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert_eq!(failures[0].delta, "delta_1.1.0_x.sql");
        assert!(failures[0]
            .message()
            .contains("AccessExclusiveLock on public.t"));
        let slow = Gate {
            max_delta_duration: Some(Duration::from_millis(500)),
            ..Default::default()
        };
        assert_eq!(check(&report, &slow)[0].gate, "max_delta_duration");
    }
}
