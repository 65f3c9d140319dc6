//! Which databases a fleet command works on: the services of the service
//! files matching a pattern, the entries of a fleet file, or the matching
//! databases of one server; then, for a CI matrix, one shard of them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::FleetSelectArgs;
use crate::error::{Error, Result};
use crate::service::{self, ConnParams};
use crate::settings::Settings;

/// One database of the fleet.
#[derive(Debug)]
pub struct Target {
    /// What the report calls it: the service name, the database name, or
    /// the fleet file's `name` (never a URI, which may hold a password).
    pub name: String,
    pub params: ConnParams,
    /// The service name, handed to Python hooks as `pum upgrade -p` would.
    pub service: Option<String>,
    pub overrides: Overrides,
}

/// What a fleet file entry may change for its database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// The upgrades table (pum 0.x layout), instead of -t.
    pub table: Option<String>,
    /// The delta or module directory, instead of -d; relative to the fleet file.
    pub dir: Option<PathBuf>,
}

/// A fleet file entry: a bare service/URI/conninfo, or one with overrides.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Entry {
    Spec(String),
    Full(FullEntry),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FullEntry {
    #[serde(alias = "uri", alias = "conninfo")]
    service: String,
    name: Option<String>,
    #[serde(flatten)]
    overrides: Overrides,
}

/// The databases the flags select, in the order they run, sharded.
pub fn select(ctx: &Settings, args: &FleetSelectArgs) -> Result<Vec<Target>> {
    let targets = if let Some(file) = &args.fleet {
        from_fleet_file(ctx, file)?
    } else if let Some(glob) = &args.databases {
        let server = args
            .server
            .as_deref()
            .expect("clap requires -p with --databases");
        from_server(ctx, server, glob)?
    } else {
        from_services(ctx, &args.services)?
    };
    let mut seen = BTreeSet::new();
    if let Some(dup) = targets.iter().find(|t| !seen.insert(t.name.as_str())) {
        return Err(Error::Usage(format!(
            "database {:?} is selected twice; give fleet file entries distinct names",
            dup.name
        )));
    }
    let targets = match args.shard.as_deref() {
        Some(spec) => shard(targets, parse_shard(spec)?),
        None => targets,
    };
    if targets.is_empty() {
        return Err(Error::Usage("no database matches the selection".into()));
    }
    Ok(targets)
}

fn from_services(ctx: &Settings, globs: &[String]) -> Result<Vec<Target>> {
    service::service_names(&ctx.env)?
        .into_iter()
        .filter(|name| globs.iter().any(|g| crate::glob::matches(g, name)))
        .map(|name| {
            Ok(Target {
                params: ctx.service(Some(&name))?,
                service: Some(name.clone()),
                name,
                overrides: Overrides::default(),
            })
        })
        .collect()
}

fn from_server(ctx: &Settings, server: &str, glob: &str) -> Result<Vec<Target>> {
    let params = ctx.service(Some(server))?;
    let mut client = crate::db::connect(&params)?;
    let names = crate::db::database::names(&mut client)?;
    Ok(names
        .into_iter()
        .filter(|name| crate::glob::matches(glob, name))
        .map(|name| Target {
            params: params.with_dbname(&name),
            service: None,
            name,
            overrides: Overrides::default(),
        })
        .collect())
}

fn from_fleet_file(ctx: &Settings, file: &Path) -> Result<Vec<Target>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::Usage(format!("cannot read fleet file {}: {e}", file.display())))?;
    let entries: Vec<Entry> = serde_yaml::from_str(&text).map_err(|e| {
        Error::Usage(format!(
            "fleet file {}: {e} (expected a list of services, URIs or conninfo strings, \
             or of maps with service and optional name, table, dir)",
            file.display()
        ))
    })?;
    let base = file.parent().unwrap_or(Path::new("."));
    entries
        .into_iter()
        .map(|entry| {
            let (spec, name, mut overrides) = match entry {
                Entry::Spec(spec) => (spec, None, Overrides::default()),
                Entry::Full(f) => (f.service, f.name, f.overrides),
            };
            overrides.dir = overrides.dir.map(|d| base.join(d));
            let params = ctx.service(Some(&spec))?;
            let is_service = !spec.contains('=') && !spec.contains("://");
            let service = is_service.then(|| spec.trim().to_string());
            let name = name
                .or_else(|| service.clone())
                .unwrap_or_else(|| params.target());
            Ok(Target {
                name,
                params,
                service,
                overrides,
            })
        })
        .collect()
}

/// `I/N` with 1 ≤ I ≤ N.
pub fn parse_shard(spec: &str) -> Result<(usize, usize)> {
    let bad = || {
        Error::Usage(format!(
            "--shard {spec}: expected I/N with 1 <= I <= N, e.g. 2/4"
        ))
    };
    let (i, n) = spec.split_once('/').ok_or_else(bad)?;
    let i: usize = i.trim().parse().map_err(|_| bad())?;
    let n: usize = n.trim().parse().map_err(|_| bad())?;
    if i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Shard `i` of `n`: the targets whose index among the names sorted is
/// `i - 1` modulo `n`. Depends only on the set of names, so every job of a
/// matrix computes the same split; the order of running is kept.
pub fn shard(targets: Vec<Target>, (i, n): (usize, usize)) -> Vec<Target> {
    let mut names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    let mine: BTreeSet<String> = names
        .iter()
        .enumerate()
        .filter(|(idx, _)| idx % n == i - 1)
        .map(|(_, name)| name.to_string())
        .collect();
    targets
        .into_iter()
        .filter(|t| mine.contains(&t.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs() {
        assert_eq!(parse_shard("1/1").unwrap(), (1, 1));
        assert_eq!(parse_shard("3/4").unwrap(), (3, 4));
        for bad in ["0/2", "3/2", "1", "a/b", "1/0", ""] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    fn target(name: &str) -> Target {
        Target {
            name: name.into(),
            params: ConnParams::local_socket(Path::new("/tmp"), 5432, name, "u"),
            service: None,
            overrides: Overrides::default(),
        }
    }

    #[test]
    fn shards_cover_every_name_once_and_keep_the_order() {
        let names = ["e", "b", "d", "a", "c", "f", "g"];
        let make = || names.iter().map(|n| target(n)).collect::<Vec<_>>();
        let mut all: Vec<String> = Vec::new();
        for i in 1..=3 {
            let part: Vec<String> = shard(make(), (i, 3)).into_iter().map(|t| t.name).collect();
            // The order of the selection is kept inside a shard.
            let positions: Vec<usize> = part
                .iter()
                .map(|n| names.iter().position(|m| m == n).unwrap())
                .collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{part:?}");
            all.extend(part);
        }
        all.sort();
        assert_eq!(all, ["a", "b", "c", "d", "e", "f", "g"]);
        let first: Vec<String> = shard(make(), (1, 3)).into_iter().map(|t| t.name).collect();
        assert_eq!(first, ["d", "a", "g"]);
    }

    #[test]
    fn fleet_file_entries() {
        let file: Vec<Entry> = serde_yaml::from_str(
            "- a\n- service: b\n  table: s.t\n  dir: d\n- uri: postgresql:///x\n  name: x\n",
        )
        .unwrap();
        assert_eq!(file.len(), 3);
        assert!(serde_yaml::from_str::<Vec<Entry>>("- service: a\n  tabel: x\n").is_err());
    }
}
