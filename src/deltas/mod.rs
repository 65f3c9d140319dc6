//! Delta files: finding them, parsing their names (exactly pum 0.x's rules),
//! ordering, checksums and variables. Nothing here touches the database.
//!
//! This module holds the loaded values ([`Delta`], [`Hook`],
//! [`Discovered`]); `kind` says what a delta is and how it runs,
//! `discover` finds and loads them, `new_file` writes a new one.

mod discover;
mod kind;
mod new_file;
pub mod plan;
pub mod sql_lexer;
pub mod vars;
mod version;

use std::path::PathBuf;

pub(crate) use discover::{decode_sql, refuse_dangling_link};
pub use discover::{discover, parse_file_name};
pub use kind::{type_label, DeltaKind, TxMode, NO_TRANSACTION_MARKER};
pub use new_file::{create_delta_file, slug};
pub use version::Version;

/// One delta file, loaded: its identity, checksum and text.
#[derive(Debug, Clone)]
pub struct Delta {
    pub path: PathBuf,
    pub file_name: String,
    pub version: Version,
    /// The name part after the version (`add_x` in `delta_1.2.0_add_x.sql`); may be empty.
    pub description: String,
    pub kind: DeltaKind,
    /// MD5 hex of the file's bytes, as pum 0.x records it.
    pub checksum: String,
    /// The file's text with a UTF-8 byte order mark removed (SQL deltas only).
    pub sql: Option<String>,
    /// How the delta is applied (atomically with its history row or not).
    pub mode: TxMode,
    /// Position of the directory among the delta directories.
    pub dir_index: usize,
}

impl Delta {
    /// Order inside one directory: version, phase, name, then .py before .sql.
    fn sort_key(&self) -> (&Version, u8, &str, bool) {
        (
            &self.version,
            self.kind.phase(),
            &self.description,
            !self.kind.is_python(),
        )
    }

    /// The `script` value recorded in the upgrades table (truncated to fit).
    pub fn script(&self) -> String {
        self.path.display().to_string().chars().take(1000).collect()
    }
}

/// A pre-all or post-all script, run on every upgrade and never recorded.
#[derive(Debug, Clone)]
pub struct Hook {
    pub path: PathBuf,
    pub python: bool,
    pub sql: Option<String>,
}

/// Everything found in the delta directories.
#[derive(Debug, Clone, Default)]
pub struct Discovered {
    pub dirs: Vec<PathBuf>,
    /// Deltas in application order.
    pub deltas: Vec<Delta>,
    /// pre-all scripts in the order they run.
    pub pre_all: Vec<Hook>,
    /// post-all scripts in the order they run.
    pub post_all: Vec<Hook>,
    /// Files named like a delta (`delta_*.sql`, `delta_*.py`) whose name
    /// does not parse (`delta_1.2.sql`, `delta_v1.2.3.sql`): skipped, as pum
    /// 0.x skips them, but worth a warning since they were surely meant to run.
    pub ignored: Vec<PathBuf>,
    /// Deltas whose file name writes the version with leading zeros
    /// (`delta_01.2.3.sql`): applied and recorded as the plain version, as
    /// pum 0.x does, with a warning since the name says it differently.
    pub padded: Vec<(PathBuf, Version)>,
}

impl Discovered {
    /// One warning per skipped look-alike file and per version written with
    /// leading zeros.
    pub fn ignored_warnings(&self) -> Vec<String> {
        let skipped = self.ignored.iter().map(|p| {
            format!(
                "ignoring {}: not a delta name (expected delta_MAJOR.MINOR.PATCH[_name].sql, \
                 .pre.sql, .post.sql, .py, .pre.py or .post.py)",
                p.display()
            )
        });
        let padded = self.padded.iter().map(|(p, v)| {
            format!(
                "{}: version written with leading zeros; it is version {v} (as pum 0.x reads it) \
                 and is recorded so",
                p.display()
            )
        });
        skipped.chain(padded).collect()
    }
}

impl Discovered {
    /// The newest delta version, if any delta was found.
    pub fn newest_version(&self) -> Option<&Version> {
        self.deltas.iter().map(|d| &d.version).max()
    }
}
