//! Stores of dumps: a local directory or an S3 bucket (with an optional
//! prefix), one key per database and time (`<database>/<UTC time>[.<name>].dump`,
//! see [`key`]) with the manifest beside each dump. Writing goes through
//! [`put`], reading through [`find`]; S3 is [`s3`], its settings
//! [`aws_config`]. A store holds only custom archives.

pub mod aws_config;
pub mod find;
pub mod key;
pub mod put;
pub mod s3;

use std::path::PathBuf;

use crate::error::{Error, Result};

/// Where a store (or one dump in it) is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    S3 {
        bucket: String,
        /// Without leading or trailing `/`; empty for the bucket's root.
        prefix: String,
    },
}

impl Location {
    /// `s3://bucket[/prefix]`, else a local path.
    pub fn parse(text: &str) -> Result<Location> {
        let Some(rest) = text.strip_prefix("s3://") else {
            return Ok(Location::Local(PathBuf::from(text)));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid = !bucket.is_empty()
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-".contains(c));
        if !valid {
            return Err(Error::Usage(format!(
                "{text}: not an S3 location; write s3://BUCKET[/PREFIX] (bucket names are lower-case letters, digits, '.' and '-')"
            )));
        }
        Ok(Location::S3 {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }

    /// As the user would write it.
    pub fn shown(&self) -> String {
        match self {
            Location::Local(dir) => dir.display().to_string(),
            Location::S3 { bucket, prefix } if prefix.is_empty() => format!("s3://{bucket}"),
            Location::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
        }
    }
}

/// `prefix/relative`, or `relative` at a bucket's root.
pub fn object_key(prefix: &str, relative: &str) -> String {
    if prefix.is_empty() {
        relative.to_string()
    } else {
        format!("{prefix}/{relative}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_local_paths_or_s3_urls() {
        assert_eq!(
            Location::parse("s3://dumps/prod/").unwrap(),
            Location::S3 {
                bucket: "dumps".into(),
                prefix: "prod".into()
            }
        );
        assert_eq!(Location::parse("s3://dumps").unwrap().shown(), "s3://dumps");
        assert_eq!(
            Location::parse("backups").unwrap(),
            Location::Local("backups".into())
        );
        for bad in ["s3://", "s3://Bad_Bucket/x", "s3:///x"] {
            let e = Location::parse(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
        assert_eq!(object_key("", "net/a.dump"), "net/a.dump");
        assert_eq!(object_key("p/q", "net/a.dump"), "p/q/net/a.dump");
    }
}
