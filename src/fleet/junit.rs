//! The fleet report as JUnit XML (`--format junit`): one test case per
//! database, so a CI server shows a fleet run like a test run.

use super::DatabaseRun;

/// The whole document: one suite named `suite`, a case per database.
pub fn render(suite: &str, runs: &[DatabaseRun]) -> String {
    let count = |status: &str| runs.iter().filter(|r| r.status == status).count();
    let failures = count("failed") + count("differs");
    let total_ms: u64 = runs.iter().map(|r| r.duration_ms).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let attrs = format!(
        "name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\"",
        escape(suite),
        runs.len(),
        failures,
        count("skipped"),
        seconds(total_ms)
    );
    out.push_str(&format!("<testsuites {attrs}>\n  <testsuite {attrs}>\n"));
    for run in runs {
        let open = format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
            escape(suite),
            escape(&run.service),
            seconds(run.duration_ms)
        );
        match (run.status, &run.error) {
            (_, Some(err)) => out.push_str(&format!(
                "{open}>\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                escape(err.lines().next().unwrap_or_default()),
                escape(err)
            )),
            ("differs", None) => {
                let what = run
                    .verdict
                    .as_deref()
                    .unwrap_or("differs from the reference");
                out.push_str(&format!(
                    "{open}>\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    escape(what),
                    escape(what)
                ))
            }
            ("skipped", None) => out.push_str(&format!(
                "{open}>\n      <skipped message=\"not started\"/>\n    </testcase>\n"
            )),
            _ => out.push_str(&format!("{open}/>\n")),
        }
    }
    out.push_str("  </testsuite>\n</testsuites>");
    out
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Text for an XML attribute or element; characters XML 1.0 cannot hold
/// at all (control characters a server message might carry) are dropped.
fn escape(text: &str) -> String {
    let printable: String = text
        .chars()
        .filter_map(|c| match c {
            '\t' | '\r' => Some(' '),
            '\n' => Some(c),
            c if (c as u32) < 0x20 => None,
            c => Some(c),
        })
        .collect();
    crate::output::escape_markup(&printable).replace('\n', "&#10;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(service: &str, status: &'static str, error: Option<&str>) -> DatabaseRun {
        DatabaseRun {
            service: service.into(),
            ok: status == "ok",
            status,
            version_before: None,
            version_after: None,
            applied: Vec::new(),
            pending: 0,
            duration_ms: 1234,
            error: error.map(str::to_string),
            differences: None,
            verdict: None,
        }
    }

    #[test]
    fn one_case_per_database_escaped() {
        let xml = render(
            "pum fleet upgrade",
            &[
                run("a", "ok", None),
                run(
                    "b<&>",
                    "failed",
                    Some("relation \"b\" already exists\nline 2\u{1}"),
                ),
                run("c", "skipped", None),
            ],
        );
        assert!(
            xml.contains("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"3.702\"")
        );
        assert!(xml.contains("name=\"a\" time=\"1.234\"/>"));
        assert!(xml.contains("name=\"b&lt;&amp;&gt;\""));
        assert!(xml.contains("<failure message=\"relation &quot;b&quot; already exists\">relation &quot;b&quot; already exists&#10;line 2</failure>"));
        assert!(xml.contains("<skipped message=\"not started\"/>"));
        assert!(xml.ends_with("</testsuites>"));
    }
}
