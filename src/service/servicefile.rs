//! Looking a service up in `pg_service.conf` files, in libpq's order.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::Environment;
use crate::error::{Error, Result};

/// Finds `[name]` in the service files and returns its keywords.
pub fn lookup(name: &str, env: &Environment) -> Result<BTreeMap<String, String>> {
    let mut searched = Vec::new();
    for path in candidate_files(env) {
        searched.push(path.display().to_string());
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if let Some(found) = find_section(&text, name, &path)? {
            return Ok(found);
        }
    }
    Err(Error::Service(format!(
        "service {name:?} not found (searched: {})",
        searched.join(", ")
    )))
}

fn candidate_files(env: &Environment) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(f) = env.get("PGSERVICEFILE") {
        files.push(PathBuf::from(f));
    } else if let Some(home) = &env.home {
        files.push(home.join(".pg_service.conf"));
    }
    if let Some(dir) = env.get("PGSYSCONFDIR") {
        files.push(PathBuf::from(dir).join("pg_service.conf"));
    }
    files
}

fn find_section(
    text: &str,
    name: &str,
    path: &std::path::Path,
) -> Result<Option<BTreeMap<String, String>>> {
    let mut current: Option<String> = None;
    let mut found: Option<BTreeMap<String, String>> = None;
    for (idx, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            if found.is_some() {
                break;
            }
            let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) else {
                return Err(Error::Service(format!(
                    "{}:{}: syntax error in service file",
                    path.display(),
                    idx + 1
                )));
            };
            current = Some(inner.to_string());
            if inner == name {
                found = Some(BTreeMap::new());
            }
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(Error::Service(format!(
                "{}:{}: syntax error in service file",
                path.display(),
                idx + 1
            )));
        };
        if current.as_deref() == Some(name) {
            if let Some(map) = found.as_mut() {
                map.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
    }
    Ok(found)
}
