//! What pum 0.x and pum 1.x users rely on that is not about one subcommand:
//! answers piped to the confirmation, old flag spellings, `restore -x`, the
//! restricted checks, equal after dump and restore, check's report formats,
//! padded delta versions, shell completions and the manual page.

use crate::support::{conninfo, delta_dir, example_deltas, TestDb, UPGRADES_TABLE};

fn version(db: &TestDb) -> String {
    db.query_one("SELECT max(string_to_array(version, '.')::int[])::text FROM public.pum_upgrades")
        .unwrap()
}

/// `pum check -p1 A -p2 B` with `extra` flags (global ones first).
fn check(a: &TestDb, b: &TestDb, global: &[&str], extra: &[&str]) -> crate::support::Run {
    a.pum()
        .args(global)
        .args(["check", "-p1"])
        .arg(conninfo(a))
        .arg("-p2")
        .arg(conninfo(b))
        .args(extra)
        .run()
}

/// Two fresh databases built from `left` / `right`.
fn pair(left: &str, right: &str) -> (TestDb, TestDb) {
    let (a, b) = (TestDb::new(), TestDb::new());
    for (db, sql) in [(&a, left), (&b, right)] {
        if !sql.is_empty() {
            db.execute(sql);
        }
    }
    (a, b)
}

fn kinds_and_objects(run: &crate::support::Run) -> Vec<(String, String)> {
    run.json()["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_string(),
                d["object"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_piped_answer_confirms_or_declines_like_pum_0x_input() {
    // Production at 1.0.0 of the example, the reference at the newest.
    let prod = TestDb::baselined("1.0.0");
    prod.upgrade(&example_deltas())
        .args(["-u", "1.0.0"])
        .run()
        .success();
    let reference = TestDb::baselined("1.0.0");
    reference.upgrade(&example_deltas()).run().success();
    let test = TestDb::new();
    let tau = || {
        prod.pum()
            .args(["test-and-upgrade", "-pp", "test", "-pt"])
            .arg(conninfo(&test))
            .arg("-pc")
            .arg(conninfo(&reference))
            .args(["-t", UPGRADES_TABLE, "-d"])
            .arg(example_deltas())
    };
    // Anything but y/yes declines, as "no" at a terminal does.
    let run = tau().stdin("n\n").run().code(0);
    assert!(run.stdout.contains("declined"), "{}", run.stdout);
    assert!(run.stderr.contains("[y/N] n"), "{}", run.stderr);
    assert_eq!(version(&prod), "{1,0,0}");
    tau().stdin("yes please\n").run().code(0);
    assert_eq!(version(&prod), "{1,0,0}");
    // Nothing to read at all: refused, as before.
    tau().stdin("").run().code(2).stderr_has("pass --yes");
    assert_eq!(version(&prod), "{1,0,0}");
    // `yes | pum test-and-upgrade …`.
    tau().stdin("y\ny\ny\n").run().success();
    assert_eq!(version(&prod), "{1,2,0}");
    let prod2 = TestDb::baselined("1.0.0");
    prod2
        .upgrade(&example_deltas())
        .args(["-u", "1.0.0"])
        .run()
        .success();
    prod2
        .pum()
        .args(["test-and-upgrade", "-pp", "test", "-pt"])
        .arg(conninfo(&test))
        .arg("-pc")
        .arg(conninfo(&reference))
        .args(["-t", UPGRADES_TABLE, "-d"])
        .arg(example_deltas())
        .stdin("YES\n")
        .run()
        .success();
    assert_eq!(version(&prod2), "{1,2,0}");
}

#[test]
fn version_flag_and_pum_0x_spellings() {
    let db = TestDb::baselined("1.0.0");
    let expected = format!("pum {}\n", env!("CARGO_PKG_VERSION"));
    for flag in ["-v", "--version", "-V"] {
        let run = db.pum().arg(flag).run().success();
        assert_eq!(run.stdout, expected, "pum {flag}");
    }
    // A subcommand's -v is still its own: a variable for upgrade…
    let deltas = delta_dir(&[("delta_1.0.1_v.sql", "CREATE TABLE v_%(n)s ();")]);
    db.upgrade(deltas.path())
        .args(["-v", "int", "n", "7"])
        .run()
        .success();
    assert!(db.exists_table("public.v_7"));
    // …and the verbosity of check.
    let other = db.sibling();
    other.execute("CREATE TABLE extra ()");
    let silent = |flags: &[&str]| check(&db, &other, &[], flags).code(1).stdout;
    let verdict = silent(&["-v", "0"]);
    assert!(verdict.ends_with(" differences\n") && verdict.lines().count() == 1);
    // pum 0.x's `-s SILENT` took a value; the bare flag works too.
    for flags in [
        &["-s"][..],
        &["-s", "1"],
        &["--silent", "True"],
        &["--silent=yes"],
    ] {
        assert_eq!(silent(flags), verdict, "{flags:?}");
    }
    assert_ne!(silent(&[]), verdict);
}

#[test]
fn restore_x_goes_over_empty_schemas_but_never_over_tables() {
    let source = TestDb::new();
    source.execute(
        "CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY, v text); \
         INSERT INTO app.t VALUES (1, 'one'), (2, 'two')",
    );
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("src.dump");
    source
        .pum()
        .args(["dump", "-p", "test"])
        .arg(&file)
        .run()
        .success();
    let restore = |target: &TestDb, extra: &[&str]| {
        source
            .pum()
            .args(["restore", "-p", "test", "--into", &target.name])
            .args(extra)
            .arg(&file)
            .run()
    };
    // A database prepared with the schema only, as pum 0.x users do.
    let target = TestDb::new();
    target.execute("CREATE SCHEMA app");
    restore(&target, &[])
        .code(2)
        .stderr_has("not empty (schema app)")
        .stderr_has("-x/--ignore-errors");
    assert!(!target.exists_table("app.t"));
    restore(&target, &["-x"]).success();
    assert_eq!(
        target.query_strings("SELECT v FROM app.t ORDER BY id"),
        ["one", "two"]
    );
    // Tables (and their data) are never restored over, -x or not.
    let full = TestDb::new();
    full.execute(
        "CREATE SCHEMA app; CREATE TABLE app.keep (x int); INSERT INTO app.keep VALUES (7)",
    );
    restore(&full, &["-x"])
        .code(2)
        .stderr_has("relation app.keep");
    assert_eq!(full.query_strings("SELECT x::text FROM app.keep"), ["7"]);
    assert!(!full.exists_table("app.t"));
}

#[test]
fn a_check_restricted_to_one_kind_reports_the_parts_of_a_one_sided_table() {
    let (a, b) = pair(
        "CREATE TABLE t (id int PRIMARY KEY, v text CHECK (v <> ''), w int); \
         CREATE INDEX t_w ON t (w); \
         CREATE FUNCTION tf() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'; \
         CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION tf(); \
         CREATE RULE r AS ON DELETE TO t DO INSTEAD NOTHING; \
         CREATE FUNCTION tf2() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE FUNCTION tf() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'; \
         CREATE FUNCTION tf2() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    );
    // The full report: the table, once.
    let run = check(&a, &b, &["--format", "json"], &[]).code(1);
    assert_eq!(
        kinds_and_objects(&run),
        [("tables".to_string(), "public.t".to_string())]
    );
    // pum 0.x's check_columns() and friends: every other kind of pum 0.x ignored.
    let pum0 = [
        "tables",
        "columns",
        "constraints",
        "views",
        "sequences",
        "indexes",
        "triggers",
        "functions",
        "rules",
    ];
    let expected: &[(&str, &[&str])] = &[
        ("columns", &["public.t.id", "public.t.v", "public.t.w"]),
        ("constraints", &["public.t.t_pkey", "public.t.t_v_check"]),
        ("indexes", &["public.t_w"]),
        ("triggers", &["public.t.tr"]),
        ("rules", &["public.t.r"]),
    ];
    for (kind, objects) in expected {
        let ignored: Vec<&str> = pum0.iter().copied().filter(|k| k != kind).collect();
        let mut flags = vec!["-i"];
        flags.extend(&ignored);
        let run = check(&a, &b, &["--format", "json"], &flags).code(1);
        let got = kinds_and_objects(&run);
        let want: Vec<(String, String)> = objects
            .iter()
            .map(|o| (kind.to_string(), o.to_string()))
            .collect();
        assert_eq!(got, want, "check of {kind} only");
        assert!(run.json()["differences"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["side"] == "left"));
    }
    // A schema ignored: what it holds is reported.
    let (a, b) = pair(
        "CREATE SCHEMA extra; CREATE TABLE extra.u (x int); \
         CREATE VIEW extra.w AS SELECT x FROM extra.u",
        "",
    );
    let run = check(&a, &b, &["--format", "json"], &[]).code(1);
    assert_eq!(
        kinds_and_objects(&run),
        [("schemas".to_string(), "extra".to_string())]
    );
    let run = check(&a, &b, &["--format", "json"], &["-i", "schemas"]).code(1);
    assert_eq!(
        kinds_and_objects(&run),
        [
            ("tables".to_string(), "extra.u".to_string()),
            ("views".to_string(), "extra.w".to_string())
        ]
    );
}

#[test]
fn a_view_whose_columns_come_in_another_order_is_not_a_difference() {
    // One database got column b later, by ALTER TABLE … ADD COLUMN.
    let (a, b) = pair(
        "CREATE TABLE t (a int, b text, c date); CREATE VIEW v AS SELECT * FROM t; \
         CREATE MATERIALIZED VIEW mv AS SELECT * FROM t",
        "CREATE TABLE t (a int, c date); ALTER TABLE t ADD COLUMN b text; \
         CREATE VIEW v AS SELECT * FROM t; CREATE MATERIALIZED VIEW mv AS SELECT * FROM t",
    );
    check(&a, &b, &[], &[]).code(0).stdout_has("OK");
    // With --column-order both the table's and the views' order count.
    let run = check(&a, &b, &["--format", "json"], &["--column-order"]).code(1);
    let got = kinds_and_objects(&run);
    assert!(
        got.contains(&("views".into(), "public.v".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&("materialized_views".into(), "public.mv".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&("columns".into(), "public.t.b".into())),
        "{got:?}"
    );
    // A real change of the view is still one.
    b.execute("CREATE OR REPLACE VIEW v AS SELECT a, c, b FROM t WHERE a > 0");
    let run = check(&a, &b, &["--format", "json"], &[]).code(1);
    assert_eq!(
        kinds_and_objects(&run),
        [("views".to_string(), "public.v".to_string())]
    );
}

#[test]
fn dump_restore_then_check_is_equal() {
    let source = TestDb::new();
    source.execute(
        "CREATE TYPE mood AS ENUM ('sad', 'ok'); \
         CREATE TABLE t (x varchar(10) CHECK (x IN ('a', 'b')), y text CHECK (y IN ('a', 'b')), \
                         m mood CHECK (m IN ('sad', 'ok')), n numeric CHECK (n IN (1.5, 2)), \
                         z varchar CHECK (z NOT IN ('q', 'r')) DEFAULT 'a'); \
         CREATE INDEX t_x ON t (x) WHERE x IN ('a', 'b'); \
         CREATE VIEW v AS SELECT x, y FROM t WHERE x IN ('a', 'b'); \
         CREATE POLICY p ON t USING (x IN ('a', 'b'))",
    );
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("t.dump");
    source
        .pum()
        .args(["dump", "-p", "test"])
        .arg(&file)
        .run()
        .success();
    let target = TestDb::new();
    source
        .pum()
        .args(["restore", "-p", "test", "--into", &target.name])
        .arg(&file)
        .run()
        .success();
    // The server reads the restored IN lists back in another spelling…
    let def = |db: &TestDb| {
        db.query_one(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 't_x_check'",
        )
        .unwrap()
    };
    assert_ne!(def(&source), def(&target));
    // …which is the same constraint.
    check(&source, &target, &[], &[]).code(0).stdout_has("OK");
    // A real change of a constraint is still found.
    target.execute(
        "ALTER TABLE t DROP CONSTRAINT t_x_check; \
         ALTER TABLE t ADD CONSTRAINT t_x_check CHECK (x IN ('a', 'c'))",
    );
    let run = check(&source, &target, &["--format", "json"], &[]).code(1);
    assert_eq!(
        kinds_and_objects(&run),
        [("constraints".to_string(), "public.t.t_x_check".to_string())]
    );
}

#[test]
fn check_writes_html_and_pum_1x_json() {
    let (a, b) = pair(
        "CREATE TABLE \"<b>bold</b>\" (x int); COMMENT ON TABLE \"<b>bold</b>\" IS 'x'; \
         CREATE TABLE t (a int); COMMENT ON TABLE t IS 'plain'",
        "CREATE TABLE t (a int); COMMENT ON TABLE t IS '<script>alert(1)</script> & co'",
    );
    // A conninfo with a password never shows in a report.
    let secret_p1 = format!("{} password=hunter2", conninfo(&a));
    let run = a
        .pum()
        .args(["check", "-p1"])
        .arg(&secret_p1)
        .arg("-p2")
        .arg(conninfo(&b))
        .args(["-f", "html"])
        .run()
        .code(1);
    let html = &run.stdout;
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.trim_end().ends_with("</html>"), "{html}");
    assert!(html.contains("2 differences"), "{html}");
    assert!(
        html.contains("public.&quot;&lt;b&gt;bold&lt;/b&gt;&quot;"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"),
        "{html}"
    );
    assert!(
        !html.contains("<b>bold") && !html.contains("<script>"),
        "{html}"
    );
    assert!(!html.contains("hunter2"), "{html}");

    // pum 1.x's JSON, to a file.
    let file = a.home.path().join("report.json");
    let run = a
        .pum()
        .args(["check", "-p1"])
        .arg(&secret_p1)
        .arg("-p2")
        .arg(conninfo(&b))
        .args(["--output-format", "json", "-o"])
        .arg(&file)
        .run()
        .code(1);
    assert_eq!(run.stdout, "");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("hunter2"), "{text}");
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in [
        "pg_connection1",
        "pg_connection2",
        "timestamp",
        "passed",
        "total_checks",
        "passed_checks",
        "failed_checks",
        "total_differences",
        "check_results",
    ] {
        assert!(j.get(key).is_some(), "no {key} in {j}");
    }
    assert_eq!(j["passed"], false);
    // A conninfo is named by the server, database and user it reaches.
    assert!(
        j["pg_connection1"].as_str().unwrap().contains(&a.name),
        "{j}"
    );
    let results = j["check_results"].as_array().unwrap();
    let tables = results.iter().find(|r| r["key"] == "tables").unwrap();
    assert_eq!(tables["name"], "Tables");
    assert_eq!(tables["passed"], false);
    assert_eq!(tables["difference_count"], 1);
    assert_eq!(tables["differences"][0]["type"], "removed");
    assert_eq!(
        tables["differences"][0]["content"]["object"],
        "public.\"<b>bold</b>\""
    );
    // A changed comment is a row removed and a row added, as pum 1.x says it.
    let comments = results.iter().find(|r| r["key"] == "comments").unwrap();
    let types: Vec<&str> = comments["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["removed", "added"]);
    assert_eq!(
        comments["differences"][1]["content"]["value"],
        "<script>alert(1)</script> & co"
    );
    let columns = results.iter().find(|r| r["key"] == "columns").unwrap();
    assert_eq!(columns["passed"], true);
    assert_eq!(j["total_differences"], 3);
    // -i leaves a check out of the list.
    let run = check(&a, &b, &[], &["-f", "json", "-i", "comments"]).code(1);
    let j = run.json();
    assert!(j["check_results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["key"] != "comments"));
    // -f text is the text report; the global --format json stays pum's own.
    check(&a, &b, &[], &["-f", "text"])
        .code(1)
        .stdout_has("Only in first");
    let own = check(&a, &b, &["--format", "json"], &[]).code(1).json();
    assert_eq!(own["count"], 2);
}

#[test]
fn padded_delta_versions_are_read_as_pum_0x_reads_them() {
    let db = TestDb::baselined("1.0.0");
    let deltas = delta_dir(&[
        ("delta_100.002.9999_x.post.sql", "CREATE TABLE padded ();"),
        ("delta_1.0.1_a.sql", "CREATE TABLE plain ();"),
    ]);
    let run = db.upgrade(deltas.path()).run().success();
    assert!(
        run.stderr.contains(
            "delta_100.002.9999_x.post.sql: version written with leading zeros; it is version 100.2.9999"
        ),
        "{}",
        run.stderr
    );
    assert!(db.exists_table("public.padded"));
    assert_eq!(db.history(), ["1.0.0 baseline", "1.0.1 a", "100.2.9999 x"]);
    // Two spellings of one version, name and type: refused, both named.
    let twice = delta_dir(&[
        ("delta_1.0.02_y.sql", "CREATE TABLE never ();"),
        ("delta_1.0.2_y.sql", "CREATE TABLE never ();"),
    ]);
    db.upgrade(twice.path())
        .run()
        .code(2)
        .stderr_has("delta_1.0.02_y.sql and delta_1.0.2_y.sql are the same delta");
    assert!(!db.exists_table("public.never"));
}

#[test]
fn completions_for_every_shell_and_a_manual_page() {
    let db = TestDb::new();
    for (shell, marker) in [
        ("bash", "_pum()"),
        ("zsh", "#compdef pum"),
        ("fish", "complete -c pum"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let run = db.pum().args(["completions", shell]).run().success();
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        assert!(run.stdout.contains("test-and-upgrade"), "{shell}");
    }
    db.pum()
        .args(["completions", "tcsh"])
        .run()
        .code(2)
        .stderr_has("tcsh");
    let man = db.pum().arg("man").run().success().stdout;
    assert!(man.starts_with(".ie") || man.contains(".TH pum"), "{man}");
    assert!(man.contains("test\\-and\\-upgrade"), "{man}");
}
