//! The key layout of a store: `<database>/<UTC time>[.<name>].dump`, the
//! time written `YYYYMMDDTHHMMSS.mmmZ` so keys sort by time as text, and
//! the manifest beside each dump as `<key>.manifest.json`.

use std::time::SystemTime;

use crate::dump::manifest::FILE_MANIFEST_SUFFIX;
use crate::error::{Error, Result};

/// The suffix every dump in a store has.
pub const DUMP_SUFFIX: &str = ".dump";

/// One dump's place in a store, relative to the store's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpKey {
    pub database: String,
    /// `20261201T113000.123Z`.
    pub stamp: String,
    /// The `--name` given to the dump.
    pub name: Option<String>,
}

impl DumpKey {
    /// A key for a dump of `database` taken now, checked for names a key
    /// cannot hold.
    pub fn now(database: &str, name: Option<&str>) -> Result<DumpKey> {
        check_database(database)?;
        if let Some(name) = name {
            check_name(name)?;
        }
        Ok(DumpKey {
            database: database.to_string(),
            stamp: stamp(SystemTime::now()),
            name: name.map(str::to_string),
        })
    }

    /// `20261201T113000.123Z.nightly.dump`.
    pub fn file_name(&self) -> String {
        match &self.name {
            Some(n) => format!("{}.{n}{DUMP_SUFFIX}", self.stamp),
            None => format!("{}{DUMP_SUFFIX}", self.stamp),
        }
    }

    /// `<database>/<file name>`.
    pub fn relative(&self) -> String {
        format!("{}/{}", self.database, self.file_name())
    }

    /// Reads a key back from `<database>/<file name>`; `None` for anything
    /// that is not laid out as pum lays out its keys.
    pub fn parse(relative: &str) -> Option<DumpKey> {
        let (database, file) = relative.rsplit_once('/')?;
        let database = database.rsplit('/').next()?;
        let rest = file.strip_suffix(DUMP_SUFFIX)?;
        let z = rest.find('Z')?;
        let (stamp, name) = rest.split_at(z + 1);
        if !looks_like_stamp(stamp) || database.is_empty() {
            return None;
        }
        let name = match name.strip_prefix('.') {
            Some(n) if !n.is_empty() => Some(n.to_string()),
            None if name.is_empty() => None,
            _ => return None,
        };
        Some(DumpKey {
            database: database.to_string(),
            stamp: stamp.to_string(),
            name,
        })
    }

    /// The time as ISO-8601 (`2026-12-01T11:30:00.123Z`), for tables.
    pub fn time(&self) -> String {
        let s = &self.stamp;
        format!(
            "{}-{}-{}T{}:{}:{}",
            &s[0..4],
            &s[4..6],
            &s[6..8],
            &s[9..11],
            &s[11..13],
            &s[13..]
        )
    }
}

/// `<key>.manifest.json`: the manifest beside a dump in a store.
pub fn manifest_key(dump_key: &str) -> String {
    format!("{dump_key}{FILE_MANIFEST_SUFFIX}")
}

fn looks_like_stamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b[8] == b'T'
        && b[15] == b'.'
        && b[19] == b'Z'
        && b.iter()
            .enumerate()
            .all(|(i, c)| matches!(i, 8 | 15 | 19) || c.is_ascii_digit())
}

/// A database name becomes a key's first part: it may not hold `/` nor
/// start with a dot (hidden, as partial files are).
fn check_database(database: &str) -> Result<()> {
    if database.is_empty() || database.contains('/') || database.starts_with('.') {
        return Err(Error::Usage(format!(
            "database name {database:?} cannot name a folder of a store (no '/', no leading '.')"
        )));
    }
    Ok(())
}

/// `--name`: letters, digits, `_` and `-`, so the key reads back unambiguously.
fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok {
        return Err(Error::Usage(format!(
            "--name {name:?}: use letters, digits, '_' and '-' (at most 64)"
        )));
    }
    Ok(())
}

/// `YYYYMMDDTHHMMSS.mmmZ` in UTC.
fn stamp(at: SystemTime) -> String {
    let t = crate::clock::Utc::at(at);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn stamps_are_utc_and_sort_as_text() {
        let at = UNIX_EPOCH + Duration::from_millis(1_795_000_000_123);
        assert_eq!(stamp(at), "20261118T110640.123Z");
        assert_eq!(stamp(UNIX_EPOCH), "19700101T000000.000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert!(stamp(leap).starts_with("20000229T"));
        assert!(stamp(at) < stamp(at + Duration::from_millis(1)));
    }

    #[test]
    fn keys_read_back_with_and_without_a_name() {
        let k = DumpKey {
            database: "net".into(),
            stamp: "20261201T113000.123Z".into(),
            name: Some("nightly".into()),
        };
        assert_eq!(k.relative(), "net/20261201T113000.123Z.nightly.dump");
        assert_eq!(DumpKey::parse(&k.relative()), Some(k.clone()));
        assert_eq!(
            DumpKey::parse("backups/net/20261201T113000.123Z.dump")
                .unwrap()
                .name,
            None
        );
        assert_eq!(k.time(), "2026-12-01T11:30:00.123Z");
        for bad in [
            "net/20261201T113000.123Z.nightly.dump.manifest.json",
            "net/2026.dump",
            "net/20261201T113000.123Z..dump",
            "20261201T113000.123Z.dump",
        ] {
            assert_eq!(DumpKey::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_and_databases_that_cannot_be_keys_are_refused() {
        assert!(DumpKey::now("net", Some("a b")).is_err());
        assert!(DumpKey::now("a/b", None).is_err());
        assert!(DumpKey::now(".x", None).is_err());
        assert!(DumpKey::now("net", Some("pre-upgrade_2")).is_ok());
    }
}
