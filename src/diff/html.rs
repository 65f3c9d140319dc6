//! The HTML form of a [`Report`] (`check -f html`): one standalone page —
//! styles inline, no script, nothing fetched — that a pipeline can keep as
//! an artifact and anyone can open. Every text from the databases is
//! escaped: object names, definitions and comments are user data.

use crate::output::escape_markup as escape;
use std::fmt::Write;

use super::{Report, Side};

impl Report {
    /// The report as a standalone HTML page. `first`/`second` name the
    /// databases (never with a password: see `commands::check`).
    pub fn render_html(&self, first: &str, second: &str) -> String {
        let mut out = String::new();
        let (first, second) = (escape(first), escape(second));
        let verdict = escape(&self.verdict());
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>pum check: {first} vs {second}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
             <h1>pum check</h1>\n<p class=\"dbs\"><span class=\"left\">first: {first}</span> \
             <span class=\"right\">second: {second}</span> <span class=\"when\">{}</span></p>\n\
             <p class=\"verdict {}\">{verdict}</p>\n",
            crate::clock::Utc::now().iso_seconds(),
            if self.is_empty() { "ok" } else { "bad" },
        );
        if self.same_database {
            out.push_str(
                "<p class=\"warn\">Both names reach the same database: it was compared with itself.</p>\n",
            );
        }
        self.html_summary(&mut out);
        self.html_sections(&mut out);
        out.push_str("</body>\n</html>\n");
        out
    }

    /// One row per kind compared: how many objects differ, and how.
    fn html_summary(&self, out: &mut String) {
        out.push_str(
            "<table>\n<thead><tr><th>Kind</th><th>Only in first</th><th>Only in second</th>\
             <th>Changed</th></tr></thead>\n<tbody>\n",
        );
        for &kind in &self.compared {
            let (l, r, c) = self.counts(kind);
            let class = if l + r + c == 0 { "ok" } else { "bad" };
            let _ = writeln!(
                out,
                "<tr class=\"{class}\"><td><a href=\"#{key}\">{name}</a></td><td>{l}</td><td>{r}</td><td>{c}</td></tr>",
                key = kind.name(),
                name = escape(&super::pum1::title(kind)),
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }

    /// One section per kind with differences, each listed.
    fn html_sections(&self, out: &mut String) {
        for &kind in &self.compared {
            let mut found = self
                .differences
                .iter()
                .filter(|d| d.kind == kind)
                .peekable();
            if found.peek().is_none() {
                continue;
            }
            let _ = writeln!(
                out,
                "<section id=\"{}\">\n<h2>{}</h2>\n<ul>",
                kind.name(),
                escape(&super::pum1::title(kind))
            );
            for d in found {
                let object = escape(&d.object);
                match d.side {
                    Side::Left => {
                        let _ = writeln!(
                            out,
                            "<li class=\"left\"><code>- {object}</code> only in first</li>"
                        );
                    }
                    Side::Right => {
                        let _ = writeln!(
                            out,
                            "<li class=\"right\"><code>+ {object}</code> only in second</li>"
                        );
                    }
                    Side::Both => {
                        let _ = writeln!(
                            out,
                            "<li class=\"changed\"><code>~ {object}</code>: {field}\n\
                             <div class=\"pair\"><pre class=\"left\">{l}</pre><pre class=\"right\">{r}</pre></div></li>",
                            field = escape(d.field.as_deref().unwrap_or("")),
                            l = shown(d.left.as_deref()),
                            r = shown(d.right.as_deref()),
                        );
                    }
                }
            }
            out.push_str("</ul>\n</section>\n");
        }
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
    code,pre{font-family:ui-monospace,monospace}\
    .verdict{font-size:1.4em;font-weight:bold}.ok{color:#1a7f37}.bad{color:#b42318}\
    .warn{color:#9a6700}.dbs span{margin-right:2em}.when{color:#666}\
    table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .8em;text-align:left}\
    li{margin:.3em 0}li.left code{color:#b42318}li.right code{color:#1a7f37}li.changed code{color:#9a6700}\
    .pair{display:flex;gap:1em}.pair pre{flex:1;margin:.3em 0;padding:.5em;overflow:auto;white-space:pre-wrap}\
    pre.left{background:#fdecea}pre.right{background:#e8f5e9}";

/// A value for a `<pre>`: escaped; absent and empty are visible.
fn shown(value: Option<&str>) -> String {
    match value {
        None => "(none)".to_string(),
        Some("") => "\"\"".to_string(),
        Some(v) => escape(v),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Difference;
    use super::*;
    use crate::catalog::Kind;

    #[test]
    fn everything_from_the_databases_is_escaped() {
        let report = Report {
            differences: vec![Difference::changed(
                Kind::Comments,
                "table public.\"<b>\"",
                "comment",
                Some("<script>alert('x')</script> & more"),
                None,
            )],
            same_database: false,
            compared: Kind::ALL.to_vec(),
        };
        let html = report.render_html("a<b", "c&d");
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
        assert!(html.contains("first: a&lt;b"), "{html}");
        assert!(html.contains("(none)"), "{html}");
        assert!(html.contains("1 difference"), "{html}");
    }
}
