//! SARIF 2.1.0, the format code-scanning services read: one run, pum as
//! its tool with every rule described, one result per finding located by
//! a URI relative to the current directory and a 1-based line and column
//! (columns count characters, as `columnKind` says).

use std::path::Path;

use serde_json::{json, Value};

use super::rules::RULES;
use super::Outcome;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF log of `out`; paths made relative to `cwd`.
pub fn document(out: &Outcome, cwd: &Path) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.short },
                "fullDescription": { "text": r.full },
                "help": { "text": r.help },
                "defaultConfiguration": { "level": "warning" },
            })
        })
        .collect();
    let results: Vec<Value> = out
        .findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.rule.id,
                "ruleIndex": RULES.iter().position(|r| r.id == f.rule.id),
                "level": "warning",
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&super::relative_to(&f.file, cwd)) },
                        "region": { "startLine": f.line, "startColumn": f.column },
                    }
                }],
            })
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "pum",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// A relative path as a URI reference: `/`-separated, anything but
/// unreserved characters percent-encoded.
fn uri(path: &Path) -> String {
    let text = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_slash_separated_and_encoded() {
        assert_eq!(
            uri(Path::new("deltas/delta_1.0.0_a b.sql")),
            "deltas/delta_1.0.0_a%20b.sql"
        );
        assert_eq!(uri(Path::new("../x/é.sql")), "../x/%C3%A9.sql");
    }
}
