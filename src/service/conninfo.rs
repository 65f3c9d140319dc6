//! Parsing `key=value` conninfo strings and `postgresql://` URIs into libpq keywords.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// Parses `host=x port=5432 dbname='my db'` (libpq quoting: single quotes,
/// backslash escapes).
pub fn parse_conninfo(s: &str) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(Error::Service(format!(
                "conninfo: missing \"=\" after {key:?}"
            )));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n)
                        }
                    }
                    '\'' => {
                        closed = true;
                        break;
                    }
                    _ => value.push(c),
                }
            }
            if !closed {
                return Err(Error::Service(format!(
                    "conninfo: unterminated quoted value for {key:?}"
                )));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        value.push(n);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        if !super::KEYWORDS.contains(&key.as_str()) {
            return Err(Error::Service(format!(
                "conninfo: invalid connection option {key:?}"
            )));
        }
        out.insert(key, value);
    }
    Ok(out)
}

/// Parses `postgresql://user:pw@host:port/dbname?key=value`.
pub fn parse_uri(s: &str) -> Result<BTreeMap<String, String>> {
    let _ = s;
    Err(Error::Service(
        "connection URIs are not supported yet".into(),
    ))
}
