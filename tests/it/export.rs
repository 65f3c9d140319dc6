//! pum export / pum import against real databases: globs and `{table}`,
//! CSV headers matched by name (reordered and missing columns), truncate,
//! failing queries with and without --strict, a run killed half-way and
//! resumed, and the location that is not supported yet.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::{finish, wait_up_to, TestDb};

const SOURCE: &str = r#"
CREATE TABLE public.product (id int PRIMARY KEY, store_id int NOT NULL, name text, price numeric(8, 2));
CREATE TABLE public.store (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.sale (id int PRIMARY KEY, product_id int, qty int);
CREATE TABLE public.other (v int);
INSERT INTO public.store VALUES (4, 'north'), (5, 'south');
INSERT INTO public.product
    SELECT g, 4 + g % 2, 'product, "' || g || E'"\nsecond line', g * 1.25 FROM generate_series(1, 40) g;
INSERT INTO public.sale SELECT g, g, g % 7 FROM generate_series(1, 25) g;
"#;

/// The target: product's columns in another order, one more column with a
/// default, and an old row that truncate must remove.
const TARGET: &str = r#"
CREATE TABLE public.product (price numeric(8, 2), extra text DEFAULT 'dflt', name text, id int PRIMARY KEY, store_id int);
CREATE TABLE public.store (name text, id int);
CREATE TABLE public.sale (qty int, id int, product_id int);
INSERT INTO public.product (id, name) VALUES (999, 'old');
"#;

/// A source and a target database, both reachable as services `src` and
/// `tgt` from the source's home, where pum.yaml is written.
struct Pair {
    src: TestDb,
    tgt: TestDb,
}

impl Pair {
    fn new() -> Pair {
        let src = TestDb::new();
        let tgt = src.sibling();
        src.execute(SOURCE);
        tgt.execute(TARGET);
        let c = crate::support::cluster();
        let section = |name: &str, db: &str| {
            format!(
                "[{name}]\nhost={}\nport={}\ndbname={db}\nuser=postgres\n",
                c.socket_dir().display(),
                c.port()
            )
        };
        src.write_service_file(&format!(
            "{}{}",
            section("src", &src.name),
            section("tgt", &tgt.name)
        ));
        Pair { src, tgt }
    }

    fn home(&self) -> &Path {
        self.src.home.path()
    }

    fn write_config(&self, yaml: &str) {
        std::fs::write(self.home().join("pum.yaml"), yaml).unwrap();
    }

    fn pum(&self, args: &[&str]) -> crate::support::Pum {
        self.src.pum().args(["-c", "pum.yaml"]).args(args)
    }

    fn files(&self, table: &str) -> Vec<PathBuf> {
        let dir = self.home().join("exports").join(table);
        let mut out: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        };
        out.sort();
        out
    }
}

const EXPORT: &str = r#"
export:
  service: src
  location: exports
  manifest: public.pum_transfers
  tables:
    public.product:
      query: "SELECT * FROM public.product WHERE store_id = 4"
    "public.s*":
      query: "SELECT * FROM {table}"
"#;

const IMPORT: &str = r#"
import:
  service: tgt
  location: exports
  manifest: public.pum_transfers
  tables:
    public.product:
      strategy: use_latest_filename
      truncate: true
    "public.s*": {}
"#;

fn table_json<'a>(doc: &'a serde_json::Value, table: &str) -> &'a serde_json::Value {
    doc["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == table)
        .unwrap_or_else(|| panic!("no {table} in {doc}"))
}

#[test]
fn export_globs_then_import_matches_headers_by_name_and_truncates() {
    let pair = Pair::new();
    pair.write_config(&format!("{EXPORT}{IMPORT}"));
    let run = pair.pum(&["export", "--format", "json"]).run().success();
    let doc = run.json();
    let names: Vec<&str> = doc["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    // The glob in name order after the named table; `other` is not matched.
    assert_eq!(names, ["public.product", "public.sale", "public.store"]);
    assert_eq!(table_json(&doc, "public.product")["rows"], 20);
    assert_eq!(table_json(&doc, "public.sale")["rows"], 25);
    assert_eq!(table_json(&doc, "public.store")["rows"], 2);
    assert!(
        table_json(&doc, "public.product")["bytes"]
            .as_u64()
            .unwrap()
            > 0
    );
    let files = pair.files("public.product");
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].extension().unwrap() == "csv");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.starts_with("id,store_id,name,price\n"), "{text}");
    let run_id = doc["run_id"].as_str().unwrap();
    assert!(run.stderr.contains(run_id), "{}", run.stderr);
    let manifest = pair.src.query_strings(&format!(
        "SELECT table_name || ' ' || rows || ' ' || ok || ' ' || (finished_at IS NOT NULL)
           FROM public.pum_transfers WHERE run_id = '{run_id}' ORDER BY table_name"
    ));
    assert_eq!(
        manifest,
        [
            "public.product 20 true true",
            "public.sale 25 true true",
            "public.store 2 true true"
        ]
    );

    pair.pum(&["import"]).run().success().stdout_has("0 failed");
    // Same rows, multi-line quoted values included; the old row truncated;
    // the column missing from the file got its default.
    let got = pair.tgt.query_one(
        "SELECT string_agg(id || '|' || store_id || '|' || name || '|' || price || '|' || extra, ';' ORDER BY id) FROM public.product",
    );
    let want = pair.src.query_one(
        "SELECT string_agg(id || '|' || store_id || '|' || name || '|' || price || '|dflt', ';' ORDER BY id) FROM public.product WHERE store_id = 4",
    );
    assert_eq!(got, want);
    assert_eq!(
        pair.tgt
            .query_one("SELECT count(*)::text FROM public.sale")
            .as_deref(),
        Some("25")
    );
    assert_eq!(
        pair.tgt
            .query_one("SELECT string_agg(id || name, ',' ORDER BY id) FROM public.store")
            .as_deref(),
        Some("4north,5south")
    );
    assert_eq!(
        pair.tgt
            .query_one("SELECT count(*)::text FROM public.pum_transfers WHERE ok")
            .as_deref(),
        Some("3")
    );
}

#[test]
fn import_without_truncate_appends_and_takes_the_newest_file() {
    let pair = Pair::new();
    pair.write_config(&format!(
        "{EXPORT}import:\n  service: tgt\n  location: exports\n  manifest: public.pum_transfers\n  tables:\n    public.store: {{}}\n"
    ));
    pair.pum(&["export"]).run().success();
    pair.src
        .execute("INSERT INTO public.store VALUES (6, 'east')");
    pair.pum(&["export"]).run().success();
    assert_eq!(pair.files("public.store").len(), 2);
    pair.tgt
        .execute("INSERT INTO public.store VALUES ('kept', 1)");
    pair.pum(&["import"]).run().success();
    assert_eq!(
        pair.tgt
            .query_one("SELECT string_agg(id || name, ',' ORDER BY id) FROM public.store")
            .as_deref(),
        Some("1kept,4north,5south,6east")
    );
}

#[test]
fn a_header_column_the_table_lacks_fails_that_table_naming_both() {
    let pair = Pair::new();
    pair.write_config(&format!("{EXPORT}{IMPORT}"));
    pair.pum(&["export"]).run().success();
    pair.tgt
        .execute("ALTER TABLE public.product DROP COLUMN price");
    let run = pair.pum(&["import"]).run().code(2);
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(
        out.contains("\"price\"") && out.contains("public.product"),
        "{out}"
    );
    assert!(
        out.contains("public.product/") && out.contains(".csv"),
        "{out}"
    );
    // The table failed whole (its truncate rolled back), the others loaded.
    assert_eq!(
        pair.tgt
            .query_one("SELECT string_agg(name, ',') FROM public.product")
            .as_deref(),
        Some("old")
    );
    assert_eq!(
        pair.tgt
            .query_one("SELECT count(*)::text FROM public.sale")
            .as_deref(),
        Some("25")
    );
}

const FAILING: &str = r#"
export:
  service: src
  location: exports
  manifest: public.pum_transfers
  tables:
    public.broken:
      query: "SELECT 1 / (id - id) AS x FROM public.store"
    public.store:
      query: "SELECT * FROM public.store"
"#;

#[test]
fn a_failing_query_is_reported_and_the_others_go_on_unless_strict() {
    let pair = Pair::new();
    pair.write_config(FAILING);
    let run = pair.pum(&["export", "--strict"]).run().code(2);
    assert!(run.stdout.contains("public.broken"), "{}", run.stdout);
    assert!(run.stdout.contains("division by zero"), "{}", run.stdout);
    assert!(
        run.stdout.contains("SELECT 1 / (id - id)"),
        "{}",
        run.stdout
    );
    assert!(pair.files("public.store").is_empty());
    assert!(pair.files("public.broken").is_empty());

    let run = pair.pum(&["export", "--format", "json"]).run().code(2);
    let doc = run.json();
    let broken = table_json(&doc, "public.broken");
    assert_eq!(broken["ok"], false);
    assert!(broken["error"]
        .as_str()
        .unwrap()
        .contains("[22012] division by zero"));
    assert_eq!(table_json(&doc, "public.store")["ok"], true);
    assert_eq!(pair.files("public.store").len(), 1);
    // No half-written file is left for the failed table.
    assert!(pair
        .files("public.broken")
        .iter()
        .all(|f| !f.to_string_lossy().ends_with(".csv")));
}

#[test]
fn a_run_killed_half_way_resumes_without_redoing_finished_tables() {
    let pair = Pair::new();
    let config = |slow: &str| {
        format!(
            "export:\n  service: src\n  location: exports\n  manifest: public.pum_transfers\n  tables:\n    public.store:\n      query: \"SELECT * FROM public.store\"\n    public.sale:\n      query: \"{slow}\"\n"
        )
    };
    pair.write_config(&config("SELECT s.*, pg_sleep(60) FROM public.sale s"));
    let child = pair.pum(&["export"]).spawn();
    wait_up_to(Duration::from_secs(60), "the first table to finish", || {
        pair.src.exists_table("public.pum_transfers")
            && pair
                .src
                .query_one("SELECT count(*)::text FROM public.pum_transfers WHERE table_name = 'public.sale'")
                .as_deref()
                == Some("1")
    });
    crate::support::send_signal(&child, libc::SIGKILL);
    let killed = finish(child);
    let run_id = killed
        .stderr
        .split_whitespace()
        .skip_while(|w| *w != "run")
        .nth(1)
        .unwrap_or_else(|| panic!("no run id in {}", killed.stderr))
        .to_string();
    assert_eq!(pair.files("public.store").len(), 1);
    assert!(pair
        .files("public.sale")
        .iter()
        .all(|f| !f.to_string_lossy().ends_with(".csv")));

    pair.write_config(&config("SELECT * FROM public.sale"));
    let doc = pair
        .pum(&["export", "--resume", &run_id, "--format", "json"])
        .run()
        .success()
        .json();
    assert_eq!(doc["run_id"], run_id.as_str());
    assert_eq!(table_json(&doc, "public.store")["skipped"], true);
    assert_eq!(table_json(&doc, "public.sale")["rows"], 25);
    assert_eq!(
        pair.files("public.store").len(),
        1,
        "finished table exported again"
    );
    assert_eq!(
        pair.src
            .query_one(&format!(
                "SELECT count(*)::text FROM public.pum_transfers WHERE run_id = '{run_id}' AND ok"
            ))
            .as_deref(),
        Some("2")
    );
    pair.pum(&["export", "--resume", "nosuchrun"])
        .run()
        .code(2)
        .stderr_has("no run nosuchrun");
}

#[test]
fn an_s3_location_is_refused_naming_the_key_and_the_file() {
    let pair = Pair::new();
    pair.write_config(&EXPORT.replace("location: exports", "location: s3://bucket/exports"));
    pair.pum(&["export"])
        .run()
        .code(2)
        .stderr_has("export.location")
        .stderr_has("s3:// export locations are not supported yet")
        .stderr_has("pum.yaml");
    pair.write_config("upgrades_table: public.x\n");
    pair.pum(&["import"])
        .run()
        .code(2)
        .stderr_has("has no import: section");
}
