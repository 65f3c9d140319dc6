//! Python deltas and pre/post-all hooks through the shipped DeltaPy shim.

use crate::support::{delta_dir, TestDb};

const TABLE: &str = "public.pum_upgrades";

#[test]
fn python_delta_and_hooks_run_in_order_with_context() {
    let db = TestDb::new();
    db.pum()
        .args(["baseline", "-p", "test", "-t", TABLE, "-b", "1.0.0"])
        .run()
        .success();
    let log = db.home.path().join("hook.log");
    let hook = |tag: &str| {
        format!(
            "from pum.core.deltapy import DeltaPy\n\nclass Hook(DeltaPy):\n    def run(self):\n        \
             with open({log:?}, 'a') as f:\n            f.write('{tag} %s %s %s %s\\n' % (self.current_db_version, self.pg_service, self.upgrades_table, self.variables.get('N')))\n        \
             self.write_message('{tag} done')\n",
            log = log.display().to_string()
        )
    };
    let deltas = delta_dir(&[
        ("pre-all.py", &hook("pre-all")),
        ("pre-all.sql", "CREATE TABLE IF NOT EXISTS hooklog (tag text); INSERT INTO hooklog VALUES ('pre-sql');"),
        ("delta_1.0.1_a.sql", "CREATE TABLE a ();"),
        ("delta_1.0.2_b.py", &hook("delta")),
        ("post-all.sql", "INSERT INTO hooklog VALUES ('post-sql');"),
    ]);
    let run = db
        .pum()
        .args([
            "upgrade", "-p", "test", "-t", TABLE, "-v", "int", "N", "3", "-d",
        ])
        .arg(deltas.path())
        .run()
        .success();
    assert!(
        run.stderr.contains("Message from Hook: delta done"),
        "{}",
        run.stderr
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "pre-all 1.0.0 test public.pum_upgrades 3",
            "delta 1.0.1 test public.pum_upgrades 3"
        ]
    );
    assert_eq!(
        db.query_strings("SELECT tag FROM hooklog"),
        ["pre-sql", "post-sql"]
    );
    let rows =
        db.query_strings("SELECT version || ':' || type FROM public.pum_upgrades ORDER BY id");
    assert_eq!(rows, ["1.0.0:0", "1.0.1:8", "1.0.2:4"]);
}

#[test]
fn python_hook_connects_to_the_same_database_through_pg_service() {
    // The hook gets a service name that libpq tools resolve to our target.
    let db = TestDb::new();
    db.pum()
        .args(["baseline", "-p", "test", "-t", TABLE, "-b", "1.0.0"])
        .run()
        .success();
    let out = db.home.path().join("svc.txt");
    let hook = format!(
        "import os\nfrom pum.core.deltapy import DeltaPy\n\nclass H(DeltaPy):\n    def run(self):\n        \
         open({out:?}, 'w').write(open(os.environ['PGSERVICEFILE']).read())\n",
        out = out.display().to_string()
    );
    let deltas = delta_dir(&[("delta_1.0.1_h.py", &hook)]);
    db.upgrade(deltas.path()).run().success();
    let svc = std::fs::read_to_string(&out).unwrap();
    assert!(svc.starts_with("[test]\n"), "{svc}");
    assert!(svc.contains(&format!("dbname={}", db.name)), "{svc}");
}

#[test]
fn failing_python_hook_stops_the_run_and_records_nothing() {
    let db = TestDb::new();
    db.pum()
        .args(["baseline", "-p", "test", "-t", TABLE, "-b", "1.0.0"])
        .run()
        .success();
    let deltas = delta_dir(&[
        ("delta_1.0.1_a.sql", "CREATE TABLE a ();"),
        (
            "delta_1.0.2_boom.py",
            "from pum.core.deltapy import DeltaPy\n\nclass B(DeltaPy):\n    def run(self):\n        raise RuntimeError('hook exploded')\n",
        ),
        ("delta_1.0.3_c.sql", "CREATE TABLE c ();"),
        ("post-all.sql", "CREATE TABLE post ();"),
    ]);
    db.upgrade(deltas.path())
        .run()
        .code(2)
        .stderr_has("delta_1.0.2_boom.py")
        .stderr_has("RuntimeError: hook exploded");
    assert!(db.exists_table("public.a"));
    assert!(!db.exists_table("public.c"));
    assert!(
        !db.exists_table("public.post"),
        "post-all is skipped after a failure"
    );
    let rows = db.query_strings("SELECT version FROM public.pum_upgrades ORDER BY id");
    assert_eq!(rows, ["1.0.0", "1.0.1"]);
}

#[test]
fn delta_with_its_own_transaction_is_applied_and_marked_not_atomic() {
    let db = TestDb::new();
    db.pum()
        .args(["baseline", "-p", "test", "-t", TABLE, "-b", "1.0.0"])
        .run()
        .success();
    let deltas = delta_dir(&[(
        "delta_1.0.1_tx.sql",
        "BEGIN;\nCREATE TABLE tx ();\nCOMMIT;\n",
    )]);
    let info = db
        .pum()
        .args(["--format", "json", "info", "-p", "test", "-t", TABLE, "-d"])
        .arg(deltas.path())
        .run()
        .success()
        .json();
    assert_eq!(info["deltas"][0]["atomic"], false);
    db.upgrade(deltas.path())
        .run()
        .success()
        .stderr_has("not atomic");
    assert!(db.exists_table("public.tx"));
}

#[test]
fn pum_python_names_the_interpreter_of_python_deltas() {
    let db = TestDb::new();
    db.pum()
        .args(["baseline", "-p", "test", "-t", TABLE, "-b", "1.0.0"])
        .run()
        .success();
    let deltas = delta_dir(&[
        ("delta_1.0.1_a.sql", "CREATE TABLE a ();"),
        (
            "delta_1.0.2_b.py",
            "from pum.core.deltapy import DeltaPy\n\nclass B(DeltaPy):\n    def run(self):\n        self.write_message('ran')\n",
        ),
    ]);
    // An interpreter that cannot be started: refused before anything runs,
    // naming it.
    let missing = db.home.path().join("no-such-python");
    db.upgrade(deltas.path())
        .env("PUM_PYTHON", &missing)
        .run()
        .code(2)
        .stderr_has(&missing.display().to_string())
        .stderr_has("nothing was applied");
    assert!(!db.exists_table("public.a"));
    // The interpreter it names is the one that runs the delta.
    db.upgrade(deltas.path())
        .env("PUM_PYTHON", "python3")
        .run()
        .success()
        .stderr_has("ran");
    let rows = db.query_strings("SELECT version FROM public.pum_upgrades ORDER BY id");
    assert_eq!(rows, ["1.0.0", "1.0.1", "1.0.2"]);
}
