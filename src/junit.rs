//! JUnit XML, the report format CI servers show natively: one suite of
//! test cases, each passed, failed (with a message and a body) or skipped.
//! Fleets write a case per database, `upgrade` a case per delta, `check` a
//! case per object kind, `test-and-upgrade` a case per step and per delta.

/// How one case ended.
pub enum CaseResult {
    Passed,
    Failed { message: String, body: String },
    Skipped(String),
}

pub struct Case {
    pub name: String,
    pub time_ms: u64,
    pub result: CaseResult,
}

impl Case {
    pub fn passed(name: impl Into<String>, time_ms: u64) -> Case {
        Case {
            name: name.into(),
            time_ms,
            result: CaseResult::Passed,
        }
    }

    /// A failed case; the message is the body's first line.
    pub fn failed(name: impl Into<String>, time_ms: u64, body: impl Into<String>) -> Case {
        let body = body.into();
        Case {
            name: name.into(),
            time_ms,
            result: CaseResult::Failed {
                message: body.lines().next().unwrap_or_default().to_string(),
                body,
            },
        }
    }
}

/// The whole document: one suite named `suite`, its cases in order.
pub fn render(suite: &str, cases: &[Case]) -> String {
    let failures = cases
        .iter()
        .filter(|c| matches!(c.result, CaseResult::Failed { .. }))
        .count();
    let skipped = cases
        .iter()
        .filter(|c| matches!(c.result, CaseResult::Skipped(_)))
        .count();
    let total_ms: u64 = cases.iter().map(|c| c.time_ms).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let attrs = format!(
        "name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{}\"",
        escape(suite),
        cases.len(),
        seconds(total_ms)
    );
    out.push_str(&format!("<testsuites {attrs}>\n  <testsuite {attrs}>\n"));
    for case in cases {
        let open = format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
            escape(suite),
            escape(&case.name),
            seconds(case.time_ms)
        );
        match &case.result {
            CaseResult::Passed => out.push_str(&format!("{open}/>\n")),
            CaseResult::Failed { message, body } => out.push_str(&format!(
                "{open}>\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                escape(message),
                escape(body)
            )),
            CaseResult::Skipped(why) => out.push_str(&format!(
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                escape(why)
            )),
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

    #[test]
    fn cases_counted_and_escaped() {
        let xml = render(
            "pum <x>",
            &[
                Case::passed("a", 1234),
                Case::failed("b<&>", 2000, "relation \"b\" already exists\nline 2\u{1}"),
                Case {
                    name: "c".into(),
                    time_ms: 468,
                    result: CaseResult::Skipped("not started".into()),
                },
            ],
        );
        assert!(
            xml.contains("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"3.702\""),
            "{xml}"
        );
        assert!(xml.contains("name=\"pum &lt;x&gt;\""));
        assert!(xml.contains("name=\"a\" time=\"1.234\"/>"));
        assert!(xml.contains("name=\"b&lt;&amp;&gt;\""));
        assert!(xml.contains("<failure message=\"relation &quot;b&quot; already exists\">relation &quot;b&quot; already exists&#10;line 2</failure>"));
        assert!(xml.contains("<skipped message=\"not started\"/>"));
        assert!(xml.ends_with("</testsuites>"));
    }
}
