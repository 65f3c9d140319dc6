//! Security: no shell is ever spawned, passwords never reach a child's
//! argument vector or any output, and hostile identifiers stay identifiers.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::{cluster, delta_dir, Pum, Run, TestDb};

const TABLE: &str = "public.pum_upgrades";

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_shell_is_ever_spawned() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 10, "src/ not found");
    let shells = [
        "\"sh\"",
        "\"bash\"",
        "\"/bin/sh\"",
        "\"/bin/bash\"",
        "\"zsh\"",
        "\"dash\"",
        "\"cmd\"",
    ];
    let mut spawns = 0;
    let mut offences = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (at, _) in text.match_indices("Command::new(") {
            spawns += 1;
            // The program and the builder calls chained onto it.
            let call: String = text[at..].chars().take(400).collect();
            let program = call.split(')').next().unwrap_or_default();
            let chained = call.split(';').next().unwrap_or_default();
            if shells.iter().any(|s| program.contains(s)) {
                offences.push(format!("{}: spawns a shell: {program})", file.display()));
            }
            if chained.contains("\"-c\"") {
                offences.push(format!("{}: passes -c: {chained}", file.display()));
            }
        }
        for line in text.lines() {
            if line.contains(".arg(\"-c\")") || line.contains("\"-c\", ") {
                offences.push(format!("{}: passes -c: {}", file.display(), line.trim()));
            }
        }
    }
    assert!(
        spawns >= 3,
        "found only {spawns} Command::new calls: is the scan broken?"
    );
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}

#[test]
fn python_hooks_get_an_argument_vector_from_pum_not_a_shell() {
    let db = TestDb::new();
    db.pum()
        .args(["baseline", "-p", "test", "-t", TABLE, "-b", "1.0.0"])
        .run()
        .success();
    let out = db.home.path().join("argv.json");
    let hook = format!(
        "import json, os, sys\nfrom pum.core.deltapy import DeltaPy\n\n\
         class Hook(DeltaPy):\n    def run(self):\n        \
         parent = open('/proc/%d/comm' % os.getppid()).read().strip()\n        \
         json.dump({{'argv': sys.argv, 'parent': parent}}, open({out:?}, 'w'))\n",
        out = out.display().to_string()
    );
    // A file name a shell would expand and split if one were involved.
    let deltas = delta_dir(&[("pre-all.py", &hook)]);
    let odd = deltas.path().join("odd $(touch pwned) dir; echo");
    std::fs::create_dir(&odd).unwrap();
    std::fs::rename(deltas.path().join("pre-all.py"), odd.join("pre-all.py")).unwrap();
    db.upgrade(&odd).run().success();
    let seen: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(seen["parent"], "pum", "{seen}");
    let argv = seen["argv"].as_array().unwrap();
    assert_eq!(argv.len(), 1, "{seen}");
    assert!(
        argv[0].as_str().unwrap().ends_with("run_delta.py"),
        "{seen}"
    );
    assert!(!db.home.path().join("pwned").exists());
    assert!(!deltas.path().join("pwned").exists());
}

/// A role with a distinctive password, owning its own database, reachable
/// over TCP with scram-sha-256.
struct Secret {
    db: TestDb,
    role: String,
    password: String,
}

impl Secret {
    fn new() -> Secret {
        let db = TestDb::new();
        let role = format!("{}_owner", db.name);
        let password = format!("Zebra-Quux-{}-s3cr3t", std::process::id());
        db.execute(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD '{password}'; ALTER DATABASE {} OWNER TO {role};",
            db.name
        ));
        Secret { db, role, password }
    }

    fn uri(&self, password: &str) -> String {
        format!(
            "postgresql://{}:{password}@127.0.0.1:{}/{}",
            self.role,
            cluster().port(),
            self.db.name
        )
    }

    /// A home with service `sec` (TCP, no password) and a 0600 `.pgpass`.
    fn home_with_pgpass(&self) -> tempfile::TempDir {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join(".pg_service.conf"),
            format!(
                "[sec]\nhost=127.0.0.1\nport={}\ndbname={}\nuser={}\n",
                cluster().port(),
                self.db.name,
                self.role
            ),
        )
        .unwrap();
        let pgpass = home.path().join(".pgpass");
        std::fs::write(
            &pgpass,
            format!(
                "127.0.0.1:{}:{}:{}:{}\n",
                cluster().port(),
                self.db.name,
                self.role,
                self.password
            ),
        )
        .unwrap();
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
        home
    }

    #[track_caller]
    fn assert_hidden(&self, run: &Run, what: &str) {
        for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            assert!(
                !text.contains(&self.password) && !text.contains("WRONG-pw-"),
                "{what}: password in {name}:\n{text}"
            );
        }
    }
}

/// A pre-all hook that records its own argument vector.
fn argv_hook(out: &Path) -> String {
    format!(
        "import json, sys\nfrom pum.core.deltapy import DeltaPy\n\n\
         class Hook(DeltaPy):\n    def run(self):\n        \
         with open({out:?}, 'a') as f:\n            f.write(json.dumps(sys.argv) + '\\n')\n",
        out = out.display().to_string()
    )
}

#[test]
fn passwords_never_appear_in_output_or_child_argv() {
    let s = Secret::new();
    let home = s.home_with_pgpass();
    std::fs::create_dir(home.path().join("deltas")).unwrap();
    let argv_log = home.path().join("argv.log");
    let deltas = delta_dir(&[
        ("pre-all.py", &argv_hook(&argv_log)),
        ("delta_1.0.1_a.sql", "CREATE TABLE a (id int);"),
    ]);
    let failing = delta_dir(&[
        ("delta_1.0.1_a.sql", "CREATE TABLE a (id int);"),
        ("delta_1.0.2_bad.sql", "SELECT * FROM no_such_table;"),
    ]);
    let pum = || Pum::new(home.path());
    let d = deltas.path().to_str().unwrap().to_string();
    let f = failing.path().to_str().unwrap().to_string();

    // Through the service file and .pgpass.
    let runs = [
        (
            "baseline (pgpass)",
            pum()
                .args(["baseline", "-p", "sec", "-t", TABLE, "-b", "1.0.0"])
                .run()
                .success(),
        ),
        (
            "upgrade (pgpass)",
            pum()
                .args(["upgrade", "-p", "sec", "-t", TABLE, "-d", &d])
                .run()
                .success(),
        ),
        (
            "info (pgpass)",
            pum()
                .args(["info", "-p", "sec", "-t", TABLE, "-d", &d])
                .run()
                .success(),
        ),
        (
            "json info (pgpass)",
            pum()
                .args([
                    "--format", "json", "info", "-p", "sec", "-t", TABLE, "-d", &d,
                ])
                .run()
                .success(),
        ),
        (
            "failing upgrade (pgpass)",
            pum()
                .args(["upgrade", "-p", "sec", "-t", TABLE, "-d", &f])
                .run()
                .code(2)
                .stderr_has("no_such_table"),
        ),
    ];
    for (what, run) in &runs {
        s.assert_hidden(run, what);
    }
    assert!(s.db.exists_table("public.a"));

    // Through a URI with the password in it.
    let uri = s.uri(&s.password);
    let wrong = s.uri(&format!("WRONG-pw-{}", std::process::id()));
    let missing_db = uri.replace(&format!("/{}", s.db.name), "/no_such_database");
    let runs = [
        (
            "baseline (uri)",
            pum()
                .args([
                    "baseline",
                    "-p",
                    &uri,
                    "-t",
                    "public.other_upgrades",
                    "-b",
                    "2.0.0",
                ])
                .run()
                .success(),
        ),
        (
            "upgrade (uri)",
            pum()
                .args(["upgrade", "-p", &uri, "-t", TABLE, "-d", &d])
                .run()
                .success(),
        ),
        (
            "info (uri)",
            pum()
                .args(["info", "-p", &uri, "-t", TABLE])
                .run()
                .success(),
        ),
        (
            "failing upgrade (uri)",
            pum()
                .args(["upgrade", "-p", &uri, "-t", TABLE, "-d", &f])
                .run()
                .code(2)
                .stderr_has("no_such_table"),
        ),
        (
            "wrong password (uri)",
            pum()
                .args(["info", "-p", &wrong, "-t", TABLE])
                .run()
                .code(2)
                .stderr_has("password authentication failed"),
        ),
        (
            "missing database (uri)",
            pum()
                .args(["info", "-p", &missing_db, "-t", TABLE])
                .run()
                .code(2)
                .stderr_has("no_such_database"),
        ),
        (
            "bad uri (uri)",
            pum()
                .args(["info", "-p", &format!("{uri}?nosuch=1"), "-t", TABLE])
                .run()
                .code(2)
                .stderr_has("nosuch"),
        ),
    ];
    for (what, run) in &runs {
        s.assert_hidden(run, what);
    }

    // The Python child got its connection from its environment, never argv.
    let argv = std::fs::read_to_string(&argv_log).unwrap();
    assert_eq!(argv.lines().count(), 2, "{argv}");
    assert!(
        !argv.contains(&s.password),
        "password in a child's argv: {argv}"
    );
}

#[test]
fn unicode_and_dotted_schema_names_stay_identifiers() {
    let db = TestDb::new();
    db.execute("CREATE TABLE x (id int)");
    let table = "\"sch.ema ü; DROP TABLE x; --\".\"ups.grädes \"\" ñ\"";
    let deltas = delta_dir(&[("delta_1.0.1_a.sql", "CREATE TABLE a (id int);")]);
    db.pum()
        .args(["baseline", "-p", "test", "-t", table, "-b", "1.0.0"])
        .run()
        .success();
    db.pum()
        .args(["upgrade", "-p", "test", "-t", table, "-d"])
        .arg(deltas.path())
        .run()
        .success();
    let info = db
        .pum()
        .args(["--format", "json", "info", "-p", "test", "-t", table, "-d"])
        .arg(deltas.path())
        .run()
        .success()
        .json();
    assert_eq!(info["current_version"], "1.0.1");
    assert_eq!(
        db.query_strings(
            "SELECT n.nspname || '|' || c.relname FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname LIKE 'sch.ema%' AND c.relkind = 'r'"
        ),
        ["sch.ema ü; DROP TABLE x; --|ups.grädes \" ñ"]
    );
    assert!(db.exists_table("public.x") && db.exists_table("public.a"));
    // An unquoted unicode name is kept as written, in its own schema.
    db.pum()
        .args(["baseline", "-p", "test", "-t", "ünï.cödé", "-b", "1.0.0"])
        .run()
        .success();
    assert!(db.exists_table("\"ünï\".\"cödé\""));
}

#[test]
fn substituted_text_reads_back_identically_from_the_server() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let db = TestDb::new();
    let client = std::cell::RefCell::new(db.client());
    // 256 generated strings, quotes, backslashes and semicolons over-represented.
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let text = prop::collection::vec(
        prop_oneof![
            any::<char>().prop_filter("no NUL in text", |c| *c != '\0'),
            prop::sample::select(vec!['\'', '\\', ';', '"', '$', '%', '-', '\n', 'E']),
        ],
        0..40,
    )
    .prop_map(|cs| cs.into_iter().collect::<String>());
    runner
        .run(&text, |s| {
            let mut vars = pum::deltas::vars::Variables::new();
            vars.insert("X".into(), pum::deltas::vars::Value::Text(s.clone()));
            let sql = pum::deltas::vars::substitute("SELECT %(X)s::text", &vars).unwrap();
            let rows = client.borrow_mut().simple_query(&sql);
            prop_assert!(rows.is_ok(), "{}: {:?}", sql, rows.err());
            let back = rows.unwrap().iter().find_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                _ => None,
            });
            prop_assert_eq!(back, Some(s));
            Ok(())
        })
        .unwrap();
}
