//! How long a delta may hold a lock, by relation and by mode: the lock
//! side of the rehearsal's gate. A relation pattern is the most specific
//! rule (a hot table may get less than the default, a log table more),
//! then a rule for the exact mode, then the default (`--max-lock`) for
//! every mode from `--max-lock-from` (ShareRowExclusiveLock) up.

use std::collections::BTreeMap;
use std::time::Duration;

use regex::Regex;

use crate::config::{parse_duration, DurationValue, RehearsalConfig};
use crate::error::{Error, Result};
use crate::runner::measure::{strength, GATED_FROM, LOCK_MODES};

/// Where a limit comes from, for the failure message.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// `max_lock`, named as it was set: the flag or the key.
    Default(&'static str),
    Mode(String),
    Relation(String),
}

impl Rule {
    pub fn describe(&self) -> String {
        match self {
            Rule::Default(setting) => setting.to_string(),
            Rule::Mode(mode) => format!("rehearsal.max_lock_by_mode {mode}"),
            Rule::Relation(pattern) => format!("rehearsal.max_lock_by_relation \"{pattern}\""),
        }
    }
}

#[derive(Debug, Clone)]
struct RelationRule {
    pattern: String,
    matcher: Regex,
    limit: Duration,
}

#[derive(Debug, Clone)]
pub struct LockLimits {
    pub default: Option<Duration>,
    /// Where `default` was set: `--max-lock` or `rehearsal.max_lock`.
    default_from: &'static str,
    /// The weakest mode the default and the relation rules apply to.
    pub from: &'static str,
    by_mode: Vec<(&'static str, Duration)>,
    by_relation: Vec<RelationRule>,
}

impl Default for LockLimits {
    fn default() -> Self {
        LockLimits {
            default: None,
            default_from: "--max-lock",
            from: GATED_FROM,
            by_mode: Vec::new(),
            by_relation: Vec::new(),
        }
    }
}

/// `AccessExclusiveLock`, `ACCESS EXCLUSIVE`, `access_exclusive`: one mode.
pub fn parse_mode(text: &str) -> Option<&'static str> {
    let key = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_ascii_lowercase()
            .trim_end_matches("lock")
            .to_string()
    };
    let wanted = key(text);
    LOCK_MODES.iter().copied().find(|m| key(m) == wanted)
}

fn mode_or_error(text: &str, setting: &str) -> Result<&'static str> {
    parse_mode(text).ok_or_else(|| {
        Error::Usage(format!(
            "{setting}: unknown lock mode {text:?} (one of {})",
            LOCK_MODES.join(", ")
        ))
    })
}

/// A `schema.table` pattern where `*` is any run of characters and `?`
/// one character; a pattern without a dot matches the name in any schema.
fn relation_matcher(pattern: &str) -> Regex {
    let mut re = String::from("^");
    if !pattern.contains('.') {
        re.push_str(r"(?:[^.]*\.)?");
    }
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            other => re.push_str(&regex::escape(&other.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).expect("an escaped pattern is a valid expression")
}

fn durations<'a>(
    map: Option<&'a BTreeMap<String, DurationValue>>,
    key: &str,
) -> Result<Vec<(&'a str, Duration)>> {
    map.into_iter()
        .flatten()
        .map(|(name, value)| Ok((name.as_str(), value.resolve(&format!("{key}.{name}"))?)))
        .collect()
}

impl LockLimits {
    /// The flags over the keys of `rehearsal:` in pum.yaml.
    pub fn resolve(
        config: Option<&RehearsalConfig>,
        max_lock: Option<&str>,
        max_lock_from: Option<&str>,
    ) -> Result<LockLimits> {
        let (default, default_from) = match max_lock {
            Some(text) => (
                Some(
                    parse_duration(text)
                        .map_err(|why| Error::Usage(format!("--max-lock: {why}")))?,
                ),
                "--max-lock",
            ),
            None => (
                config
                    .and_then(|c| c.max_lock.as_ref())
                    .map(|v| v.resolve("rehearsal.max_lock"))
                    .transpose()?,
                "rehearsal.max_lock",
            ),
        };
        let from = match (
            max_lock_from,
            config.and_then(|c| c.max_lock_from.as_deref()),
        ) {
            (Some(flag), _) => mode_or_error(flag, "--max-lock-from")?,
            (None, Some(key)) => mode_or_error(key, "rehearsal.max_lock_from in pum.yaml")?,
            (None, None) => GATED_FROM,
        };
        let by_mode = durations(
            config.and_then(|c| c.max_lock_by_mode.as_ref()),
            "rehearsal.max_lock_by_mode",
        )?
        .into_iter()
        .map(|(mode, limit)| {
            Ok((
                mode_or_error(mode, "rehearsal.max_lock_by_mode in pum.yaml")?,
                limit,
            ))
        })
        .collect::<Result<_>>()?;
        let by_relation = durations(
            config.and_then(|c| c.max_lock_by_relation.as_ref()),
            "rehearsal.max_lock_by_relation",
        )?
        .into_iter()
        .map(|(pattern, limit)| RelationRule {
            pattern: pattern.to_string(),
            matcher: relation_matcher(pattern),
            limit,
        })
        .collect();
        Ok(LockLimits {
            default,
            default_from,
            from,
            by_mode,
            by_relation,
        })
    }

    pub fn is_set(&self) -> bool {
        self.default.is_some() || !self.by_mode.is_empty() || !self.by_relation.is_empty()
    }

    /// The limit on holding `mode` on `relation` (an existing one), and
    /// the rule it comes from; `None` when that lock is not limited.
    pub fn limit_for(&self, relation: &str, mode: &str) -> Option<(Duration, Rule)> {
        let mode_rule = self.by_mode.iter().find(|(m, _)| *m == mode);
        let gated = strength(mode) >= strength(self.from) || mode_rule.is_some();
        if !gated {
            return None;
        }
        // Of several patterns that match, the strictest holds.
        let by_relation = self
            .by_relation
            .iter()
            .filter(|r| r.matcher.is_match(relation))
            .min_by_key(|r| r.limit);
        if let Some(rule) = by_relation {
            return Some((rule.limit, Rule::Relation(rule.pattern.clone())));
        }
        if let Some((m, limit)) = mode_rule {
            return Some((*limit, Rule::Mode(m.to_string())));
        }
        self.default
            .map(|limit| (limit, Rule::Default(self.default_from)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(yaml: &str, flag: Option<&str>) -> LockLimits {
        let config: RehearsalConfig = serde_yaml::from_str(yaml).unwrap();
        LockLimits::resolve(Some(&config), flag, None).unwrap()
    }

    #[test]
    fn relation_then_mode_then_default() {
        let l = limits(
            "max_lock: 2s\nmax_lock_by_mode:\n  ACCESS EXCLUSIVE: 500ms\n  ShareLock: 10s\n\
             max_lock_by_relation:\n  \"app.orders\": 100ms\n  \"audit.*\": 1min\n  \"*log\": 30s\n",
            None,
        );
        let ms = |r: &str, m: &str| l.limit_for(r, m).map(|(d, _)| d.as_millis());
        assert_eq!(ms("app.orders", "AccessExclusiveLock"), Some(100));
        assert_eq!(ms("audit.events", "AccessExclusiveLock"), Some(60_000));
        // Two patterns: the strictest.
        assert_eq!(ms("audit.changelog", "ExclusiveLock"), Some(30_000));
        assert_eq!(ms("app.pipes", "AccessExclusiveLock"), Some(500));
        assert_eq!(ms("app.pipes", "ExclusiveLock"), Some(2_000));
        // A mode below the gate is limited only by a rule of its own.
        assert_eq!(ms("app.pipes", "ShareLock"), Some(10_000));
        assert_eq!(ms("app.orders", "RowExclusiveLock"), None);
        // The flag replaces the default only.
        let f = limits(
            "max_lock: 2s\nmax_lock_by_mode:\n  AccessExclusiveLock: 1s\n",
            Some("5s"),
        );
        assert_eq!(
            f.limit_for("a.b", "ExclusiveLock").unwrap(),
            (Duration::from_secs(5), Rule::Default("--max-lock"))
        );
        assert_eq!(
            l.limit_for("a.b", "ExclusiveLock").unwrap().1,
            Rule::Default("rehearsal.max_lock")
        );
        assert_eq!(
            f.limit_for("a.b", "AccessExclusiveLock")
                .unwrap()
                .0
                .as_secs(),
            1
        );
    }

    #[test]
    fn modes_are_named_any_way_and_mistakes_are_refused() {
        assert_eq!(
            parse_mode("share row exclusive"),
            Some("ShareRowExclusiveLock")
        );
        assert_eq!(parse_mode("AccessShareLock"), Some("AccessShareLock"));
        let config: RehearsalConfig =
            serde_yaml::from_str("max_lock_by_mode:\n  Exclusivish: 1s\n").unwrap();
        let err = LockLimits::resolve(Some(&config), None, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Exclusivish") && err.contains("AccessExclusiveLock"),
            "{err}"
        );
        let l = LockLimits::resolve(None, Some("1s"), Some("ShareLock")).unwrap();
        assert!(l.limit_for("a.b", "ShareLock").is_some());
    }
}
