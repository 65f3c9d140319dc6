//! The password file (`~/.pgpass`, `PGPASSFILE`, `passfile=`), read exactly
//! as libpq reads it: `hostname:port:database:username:password` lines, `*`
//! as a whole field matches anything, `\` escapes `:` and `\`, the first
//! matching line wins, and a file that others may read is ignored.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// libpq's compiled-in default socket directory on Debian and derivatives.
pub const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

/// What looking in the password file gave.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Lookup {
    pub password: Option<String>,
    /// Why the file was ignored, in libpq's words, for stderr.
    pub warning: Option<String>,
}

/// The host name a connection is known by in the password file: libpq
/// matches the default socket directory (or no host at all) as `localhost`,
/// any other socket directory by its path, and TCP hosts by name.
pub fn host_key(host: &str) -> &str {
    if host.is_empty() || host == DEFAULT_SOCKET_DIR {
        "localhost"
    } else {
        host
    }
}

/// Looks up the password for one connection. A missing or unreadable file
/// is silently no password, as in libpq.
pub fn lookup(path: &Path, host: &str, port: &str, dbname: &str, user: &str) -> Lookup {
    let Ok(meta) = std::fs::metadata(path) else {
        return Lookup::default();
    };
    if !meta.is_file() {
        return Lookup {
            password: None,
            warning: Some(format!(
                "warning: password file \"{}\" is not a plain file",
                path.display()
            )),
        };
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return Lookup {
            password: None,
            warning: Some(format!(
                "warning: password file \"{}\" has group or world access; permissions should be u=rw (0600) or less",
                path.display()
            )),
        };
    }
    let Ok(bytes) = std::fs::read(path) else {
        return Lookup::default();
    };
    Lookup {
        password: find(&bytes, host_key(host), port, dbname, user),
        warning: None,
    }
}

/// The password of the first line matching all four fields of a
/// passfile's contents (`host` as [`host_key`] gives it).
pub fn find(text: &[u8], host: &str, port: &str, dbname: &str, user: &str) -> Option<String> {
    for raw in text.split(|&b| b == b'\n') {
        if raw.first() == Some(&b'#') {
            continue;
        }
        let mut end = raw.len();
        while end > 0 && matches!(raw[end - 1], b'\r' | b'\n') {
            end -= 1;
        }
        let line = &raw[..end];
        if line.is_empty() {
            continue;
        }
        let rest = [host, port, dbname, user]
            .iter()
            .try_fold(line, |rest, token| match_field(rest, token.as_bytes()));
        if let Some(rest) = rest {
            return Some(unescape_password(rest));
        }
    }
    None
}

/// Matches one `:`-terminated field against `token`; returns what follows
/// the colon. `*` is a wildcard only as the whole field.
fn match_field<'a>(field: &'a [u8], token: &[u8]) -> Option<&'a [u8]> {
    if field.starts_with(b"*:") {
        return Some(&field[2..]);
    }
    let (mut i, mut t) = (0, 0);
    while i < field.len() {
        let escaped = field[i] == b'\\';
        if escaped {
            i += 1;
        }
        let c = field.get(i).copied();
        if c == Some(b':') && !escaped && t == token.len() {
            return Some(&field[i + 1..]);
        }
        if t == token.len() || c != Some(token[t]) {
            return None;
        }
        i += 1;
        t += 1;
    }
    None
}

/// The password field: up to the first unescaped colon, escapes removed
/// (a trailing lone backslash stays, as in libpq).
fn unescape_password(rest: &[u8]) -> String {
    let mut out = Vec::with_capacity(rest.len());
    let mut i = 0;
    while i < rest.len() && rest[i] != b':' {
        if rest[i] == b'\\' && i + 1 < rest.len() {
            i += 1;
        }
        out.push(rest[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str, mode: u32) -> std::path::PathBuf {
        let path = dir.join("pgpass");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn fields_wildcards_and_first_match() {
        let text = b"# comment:*:*:*:nope\n\
            db.example.com:5432:prod:alice:first\n\
            *:5432:prod:alice:second\n\
            *:*:*:*:fallback\n";
        let f = |h, p, d, u| find(text, h, p, d, u);
        assert_eq!(
            f("db.example.com", "5432", "prod", "alice").as_deref(),
            Some("first")
        );
        assert_eq!(
            f("other", "5432", "prod", "alice").as_deref(),
            Some("second")
        );
        assert_eq!(
            f("other", "5433", "prod", "alice").as_deref(),
            Some("fallback")
        );
        // A star is a wildcard only as the whole field.
        assert_eq!(find(b"db*:*:*:*:x\n", "db1", "1", "d", "u"), None);
        assert_eq!(
            find(b"db*:*:*:*:x\n", "db*", "1", "d", "u").as_deref(),
            Some("x")
        );
        // Too few fields never match.
        assert_eq!(find(b"h:5432:d\n", "h", "5432", "d", "u"), None);
        assert_eq!(find(b"", "h", "5432", "d", "u"), None);
    }

    #[test]
    fn escapes_and_line_endings() {
        let text = b"ho\\:st:5432:d\\\\b:u:pa\\:ss\\\\w:ignored\r\n";
        assert_eq!(
            find(text, "ho:st", "5432", "d\\b", "u").as_deref(),
            Some("pa:ss\\w")
        );
        // libpq lets an unescaped colon match a colon in the value, too.
        assert_eq!(
            find(b"ho:st:5432:d:u:pw\n", "ho:st", "5432", "d", "u").as_deref(),
            Some("pw")
        );
        // A comment needs its # in the first column; CRLF is fine.
        assert_eq!(
            find(b"#h:1:d:u:a\r\nh:1:d:u:b\r\n", "h", "1", "d", "u").as_deref(),
            Some("b")
        );
        assert_eq!(
            find(b"h:1:d:u:trailing\\", "h", "1", "d", "u").as_deref(),
            Some("trailing\\")
        );
    }

    #[test]
    fn socket_connections_match_localhost_or_their_path() {
        assert_eq!(host_key(""), "localhost");
        assert_eq!(host_key(DEFAULT_SOCKET_DIR), "localhost");
        assert_eq!(host_key("/tmp"), "/tmp");
        assert_eq!(host_key("db.example.com"), "db.example.com");
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "localhost:5432:d:u:local\n\\/tmp:5432:d:u:tmpsock\n",
            0o600,
        );
        let pw = |host| lookup(&path, host, "5432", "d", "u").password;
        assert_eq!(pw(DEFAULT_SOCKET_DIR).as_deref(), Some("local"));
        assert_eq!(pw("localhost").as_deref(), Some("local"));
        assert_eq!(pw("/tmp").as_deref(), Some("tmpsock"));
        assert_eq!(pw("/var/run/other"), None);
    }

    #[test]
    fn readable_by_others_is_ignored_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "*:*:*:*:pw\n", 0o640);
        let got = lookup(&path, "h", "5432", "d", "u");
        assert_eq!(got.password, None);
        let warning = got.warning.unwrap();
        assert!(warning.contains("group or world access"), "{warning}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o604)).unwrap();
        assert_eq!(lookup(&path, "h", "5432", "d", "u").password, None);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert_eq!(
            lookup(&path, "h", "5432", "d", "u").password.as_deref(),
            Some("pw")
        );
        let missing = lookup(&dir.path().join("none"), "h", "5432", "d", "u");
        assert_eq!(missing, Lookup::default());
        let not_file = lookup(dir.path(), "h", "5432", "d", "u");
        assert!(not_file.warning.unwrap().contains("not a plain file"));
    }
}
