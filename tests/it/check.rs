//! `pum check` against real databases: for every kind, two databases that
//! differ in exactly one object of that kind.

use crate::support::{cluster, Run, TestDb};

/// A conninfo string for `db`, usable as -p1/-p2 without a service file.
fn conninfo(db: &TestDb) -> String {
    let c = cluster();
    format!(
        "host={} port={} dbname={} user=postgres",
        c.socket_dir().display(),
        c.port(),
        db.name
    )
}

/// Two fresh databases built from `common` followed by `left` / `right`.
fn pair(common: &str, left: &str, right: &str) -> (TestDb, TestDb) {
    let a = TestDb::new();
    let b = TestDb::new();
    for (db, extra) in [(&a, left), (&b, right)] {
        if !common.is_empty() {
            db.execute(common);
        }
        if !extra.is_empty() {
            db.execute(extra);
        }
    }
    (a, b)
}

fn check(a: &TestDb, b: &TestDb, extra: &[&str]) -> Run {
    a.pum()
        .args(["--format", "json", "check", "-p1"])
        .arg(conninfo(a))
        .arg("-p2")
        .arg(conninfo(b))
        .args(extra)
        .run()
}

/// A role shared by the whole cluster; created once, whoever comes first.
fn ensure_role(db: &TestDb, role: &str) {
    db.execute(&format!(
        "DO $$ BEGIN CREATE ROLE {role}; \
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    ));
}

struct Case {
    kind: &'static str,
    common: &'static str,
    left: &'static str,
    right: &'static str,
    object: &'static str,
    side: &'static str,
    field: Option<&'static str>,
}

const TABLE: &str = "CREATE TABLE t (a int, b int)";
const TRIGGER_FN: &str = "CREATE TABLE t (a int); \
    CREATE FUNCTION tf() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'; \
    CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION tf()";

const CASES: &[Case] = &[
    Case {
        kind: "schemas",
        common: "",
        left: "CREATE SCHEMA extra; CREATE TABLE extra.t (id int PRIMARY KEY, v text); \
               CREATE INDEX ON extra.t (v); CREATE VIEW extra.v AS SELECT id FROM extra.t; \
               CREATE FUNCTION extra.f() RETURNS int LANGUAGE sql AS 'SELECT 1'; \
               CREATE TYPE extra.e AS ENUM ('x'); COMMENT ON SCHEMA extra IS 'more'",
        right: "",
        object: "extra",
        side: "left",
        field: None,
    },
    Case {
        kind: "tables",
        common: "",
        left: "",
        right: "CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL CHECK (v <> ''), w serial); \
                CREATE INDEX ON t (v); COMMENT ON TABLE t IS 'x'; GRANT SELECT ON t TO PUBLIC",
        object: "public.t",
        side: "right",
        field: None,
    },
    Case {
        kind: "columns",
        common: TABLE,
        left: "",
        right: "ALTER TABLE t ALTER COLUMN b TYPE bigint",
        object: "public.t.b",
        side: "both",
        field: Some("type"),
    },
    Case {
        kind: "constraints",
        common: TABLE,
        left: "ALTER TABLE t ADD CONSTRAINT positive CHECK (a > 0)",
        right: "ALTER TABLE t ADD CONSTRAINT positive CHECK (a >= 0)",
        object: "public.t.positive",
        side: "both",
        field: Some("definition"),
    },
    Case {
        kind: "indexes",
        common: TABLE,
        left: "CREATE INDEX t_a ON t (a)",
        right: "",
        object: "public.t_a",
        side: "left",
        field: None,
    },
    Case {
        kind: "views",
        common: TABLE,
        left: "CREATE VIEW v AS SELECT a FROM t",
        right: "CREATE VIEW v AS SELECT a FROM t WHERE b > 0",
        object: "public.v",
        side: "both",
        field: Some("definition"),
    },
    Case {
        kind: "materialized_views",
        common: TABLE,
        left: "",
        right: "CREATE MATERIALIZED VIEW mv AS SELECT a FROM t",
        object: "public.mv",
        side: "right",
        field: None,
    },
    Case {
        kind: "sequences",
        common: "CREATE SEQUENCE s",
        left: "",
        right: "ALTER SEQUENCE s INCREMENT BY 5",
        object: "public.s",
        side: "both",
        field: Some("increment"),
    },
    Case {
        kind: "functions",
        common: "",
        left: "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql AS 'SELECT x + 1'",
        right: "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql AS 'SELECT x + 2'",
        object: "public.f(x integer)",
        side: "both",
        field: Some("definition"),
    },
    Case {
        kind: "triggers",
        common: TRIGGER_FN,
        left: "",
        right: "ALTER TABLE t DISABLE TRIGGER tr",
        object: "public.t.tr",
        side: "both",
        field: Some("enabled"),
    },
    Case {
        kind: "rules",
        common: TABLE,
        left: "CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING",
        right: "",
        object: "public.t.r",
        side: "left",
        field: None,
    },
    Case {
        kind: "types",
        common: "CREATE TYPE mood AS ENUM ('sad', 'happy')",
        left: "",
        right: "ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy'",
        object: "public.mood",
        side: "both",
        field: Some("labels"),
    },
    Case {
        kind: "types",
        common: "CREATE DOMAIN pos AS int",
        left: "ALTER DOMAIN pos ADD CONSTRAINT p CHECK (VALUE > 0)",
        right: "",
        object: "public.pos",
        side: "both",
        field: Some("constraints"),
    },
    Case {
        kind: "types",
        common: "CREATE TYPE pair AS (a int, b text)",
        left: "",
        right: "ALTER TYPE pair ALTER ATTRIBUTE b TYPE varchar(10)",
        object: "public.pair",
        side: "both",
        field: Some("attributes"),
    },
    Case {
        kind: "types",
        common: "",
        left: "CREATE TYPE span AS RANGE (subtype = float8)",
        right: "CREATE TYPE span AS RANGE (subtype = numeric)",
        object: "public.span",
        side: "both",
        field: Some("range"),
    },
    Case {
        kind: "columns",
        common: TABLE,
        left: "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1",
        right: "ALTER TABLE t ALTER COLUMN a SET DEFAULT 2",
        object: "public.t.a",
        side: "both",
        field: Some("default"),
    },
    Case {
        kind: "columns",
        common: "CREATE TABLE t (a int NOT NULL)",
        left: "ALTER TABLE t ALTER COLUMN a ADD GENERATED ALWAYS AS IDENTITY",
        right: "ALTER TABLE t ALTER COLUMN a ADD GENERATED BY DEFAULT AS IDENTITY",
        object: "public.t.a",
        side: "both",
        field: Some("identity"),
    },
    Case {
        kind: "columns",
        common: "",
        left: "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) STORED)",
        right: "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 3) STORED)",
        object: "public.t.b",
        side: "both",
        field: Some("generated"),
    },
    Case {
        kind: "columns",
        common: "",
        left: "CREATE TABLE t (a text)",
        right: "CREATE TABLE t (a text COLLATE \"C\")",
        object: "public.t.a",
        side: "both",
        field: Some("collation"),
    },
    Case {
        kind: "extensions",
        common: "",
        left: "CREATE EXTENSION hstore",
        right: "",
        object: "hstore",
        side: "left",
        field: None,
    },
    Case {
        kind: "policies",
        common: TABLE,
        left: "CREATE POLICY p ON t USING (a > 0)",
        right: "",
        object: "public.t.p",
        side: "left",
        field: None,
    },
    Case {
        kind: "policies",
        common: TABLE,
        left: "",
        right: "ALTER TABLE t ENABLE ROW LEVEL SECURITY",
        object: "public.t",
        side: "both",
        field: Some("row_security"),
    },
    Case {
        kind: "privileges",
        common: TABLE,
        left: "",
        right: "GRANT SELECT ON t TO PUBLIC",
        object: "table public.t to PUBLIC",
        side: "right",
        field: None,
    },
    Case {
        kind: "privileges",
        common: TABLE,
        left: "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC",
        right: "",
        object: "default privileges for role postgres on tables to PUBLIC",
        side: "left",
        field: None,
    },
    Case {
        kind: "owners",
        common: TABLE,
        left: "",
        right: "ALTER TABLE t OWNER TO pum_check_owner",
        object: "table public.t",
        side: "both",
        field: Some("owner"),
    },
    Case {
        kind: "comments",
        common: TABLE,
        left: "COMMENT ON COLUMN t.a IS 'the a'",
        right: "COMMENT ON COLUMN t.a IS 'the A'",
        object: "column public.t.a",
        side: "both",
        field: Some("comment"),
    },
    Case {
        kind: "partitions",
        common: "CREATE TABLE p (k int) PARTITION BY RANGE (k)",
        left: "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10)",
        right: "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (20)",
        object: "public.p1",
        side: "both",
        field: Some("bound"),
    },
    Case {
        kind: "event_triggers",
        common: "CREATE FUNCTION ef() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END'",
        left: "CREATE EVENT TRIGGER et ON ddl_command_start EXECUTE FUNCTION ef()",
        right: "",
        object: "et",
        side: "left",
        field: None,
    },
    Case {
        kind: "publications",
        common: TABLE,
        left: "CREATE PUBLICATION pub FOR TABLE t",
        right: "CREATE PUBLICATION pub",
        object: "pub",
        side: "both",
        field: Some("tables"),
    },
    Case {
        kind: "collations",
        common: "",
        left: "",
        right: "CREATE COLLATION c FROM \"C\"",
        object: "public.c",
        side: "right",
        field: None,
    },
];

#[test]
fn every_kind_reports_exactly_its_one_difference() {
    ensure_role(&TestDb::new(), "pum_check_owner");
    let mut failures = Vec::new();
    for case in CASES {
        let (a, b) = pair(case.common, case.left, case.right);
        let run = check(&a, &b, &[]);
        if run.code != 1 {
            failures.push(format!("{}: exit {} ({})", case.kind, run.code, run.stderr));
            continue;
        }
        let j = run.json();
        let diffs = j["differences"].as_array().unwrap();
        let expected = serde_json::json!({
            "kind": case.kind,
            "object": case.object,
            "side": case.side,
            "field": case.field,
        });
        let ok = diffs.len() == 1
            && ["kind", "object", "side", "field"]
                .iter()
                .all(|k| diffs[0][k] == expected[k]);
        if !ok {
            failures.push(format!(
                "{}: expected only {expected}, got {}",
                case.kind,
                serde_json::to_string_pretty(diffs).unwrap()
            ));
            continue;
        }
        assert_eq!(j["verdict"], "differences");
        assert_eq!(j["count"], 1);
        let ignored = check(&a, &b, &["-i", case.kind]);
        // Ignoring a container kind reports its parts under their own kinds
        // (a schema's tables, a table's columns); any other kind vanishes.
        let container = matches!(case.kind, "schemas" | "tables");
        let expected = if container { 1 } else { 0 };
        let leaked = ignored.code == 1
            && ignored.json()["differences"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["kind"] == case.kind || d["side"] != case.side);
        if ignored.code != expected || leaked {
            failures.push(format!(
                "{}: -i {} exits {}: {}{}",
                case.kind, case.kind, ignored.code, ignored.stdout, ignored.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn same_schema_built_in_another_order_is_ok() {
    let (a, b) = pair(
        "",
        "CREATE SCHEMA app; \
         CREATE TYPE app.status AS ENUM ('new', 'done'); \
         CREATE TABLE app.owner (id int PRIMARY KEY, name text); \
         CREATE TABLE app.item (id serial PRIMARY KEY, owner_id int REFERENCES app.owner, \
                                status app.status DEFAULT 'new', label text); \
         CREATE INDEX item_label ON app.item (label); \
         CREATE VIEW app.open AS SELECT id, label FROM app.item WHERE status = 'new'; \
         CREATE FUNCTION app.n() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM app.item'; \
         COMMENT ON TABLE app.item IS 'things'",
        "CREATE SCHEMA app; \
         CREATE FUNCTION app.n() RETURNS bigint LANGUAGE sql AS 'SELECT 1::bigint'; \
         CREATE TABLE app.owner (id int PRIMARY KEY); \
         ALTER TABLE app.owner ADD COLUMN name text; \
         CREATE TYPE app.status AS ENUM ('new', 'done'); \
         CREATE TABLE app.item (id serial PRIMARY KEY, label text, dropped int); \
         ALTER TABLE app.item DROP COLUMN dropped; \
         ALTER TABLE app.item ADD COLUMN owner_id int REFERENCES app.owner; \
         ALTER TABLE app.item ADD COLUMN status app.status DEFAULT 'new'; \
         CREATE INDEX item_label ON app.item (label); \
         CREATE VIEW app.open AS SELECT id, label FROM app.item WHERE status = 'new'; \
         CREATE OR REPLACE FUNCTION app.n() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM app.item'; \
         COMMENT ON TABLE app.item IS 'things'",
    );
    let run = check(&a, &b, &[]).code(0);
    assert_eq!(run.json()["verdict"], "ok");
    // The column order does differ, and counts when asked for.
    let run = check(&a, &b, &["--column-order"]).code(1);
    let diffs = run.json()["differences"].as_array().unwrap().clone();
    assert!(!diffs.is_empty());
    assert!(diffs.iter().all(|d| d["field"] == "position"), "{diffs:?}");
}

#[test]
fn contrib_extensions_on_both_sides_are_not_differences() {
    let ext = "CREATE EXTENSION hstore; CREATE EXTENSION pgcrypto; \
               CREATE TABLE kv (id int, attrs hstore, secret bytea DEFAULT gen_random_bytes(8))";
    let (a, b) = pair(ext, "", "");
    check(&a, &b, &[]).code(0);
}

#[test]
fn text_report_silent_and_output_file() {
    let (a, b) = pair(
        "CREATE TABLE t (a int)",
        "CREATE TABLE gone (x int)",
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND\n$$; \
         ALTER TABLE t ALTER COLUMN a SET NOT NULL",
    );
    let run = a
        .pum()
        .args(["check", "-p1"])
        .arg(conninfo(&a))
        .arg("-p2")
        .arg(conninfo(&b))
        .run()
        .code(1);
    let out = &run.stdout;
    assert!(out.starts_with("3 differences\n"), "{out}");
    assert!(out.contains("tables\n  - public.gone\n"), "{out}");
    assert!(
        out.contains("~ public.t.a: not_null: false → true"),
        "{out}"
    );
    assert!(out.contains("  + public.f()\n"), "{out}");
    assert!(out.contains("Only in second"), "{out}");

    let silent = a
        .pum()
        .args(["check", "-s", "-p1"])
        .arg(conninfo(&a))
        .arg("-p2")
        .arg(conninfo(&b))
        .run()
        .code(1);
    assert_eq!(silent.stdout, "3 differences\n");
    let quiet = a
        .pum()
        .args(["check", "-v", "0", "-p1"])
        .arg(conninfo(&a))
        .arg("-p2")
        .arg(conninfo(&b))
        .run()
        .code(1);
    assert_eq!(quiet.stdout, "3 differences\n");

    let file = a.home.path().join("report.txt");
    let run = a
        .pum()
        .args(["check", "-p1"])
        .arg(conninfo(&a))
        .arg("-p2")
        .arg(conninfo(&b))
        .arg("--output_file")
        .arg(&file)
        .run()
        .code(1);
    assert_eq!(run.stdout, "3 differences\n");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("- public.gone"), "{text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // JSON to a file that already exists with a looser mode.
    let json_file = a.home.path().join("report.json");
    std::fs::write(&json_file, "old").unwrap();
    std::fs::set_permissions(&json_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = check(&a, &b, &["-o", json_file.to_str().unwrap()]).code(1);
    assert_eq!(run.stdout, "");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap()).unwrap();
    assert_eq!(j["count"], 3);
    let mode = std::fs::metadata(&json_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn long_definitions_are_shown_as_unified_diffs() {
    let (a, b) = pair(
        "",
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND\n$$",
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 2;\nEND\n$$",
    );
    let run = a
        .pum()
        .args(["check", "-p1"])
        .arg(conninfo(&a))
        .arg("-p2")
        .arg(conninfo(&b))
        .run()
        .code(1);
    assert!(
        run.stdout.contains("~ public.f(): definition:\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("    -  RETURN 1;\n    +  RETURN 2;\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn schema_and_column_filters() {
    let (a, b) = pair(
        "CREATE SCHEMA audit_2024; CREATE SCHEMA app; CREATE TABLE app.t (a int)",
        "CREATE TABLE audit_2024.log (x int); ALTER TABLE app.t ADD COLUMN tmp_x int",
        "CREATE SCHEMA only_here",
    );
    let run = check(&a, &b, &[]).code(1);
    assert_eq!(run.json()["count"], 3);
    check(
        &a,
        &b,
        &["-N", "audit_*", "-N", "only_here", "-P", "tmp\\_%"],
    )
    .code(0);
    check(
        &a,
        &b,
        &[
            "--exclude_schema",
            "audit_????",
            "-n",
            "app",
            "--exclude_field_pattern",
            "tmp%",
        ],
    )
    .code(0);
    let run = check(&a, &b, &["-n", "app"]).code(1);
    assert_eq!(run.json()["differences"][0]["object"], "app.t.tmp_x");
}

#[test]
fn ignore_elements_from_config_and_bad_kinds() {
    let (a, b) = pair("", "CREATE TABLE t (a int)", "");
    std::fs::write(
        a.home.path().join("pum.yaml"),
        "ignore_elements:\n  - tables\n  - columns\n",
    )
    .unwrap();
    check(&a, &b, &[]).code(0);
    std::fs::remove_file(a.home.path().join("pum.yaml")).unwrap();
    check(&a, &b, &["-i", "views", "columns"]).code(1);
    // Without tables, the table's column is what differs.
    let run = check(&a, &b, &["-i", "views,tables"]).code(1);
    assert_eq!(run.json()["differences"][0]["object"], "public.t.a");
    check(&a, &b, &["-i", "views,tables", "columns"]).code(0);
    let run = check(&a, &b, &["-i", "tabels"]).code(2);
    assert!(run.stderr.contains("\"tabels\""), "{}", run.stderr);
    assert!(run.stderr.contains("materialized_views"), "{}", run.stderr);
}

#[test]
fn services_from_the_service_file_and_connection_errors() {
    let a = TestDb::new();
    let b = TestDb::new();
    let c = cluster();
    a.write_service_file(&format!(
        "[other]\nhost={}\nport={}\ndbname={}\nuser=postgres\n",
        c.socket_dir().display(),
        c.port(),
        b.name
    ));
    a.pum()
        .args(["check", "-p1", "test", "-p2", "other"])
        .run()
        .code(0)
        .stdout_has("OK");
    a.pum()
        .args(["check", "-p1", "test", "-p2"])
        .arg(format!(
            "host={} port={} dbname=no_such_db user=postgres",
            c.socket_dir().display(),
            c.port()
        ))
        .run()
        .code(2)
        .stderr_has("no_such_db");
}
