//! Looking a service up in `pg_service.conf` files, in libpq's order and with
//! libpq's syntax: first `PGSERVICEFILE` (or `~/.pg_service.conf`), then
//! `pg_service.conf` in `PGSYSCONFDIR` (or libpq's compiled-in sysconfdir,
//! asked of `pg_config` only when needed); the first file that defines the
//! service wins. Like libpq, only the lines of the wanted section are
//! checked, keys are taken verbatim (no spaces around `=`), and the first
//! value of a repeated key wins.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::conninfo::c_isspace;
use super::Environment;
use crate::error::{Error, Result};

/// A service found in a file.
#[derive(Debug)]
pub struct Found {
    pub values: BTreeMap<String, String>,
    pub file: PathBuf,
}

/// Finds `[name]` in the service files and returns its keywords.
pub fn lookup(name: &str, env: &Environment) -> Result<Found> {
    let mut searched: Vec<String> = Vec::new();

    // libpq insists on PGSERVICEFILE existing, but skips a missing ~/.pg_service.conf.
    let user_file = if let Some(f) = env.get("PGSERVICEFILE") {
        let path = PathBuf::from(f);
        if !path.exists() {
            return Err(Error::Service(format!(
                "service file \"{}\" (PGSERVICEFILE) not found",
                path.display()
            )));
        }
        Some(path)
    } else if let Some(home) = &env.home {
        let path = home.join(".pg_service.conf");
        if path.exists() {
            Some(path)
        } else {
            searched.push(format!("{} (absent)", path.display()));
            None
        }
    } else {
        searched.push("~/.pg_service.conf (home directory unknown)".into());
        None
    };
    if let Some(path) = user_file {
        if let Some(values) = parse_file(&path, name)? {
            return Ok(Found { values, file: path });
        }
        searched.push(describe_searched(&path, name));
    }

    let sysconfdir = match env.get("PGSYSCONFDIR") {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => env.default_sysconfdir(),
    };
    match sysconfdir {
        Ok(dir) => {
            let path = dir.join("pg_service.conf");
            if path.exists() {
                if let Some(values) = parse_file(&path, name)? {
                    return Ok(Found { values, file: path });
                }
                searched.push(describe_searched(&path, name));
            } else {
                searched.push(format!("{} (absent)", path.display()));
            }
        }
        Err(why) => searched.push(format!(
            "the system pg_service.conf ({why}; set PGSYSCONFDIR)"
        )),
    }
    Err(Error::Service(format!(
        "definition of service \"{name}\" not found; searched: {}",
        searched.join(", ")
    )))
}

/// Every service name the service files define, in libpq's lookup order
/// (the user's file, then the system's), each name once: where two files
/// define it, [`lookup`] uses the first, so listing it once is the truth.
pub fn names(env: &Environment) -> Result<Vec<String>> {
    let mut files = Vec::new();
    match env.get("PGSERVICEFILE") {
        Some(f) => {
            let path = PathBuf::from(f);
            if !path.exists() {
                return Err(Error::Service(format!(
                    "service file \"{}\" (PGSERVICEFILE) not found",
                    path.display()
                )));
            }
            files.push(path);
        }
        None => files.extend(env.home.as_ref().map(|h| h.join(".pg_service.conf"))),
    }
    let sysconfdir = match env.get("PGSYSCONFDIR") {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => env.default_sysconfdir(),
    };
    // Without a system directory there is only the user's file, as for libpq.
    files.extend(sysconfdir.ok().map(|d| d.join("pg_service.conf")));
    let mut out: Vec<String> = Vec::new();
    for path in files.iter().filter(|p| p.exists()) {
        let bytes = std::fs::read(path).map_err(|e| {
            Error::Service(format!(
                "cannot read service file \"{}\": {e}",
                path.display()
            ))
        })?;
        for name in section_names(&String::from_utf8_lossy(&bytes)) {
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    Ok(out)
}

/// The `[name]` headers of a service file's text, as libpq reads them
/// (whitespace trimmed, anything after the `]` ignored).
fn section_names(text: &str) -> Vec<String> {
    text.split('\n')
        .map(|raw| raw.trim_matches(c_isspace))
        .filter_map(|line| line.strip_prefix('['))
        .filter_map(|header| header.split_once(']').map(|(name, _)| name.to_string()))
        .filter(|name| !name.is_empty())
        .collect()
}

/// A searched file for the not-found message, with a hint when the service
/// is there but hidden behind a byte-order mark (which libpq does not skip,
/// so the first header line is not a header to it).
fn describe_searched(path: &Path, name: &str) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let hidden = String::from_utf8_lossy(&text)
        .strip_prefix('\u{feff}')
        .is_some_and(|rest| {
            rest.trim_start_matches(c_isspace)
                .starts_with(&format!("[{name}]"))
        });
    if hidden {
        format!(
            "{} (its [{name}] follows a byte-order mark, which libpq does not accept; save the file without it)",
            path.display()
        )
    } else {
        path.display().to_string()
    }
}

fn parse_file(path: &Path, name: &str) -> Result<Option<BTreeMap<String, String>>> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::Service(format!(
            "cannot read service file \"{}\": {e}",
            path.display()
        ))
    })?;
    parse(&String::from_utf8_lossy(&bytes), name, path)
}

/// The keywords of section `[name]`, or `None` when the text has no such section.
pub fn parse(text: &str, name: &str, path: &Path) -> Result<Option<BTreeMap<String, String>>> {
    let err =
        |line: usize, msg: String| Error::Service(format!("{}:{line}: {msg}", path.display()));
    let mut found: Option<BTreeMap<String, String>> = None;
    let mut in_section = false;
    for (idx, raw) in text.split('\n').enumerate() {
        let line = raw.trim_matches(c_isspace);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            if in_section {
                break;
            }
            // libpq compares a prefix and ignores anything after the `]`.
            in_section = header
                .strip_prefix(name)
                .is_some_and(|after| after.starts_with(']'));
            if in_section {
                found = Some(BTreeMap::new());
            }
            continue;
        }
        if !in_section {
            continue;
        }
        let line_no = idx + 1;
        let Some((key, value)) = line.split_once('=') else {
            return Err(err(
                line_no,
                format!(
                    "syntax error in service file (expected keyword=value in service \"{name}\")"
                ),
            ));
        };
        if key == "service" {
            return Err(err(
                line_no,
                "nested service specifications are not supported in a service file".into(),
            ));
        }
        if !super::KEYWORDS.contains(&key) {
            let hint = if key.trim_matches(c_isspace) != key {
                " (libpq allows no spaces before \"=\")"
            } else {
                ""
            };
            return Err(err(
                line_no,
                format!("syntax error in service file: unknown keyword \"{key}\"{hint}"),
            ));
        }
        if let Some(map) = found.as_mut() {
            map.entry(key.to_string())
                .or_insert_with(|| value.to_string());
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str, name: &str) -> Option<BTreeMap<String, String>> {
        parse(text, name, Path::new("svc.conf")).unwrap()
    }

    fn parse_err(text: &str, name: &str) -> String {
        parse(text, name, Path::new("svc.conf"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn section_names_as_libpq_reads_headers() {
        let text = "# c\n[a]\nhost=x\n  [b] trailing\n[]\n[c\n[a]\n";
        assert_eq!(section_names(text), ["a", "b", "a"]);
    }

    #[test]
    fn sections_comments_and_whitespace() {
        let text = "# top comment\n\
            stray line before any section\n\
            [other]\n\
            garbage without equals\n\
            \n\
            [prod] trailing text is ignored\r\n\
            \thost=db.example.com  \r\n\
            # comment in section\n\
            port=6543\n\
            options=-c search_path=a,b\n\
            host=second-value-ignored\n\
            password= spaced \n\
            [prod]\n\
            dbname=never\n";
        let got = parse_ok(text, "prod").unwrap();
        assert_eq!(got["host"], "db.example.com");
        assert_eq!(got["port"], "6543");
        assert_eq!(got["options"], "-c search_path=a,b");
        assert_eq!(got["password"], " spaced");
        assert!(!got.contains_key("dbname"));
        assert_eq!(parse_ok(text, "missing"), None);
        // A prefix of a section name is not that section.
        assert_eq!(parse_ok("[production]\nhost=x\n", "prod"), None);
        assert_eq!(parse_ok("[prod]\n", "prod"), Some(BTreeMap::new()));
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = parse_err("[a]\nhost=x\n\n[prod]\nhost=y\nno equals here\n", "prod");
        assert!(e.starts_with("svc.conf:6: syntax error"), "{e}");
        let e = parse_err("[prod]\nhots=y\n", "prod");
        assert!(
            e.contains("svc.conf:2:") && e.contains("unknown keyword \"hots\""),
            "{e}"
        );
        let e = parse_err("[prod]\nhost = y\n", "prod");
        assert!(e.contains("svc.conf:2:") && e.contains("no spaces"), "{e}");
        let e = parse_err("[prod]\nservice=other\n", "prod");
        assert!(
            e.contains("svc.conf:2:") && e.contains("nested service"),
            "{e}"
        );
        // Errors in other sections go unnoticed, as in libpq.
        assert!(parse_ok("[a]\nbad\n[prod]\nhost=x\n", "prod").is_some());
    }
}
