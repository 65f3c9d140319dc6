//! Measured runs: the locks each delta held, the tables it rewrote, the
//! indexes it built, and the rehearsal's gate on them, on a table big
//! enough for a rewrite to take a while.

use crate::support::{conninfo, delta_dir, TestDb, UPGRADES_TABLE};

/// A table of 300k rows, created before the deltas run.
const BIG: &str = "CREATE TABLE public.big (id int PRIMARY KEY, val int NOT NULL);
     INSERT INTO public.big SELECT g, g % 1000 FROM generate_series(1, 1000000) g;";

const ALTER_TYPE: (&str, &str) = (
    "delta_1.0.1_widen.sql",
    "ALTER TABLE public.big ALTER COLUMN val TYPE bigint;",
);
const ADD_COLUMN: (&str, &str) = (
    "delta_1.0.2_note.sql",
    "ALTER TABLE public.big ADD COLUMN note text;",
);
const CREATE_INDEX: (&str, &str) = (
    "delta_1.0.3_index.sql",
    "CREATE INDEX big_val_idx ON public.big (val);",
);

fn locks(entry: &serde_json::Value) -> Vec<(String, String, u64)> {
    entry["locks"]
        .as_array()
        .unwrap_or_else(|| panic!("no locks in {entry}"))
        .iter()
        .map(|l| {
            (
                l["relation"].as_str().unwrap().to_string(),
                l["mode"].as_str().unwrap().to_string(),
                l["held_ms"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn measure_reports_locks_rewrites_and_indexes_per_delta() {
    let db = TestDb::baselined("1.0.0");
    db.execute(BIG);
    let deltas = delta_dir(&[ALTER_TYPE, ADD_COLUMN, CREATE_INDEX]);
    let json = db
        .upgrade(deltas.path())
        .args(["--measure", "--format", "json"])
        .run()
        .success()
        .json();
    let applied = json["applied"].as_array().unwrap();
    assert_eq!(applied.len(), 3, "{json}");

    let widen = &applied[0];
    assert!(
        locks(widen)
            .iter()
            .any(|(r, m, ms)| r == "public.big" && m == "AccessExclusiveLock" && *ms > 0),
        "{widen}"
    );
    assert_eq!(widen["rewrites"], serde_json::json!(["public.big"]));
    assert!(widen["wal_bytes"].as_i64().unwrap() > 0, "{widen}");

    // A nullable column is a catalog change only: its lock is too short
    // to be sure the sampler sees it, but nothing is rewritten.
    let note = &applied[1];
    assert_eq!(note["rewrites"], serde_json::json!([]), "{note}");
    assert!(note["locks"].is_array(), "{note}");

    let index = &applied[2];
    assert!(
        locks(index)
            .iter()
            .any(|(r, m, _)| r == "public.big" && m == "ShareLock"),
        "{index}"
    );
    assert_eq!(
        index["indexes_built"],
        serde_json::json!(["public.big_val_idx"])
    );
    assert_eq!(index["rewrites"], serde_json::json!([]));
}

#[test]
fn measure_is_absent_from_an_unmeasured_run_and_tabled_in_text() {
    let db = TestDb::baselined("1.0.0");
    db.execute("CREATE TABLE public.big (id int PRIMARY KEY, val int NOT NULL)");
    let deltas = delta_dir(&[ADD_COLUMN]);
    let json = db
        .upgrade(deltas.path())
        .args(["--format", "json"])
        .run()
        .success()
        .json();
    assert!(json["applied"][0].get("locks").is_none(), "{json}");
    // A rewrite lasts long enough to be sampled (shorter locks may not be).
    let other = TestDb::baselined("1.0.0");
    other.execute(BIG);
    let run = other
        .upgrade(delta_dir(&[ALTER_TYPE]).path())
        .arg("--measure")
        .run()
        .success()
        .stdout_has("AccessExclusiveLock on public.big");
    assert!(run.stdout.contains("Rewrite"), "{}", run.stdout);
    assert!(run.stdout.contains("yes: public.big"), "{}", run.stdout);
}

#[test]
fn measure_gate_fails_the_rehearsal_and_leaves_production_untouched() {
    let prod = TestDb::baselined("1.0.0");
    prod.execute(BIG);
    let reference = TestDb::baselined("1.0.0");
    reference.execute("CREATE TABLE public.big (id int PRIMARY KEY, val int NOT NULL)");
    let deltas = delta_dir(&[ALTER_TYPE]);
    reference.upgrade(deltas.path()).run().success();
    let run = prod
        .pum()
        .args(["test-and-upgrade", "-pp", "test", "-pc"])
        .arg(conninfo(&reference))
        .args(["-t", UPGRADES_TABLE, "-d"])
        .arg(deltas.path())
        .args(["--yes", "--max-lock", "1ms", "--format", "json"])
        .run()
        .code(1);
    let json = run.json();
    assert_eq!(json["verdict"], "gate_failed", "{json}");
    assert_eq!(json["production_touched"], false);
    assert_eq!(json["production_check"]["version_unchanged"], true);
    assert_eq!(json["production_check"]["storage_unchanged"], true);
    let failure = &json["gate_failures"][0];
    assert_eq!(failure["delta"], "delta_1.0.1_widen.sql");
    assert_eq!(failure["relation"], "public.big");
    assert_eq!(failure["mode"], "AccessExclusiveLock");
    assert!(
        run.stderr
            .contains("held AccessExclusiveLock on public.big"),
        "{}",
        run.stderr
    );
    let test = &json["test_upgrade"]["applied"][0];
    assert_eq!(test["rewrites"], serde_json::json!(["public.big"]));
    assert_eq!(prod.history(), ["1.0.0 baseline"]);
    assert_eq!(
        prod.query_one(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute \
             WHERE attrelid = 'public.big'::regclass AND attname = 'val'"
        )
        .as_deref(),
        Some("integer")
    );
}

#[test]
fn lock_limits_by_relation_override_the_default_and_name_their_rule() {
    let prod = TestDb::baselined("1.0.0");
    prod.execute(BIG);
    let reference = TestDb::baselined("1.0.0");
    reference.execute("CREATE TABLE public.big (id int PRIMARY KEY, val int NOT NULL)");
    let deltas = delta_dir(&[ALTER_TYPE]);
    reference.upgrade(deltas.path()).run().success();
    let config = tempfile::tempdir().unwrap();
    let rehearse = |yaml: &str, extra: &[&str]| {
        let file = config.path().join("pum.yaml");
        std::fs::write(&file, yaml).unwrap();
        prod.pum()
            .arg("-c")
            .arg(&file)
            .args(["test-and-upgrade", "-pp", "test", "-pc"])
            .arg(conninfo(&reference))
            .args(["-t", UPGRADES_TABLE, "-d"])
            .arg(deltas.path())
            .args(["--yes", "--format", "json"])
            .args(extra)
            .run()
    };
    // No default limit: only the pattern gates, and the failure names it.
    let failed = rehearse(
        "rehearsal:\n  max_lock_by_relation:\n    \"public.b*\": 1ms\n",
        &[],
    )
    .code(1);
    let json = failed.json();
    assert_eq!(json["verdict"], "gate_failed", "{json}");
    assert_eq!(
        json["gate_failures"][0]["rule"],
        "rehearsal.max_lock_by_relation \"public.b*\""
    );
    assert!(
        failed
            .stderr
            .contains("rehearsal.max_lock_by_relation \"public.b*\""),
        "{}",
        failed.stderr
    );
    assert_eq!(prod.history(), ["1.0.0 baseline"]);
    // A strict default, but this table (and its index, big_pkey) may be
    // locked for an hour: it passes and production is upgraded.
    let passed = rehearse(
        "rehearsal:\n  max_lock: 1ms\n  max_lock_by_relation:\n    \"big*\": 1h\n",
        &[],
    )
    .success()
    .json();
    assert_eq!(passed["production_touched"], true, "{passed}");
    assert_eq!(prod.history(), ["1.0.0 baseline", "1.0.1 widen"]);
}

#[test]
fn measure_reports_rows_changed_and_temporary_files() {
    let db = TestDb::baselined("1.0.0");
    db.execute(BIG);
    let deltas = delta_dir(&[
        (
            "delta_1.0.1_touch.sql",
            "UPDATE public.big SET val = val + 1 WHERE id <= 1000; \
             DELETE FROM public.big WHERE id > 999990;",
        ),
        (
            "delta_1.0.2_sorted.sql",
            "SET LOCAL work_mem = '64kB'; \
             CREATE TABLE public.sorted AS SELECT * FROM public.big ORDER BY val DESC, id;",
        ),
    ]);
    let json = db
        .upgrade(deltas.path())
        .args(["--measure", "--format", "json"])
        .run()
        .success()
        .json();
    let touch = &json["applied"][0];
    let big = touch["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows in {touch}"))
        .iter()
        .find(|r| r["relation"] == "public.big")
        .unwrap_or_else(|| panic!("public.big not in {touch}"))
        .clone();
    assert_eq!(
        (&big["updated"], &big["deleted"], &big["inserted"]),
        (&1000.into(), &10.into(), &0.into()),
        "{touch}"
    );
    assert_eq!(touch["temp_files"], 0, "{touch}");
    assert!(
        touch.get("statements").is_none(),
        "atomic: no statement list"
    );
    // A sort larger than work_mem spills to temporary files.
    let sorted = &json["applied"][1];
    assert!(sorted["temp_files"].as_i64().unwrap() > 0, "{sorted}");
    assert!(
        sorted["temp_bytes"].as_i64().unwrap() > 1_000_000,
        "{sorted}"
    );
    assert!(sorted["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["relation"] == "public.sorted" && r["inserted"] == 999_990));
}

#[test]
fn a_delta_without_transaction_is_measured_statement_by_statement() {
    let db = TestDb::baselined("1.0.0");
    db.execute(BIG);
    let deltas = delta_dir(&[(
        "delta_1.0.1_online.sql",
        "-- pum:no-transaction\nSET lock_timeout = '2s';\n\
         CREATE INDEX CONCURRENTLY big_val_idx\n    ON public.big (val);\n\
         UPDATE public.big SET val = 0 WHERE id = 1;\n",
    )]);
    let json = db
        .upgrade(deltas.path())
        .args(["--measure", "--format", "json"])
        .run()
        .success()
        .json();
    let statements = json["applied"][0]["statements"]
        .as_array()
        .unwrap_or_else(|| panic!("no statements in {json}"));
    let lines: Vec<_> = statements
        .iter()
        .map(|s| s["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 5], "{json}");
    assert_eq!(
        statements[1]["sql"],
        "CREATE INDEX CONCURRENTLY big_val_idx"
    );
    assert!(statements[1]["wal_bytes"].as_i64().unwrap() > 0, "{json}");
    assert!(statements[2]["wal_bytes"].as_i64().unwrap() > 0, "{json}");
    assert_eq!(statements[0]["sql"], "SET lock_timeout = '2s'");
    // In text, a table of its own after the deltas' table.
    let text_db = TestDb::baselined("1.0.0");
    text_db.execute(BIG);
    text_db
        .upgrade(deltas.path())
        .arg("--measure")
        .run()
        .success()
        .stdout_has("delta_1.0.1_online.sql, statement by statement:")
        .stdout_has("CREATE INDEX CONCURRENTLY big_val_idx");
}
