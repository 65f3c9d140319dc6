//! What a delta file is: its kind (pre/plain/post, SQL/Python, with the
//! type numbers pum 0.x stores) and how it is applied (in a transaction
//! with its history row, in its own, or in none).

use std::cmp::Ordering;

/// What a delta file is, with the type number pum 0.x stores for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeltaKind {
    PrePython,
    PreSql,
    Python,
    Sql,
    PostPython,
    PostSql,
}

impl DeltaKind {
    /// The `type` column value (pum 0.x bit flags: pre 1, post 2, py 4, sql 8).
    pub fn type_code(self) -> i32 {
        match self {
            DeltaKind::PrePython => 5,
            DeltaKind::PreSql => 9,
            DeltaKind::Python => 4,
            DeltaKind::Sql => 8,
            DeltaKind::PostPython => 6,
            DeltaKind::PostSql => 10,
        }
    }

    pub fn from_type_code(code: i32) -> Option<DeltaKind> {
        Some(match code {
            5 => DeltaKind::PrePython,
            9 => DeltaKind::PreSql,
            4 => DeltaKind::Python,
            8 => DeltaKind::Sql,
            6 => DeltaKind::PostPython,
            10 => DeltaKind::PostSql,
            _ => return None,
        })
    }

    pub(super) fn from_extension(ext: &str) -> DeltaKind {
        match ext {
            "pre.py" => DeltaKind::PrePython,
            "pre.sql" => DeltaKind::PreSql,
            "py" => DeltaKind::Python,
            "sql" => DeltaKind::Sql,
            "post.py" => DeltaKind::PostPython,
            _ => DeltaKind::PostSql,
        }
    }

    /// pre (1) < plain (2) < post (3), as pum 0.x sorts.
    pub fn phase(self) -> u8 {
        match self {
            DeltaKind::PrePython | DeltaKind::PreSql => 1,
            DeltaKind::Python | DeltaKind::Sql => 2,
            DeltaKind::PostPython | DeltaKind::PostSql => 3,
        }
    }

    pub fn is_python(self) -> bool {
        matches!(
            self,
            DeltaKind::PrePython | DeltaKind::Python | DeltaKind::PostPython
        )
    }

    /// The label pum 0.x prints (`pre sql`, `delta py`...).
    pub fn label(self) -> &'static str {
        match self {
            DeltaKind::PrePython => "pre py",
            DeltaKind::PreSql => "pre sql",
            DeltaKind::Python => "delta py",
            DeltaKind::Sql => "delta sql",
            DeltaKind::PostPython => "post py",
            DeltaKind::PostSql => "post sql",
        }
    }
}

/// Label of a type number found in the upgrades table.
pub fn type_label(code: i32) -> String {
    match code {
        0 => "baseline".into(),
        other => DeltaKind::from_type_code(other)
            .map(|k| k.label().to_string())
            .unwrap_or_else(|| format!("type {other}")),
    }
}

/// How a delta is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TxMode {
    /// The delta and its history row commit in one transaction.
    Atomic,
    /// The file has its own top-level BEGIN/COMMIT: applied as pum 0.x
    /// applies it, its history row recorded right after.
    SelfManaged,
    /// First line `-- pum:no-transaction`: statement by statement in
    /// autocommit (CREATE INDEX CONCURRENTLY, VACUUM...).
    NoTransaction,
    /// A Python delta: it makes its own connections.
    Python,
}

impl TxMode {
    pub fn is_atomic(self) -> bool {
        self == TxMode::Atomic
    }

    pub fn label(self) -> &'static str {
        match self {
            TxMode::Atomic => "transaction",
            TxMode::SelfManaged => "own transaction",
            TxMode::NoTransaction => "no transaction",
            TxMode::Python => "python",
        }
    }
}

/// The marker that makes a delta run outside a transaction.
pub const NO_TRANSACTION_MARKER: &str = "-- pum:no-transaction";

pub(super) fn has_no_transaction_marker(text: &str) -> bool {
    text.lines()
        .next()
        .is_some_and(|l| l.trim_end().eq_ignore_ascii_case(NO_TRANSACTION_MARKER))
}

impl PartialOrd for DeltaKind {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DeltaKind {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.phase(), !self.is_python()).cmp(&(other.phase(), !other.is_python()))
    }
}
