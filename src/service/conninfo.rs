//! Parsing `key=value` conninfo strings and `postgresql://` URIs into libpq
//! keywords, with libpq's quoting, percent-decoding and error cases. Error
//! messages name keywords and positions but never echo a value that could be
//! (part of) a password.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// C's `isspace` in the C locale, which libpq uses: unlike
/// `char::is_ascii_whitespace` it includes the vertical tab.
pub(crate) fn c_isspace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r')
}

/// Parses `host=x port=5432 dbname='my db'` as libpq does: values may be
/// single-quoted, a backslash escapes the next character (quoted or not),
/// whitespace around `=` is allowed, a later keyword overrides an earlier one.
pub fn parse_conninfo(s: &str) -> Result<BTreeMap<String, String>> {
    let err = |msg: String| Error::Service(format!("conninfo: {msg}"));
    let mut out = BTreeMap::new();
    let mut chars = s.char_indices().peekable();
    // An unquoted password stops at the first space, so the next token may be
    // the rest of it: such a token is never echoed in an error.
    let mut after_unquoted_password = false;
    let skip_space = |chars: &mut std::iter::Peekable<std::str::CharIndices>| {
        while chars.peek().is_some_and(|&(_, c)| c_isspace(c)) {
            chars.next();
        }
    };
    loop {
        skip_space(&mut chars);
        let Some(&(key_pos, _)) = chars.peek() else {
            break;
        };
        let mut key = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if c == '=' || c_isspace(c) {
                break;
            }
            key.push(c);
            chars.next();
        }
        let shown = |key: &str| {
            if after_unquoted_password {
                format!(
                    "the word at position {} (a password containing spaces must be single-quoted: password='...')",
                    key_pos + 1
                )
            } else {
                format!("{key:?}")
            }
        };
        skip_space(&mut chars);
        if chars.next().map(|(_, c)| c) != Some('=') {
            return Err(err(format!("missing \"=\" after {}", shown(&key))));
        }
        if !super::KEYWORDS.contains(&key.as_str()) {
            return Err(err(format!("invalid connection option {}", shown(&key))));
        }
        skip_space(&mut chars);
        let (value, quoted) = conninfo_value(&mut chars, &key)?;
        after_unquoted_password = key == "password" && !quoted;
        out.insert(key, value);
    }
    Ok(out)
}

/// The value after `key=`: single-quoted (backslash escapes the next
/// character, up to the closing quote) or bare (up to the next space);
/// returns it and whether it was quoted.
fn conninfo_value(
    chars: &mut std::iter::Peekable<std::str::CharIndices>,
    key: &str,
) -> Result<(String, bool)> {
    let mut value = String::new();
    let quoted = chars.peek().map(|&(_, c)| c) == Some('\'');
    if quoted {
        chars.next();
        loop {
            match chars.next().map(|(_, c)| c) {
                None => {
                    return Err(Error::Service(format!(
                        "conninfo: unterminated quoted value for {key:?}"
                    )));
                }
                Some('\\') => {
                    if let Some((_, n)) = chars.next() {
                        value.push(n);
                    }
                }
                Some('\'') => break,
                Some(c) => value.push(c),
            }
        }
    } else {
        while let Some(&(_, c)) = chars.peek() {
            chars.next();
            if c_isspace(c) {
                break;
            }
            if c == '\\' {
                if let Some((_, n)) = chars.next() {
                    value.push(n);
                }
            } else {
                value.push(c);
            }
        }
    }
    Ok((value, quoted))
}

/// Parses `postgresql://user:pw@host:port,host2/dbname?key=value` the way
/// libpq does: credentials before the first `@` (if it comes before any
/// `/`), a comma-separated host list with optional ports and `[ipv6]`
/// literals, percent-decoding of every part, and query parameters that must
/// be libpq keywords (`ssl=true` means `sslmode=require`). Empty parts are
/// left unset so that `PG*` variables still apply.
pub fn parse_uri(s: &str) -> Result<BTreeMap<String, String>> {
    let prefix_len = if s.starts_with("postgresql://") {
        "postgresql://".len()
    } else if s.starts_with("postgres://") {
        "postgres://".len()
    } else {
        return Err(uri_error(
            "a connection uri starts with postgresql:// or postgres://".into(),
        ));
    };
    let rest = &s[prefix_len..];
    let mut out = BTreeMap::new();
    let p = parse_credentials(rest, &mut out)?;
    let (mut p, mut terminator) = parse_hosts(rest, p, prefix_len, &mut out)?;
    let next = |p: usize| rest[p..].chars().next();
    if terminator == Some('/') {
        p += 1;
        let end = rest[p..].find('?').map_or(rest.len(), |i| i + p);
        let dbname = &rest[p..end];
        if !dbname.is_empty() {
            out.insert(
                "dbname".into(),
                percent_decode(dbname, "the database name")?,
            );
        }
        p = end;
        terminator = next(p);
    }

    if terminator == Some('?') {
        parse_query(&rest[p + 1..], &mut out)?;
    }
    Ok(out)
}

fn uri_error(msg: String) -> Error {
    Error::Service(format!("uri: {msg}"))
}

/// `user:password@` at the start of `rest` (the URI after its scheme), if
/// there; returns where the hosts start.
fn parse_credentials(rest: &str, out: &mut BTreeMap<String, String>) -> Result<usize> {
    // libpq looks for the credentials' `@` only up to the first `/`.
    let credentials_end = rest
        .find(['@', '/'])
        .filter(|&i| rest.as_bytes()[i] == b'@');
    if credentials_end.is_none() && rest.split('?').next().unwrap_or_default().contains('@') {
        // libpq would read `user:pa/ss@host/db` as host `user`, port `pa`
        // and database `ss@host/db`, and show that in every message.
        return Err(uri_error(
            "a \"/\" comes before the \"@\" of user:password@; percent-encode \"/\" in user names and passwords as %2F (and \"@\" as %40)".into(),
        ));
    }
    let Some(at) = credentials_end else {
        return Ok(0);
    };
    let credentials = &rest[..at];
    let (user, password) = match credentials.split_once(':') {
        Some((u, pw)) => (u, Some(pw)),
        None => (credentials, None),
    };
    if !user.is_empty() {
        out.insert("user".into(), percent_decode(user, "the user name")?);
    }
    if let Some(pw) = password.filter(|pw| !pw.is_empty()) {
        out.insert("password".into(), percent_decode(pw, "the password")?);
    }
    Ok(at + 1)
}

/// The comma-separated `host[:port]` list starting at `p` in `rest`;
/// returns where it ends and the character there (`/`, `?` or none).
/// `prefix_len` makes positions in messages count from the URI's start.
fn parse_hosts(
    rest: &str,
    mut p: usize,
    prefix_len: usize,
    out: &mut BTreeMap<String, String>,
) -> Result<(usize, Option<char>)> {
    let mut hosts = String::new();
    let mut ports = String::new();
    let next = |p: usize| rest[p..].chars().next();
    let mut terminator;
    loop {
        if rest[p..].starts_with('[') {
            let start = p + 1;
            let close = rest[start..]
                .find(']')
                .map(|i| i + start)
                .ok_or_else(|| uri_error("missing \"]\" after an ipv6 host address".into()))?;
            if close == start {
                return Err(uri_error("an ipv6 host address may not be empty".into()));
            }
            hosts.push_str(&rest[start..close]);
            p = close + 1;
            if let Some(c) = next(p).filter(|c| !matches!(c, ':' | '/' | '?' | ',')) {
                return Err(uri_error(format!(
                    "unexpected character {c:?} at position {} (expected \":\" or \"/\" after \"]\")",
                    prefix_len + p + 1
                )));
            }
        } else {
            let end = rest[p..]
                .find([':', '/', '?', ','])
                .map_or(rest.len(), |i| i + p);
            let host = &rest[p..end];
            if host.contains('@') {
                // libpq would try to resolve this as a host name; it almost
                // always means a password with a raw `@`, which we must not echo.
                return Err(uri_error(
                    "unexpected \"@\" in the host part; percent-encode \"@\" in user names and passwords as %40".into(),
                ));
            }
            hosts.push_str(host);
            p = end;
        }
        terminator = next(p);
        if terminator == Some(':') {
            p += 1;
            let end = rest[p..]
                .find(['/', '?', ','])
                .map_or(rest.len(), |i| i + p);
            ports.push_str(&rest[p..end]);
            p = end;
            terminator = next(p);
        }
        if terminator != Some(',') {
            break;
        }
        p += 1;
        hosts.push(',');
        ports.push(',');
    }
    if !hosts.is_empty() {
        out.insert("host".into(), percent_decode(&hosts, "the host")?);
    }
    if !ports.is_empty() {
        out.insert("port".into(), percent_decode(&ports, "the port")?);
    }
    Ok((p, terminator))
}

fn parse_query(query: &str, out: &mut BTreeMap<String, String>) -> Result<()> {
    let err = uri_error;
    let mut pieces: Vec<&str> = query.split('&').collect();
    // libpq stops at the end of the string, so one trailing `&` is harmless.
    if pieces.last() == Some(&"") {
        pieces.pop();
    }
    for piece in pieces {
        let Some((raw_key, raw_value)) = piece.split_once('=') else {
            return Err(err(format!(
                "missing \"=\" in query parameter {:?}",
                visible_key(piece)
            )));
        };
        if raw_value.contains('=') {
            return Err(err(format!(
                "extra \"=\" in query parameter {:?}; percent-encode it as %3D",
                visible_key(raw_key)
            )));
        }
        let key = percent_decode(raw_key, "a query parameter name")?;
        let value = percent_decode(raw_value, &format!("the value of query parameter {key:?}"))?;
        let (key, value) = if key == "ssl" && value == "true" {
            ("sslmode".to_string(), "require".to_string())
        } else {
            (key, value)
        };
        if !super::KEYWORDS.contains(&key.as_str()) {
            return Err(err(format!("invalid query parameter {key:?}")));
        }
        out.insert(key, value);
    }
    Ok(())
}

/// A query parameter name for an error message, cut short so that a
/// mistyped `password...` never shows its value.
fn visible_key(raw: &str) -> String {
    if raw.starts_with("password") {
        "password".into()
    } else {
        raw.chars().take(40).collect()
    }
}

/// libpq's percent-decoding: `%XX` only (no `+` for space), `%00` refused.
/// `what` names the part for the error message; the value itself is never
/// shown because it may be a password.
fn percent_decode(s: &str, what: &str) -> Result<String> {
    let err = uri_error;
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
        let (Some(hi), Some(lo)) = (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) else {
            return Err(err(format!("invalid percent-encoding in {what}")));
        };
        let byte = (hi * 16 + lo) as u8;
        if byte == 0 {
            return Err(err(format!("%00 is not allowed in {what}")));
        }
        out.push(byte);
        i += 3;
    }
    String::from_utf8(out)
        .map_err(|_| err(format!("{what} is not valid utf-8 after percent-decoding")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    // Over 80 lines: one table of libpq's URI cases, a case per line, read best whole.
    fn uris_parse_like_libpq() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("postgresql://", &[]),
            ("postgres://", &[]),
            ("postgresql://localhost", &[("host", "localhost")]),
            (
                "postgresql://localhost:5433",
                &[("host", "localhost"), ("port", "5433")],
            ),
            (
                "postgresql://localhost/mydb",
                &[("host", "localhost"), ("dbname", "mydb")],
            ),
            (
                "postgresql://user@localhost",
                &[("host", "localhost"), ("user", "user")],
            ),
            (
                "postgresql://user:secret@localhost",
                &[
                    ("host", "localhost"),
                    ("password", "secret"),
                    ("user", "user"),
                ],
            ),
            (
                "postgresql://us%40er:p%40ss%3Aw%2Fd@db.example.com:6543/my%20db",
                &[
                    ("dbname", "my db"),
                    ("host", "db.example.com"),
                    ("password", "p@ss:w/d"),
                    ("port", "6543"),
                    ("user", "us@er"),
                ],
            ),
            (
                "postgresql://other@localhost/otherdb?connect_timeout=10&application_name=myapp",
                &[
                    ("application_name", "myapp"),
                    ("connect_timeout", "10"),
                    ("dbname", "otherdb"),
                    ("host", "localhost"),
                    ("user", "other"),
                ],
            ),
            (
                "postgresql://host1:123,host2:456/somedb?target_session_attrs=any",
                &[
                    ("dbname", "somedb"),
                    ("host", "host1,host2"),
                    ("port", "123,456"),
                    ("target_session_attrs", "any"),
                ],
            ),
            (
                "postgresql://[::1]:5433/db",
                &[("dbname", "db"), ("host", "::1"), ("port", "5433")],
            ),
            (
                "postgresql://[2001:db8::1234]/database",
                &[("dbname", "database"), ("host", "2001:db8::1234")],
            ),
            (
                "postgresql://[::1],host2:7/x",
                &[("dbname", "x"), ("host", "::1,host2"), ("port", ",7")],
            ),
            (
                "postgresql:///mydb?host=/var/lib/postgresql",
                &[("dbname", "mydb"), ("host", "/var/lib/postgresql")],
            ),
            (
                "postgresql://%2Fvar%2Flib%2Fpostgresql/dbname",
                &[("dbname", "dbname"), ("host", "/var/lib/postgresql")],
            ),
            ("postgresql://localhost/", &[("host", "localhost")]),
            ("postgresql://?dbname=x&", &[("dbname", "x")]),
            (
                "postgresql://h/db?ssl=true",
                &[("dbname", "db"), ("host", "h"), ("sslmode", "require")],
            ),
            (
                "postgresql://h/db?host=other&port=1",
                &[("dbname", "db"), ("host", "other"), ("port", "1")],
            ),
            ("postgresql://:pw@h", &[("host", "h"), ("password", "pw")]),
            ("postgresql://a+b@h", &[("host", "h"), ("user", "a+b")]),
            (
                "postgresql://h/db?options=a%40b",
                &[("dbname", "db"), ("host", "h"), ("options", "a@b")],
            ),
        ];
        for (uri, expected) in cases {
            let got = parse_uri(uri).unwrap_or_else(|e| panic!("{uri}: {e}"));
            assert_eq!(got, map(expected), "{uri}");
        }
    }

    #[test]
    fn bad_uris_are_rejected_without_echoing_passwords() {
        let cases: &[(&str, &str)] = &[
            ("postgresql://[::1/db", "missing \"]\""),
            ("postgresql://[]/db", "may not be empty"),
            ("postgresql://[::1]x/db", "unexpected character 'x'"),
            ("postgresql://h/db?dbname", "missing \"=\""),
            ("postgresql://h/db?a=b=c", "extra \"=\""),
            (
                "postgresql://h/db?nosuch=1",
                "invalid query parameter \"nosuch\"",
            ),
            ("postgresql://h/db?port=1&&host=2", "missing \"=\""),
            (
                "postgresql://u:s3cr%zzet@h/db",
                "invalid percent-encoding in the password",
            ),
            (
                "postgresql://u:s3cr%00et@h/db",
                "%00 is not allowed in the password",
            ),
            (
                "postgresql://u:s3cr%FFet@h/db",
                "the password is not valid utf-8",
            ),
            ("postgresql://u:s3cr@et@h/db", "percent-encode \"@\""),
            ("postgresql://u:s3cr/et@h/db", "percent-encode \"/\""),
            ("postgresql://h/s3cr@et", "percent-encode \"/\""),
            (
                "postgresql://h/db%2",
                "invalid percent-encoding in the database name",
            ),
            ("mysql://h/db", "starts with postgresql://"),
            (
                "postgresql://h/db?password=s3cr=et",
                "extra \"=\" in query parameter \"password\"",
            ),
        ];
        for (uri, needle) in cases {
            let e = parse_uri(uri).expect_err(uri).to_string();
            assert!(e.contains(needle), "{uri}: {e}");
            assert!(!e.contains("s3cr"), "{uri} leaks the password: {e}");
        }
    }

    #[test]
    fn conninfo_follows_libpq_quoting() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("host=x port=5432", &[("host", "x"), ("port", "5432")]),
            (
                "  host = x\tport=\n5432  ",
                &[("host", "x"), ("port", "5432")],
            ),
            ("dbname='my db'", &[("dbname", "my db")]),
            ("password='it\\'s'", &[("password", "it's")]),
            ("password=a\\ b", &[("password", "a b")]),
            ("password='back\\\\slash'", &[("password", "back\\slash")]),
            ("dbname='' user=u", &[("dbname", ""), ("user", "u")]),
            ("dbname='a'user=b", &[("dbname", "a"), ("user", "b")]),
            ("host=a host=b", &[("host", "b")]),
            (
                "options='-c search_path=x'",
                &[("options", "-c search_path=x")],
            ),
            ("service=prod", &[("service", "prod")]),
        ];
        for (s, expected) in cases {
            let got = parse_conninfo(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(got, map(expected), "{s}");
        }
    }

    #[test]
    fn bad_conninfo_is_rejected_without_echoing_passwords() {
        let cases: &[(&str, &str)] = &[
            ("host", "missing \"=\" after \"host\""),
            ("host=x nosuch=1", "invalid connection option \"nosuch\""),
            ("dbname='open", "unterminated quoted value for \"dbname\""),
            ("password=my s3cret host=x", "must be single-quoted"),
            ("password=my s3cret=x", "must be single-quoted"),
            (
                "password='s3cret",
                "unterminated quoted value for \"password\"",
            ),
        ];
        for (s, needle) in cases {
            let e = parse_conninfo(s).expect_err(s).to_string();
            assert!(e.contains(needle), "{s}: {e}");
            assert!(!e.contains("s3cret"), "{s} leaks the password: {e}");
        }
    }
}
