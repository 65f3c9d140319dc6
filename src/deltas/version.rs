//! Delta versions: `X.Y.Z`, compared numerically (0.5.0 < 0.10.0).

use std::cmp::Ordering;
use std::fmt;

/// A version as pum writes it in delta file names and the upgrades table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version(semver::Version);

/// The three dot-separated runs of digits of `text`, or the error saying
/// that it is not `MAJOR.MINOR.PATCH`.
fn three_numbers(text: &str) -> Result<Vec<&str>, String> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "invalid version {text:?}: expected MAJOR.MINOR.PATCH, e.g. 1.2.0"
        ));
    }
    Ok(parts)
}

impl Version {
    /// Parses exactly `MAJOR.MINOR.PATCH` (no leading zeros, no prefix, no suffix).
    pub fn parse(text: &str) -> Result<Version, String> {
        three_numbers(text)?;
        semver::Version::parse(text)
            .map(Version)
            .map_err(|e| format!("invalid version {text:?}: {e}"))
    }

    /// Parses the version in a delta file name as pum 0.x reads it: three
    /// numbers, leading zeros allowed (`100.002.9999` is 100.2.9999, the
    /// version recorded). Whether the text had leading zeros is returned
    /// too, so the caller can warn that the file name says it otherwise.
    pub fn parse_delta(text: &str) -> Result<(Version, bool), String> {
        let parts = three_numbers(text)?;
        let mut nums = [0u64; 3];
        for (n, part) in nums.iter_mut().zip(&parts) {
            *n = part
                .parse()
                .map_err(|_| format!("invalid version {text:?}: {part} is too large"))?;
        }
        let padded = parts.iter().any(|p| p.len() > 1 && p.starts_with('0'));
        Ok((
            Version(semver::Version::new(nums[0], nums[1], nums[2])),
            padded,
        ))
    }

    /// Parses a version recorded in an upgrades table, which older tools may
    /// have written loosely (`1.2`, `1.2.3.4`): missing parts count as 0 and
    /// extra parts are ignored for ordering. `None` when it is not numeric.
    pub fn parse_recorded(text: &str) -> Option<Version> {
        let mut nums = [0u64; 3];
        let mut count = 0;
        for (i, part) in text.trim().split('.').enumerate() {
            let n: u64 = part.parse().ok()?;
            if i < 3 {
                nums[i] = n;
            }
            count += 1;
        }
        if count == 0 {
            return None;
        }
        Some(Version(semver::Version::new(nums[0], nums[1], nums[2])))
    }

    /// The next patch version (`1.2.3` → `1.2.4`).
    pub fn next_patch(&self) -> Version {
        Version(semver::Version::new(
            self.0.major,
            self.0.minor,
            self.0.patch + 1,
        ))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_numerically_not_as_text() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("0.5.0") < v("0.10.0"));
        assert!(v("0.10.0") < v("0.15.2"));
        assert!(v("0.8.1") < v("0.15.2"));
        assert!(v("1.9.0") < v("1.10.0"));
    }

    #[test]
    fn rejects_malformed_versions() {
        for bad in [
            "1.2",
            "01.2.3",
            "1.2.3.4",
            "v1.2.3",
            "1.2.x",
            "",
            "1..2",
            "1.2.3-rc1",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn delta_versions_may_have_leading_zeros_as_in_pum_0x() {
        let (v, padded) = Version::parse_delta("100.002.9999").unwrap();
        assert_eq!((v.to_string().as_str(), padded), ("100.2.9999", true));
        let (v, padded) = Version::parse_delta("01.2.3").unwrap();
        assert_eq!((v, padded), (Version::parse("1.2.3").unwrap(), true));
        let (v, padded) = Version::parse_delta("0.10.0").unwrap();
        assert_eq!((v.to_string().as_str(), padded), ("0.10.0", false));
        for bad in [
            "1.2",
            "1.2.3.4",
            "1.2.x",
            "",
            "1..2",
            "99999999999999999999.0.0",
        ] {
            assert!(Version::parse_delta(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn recorded_versions_are_lenient() {
        assert_eq!(Version::parse_recorded("1.2").unwrap().to_string(), "1.2.0");
        assert_eq!(
            Version::parse_recorded("1.2.3.4").unwrap().to_string(),
            "1.2.3"
        );
        assert!(Version::parse_recorded("abc").is_none());
    }
}
