//! Property tests for pum's parsers: the service file, the passfile, conninfo
//! strings and URIs, delta file names, versions, `%(name)s` substitution and
//! the SQL statement splitter. Each property runs the number of cases given in
//! its `cases(...)` (256 or 1000), kept modest so CI stays fast.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::Config;

use pum::db::quote_literal;
use pum::deltas::sql_lexer;
use pum::deltas::vars::{substitute, Value, Variables};
use pum::deltas::{parse_file_name, DeltaKind, Version};
use pum::service::parsers::{find_password, parse_conninfo, parse_service_file, parse_uri};
use pum::service::KEYWORDS;

fn cases(n: u32) -> Config {
    Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Any text, with the characters parsers care about over-represented.
fn nasty_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => any::<char>(),
            2 => prop::sample::select(vec![
                '\'', '"', '\\', ';', '$', '-', '/', '*', '%', '(', ')', 's', '=', ':', '@',
                '?', '&', '[', ']', ',', '#', '\n', '\r', ' ', '\t', '\u{feff}', 'E', 'e',
            ]),
        ],
        0..80,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

/// A value without line breaks or surrounding blanks (service file values).
fn plain_value() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_./=,@:-]([A-Za-z0-9 _./=,@:-]{0,20}[A-Za-z0-9_./=,@:-])?"
}

fn keyword() -> impl Strategy<Value = &'static str> {
    prop::sample::select(KEYWORDS.to_vec())
}

// ---------------------------------------------------------------- service file

proptest! {
    #![proptest_config(cases(1000))]

    /// Arbitrary text never panics the service file parser.
    #[test]
    fn service_file_never_panics(text in nasty_text(), name in "[a-z]{0,6}") {
        let _ = parse_service_file(&text, &name, Path::new("svc.conf"));
    }
}

proptest! {
    #![proptest_config(cases(256))]

    /// A generated file (sections, comments, blank lines, CRLF or LF) gives
    /// back exactly the keywords of the section asked for; the first value
    /// of a repeated keyword wins, as in libpq.
    #[test]
    fn service_file_finds_its_section(
        sections in prop::collection::btree_map(
            "[a-z][a-z0-9_]{0,8}",
            prop::collection::vec((keyword(), plain_value()), 0..6),
            1..5,
        ),
        pick in any::<prop::sample::Index>(),
        crlf in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("# generated{eol}{eol}");
        for (name, entries) in &sections {
            text.push_str(&format!("[{name}]{eol}"));
            for (k, v) in entries {
                if *k == "service" {
                    continue;
                }
                text.push_str(&format!("{k}={v}{eol}# comment{eol}"));
            }
            text.push_str(eol);
        }
        let names: Vec<&String> = sections.keys().collect();
        let name = names[pick.index(names.len())];
        let mut expected = BTreeMap::new();
        for (k, v) in &sections[name] {
            if *k != "service" {
                expected.entry(k.to_string()).or_insert_with(|| v.clone());
            }
        }
        let got = parse_service_file(&text, name, Path::new("svc.conf")).unwrap();
        prop_assert_eq!(got, Some(expected));
        prop_assert_eq!(
            parse_service_file(&text, "not_there_at_all", Path::new("svc.conf")).unwrap(),
            None
        );
    }
}

// ---------------------------------------------------------------- passfile

/// Escapes a passfile field: `\` and `:` get a backslash.
fn pgpass_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace(':', "\\:")
}

/// A passfile field: anything but line breaks, `:` and `\` included.
fn field() -> impl Strategy<Value = String> {
    "[^\n\r]{1,12}".prop_filter("a leading # makes a comment, a lone * a wildcard", |s| {
        !s.starts_with('#') && s != "*"
    })
}

proptest! {
    #![proptest_config(cases(1000))]

    /// Arbitrary bytes never panic the passfile matcher.
    #[test]
    fn passfile_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
        host in "[^\n]{0,8}", port in "[0-9*]{0,5}", db in "[^\n]{0,8}", user in "[^\n]{0,8}",
    ) {
        let _ = find_password(&bytes, &host, &port, &db, &user);
    }
}

proptest! {
    #![proptest_config(cases(256))]

    /// Escaped fields match themselves, the escaped password reads back
    /// identically, the first matching line wins, and a line for another
    /// user is skipped.
    #[test]
    fn passfile_escaping_round_trips(
        host in field(), port in "[0-9]{1,5}", db in field(), user in field(),
        password in "[^\n\r]{1,16}", other in "[^\n\r]{1,16}", crlf in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let line = |u: &str, pw: &str| format!(
            "{}:{}:{}:{}:{}{eol}",
            pgpass_escape(&host), port, pgpass_escape(&db), pgpass_escape(u), pgpass_escape(pw)
        );
        let stranger = format!("{user}x");
        let text = format!(
            "# comment{eol}{}{}{}",
            line(&stranger, &other),
            line(&user, &password),
            line(&user, &other),
        );
        prop_assert_eq!(
            find_password(text.as_bytes(), &host, &port, &db, &user),
            Some(password.clone())
        );
        // Wildcards match anything, but only as a whole field.
        let wild = format!("*:*:*:*:{}{eol}", pgpass_escape(&password));
        prop_assert_eq!(
            find_password(wild.as_bytes(), &host, &port, &db, &user),
            Some(password)
        );
        let nobody = format!("{user}y");
        prop_assert_eq!(find_password(text.as_bytes(), &host, &port, &db, &nobody), None);
    }
}

// ---------------------------------------------------------------- conninfo and URIs

/// Renders a value for a conninfo string: quoted (with `\` escapes) or, when
/// that is possible, bare with backslash escapes.
fn conninfo_value(v: &str, quote: bool) -> String {
    if quote || v.is_empty() {
        format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
    } else {
        let mut out = String::new();
        for c in v.chars() {
            if matches!(
                c,
                '\\' | '\'' | ' ' | '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}'
            ) {
                out.push('\\');
            }
            out.push(c);
        }
        out
    }
}

const URI_PARTS: &[&str] = &["host", "port", "user", "password", "dbname"];

proptest! {
    #![proptest_config(cases(1000))]

    /// Arbitrary text never panics the conninfo or URI parser.
    #[test]
    fn conninfo_and_uri_never_panic(text in nasty_text()) {
        let _ = parse_conninfo(&text);
        let _ = parse_uri(&format!("postgresql://{text}"));
        let _ = parse_uri(&text);
    }
}

proptest! {
    #![proptest_config(cases(256))]

    /// A map rendered as a conninfo string (quoted or bare, random blanks
    /// around `=`) parses back to the same map.
    #[test]
    fn conninfo_round_trips(
        map in prop::collection::btree_map(keyword(), "[^\u{0}]{0,16}", 0..8),
        quote in any::<bool>(),
        blanks in "[ \t\n]{1,3}",
        around_eq in "[ ]{0,2}",
    ) {
        let text: Vec<String> = map
            .iter()
            .map(|(k, v)| format!("{k}{around_eq}={around_eq}{}", conninfo_value(v, quote)))
            .collect();
        let text = text.join(&blanks);
        let expected: BTreeMap<String, String> =
            map.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        prop_assert_eq!(parse_conninfo(&text).unwrap(), expected);
    }

    /// A URI with every part percent-encoded parses back to the parts.
    #[test]
    fn uri_round_trips(
        user in "[^\u{0}]{1,12}",
        password in "[^\u{0}]{1,12}",
        host in "[^\u{0}]{1,12}",
        port in 1u16..,
        dbname in "[^\u{0}]{1,12}",
        params in prop::collection::btree_map(
            keyword().prop_filter("set by the URI itself", |k| !URI_PARTS.contains(k)),
            "[^\u{0}]{0,12}",
            0..4,
        ),
    ) {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                })
                .collect()
        };
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
        let mut uri = format!("postgresql://{}:{}@{}:{port}/{}", enc(&user), enc(&password), enc(&host), enc(&dbname));
        if !query.is_empty() {
            uri.push('?');
            uri.push_str(&query.join("&"));
        }
        let mut expected: BTreeMap<String, String> =
            params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        expected.insert("user".into(), user);
        expected.insert("password".into(), password);
        expected.insert("host".into(), host);
        expected.insert("port".into(), port.to_string());
        expected.insert("dbname".into(), dbname);
        prop_assert_eq!(parse_uri(&uri).unwrap(), expected);
    }
}

// ---------------------------------------------------------------- delta names and versions

fn kind() -> impl Strategy<Value = (&'static str, DeltaKind)> {
    prop::sample::select(vec![
        ("sql", DeltaKind::Sql),
        ("pre.sql", DeltaKind::PreSql),
        ("post.sql", DeltaKind::PostSql),
        ("py", DeltaKind::Python),
        ("pre.py", DeltaKind::PrePython),
        ("post.py", DeltaKind::PostPython),
    ])
}

proptest! {
    #![proptest_config(cases(1000))]

    /// Arbitrary names never panic the delta name parser.
    #[test]
    fn delta_names_never_panic(name in nasty_text(), tail in nasty_text()) {
        let _ = parse_file_name(&name);
        let _ = parse_file_name(&format!("delta_{name}"));
        let _ = parse_file_name(&format!("delta_1.2.3_{name}.{tail}"));
    }

    /// Version order agrees with the numeric tuple order, and a version
    /// prints as it was written.
    #[test]
    fn version_order_is_numeric(a in any::<(u32, u32, u32)>(), b in any::<(u32, u32, u32)>()) {
        let v = |t: (u32, u32, u32)| Version::parse(&format!("{}.{}.{}", t.0, t.1, t.2)).unwrap();
        prop_assert_eq!(v(a).cmp(&v(b)), a.cmp(&b));
        prop_assert_eq!(v(a).to_string(), format!("{}.{}.{}", a.0, a.1, a.2));
    }

    /// Malformed versions are refused, never mis-read.
    #[test]
    fn malformed_versions_are_refused(
        t in any::<(u32, u32, u32)>(),
        bad in prop::sample::select(vec!["v{}", "0{}", "{}.4", "{}-rc1", "{} ", ".{}"]),
    ) {
        let text = bad.replace("{}", &format!("{}.{}.{}", t.0, t.1, t.2));
        prop_assert!(Version::parse(&text).is_err(), "{text} was accepted");
    }
}

proptest! {
    #![proptest_config(cases(256))]

    /// A generated valid name parses back to its parts.
    #[test]
    fn delta_names_parse_to_their_parts(
        t in any::<(u32, u32, u32)>(),
        description in "([A-Za-z0-9éß][A-Za-z0-9_éß]{0,20})?",
        (ext, kind) in kind(),
    ) {
        let name = if description.is_empty() {
            format!("delta_{}.{}.{}.{ext}", t.0, t.1, t.2)
        } else {
            format!("delta_{}.{}.{}_{description}.{ext}", t.0, t.1, t.2)
        };
        let (v, d, k) = parse_file_name(&name).unwrap().unwrap();
        prop_assert_eq!(v.to_string(), format!("{}.{}.{}", t.0, t.1, t.2));
        prop_assert_eq!(d, description);
        prop_assert_eq!(k, kind);
    }

    /// Leading zeros in a delta name are read as pum 0.x reads them: the
    /// same numbers (`delta_01.002.3.sql` is 1.2.3).
    #[test]
    fn padded_delta_versions_are_their_numbers(
        t in any::<(u32, u32, u32)>(),
        zeros in (0usize..3, 0usize..3, 0usize..3),
    ) {
        let pad = |n: u32, z: usize| format!("{}{n}", "0".repeat(z));
        let name = format!("delta_{}.{}.{}_x.sql", pad(t.0, zeros.0), pad(t.1, zeros.1), pad(t.2, zeros.2));
        let (v, d, _) = parse_file_name(&name).unwrap().unwrap();
        prop_assert_eq!(v.to_string(), format!("{}.{}.{}", t.0, t.1, t.2));
        prop_assert_eq!(d, "x");
    }
}

// ---------------------------------------------------------------- substitution

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::Int),
        (-1e12f64..1e12).prop_map(Value::Float),
        nasty_text().prop_map(Value::Text),
    ]
}

fn variables() -> impl Strategy<Value = Variables> {
    prop::collection::btree_map("[A-Za-z_][A-Za-z0-9_]{0,6}", value(), 1..5)
}

proptest! {
    #![proptest_config(cases(1000))]

    /// Arbitrary text and variables never panic the substitution.
    #[test]
    fn substitution_never_panics(text in nasty_text(), vars in variables()) {
        let _ = substitute(&text, &vars);
    }

    /// Text without `%` comes back unchanged, with or without variables.
    #[test]
    fn substitution_leaves_text_without_percent_alone(
        text in nasty_text().prop_filter("no %", |t| !t.contains('%')),
        vars in variables(),
    ) {
        prop_assert_eq!(substitute(&text, &vars).unwrap(), text.clone());
        prop_assert_eq!(substitute(&text, &Variables::new()).unwrap(), text);
    }
}

proptest! {
    #![proptest_config(cases(256))]

    /// Text built from literal chunks, `%%` and placeholders of known
    /// variables becomes the chunks, `%` and each value's SQL, in order.
    #[test]
    fn substitution_replaces_exactly_the_placeholders(
        vars in variables(),
        pieces in prop::collection::vec(
            (nasty_text().prop_map(|t| t.replace('%', "")), any::<prop::sample::Index>(), 0u8..3),
            0..8,
        ),
    ) {
        let names: Vec<&String> = vars.keys().collect();
        let mut text = String::new();
        let mut expected = String::new();
        for (chunk, pick, what) in &pieces {
            text.push_str(chunk);
            expected.push_str(chunk);
            match what {
                0 => {
                    let name = names[pick.index(names.len())];
                    text.push_str(&format!("%({name})s"));
                    expected.push_str(&vars[name].to_sql());
                }
                1 => {
                    text.push_str("%%");
                    expected.push('%');
                }
                _ => {}
            }
        }
        prop_assert_eq!(substitute(&text, &vars).unwrap(), expected);
    }

    /// A quoted text value is one SQL string literal: the splitter sees one
    /// statement however many quotes, semicolons or comment markers it holds.
    #[test]
    fn substituted_text_stays_one_literal(s in nasty_text()) {
        let mut vars = Variables::new();
        vars.insert("X".into(), Value::Text(s.clone()));
        let sql = substitute("SELECT %(X)s AS v; SELECT 2", &vars).unwrap();
        let parts = sql_lexer::split(&sql);
        prop_assert_eq!(parts.len(), 2, "{}", sql);
        prop_assert_eq!(parts[0].text, format!("SELECT {} AS v", quote_literal(&s)));
    }
}

// ---------------------------------------------------------------- SQL splitter

/// One fragment of a statement, rendered, that must never be split.
fn fragment() -> impl Strategy<Value = String> {
    let body = "[^\u{0}]{0,12}";
    prop_oneof![
        prop::sample::select(vec![
            "SELECT", "x", "FROM", "tbl", "WHERE", "1", "+", "(", ")", "=", "::int"
        ])
        .prop_map(str::to_string),
        body.prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
        body.prop_map(|s| format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))),
        body.prop_map(|s| format!("\"{}\"", s.replace('"', "\"\""))),
        ("[a-z_]{0,3}", "[^$\u{0}]{0,12}").prop_map(|(tag, s)| format!("${tag}${s}${tag}$")),
        "[^\n\r\u{0}]{0,12}".prop_map(|s| format!("-- {s}\n")),
        ("[^*/\u{0}]{0,8}", "[^*/\u{0}]{0,8}")
            .prop_map(|(a, b)| format!("/* {a}; /* {b}; */ {a} */")),
    ]
}

/// A statement that starts with a keyword, then fragments separated by blanks.
fn statement() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..6).prop_map(|fs| {
        let mut s = "SELECT".to_string();
        for f in fs {
            s.push(' ');
            s.push_str(&f);
        }
        s
    })
}

proptest! {
    #![proptest_config(cases(1000))]

    /// On any input the pieces lie in order, on character boundaries, and
    /// what lies between them is only `;`, blanks and comments: joining
    /// pieces and separators gives back the input.
    #[test]
    fn splitter_pieces_and_separators_rebuild_the_input(sql in nasty_text()) {
        let parts = sql_lexer::split(&sql);
        let mut rebuilt = String::new();
        let mut at = 0;
        for p in &parts {
            prop_assert!(p.start >= at && p.end >= p.start && p.end <= sql.len());
            prop_assert_eq!(p.text, &sql[p.start..p.end]);
            let gap = &sql[at..p.start];
            prop_assert!(sql_lexer::split(&gap.replace(';', " ")).is_empty(), "code in separator {:?}", gap);
            rebuilt.push_str(gap);
            rebuilt.push_str(p.text);
            at = p.end;
        }
        let tail = &sql[at..];
        prop_assert!(sql_lexer::split(&tail.replace(';', " ")).is_empty(), "code in separator {:?}", tail);
        rebuilt.push_str(tail);
        prop_assert_eq!(rebuilt, sql);
    }
}

proptest! {
    #![proptest_config(cases(256))]

    /// Statements built from quotes, dollar quotes and comments that all
    /// hold `;` are split exactly at the separators between them.
    #[test]
    fn splitter_never_splits_inside_quotes_or_comments(
        statements in prop::collection::vec(statement(), 1..6),
        blanks in "[ \t\n]{0,3}",
    ) {
        let mut sql = String::new();
        for s in &statements {
            sql.push_str(s);
            sql.push('\n'); // ends a trailing line comment
            sql.push(';');
            sql.push_str(&blanks);
        }
        let parts = sql_lexer::split(&sql);
        let got: Vec<&str> = parts.iter().map(|p| p.text.trim()).collect();
        let want: Vec<&str> = statements.iter().map(|s| s.trim()).collect();
        prop_assert_eq!(got, want, "{}", sql);
    }
}

// ---------------------------------------------------------------- pum.yaml

proptest! {
    #![proptest_config(cases(1000))]

    /// Arbitrary text never panics the pum.yaml parser, and an error always
    /// names the file, with a line inside the text (or just past its end).
    #[test]
    fn config_never_panics_and_errors_point_inside(text in nasty_text(), key in prop::sample::select(vec![
        "upgrades_table", "delta_dirs", "variables", "retries", "lock_timeout", "on_checksum_change", "x",
    ])) {
        for text in [text.clone(), format!("{key}: {text}"), format!("{key}:\n  - {text}\n")] {
            if let Err(pum::error::Error::Config { location, .. }) =
                pum::config::Config::parse(&text, Path::new("pum.yaml"))
            {
                prop_assert_eq!(location.file, Path::new("pum.yaml"));
                // YAML also breaks lines at CR, NEL, LS and PS.
                let breaks = text
                    .chars()
                    .filter(|c| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'))
                    .count();
                prop_assert!(
                    location.line >= 1 && location.line <= breaks + 2,
                    "{} line breaks, error at line {}",
                    breaks,
                    location.line
                );
            }
        }
    }
}
