//! pum verify-backups against real databases: a database whose backup
//! restores and compares equal passes; one with orphaned foreign-key rows
//! fails naming the constraint; a skipped one is listed; copies go into a
//! sandbox cluster or, guarded, onto a named server, and are removed.

use crate::support::{cluster, TestDb};

const SHOP: &str = r#"
CREATE SCHEMA app;
CREATE TABLE public.customer (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE app.orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES public.customer (id), total numeric(10, 2));
CREATE INDEX orders_customer_idx ON app.orders (customer_id);
CREATE VIEW app.big_orders AS SELECT * FROM app.orders WHERE total > 100;
INSERT INTO public.customer SELECT g, 'c' || g FROM generate_series(1, 30) g;
INSERT INTO app.orders (customer_id, total) SELECT 1 + g % 30, g * 3.5 FROM generate_series(1, 500) g;
"#;

/// Rows whose parent is missing, written past the foreign key's trigger:
/// the dump holds them, and re-creating the constraint fails.
const ORPHANS: &str = r#"
CREATE TABLE public.parent (id int PRIMARY KEY);
CREATE TABLE public.child (id int PRIMARY KEY, parent_id int CONSTRAINT child_parent_fk REFERENCES public.parent (id));
INSERT INTO public.parent VALUES (1);
SET session_replication_role = replica;
INSERT INTO public.child VALUES (1, 1), (2, 99);
"#;

struct Fleet {
    shop: TestDb,
    broken: TestDb,
    reporting: TestDb,
}

fn fleet() -> Fleet {
    let shop = TestDb::new();
    shop.execute(SHOP);
    let broken = shop.sibling();
    broken.execute(ORPHANS);
    let reporting = shop.sibling();
    let c = cluster();
    let section = |name: &str, db: &str| {
        format!(
            "[{name}]\nhost={}\nport={}\ndbname={db}\nuser=postgres\n",
            c.socket_dir().display(),
            c.port()
        )
    };
    shop.write_service_file(&format!(
        "{}{}{}{}",
        section("shop", &shop.name),
        section("broken", &broken.name),
        section("reporting", &reporting.name),
        section("server", "postgres"),
    ));
    Fleet {
        shop,
        broken,
        reporting,
    }
}

impl Fleet {
    fn config(&self, yaml: &str) {
        std::fs::write(self.shop.home.path().join("pum.yaml"), yaml).unwrap();
    }

    fn pum(&self, args: &[&str]) -> crate::support::Pum {
        self.shop
            .pum()
            .args(["-c", "pum.yaml", "verify-backups"])
            .args(args)
    }
}

fn entry<'a>(doc: &'a serde_json::Value, service: &str) -> &'a serde_json::Value {
    doc["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["service"] == service)
        .unwrap_or_else(|| panic!("no {service} in {doc}"))
}

fn copies_left() -> Vec<String> {
    let mut admin = pum::db::connect(&cluster().params("postgres")).unwrap();
    admin
        .query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE 'pum\\_verify\\_%'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

const ALL: &str = "verify:\n  databases:\n    - service: shop\n    - service: broken\n    - service: reporting\n      skip: true\n";

#[test]
fn orphaned_foreign_key_rows_fail_naming_the_constraint_while_others_pass() {
    let f = fleet();
    f.config(ALL);
    let run = f.pum(&["-j", "2", "--format", "json"]).run().code(1);
    let doc = run.json();
    let shop = entry(&doc, "shop");
    assert_eq!(shop["result"], "PASSED", "{doc}");
    let steps: Vec<&str> = shop["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "dump",
            "restore",
            "schema",
            "rows",
            "foreign_keys",
            "cleanup"
        ]
    );
    let broken = entry(&doc, "broken");
    assert_eq!(broken["result"], "FAILED", "{doc}");
    assert_eq!(broken["failed_step"], "restore");
    let reason = broken["reason"].as_str().unwrap();
    assert!(reason.contains("child_parent_fk"), "{reason}");
    assert!(reason.contains("is not present in table"), "{reason}");
    assert_eq!(entry(&doc, "reporting")["result"], "SKIPPED");
    assert_eq!(doc["passed"], 1);
    assert_eq!(doc["failed"], 1);
    // The sources are untouched.
    assert_eq!(
        f.broken
            .query_one("SELECT count(*)::text FROM public.child")
            .as_deref(),
        Some("2")
    );
    assert!(f.reporting.query_strings("SELECT 1::text").len() == 1);
}

#[test]
fn passing_backups_exit_zero_with_a_table_and_copies_on_a_named_server_are_removed() {
    let f = fleet();
    f.config(
        "verify:\n  databases:\n    - service: shop\n    - service: broken\n      skip: true\n",
    );
    f.pum(&[])
        .run()
        .success()
        .stdout_has("PASSED")
        .stdout_has("SKIPPED")
        .stdout_has("1 passed, 0 failed, 1 skipped");
    let doc = f
        .pum(&["--into-service", "server", "--format", "json"])
        .run()
        .success()
        .json();
    assert_eq!(entry(&doc, "shop")["result"], "PASSED", "{doc}");
    assert!(copies_left().is_empty(), "{:?}", copies_left());
}

#[test]
fn a_copy_that_differs_fails_the_row_count() {
    let f = fleet();
    f.config("verify:\n  databases:\n    - service: shop\n");
    // A dump taken now, then the source changes: the newest dump no longer
    // holds what the source holds.
    let dumps = tempfile::tempdir().unwrap();
    let file = dumps.path().join("shop.dump");
    f.shop
        .pum()
        .args(["dump", "-p", "shop"])
        .arg(&file)
        .run()
        .success();
    f.shop
        .execute("INSERT INTO public.customer VALUES (31, 'late')");
    let doc = f
        .pum(&["--format", "json", "--latest"])
        .arg(dumps.path())
        .run()
        .code(1)
        .json();
    let shop = entry(&doc, "shop");
    assert_eq!(shop["failed_step"], "rows", "{doc}");
    assert!(
        shop["reason"]
            .as_str()
            .unwrap()
            .contains("public.customer: 31 row(s) in the source, 30 in the copy"),
        "{doc}"
    );
}

#[test]
fn a_database_without_a_dump_in_latest_is_an_error_not_a_failure() {
    let f = fleet();
    f.config("verify:\n  databases:\n    - service: shop\n");
    let empty = tempfile::tempdir().unwrap();
    let doc = f
        .pum(&["--format", "json", "--latest"])
        .arg(empty.path())
        .run()
        .code(2)
        .json();
    let shop = entry(&doc, "shop");
    assert_eq!(shop["result"], "ERROR", "{doc}");
    assert_eq!(shop["failed_step"], "dump");
    assert!(
        shop["reason"]
            .as_str()
            .unwrap()
            .contains("no dump of database"),
        "{doc}"
    );
}

#[test]
fn into_service_is_refused_for_protected_services_and_for_a_source() {
    let f = fleet();
    f.config(&format!(
        "{ALL}services:\n  server:\n    allow_restore: false\n"
    ));
    f.pum(&["--into-service", "server"])
        .run()
        .code(2)
        .stderr_has("allow_restore: false");
    f.config(ALL);
    f.pum(&["--into-service", "shop"])
        .run()
        .code(2)
        .stderr_has("the same database as");
    assert!(copies_left().is_empty());
    f.config("verify:\n  databases:\n    - service: nosuchservice\n");
    f.pum(&[]).run().code(2).stderr_has("nosuchservice");
    // Only listed: a skipped database's service need not resolve.
    f.config("verify:\n  databases:\n    - service: nosuchservice\n      skip: true\n");
    f.pum(&[]).run().success().stdout_has("SKIPPED");
}
