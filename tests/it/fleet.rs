//! `pum fleet`: many databases, each an ordinary run; halting, keep-going,
//! canaries, info, shards and the JSON report.

use std::path::Path;

use crate::support::{cluster, delta_dir, Pum, UPGRADES_TABLE};

/// Databases named `f<pid>_<tag>_NN`, each reachable as service
/// `<tag>_NN` through a private service file; dropped at the end.
struct Fleet {
    tag: String,
    dbs: Vec<String>,
    home: tempfile::TempDir,
}

impl Fleet {
    fn new(tag: &str, n: usize) -> Fleet {
        let c = cluster();
        let home = tempfile::tempdir().unwrap();
        let mut services = String::new();
        let mut dbs = Vec::new();
        for i in 0..n {
            let db = format!("f{}_{tag}_{i:02}", std::process::id());
            c.create_database(&db).expect("create fleet database");
            services.push_str(&format!(
                "[{tag}_{i:02}]\nhost={}\nport={}\ndbname={db}\nuser=postgres\n",
                c.socket_dir().display(),
                c.port()
            ));
            dbs.push(db);
        }
        std::fs::write(home.path().join(".pg_service.conf"), services).unwrap();
        let fleet = Fleet {
            tag: tag.into(),
            dbs,
            home,
        };
        for i in 0..n {
            fleet
                .pum()
                .args(["baseline", "-p", &fleet.service(i), "-t", UPGRADES_TABLE])
                .args(["-b", "1.0.0"])
                .run()
                .success();
        }
        fleet
    }

    fn service(&self, i: usize) -> String {
        format!("{}_{i:02}", self.tag)
    }

    fn pum(&self) -> Pum {
        Pum::new(self.home.path())
    }

    fn fleet(&self, command: &str, dir: &Path) -> Pum {
        self.pum()
            .args(["--format", "json", "fleet", command, "--services"])
            .arg(format!("{}_*", self.tag))
            .args(["-t", UPGRADES_TABLE, "-d"])
            .arg(dir)
    }

    fn client(&self, i: usize) -> postgres::Client {
        pum::db::connect(&cluster().params(&self.dbs[i])).unwrap()
    }

    /// The versions recorded, in order, e.g. `1.0.0 1.0.1`.
    fn history(&self, i: usize) -> String {
        let rows = self
            .client(i)
            .query("SELECT version FROM public.pum_upgrades ORDER BY id", &[])
            .unwrap();
        rows.iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn has_table(&self, i: usize, name: &str) -> bool {
        let row = self
            .client(i)
            .query_one("SELECT to_regclass($1)::text", &[&name])
            .unwrap();
        row.get::<_, Option<String>>(0).is_some()
    }

    /// Makes delta 1.0.2 fail on database `i`: its table `b` already exists.
    fn sabotage(&self, i: usize) {
        self.client(i).batch_execute("CREATE TABLE b ()").unwrap();
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        if let Ok(mut admin) = pum::db::connect(&cluster().params("postgres")) {
            for db in &self.dbs {
                let _ = admin.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    pum::db::quote_ident(db)
                ));
            }
        }
    }
}

/// 1.0.1 always works; 1.0.2 creates `c`, then `b` (failing where `b` exists).
fn deltas() -> tempfile::TempDir {
    delta_dir(&[
        ("delta_1.0.1_a.sql", "CREATE TABLE a (id int);\n"),
        (
            "delta_1.0.2_bc.sql",
            "CREATE TABLE c ();\nCREATE TABLE b ();\n",
        ),
    ])
}

fn statuses(report: &serde_json::Value) -> Vec<String> {
    report["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn fleet_halts_at_the_first_failure_and_keep_going_runs_the_rest() {
    let fleet = Fleet::new("halt", 20);
    let dir = deltas();
    fleet.sabotage(7);
    let run = fleet
        .fleet("upgrade", dir.path())
        .args(["-j", "1"])
        .run()
        .code(2);
    let report = run.json();
    let st = statuses(&report);
    assert_eq!(st[..7], ["ok"; 7]);
    assert_eq!(st[7], "failed");
    assert!(st[8..].iter().all(|s| s == "skipped"), "{st:?}");
    let failed = &report["services"][7];
    assert_eq!(failed["service"], "halt_07");
    assert_eq!(failed["version_before"], "1.0.0");
    assert_eq!(failed["version_after"], "1.0.1");
    assert_eq!(failed["applied"], serde_json::json!(["delta_1.0.1_a.sql"]));
    let error = failed["error"].as_str().unwrap();
    assert!(error.contains("already exists"), "{error}");
    for i in 0..7 {
        assert_eq!(fleet.history(i), "1.0.0 1.0.1 1.0.2", "database {i}");
    }
    // The failed delta rolled back whole: its first table is not there.
    assert_eq!(fleet.history(7), "1.0.0 1.0.1");
    assert!(!fleet.has_table(7, "public.c"));
    for i in 8..20 {
        assert_eq!(
            fleet.history(i),
            "1.0.0",
            "database {i} was not to be touched"
        );
    }

    let run = fleet
        .fleet("upgrade", dir.path())
        .args(["-j", "4", "--keep-going"])
        .run()
        .code(2);
    let report = run.json();
    assert_eq!(report["summary"]["failed"], 1);
    assert_eq!(report["summary"]["ok"], 19);
    assert_eq!(report["ok"], false);
    for i in (0..20).filter(|&i| i != 7) {
        assert_eq!(fleet.history(i), "1.0.0 1.0.1 1.0.2", "database {i}");
        assert!(fleet.has_table(i, "public.c"));
    }
    assert_eq!(fleet.history(7), "1.0.0 1.0.1");
    assert!(!fleet.has_table(7, "public.c"));
    assert_eq!(report["services"][0]["applied"], serde_json::json!([]));
    let done = &report["services"][10];
    assert_eq!(
        done["applied"],
        serde_json::json!(["delta_1.0.1_a.sql", "delta_1.0.2_bc.sql"])
    );
    assert_eq!(done["version_before"], "1.0.0");
    assert_eq!(done["version_after"], "1.0.2");
    assert!(done["error"].is_null());
    assert!(done["duration_ms"].is_u64());

    // Once the one database is repaired, everything is done and exit 0.
    fleet.client(7).batch_execute("DROP TABLE b").unwrap();
    let run = fleet
        .fleet("upgrade", dir.path())
        .args(["-j", "8"])
        .run()
        .success();
    assert_eq!(run.json()["summary"]["ok"], 20);
    assert_eq!(fleet.history(7), "1.0.0 1.0.1 1.0.2");
}

#[test]
fn a_failing_canary_touches_nothing_else() {
    let fleet = Fleet::new("canary", 5);
    let dir = deltas();
    fleet.sabotage(1);
    let report = fleet
        .fleet("upgrade", dir.path())
        .args(["--canary", "2", "--keep-going", "-j", "4"])
        .run()
        .code(2)
        .json();
    assert_eq!(
        statuses(&report),
        ["ok", "failed", "skipped", "skipped", "skipped"]
    );
    assert_eq!(fleet.history(0), "1.0.0 1.0.1 1.0.2");
    assert_eq!(fleet.history(1), "1.0.0 1.0.1");
    for i in 2..5 {
        assert_eq!(fleet.history(i), "1.0.0", "database {i}");
    }
    // The same again as JUnit: a test case per database.
    let run = fleet
        .pum()
        .args([
            "--format",
            "junit",
            "fleet",
            "upgrade",
            "--services",
            "canary_*",
        ])
        .args(["--canary", "2", "-t", UPGRADES_TABLE, "-d"])
        .arg(dir.path())
        .run()
        .code(2);
    assert!(run.stdout.starts_with("<?xml"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("tests=\"5\" failures=\"1\" errors=\"0\" skipped=\"3\""),
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout.matches("<testcase ").count(), 5);
    assert!(run.stdout.contains("name=\"canary_01\""));
    assert_eq!(fleet.history(2), "1.0.0");
}

#[test]
fn fleet_info_databases_of_a_server_and_shards() {
    let fleet = Fleet::new("info", 6);
    let dir = deltas();
    fleet
        .pum()
        .args([
            "upgrade",
            "-p",
            &fleet.service(2),
            "-t",
            UPGRADES_TABLE,
            "-d",
        ])
        .arg(dir.path())
        .run()
        .success();
    // A table on a terminal-less stdout: one row per database.
    let run = fleet
        .pum()
        .args([
            "fleet",
            "info",
            "--services",
            "info_*",
            "-t",
            UPGRADES_TABLE,
            "-d",
        ])
        .arg(dir.path())
        .run()
        .success();
    assert!(
        run.stdout.contains("6 of 6 databases read"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("info_05"), "{}", run.stdout);

    // --databases GLOB -p SERVER lists the server's databases by name.
    let server = format!(
        "host={} port={} dbname=postgres user=postgres",
        cluster().socket_dir().display(),
        cluster().port()
    );
    let report = fleet
        .pum()
        .args([
            "--format",
            "json",
            "fleet",
            "info",
            "-p",
            &server,
            "--databases",
        ])
        .arg(format!("f{}_info_*", std::process::id()))
        .args(["-t", UPGRADES_TABLE, "-d"])
        .arg(dir.path())
        .run()
        .success()
        .json();
    let services = report["services"].as_array().unwrap();
    let names: Vec<&str> = services
        .iter()
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        fleet.dbs.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(services[2]["version_after"], "1.0.2");
    assert_eq!(services[2]["pending"], 0);
    assert_eq!(services[3]["version_after"], "1.0.0");
    assert_eq!(services[3]["pending"], 2);

    // Three shards cover the six databases once each, two apiece.
    let mut seen: Vec<String> = Vec::new();
    for shard in ["1/3", "2/3", "3/3"] {
        let report = fleet
            .fleet("info", dir.path())
            .args(["--shard", shard])
            .run()
            .success()
            .json();
        let part: Vec<String> = report["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["service"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(part.len(), 2, "{shard}: {part:?}");
        seen.extend(part);
    }
    seen.sort();
    assert_eq!(seen, (0..6).map(|i| fleet.service(i)).collect::<Vec<_>>());
    assert_eq!(
        fleet
            .fleet("info", dir.path())
            .args(["--shard", "1/3"])
            .run()
            .json()["services"][1]["service"],
        "info_03"
    );
}

#[test]
fn a_fleet_file_with_overrides() {
    let fleet = Fleet::new("file", 3);
    let dir = deltas();
    let other = delta_dir(&[("delta_1.0.1_x.sql", "CREATE TABLE x ();\n")]);
    let c = cluster();
    let conninfo = format!(
        "host={} port={} dbname={} user=postgres",
        c.socket_dir().display(),
        c.port(),
        fleet.dbs[2]
    );
    let file = fleet.home.path().join("fleet.yaml");
    std::fs::write(
        &file,
        format!(
            "- file_00\n- service: file_01\n  dir: {}\n- conninfo: \"{conninfo}\"\n  name: third\n",
            other.path().display()
        ),
    )
    .unwrap();
    let report = fleet
        .pum()
        .args(["--format", "json", "fleet", "upgrade", "--fleet"])
        .arg(&file)
        .args(["-t", UPGRADES_TABLE, "-d"])
        .arg(dir.path())
        .run()
        .success()
        .json();
    let names: Vec<&str> = report["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["file_00", "file_01", "third"]);
    assert_eq!(fleet.history(0), "1.0.0 1.0.1 1.0.2");
    assert_eq!(fleet.history(1), "1.0.0 1.0.1");
    assert!(fleet.has_table(1, "public.x"));
    assert_eq!(fleet.history(2), "1.0.0 1.0.1 1.0.2");
    // A mistyped key is refused before any database is touched.
    std::fs::write(&file, "- service: file_00\n  tabel: s.t\n").unwrap();
    fleet
        .pum()
        .args(["fleet", "upgrade", "--fleet"])
        .arg(&file)
        .args(["-t", UPGRADES_TABLE, "-d"])
        .arg(dir.path())
        .run()
        .code(2)
        .stderr_has("fleet file");
}

#[test]
fn ctrl_c_stops_new_databases_and_rolls_the_running_one_back() {
    let fleet = Fleet::new("sigint", 4);
    let dir = delta_dir(&[(
        "delta_1.0.1_slow.sql",
        "CREATE TABLE slow ();\nSELECT pg_sleep(60);\n",
    )]);
    let mut child = fleet
        .pum()
        .args(["fleet", "upgrade", "--services", "sigint_*", "-j", "1"])
        .args(["-t", UPGRADES_TABLE, "-d"])
        .arg(dir.path())
        .spawn();
    let pattern = format!("f{}_sigint_%", std::process::id());
    crate::support::wait_up_to(
        std::time::Duration::from_secs(60),
        "a fleet database sleeping in its delta",
        || {
            assert!(child.try_wait().unwrap().is_none(), "pum exited early");
            let mut admin = pum::db::connect(&cluster().params("postgres")).unwrap();
            let n: i64 = admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE $1 \
                     AND wait_event = 'PgSleep'",
                    &[&pattern],
                )
                .unwrap()
                .get(0);
            n > 0
        },
    );
    crate::support::send_signal(&child, libc::SIGINT);
    let run = crate::support::finish(child);
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(run.stdout.contains("not started"), "{}", run.stdout);
    assert!(run.stderr.contains("3 not started"), "{}", run.stderr);
    for i in 0..4 {
        assert_eq!(fleet.history(i), "1.0.0", "database {i}");
        assert!(!fleet.has_table(i, "public.slow"), "database {i}");
    }
}

/// A conninfo string reaching database `i` of `fleet` (for -pc).
fn conninfo_of(fleet: &Fleet, i: usize) -> String {
    let c = cluster();
    format!(
        "host={} port={} dbname={} user=postgres",
        c.socket_dir().display(),
        c.port(),
        fleet.dbs[i]
    )
}

#[test]
fn fleet_check_compares_every_database_with_one_reference() {
    let fleet = Fleet::new("fc", 4);
    let reference = Fleet::new("fcref", 1);
    let dir = deltas();
    for (f, n) in [(&fleet, 4), (&reference, 1)] {
        for i in 0..n {
            f.pum()
                .args(["upgrade", "-p", &f.service(i), "-t", UPGRADES_TABLE, "-d"])
                .arg(dir.path())
                .run()
                .success();
        }
    }
    fleet
        .client(2)
        .batch_execute("CREATE TABLE drift (id int); ALTER TABLE a ADD COLUMN extra text")
        .unwrap();
    let check = |format: &str| {
        fleet
            .pum()
            .args([
                "--format",
                format,
                "fleet",
                "check",
                "--services",
                "fc_*",
                "-pc",
            ])
            .arg(conninfo_of(&reference, 0))
            .run()
    };
    let run = check("json").code(1);
    let report = run.json();
    assert_eq!(statuses(&report), ["ok", "ok", "differs", "ok"], "{report}");
    let drifted = &report["services"][2];
    assert_eq!(drifted["differences"], 2, "{drifted}");
    assert_eq!(drifted["verdict"], "columns: 1, tables: 1", "{drifted}");
    assert_eq!(report["services"][0]["differences"], 0);
    assert_eq!(report["summary"]["differs"], 1);

    let text = check("text").code(1);
    assert!(
        text.stdout
            .contains("3 of 4 databases match the reference, 1 differ"),
        "{}",
        text.stdout
    );
    let junit = check("junit").code(1);
    assert!(junit.stdout.contains("failures=\"1\""), "{}", junit.stdout);
    assert!(
        junit.stdout.contains("columns: 1, tables: 1"),
        "{}",
        junit.stdout
    );
}

#[test]
fn fleet_test_and_upgrade_upgrades_only_what_passed_its_rehearsal() {
    let fleet = Fleet::new("fr", 3);
    let reference = Fleet::new("frref", 1);
    let dir = deltas();
    reference
        .pum()
        .args([
            "upgrade",
            "-p",
            &reference.service(0),
            "-t",
            UPGRADES_TABLE,
            "-d",
        ])
        .arg(dir.path())
        .run()
        .success();
    fleet.sabotage(1);
    let rehearse = |extra: &[&str]| {
        fleet
            .fleet("test-and-upgrade", dir.path())
            .args(["-j", "2", "-pc"])
            .arg(conninfo_of(&reference, 0))
            .args(extra)
            .run()
    };
    // Neither --yes nor --dry-run: refused before anything starts.
    rehearse(&[]).code(2);
    assert_eq!(fleet.history(0), "1.0.0");

    let dry = rehearse(&["--dry-run", "--keep-going"]).code(2);
    let report = dry.json();
    assert_eq!(statuses(&report), ["ok", "failed", "ok"], "{report}");
    for i in 0..3 {
        assert_eq!(fleet.history(i), "1.0.0", "a dry run upgraded database {i}");
    }

    let run = rehearse(&["--yes", "--keep-going"]).code(2);
    let report = run.json();
    assert_eq!(statuses(&report), ["ok", "failed", "ok"], "{report}");
    assert_eq!(fleet.history(0), "1.0.0 1.0.1 1.0.2");
    assert_eq!(fleet.history(2), "1.0.0 1.0.1 1.0.2");
    assert_eq!(
        fleet.history(1),
        "1.0.0",
        "the failed rehearsal's production was touched"
    );
    assert!(!fleet.has_table(1, "public.a"));
    let failed = &report["services"][1];
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("relation \"b\" already exists; production not touched"),
        "{failed}"
    );
    assert_eq!(
        report["services"][0]["applied"].as_array().unwrap().len(),
        2
    );
}
