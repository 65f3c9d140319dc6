//! One table of malformed input: pum.yaml, service files, passfiles,
//! conninfo strings and URIs, delta names and contents, versions,
//! variables, identifiers and flags. Each row says what `pum` must answer
//! (exit code and a stderr line naming the culprit); after every row the
//! database must be exactly as before, and nothing may panic.

use std::os::unix::fs::PermissionsExt;

use crate::support::{Pum, TestDb};

const TABLE: &str = "public.pum_upgrades";

/// A file a row writes into its private home directory.
struct File {
    path: &'static str,
    bytes: Vec<u8>,
    mode: u32,
}

fn file(path: &'static str, bytes: impl Into<Vec<u8>>) -> File {
    File {
        path,
        bytes: bytes.into(),
        mode: 0o600,
    }
}

/// What happens when an accepted row's input is applied.
#[derive(Clone, Copy, PartialEq)]
enum Accepted {
    /// Nothing changes in the database.
    Inert,
    /// The delta was applied: this table exists (then it and the new
    /// history rows are removed again before comparing).
    Applies(&'static str),
}

struct Case {
    /// What is malformed.
    input: &'static str,
    files: Vec<File>,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    code: i32,
    /// What stderr must contain: it names the file, line, flag or service
    /// (for accepted input, stdout may say it instead).
    stderr: String,
    accepted: Accepted,
}

fn upgrade_args(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["upgrade", "-p", "test", "-t", TABLE, "-d", "deltas"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn cmd(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// A row whose input is a delta file (name and contents) under `deltas/`.
fn delta(input: &'static str, path: &'static str, bytes: impl Into<Vec<u8>>, stderr: &str) -> Case {
    Case {
        input,
        files: vec![file(path, bytes)],
        args: upgrade_args(&[]),
        env: vec![],
        code: 2,
        stderr: stderr.into(),
        accepted: Accepted::Inert,
    }
}

/// A row that is only a command line.
fn flags(input: &'static str, args: Vec<String>, stderr: &str) -> Case {
    Case {
        input,
        files: vec![],
        args,
        env: vec![],
        code: 2,
        stderr: stderr.into(),
        accepted: Accepted::Inert,
    }
}

/// A row whose input is `pum.yaml`.
fn yaml(input: &'static str, text: &[u8], stderr: &str) -> Case {
    Case {
        input,
        files: vec![file("pum.yaml", text.to_vec())],
        args: cmd(&["upgrade", "-p", "test", "-d", "deltas"]),
        env: vec![],
        code: 2,
        stderr: stderr.into(),
        accepted: Accepted::Inert,
    }
}

/// A row whose input is the service file.
fn service(input: &'static str, text: &[u8], stderr: &str) -> Case {
    Case {
        input,
        files: vec![file(".pg_service.conf", text.to_vec())],
        args: cmd(&["info", "-p", "test", "-t", TABLE]),
        env: vec![],
        code: 2,
        stderr: stderr.into(),
        accepted: Accepted::Inert,
    }
}

/// A row whose input is the `-p` value.
fn conn(input: &'static str, spec: &str, stderr: &str) -> Case {
    flags(input, cmd(&["info", "-p", spec, "-t", TABLE]), stderr)
}

/// 10 MB of printable garbage, the same every run.
fn garbage() -> Vec<u8> {
    let mut x: u32 = 0x2545_f491;
    (0..10 * 1024 * 1024)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if i % 80 == 79 {
                b'\n'
            } else {
                b"zq#@!~^&*()[]{}<>?|"[(x % 19) as usize]
            }
        })
        .collect()
}

const INJECTION: &str = "'); DROP TABLE x; --";

fn cases() -> Vec<Case> {
    let mut rows =
        vec![
        // pum.yaml
        yaml(
            "pum.yaml: unknown key",
            b"upgrades_table: public.pum_upgrades\ndelta_dirz: [x]\n",
            "pum.yaml:2:1: unknown field `delta_dirz`",
        ),
        yaml(
            "pum.yaml: wrong type",
            b"upgrades_table: public.pum_upgrades\nretries: many\n",
            "pum.yaml:2",
        ),
        yaml(
            "pum.yaml: unclosed flow sequence",
            b"upgrades_table: [public.pum_upgrades\n",
            "pum.yaml:",
        ),
        yaml(
            "pum.yaml: variable of a map type",
            b"upgrades_table: public.pum_upgrades\nvariables:\n  N: {a: 1}\n",
            "pum.yaml:3",
        ),
        yaml(
            "pum.yaml: duration with a bad unit",
            b"upgrades_table: public.pum_upgrades\nlock_timeout: 5 parsecs\n",
            "lock_timeout in pum.yaml",
        ),
        yaml(
            "pum.yaml: unknown enum value",
            b"upgrades_table: public.pum_upgrades\non_checksum_change: maybe\n",
            "pum.yaml:2",
        ),
        yaml(
            "pum.yaml: not UTF-8",
            b"retries: 1\nupgrades_table: public.\xff\xfe\n",
            "pum.yaml:2:24: not valid UTF-8",
        ),
        yaml(
            "pum.yaml: NUL byte",
            b"retries: 1\nupgrades_table: public.pum\0upgrades\n",
            "pum.yaml:2:27: control character U+0000 is not allowed",
        ),
        yaml(
            "pum.yaml: tab indentation",
            b"variables:\n\tN: 1\n",
            "pum.yaml:2",
        ),
        yaml(
            "pum.yaml: no upgrades table anywhere",
            b"retries: 1\n",
            "no upgrades table",
        ),
        Case {
            input: "pum.yaml: empty file, table from the flag",
            files: vec![file("pum.yaml", "")],
            args: upgrade_args(&[]),
            env: vec![],
            code: 0,
            stderr: "nothing to apply".into(),
            accepted: Accepted::Inert,
        },
        flags(
            "-c: missing file",
            cmd(&["-c", "nope.yaml", "info", "-p", "test", "-t", TABLE]),
            "nope.yaml",
        ),
        // service files
        service(
            "service file: misspelt keyword",
            b"[test]\nhots=x\n",
            ".pg_service.conf:2",
        ),
        service(
            "service file: space before =",
            b"[test]\nhost = x\n",
            ".pg_service.conf:2",
        ),
        service(
            "service file: nested service",
            b"[test]\nservice=other\n",
            ".pg_service.conf:2",
        ),
        service(
            "service file: line without =",
            b"[other]\n[test]\nno equals here\n",
            ".pg_service.conf:3",
        ),
        service(
            "service file: byte-order mark hides the section",
            b"\xef\xbb\xbf[test]\nhost=/nowhere\n",
            "byte-order mark",
        ),
        service(
            "service file: port not a number",
            b"[test]\nhost=/tmp\nport=fivefourthreetwo\n",
            "port",
        ),
        Case {
            input: "PGSERVICEFILE: missing file",
            files: vec![],
            args: cmd(&["info", "-p", "test", "-t", TABLE]),
            env: vec![("PGSERVICEFILE", "/nonexistent/pg_service.conf".into())],
            code: 2,
            stderr: "/nonexistent/pg_service.conf".into(),
            accepted: Accepted::Inert,
        },
        flags(
            "-p: unknown service",
            cmd(&["info", "-p", "nope", "-t", TABLE]),
            "service \"nope\" not found",
        ),
        // passfiles: libpq ignores what it cannot use; so does pum
        Case {
            input: "passfile: readable by others (ignored with a warning)",
            files: vec![File {
                path: ".pgpass",
                bytes: b"*:*:*:*:secret\n".to_vec(),
                mode: 0o644,
            }],
            args: cmd(&["info", "-p", "test", "-t", TABLE]),
            env: vec![],
            code: 0,
            stderr: "has group or world access".into(),
            accepted: Accepted::Inert,
        },
        Case {
            input: "passfile: binary garbage (ignored)",
            files: vec![
                file(".pgpass", b"\xff\xfe\0:::\\\\\n\x01\x02:*\n".to_vec()),
                file("deltas/.keep", ""),
            ],
            args: upgrade_args(&[]),
            env: vec![],
            code: 0,
            stderr: "nothing to apply".into(),
            accepted: Accepted::Inert,
        },
        // conninfo strings and URIs
        conn(
            "conninfo: unterminated quote",
            "dbname='unterminated",
            "unterminated quoted value for \"dbname\"",
        ),
        conn(
            "conninfo: unknown keyword",
            "bogus=1 dbname=x",
            "invalid connection option \"bogus\"",
        ),
        conn(
            "conninfo: missing =",
            "host dbname=x",
            "missing \"=\" after \"host\"",
        ),
        conn("conninfo: port not a number", "host=/tmp port=abc", "port"),
        conn(
            "conninfo: unquoted password with a space",
            "host=/tmp password=sec ret",
            "must be single-quoted",
        ),
        conn(
            "uri: unterminated IPv6 literal",
            "postgresql://[::1/db",
            "uri:",
        ),
        conn(
            "uri: / before @ in the credentials",
            "postgresql://u:p/ss@h/db",
            "percent-encode",
        ),
        conn(
            "uri: unknown query parameter",
            "postgresql://h/db?nosuch=1",
            "nosuch",
        ),
        conn("uri: bad percent escape", "postgresql://h/%zz", "uri:"),
        conn("uri: port out of range", "postgresql://h:99999/db", "99999"),
        conn(
            "uri: wrong scheme",
            "postgres:/h/db",
            "service \"postgres:/h/db\" not found",
        ),
        // delta names and contents
        // pum 0.x reads leading zeros as the plain version: applied, warned about.
        Case {
            code: 0,
            accepted: Accepted::Applies("public.lead_zero"),
            ..delta(
                "delta name: leading zero (read as 1.2.3, with a warning)",
                "deltas/delta_01.2.3.sql",
                "CREATE TABLE lead_zero ();",
                "deltas/delta_01.2.3.sql: version written with leading zeros; it is version 1.2.3",
            )
        },
        Case {
            input: "delta name: two spellings of one version",
            files: vec![
                file("deltas/delta_01.2.3_x.sql", "CREATE TABLE never ();"),
                file("deltas/delta_1.2.3_x.sql", "CREATE TABLE never ();"),
            ],
            ..delta(
                "",
                "",
                "",
                "delta_01.2.3_x.sql and delta_1.2.3_x.sql are the same delta",
            )
        },
        Case {
            input: "delta name: two parts (skipped with a warning)",
            files: vec![file("deltas/delta_1.2.sql", "CREATE TABLE never ();")],
            code: 0,
            stderr: "ignoring deltas/delta_1.2.sql: not a delta name".into(),
            ..delta("", "", "", "")
        },
        Case {
            input: "delta name: four parts (skipped with a warning)",
            files: vec![file("deltas/delta_1.2.3.4.sql", "CREATE TABLE never ();")],
            code: 0,
            stderr: "ignoring deltas/delta_1.2.3.4.sql".into(),
            ..delta("", "", "", "")
        },
        Case {
            input: "delta name: v prefix (skipped with a warning)",
            files: vec![file("deltas/delta_v1.2.3.sql", "CREATE TABLE never ();")],
            code: 0,
            stderr: "ignoring deltas/delta_v1.2.3.sql".into(),
            ..delta("", "", "", "")
        },
        Case {
            input: "delta names: the same delta twice",
            files: vec![
                file("deltas/delta_1.0.1_x.sql", "CREATE TABLE a ();"),
                file("deltas/delta_1.0.1__x.sql", "CREATE TABLE b ();"),
            ],
            stderr: "are the same delta".into(),
            ..delta("", "", "", "")
        },
        Case {
            input: "delta: UTF-8 byte-order mark (applies)",
            code: 0,
            accepted: Accepted::Applies("public.bom_ok"),
            ..delta(
                "",
                "deltas/delta_1.0.1_bom.sql",
                "\u{feff}CREATE TABLE bom_ok (id int);\n",
                "applied delta_1.0.1_bom.sql",
            )
        },
        Case {
            input: "delta: CRLF line ends (applies)",
            code: 0,
            accepted: Accepted::Applies("public.crlf_ok"),
            ..delta(
                "",
                "deltas/delta_1.0.1_crlf.sql",
                "CREATE TABLE crlf_ok (\r\n  id int\r\n);\r\n",
                "applied delta_1.0.1_crlf.sql",
            )
        },
        delta(
            "delta: NUL byte",
            "deltas/delta_1.0.1_nul.sql",
            b"CREATE TABLE a ();\nSELECT '\0';\n".to_vec(),
            "delta_1.0.1_nul.sql:2:9: contains a NUL byte",
        ),
        delta(
            "delta: not UTF-8",
            "deltas/delta_1.0.1_latin1.sql",
            b"CREATE TABLE a ();\nSELECT 'caf\xe9';\n".to_vec(),
            "delta_1.0.1_latin1.sql:2:12: not valid UTF-8",
        ),
        delta(
            "delta: 10 MB of garbage",
            "deltas/delta_1.0.1_huge.sql",
            garbage(),
            "delta_1.0.1_huge.sql:1:1: [42601] syntax error",
        ),
        delta(
            "delta: fails half-way",
            "deltas/delta_1.0.1_half.sql",
            "CREATE TABLE half_done (id int);\nINSERT INTO missing VALUES (1);\n",
            "delta_1.0.1_half.sql:2:13: [42P01]",
        ),
        delta(
            "delta: unterminated dollar quote",
            "deltas/delta_1.0.1_dollar.sql",
            "CREATE TABLE a ();\nSELECT $$never closed;\n",
            "delta_1.0.1_dollar.sql",
        ),
        Case {
            input: "delta: empty file (recorded, changes nothing else)",
            code: 0,
            accepted: Accepted::Applies("public.pum_upgrades"),
            ..delta(
                "",
                "deltas/delta_1.0.1_empty.sql",
                "",
                "applied delta_1.0.1_empty.sql",
            )
        },
        // versions
        flags(
            "-u: two parts",
            upgrade_args(&["-u", "1.2"]),
            "-u/--max-version: invalid version \"1.2\"",
        ),
        flags(
            "-u: leading zero",
            upgrade_args(&["-u", "01.2.3"]),
            "-u/--max-version: invalid version \"01.2.3\"",
        ),
        flags(
            "-u: four parts",
            upgrade_args(&["-u", "1.2.3.4"]),
            "-u/--max-version: invalid version \"1.2.3.4\"",
        ),
        flags(
            "-u: v prefix",
            upgrade_args(&["-u", "v1.2.3"]),
            "-u/--max-version: invalid version \"v1.2.3\"",
        ),
        flags(
            "baseline -b: v prefix (nothing created)",
            cmd(&[
                "baseline",
                "-p",
                "test",
                "-t",
                "public.other_upgrades",
                "-b",
                "v1.2.3",
            ]),
            "invalid version \"v1.2.3\"",
        ),
        // variables
        flags(
            "-v int: not an integer",
            upgrade_args(&["-v", "int", "N", "abc"]),
            "-v int N abc: \"abc\" is not an integer",
        ),
        flags(
            "-v: unknown type",
            upgrade_args(&["-v", "bool", "N", "1"]),
            "unknown variable type \"bool\"",
        ),
        flags(
            "-v: name with a semicolon",
            upgrade_args(&["-v", "str", "A;B", "1"]),
            "invalid variable name \"A;B\"",
        ),
        flags(
            "-v: value missing",
            cmd(&[
                "upgrade", "-p", "test", "-t", TABLE, "-d", "deltas", "-v", "int", "N",
            ]),
            "--var",
        ),
        Case {
            args: upgrade_args(&["-v", "int", "N", "1"]),
            ..delta(
                "delta: undefined variable",
                "deltas/delta_1.0.1_v.sql",
                "SELECT 1;\nSELECT %(NOPE)s;\n",
                "delta_1.0.1_v.sql:2:8: variable \"NOPE\" is not defined",
            )
        },
        delta(
            "delta: placeholder without any variables (sent as is, as pum 0.x)",
            "deltas/delta_1.0.1_v.sql",
            "SELECT 1;\nSELECT %(NOPE)s;\n",
            "delta_1.0.1_v.sql:2:8: [42601] syntax error",
        ),
        Case {
            args: upgrade_args(&["-v", "int", "N", "1"]),
            ..delta(
                "delta: lone % with variables",
                "deltas/delta_1.0.1_pct.sql",
                "SELECT '100%';\n",
                "delta_1.0.1_pct.sql:1:12: lone %",
            )
        },
        Case {
            input: "-v str: SQL injection stays a literal",
            args: upgrade_args(&["-v", "str", "X", INJECTION]),
            code: 0,
            accepted: Accepted::Applies("public.inj_flag"),
            ..delta(
                "",
                "deltas/delta_1.0.1_inj.sql",
                "CREATE TABLE inj_flag AS SELECT %(X)s::text AS v;\n",
                "applied delta_1.0.1_inj.sql",
            )
        },
        Case {
            input: "pum.yaml variables: SQL injection stays a literal",
            files: vec![
                file(
                    "pum.yaml",
                    format!("upgrades_table: {TABLE}\nvariables:\n  X: \"{INJECTION}\"\n"),
                ),
                file(
                    "deltas/delta_1.0.1_inj.sql",
                    "CREATE TABLE inj_yaml AS SELECT %(X)s::text AS v;\n",
                ),
            ],
            args: cmd(&["upgrade", "-p", "test", "-d", "deltas"]),
            code: 0,
            accepted: Accepted::Applies("public.inj_yaml"),
            ..delta("", "", "", "applied delta_1.0.1_inj.sql")
        },
        // identifiers
        flags(
            "-t: quote inside an unquoted name",
            cmd(&[
                "upgrade",
                "-p",
                "test",
                "-d",
                "deltas",
                "-t",
                "public.pum\"upgrades",
            ]),
            "a double quote inside an unquoted name",
        ),
        flags(
            "-t: three parts",
            cmd(&["upgrade", "-p", "test", "-d", "deltas", "-t", "a.b.c"]),
            "invalid table name \"a.b.c\": expected at most schema.table",
        ),
        flags(
            "-t: unterminated quote",
            cmd(&["upgrade", "-p", "test", "-d", "deltas", "-t", "\"open"]),
            "unterminated double quote",
        ),
        flags(
            "-t: empty part",
            cmd(&["upgrade", "-p", "test", "-d", "deltas", "-t", "public."]),
            "empty name part",
        ),
        flags(
            "-t: injection as an identifier",
            cmd(&["info", "-p", "test", "-t", "\"x; DROP TABLE x; --\""]),
            "upgrades table \"x; DROP TABLE x; --\" not found",
        ),
        flags(
            "-t: dots and spaces inside quotes",
            cmd(&["info", "-p", "test", "-t", "\"sch.ema\".\"up grades\""]),
            "upgrades table \"sch.ema\".\"up grades\" not found",
        ),
        flags(
            "-t: unicode names",
            cmd(&["info", "-p", "test", "-t", "ünï.cödé"]),
            "upgrades table \"ünï\".\"cödé\" not found",
        ),
        // flags
        flags(
            "unknown flag",
            upgrade_args(&["--frobnicate"]),
            "unexpected argument '--frobnicate'",
        ),
        flags(
            "-p without a value",
            cmd(&["info", "-t", TABLE, "-p"]),
            "--pg_service",
        ),
        flags(
            "-t without a value",
            cmd(&["info", "-p", "test", "-t"]),
            "--table",
        ),
        flags(
            "--lock-timeout: not a duration",
            upgrade_args(&["--lock-timeout", "soon"]),
            "--lock-timeout: invalid duration \"soon\"",
        ),
        flags(
            "--retries: negative",
            upgrade_args(&["--retries=-1"]),
            "invalid value '-1' for '--retries <N>'",
        ),
        flags(
            "-u given twice (conflicting)",
            upgrade_args(&["-u", "1.0.0", "-u", "2.0.0"]),
            "--max-version",
        ),
        flags(
            "--format: unknown value",
            cmd(&["--format", "xml", "info", "-p", "test", "-t", TABLE]),
            "'xml'",
        ),
        flags(
            "unknown subcommand",
            cmd(&["upgrayedd", "-p", "test"]),
            "unrecognized subcommand 'upgrayedd'",
        ),
        // pum new
        flags(
            "new: description without letters",
            cmd(&["new", "!!!", "-d", "deltas"]),
            "description \"!!!\" has no letters or digits",
        ),
        flags(
            "new: empty description",
            cmd(&["new", "", "-d", "deltas"]),
            "has no letters or digits",
        ),
        flags(
            "new: --version with two parts",
            cmd(&["new", "x", "-d", "deltas", "--version", "1.2"]),
            "--version: invalid version \"1.2\"",
        ),
        flags(
            "new: missing directory",
            cmd(&["new", "x", "-d", "no_such_dir"]),
            "no_such_dir",
        ),
        Case {
            input: "new: a delta with a padded version already in the directory",
            files: vec![file("deltas/delta_01.2.3.sql", "SELECT 1;")],
            code: 0,
            ..flags("", cmd(&["new", "x", "-d", "deltas"]), "deltas/delta_1.2.4_x.sql")
        },
        Case {
            input: "new: the file exists already (never overwritten)",
            files: vec![file("deltas/delta_1.0.0_x.sql", "CREATE TABLE keep ();")],
            ..flags(
                "",
                cmd(&["new", "x", "-d", "deltas", "--version", "1.0.0"]),
                "delta_1.0.0_x.sql: File exists",
            )
        },
        Case {
            code: 0,
            ..flags(
                "new: a path in the description stays in the directory",
                cmd(&["new", "../../escape", "-d", "deltas"]),
                "deltas/delta_1.0.0_escape.sql",
            )
        },
        Case {
            code: 0,
            ..flags(
                "new: a multi-line description",
                cmd(&["new", "x\nDROP TABLE x;", "-d", "deltas"]),
                "deltas/delta_1.0.0_x_drop_table_x.sql",
            )
        },
        // Nothing skipped without a word.
        delta(
            "python delta without a DeltaPy subclass",
            "deltas/delta_1.0.1_nothing.py",
            "import sys\nvalue = 1\n",
            "no DeltaPy subclass found in deltas/delta_1.0.1_nothing.py",
        ),
        Case {
            args: upgrade_args(&["-d", "./deltas/"]),
            ..delta(
                "the same delta directory twice, spelled differently",
                "deltas/delta_1.0.1_dup.sql",
                "CREATE TABLE dup ();",
                "delta directories deltas and ./deltas/ are the same directory",
            )
        },
        delta(
            "a directory named like a delta",
            "deltas/delta_1.0.1_dir.sql/inside.sql",
            "CREATE TABLE inside ();",
            "deltas/delta_1.0.1_dir.sql: named like a delta but not a file",
        ),
    ];
    // Rows built from `delta("", ...)` templates must have been named.
    for r in &mut rows {
        assert!(!r.input.is_empty(), "a row without a name");
        if r.files.iter().any(|f| f.path.is_empty()) {
            r.files.retain(|f| !f.path.is_empty());
        }
    }
    rows
}

/// User relations (name and kind), schemas and the upgrades table's rows.
fn snapshot(db: &TestDb) -> String {
    let mut s = db
        .query_one(
            "SELECT coalesce(string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text, ',' \
                 ORDER BY n.nspname, c.relname), '') \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'",
        )
        .unwrap_or_default();
    s.push('\n');
    s.push_str(
        &db.query_one("SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace")
            .unwrap_or_default(),
    );
    s.push('\n');
    s.push_str(
        &db.query_one(
            "SELECT string_agg(concat_ws(' ', id, version, description, type, checksum, success), ';' \
             ORDER BY id) FROM public.pum_upgrades",
        )
        .unwrap_or_default(),
    );
    s
}

#[test]
fn malformed_input_is_refused_clearly_and_changes_nothing() {
    let db = TestDb::new();
    db.pum()
        .args(["baseline", "-p", "test", "-t", TABLE, "-b", "1.0.0"])
        .run()
        .success();
    db.execute("CREATE TABLE x (id int); INSERT INTO x VALUES (42);");
    let before = snapshot(&db);
    let service = std::fs::read(db.home.path().join(".pg_service.conf")).unwrap();
    let rows = cases();
    assert!(rows.len() >= 40, "only {} rows", rows.len());
    eprintln!("bad input table: {} rows", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join("deltas")).unwrap();
        std::fs::write(home.path().join(".pg_service.conf"), &service).unwrap();
        for f in &row.files {
            let path = home.path().join(f.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &f.bytes).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(f.mode)).unwrap();
        }
        let mut pum = Pum::new(home.path()).args(&row.args);
        for (k, v) in &row.env {
            pum = pum.env(k, v);
        }
        let run = pum.run();
        let mut problems = Vec::new();
        if run.code != row.code {
            problems.push(format!("exit code {} (expected {})", run.code, row.code));
        }
        // Accepted input may answer on stdout (`pum new` prints the path).
        let answered =
            run.stderr.contains(&row.stderr) || (row.code == 0 && run.stdout.contains(&row.stderr));
        if !answered {
            problems.push(format!("output lacks {:?}", row.stderr));
        }
        // A file `pum new` created lies in the delta directory and holds
        // comments only, whatever the description was.
        if row.args[0] == "new" && run.code == 0 {
            let created = home.path().join(run.stdout.trim());
            let in_dir = created.parent() == Some(&home.path().join("deltas"));
            let text = std::fs::read_to_string(&created).unwrap_or_default();
            if !in_dir || !text.lines().all(|l| l.is_empty() || l.starts_with("--")) {
                problems.push(format!("pum new wrote {}:\n{text}", created.display()));
            }
        }
        if run.stderr.contains("panicked") || run.stderr.contains("RUST_BACKTRACE") {
            problems.push("panicked".into());
        }
        // Each cause is said once.
        let first = run.stderr.lines().find(|l| l.starts_with("pum: error:"));
        for cause in run
            .stderr
            .lines()
            .filter_map(|l| l.strip_prefix("  caused by: "))
        {
            if first.is_some_and(|f| f.contains(cause)) {
                problems.push(format!("cause repeated: {cause}"));
            }
        }
        if let Accepted::Applies(table) = row.accepted {
            if !db.exists_table(table) {
                problems.push(format!("{table} was not created"));
            } else if table.starts_with("public.inj_") {
                // Injected text ended up as a value, never as SQL.
                let v = db.query_one(&format!("SELECT v FROM {table}"));
                if v.as_deref() != Some(INJECTION) {
                    problems.push(format!("{table}.v is {v:?}, not the literal"));
                }
                if !db.exists_table("public.x") {
                    problems.push("the victim table x was dropped".into());
                }
            }
            if table != TABLE {
                db.execute(&format!("DROP TABLE {table}"));
            }
            db.execute("DELETE FROM public.pum_upgrades WHERE type <> 0");
        }
        let after = snapshot(&db);
        if after != before {
            problems.push(format!("database changed:\n{before}\n---\n{after}"));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n  args: {:?}\n  stderr: {}",
                row.input,
                problems.join("; "),
                row.args,
                run.stderr.chars().take(600).collect::<String>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n\n")
    );
    assert_eq!(db.query_one("SELECT id::text FROM x"), Some("42".into()));
}
