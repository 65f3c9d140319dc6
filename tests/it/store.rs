//! Dump stores against the real cluster and a real S3-compatible server
//! (moto_server): dump, list, restore the latest; a damaged object refused
//! before the target is touched; unreachable endpoints and missing buckets
//! named, nothing half-written left; the secret key never printed.

use crate::support::s3::{self, SECRET};
use crate::support::{
    conninfo, delta_dir, finish, send_signal, wait_up_to, Run, TestDb, UPGRADES_TABLE,
};

const MODEL: &str = "CREATE TABLE pipe (id int PRIMARY KEY, note text);
    INSERT INTO pipe SELECT g, 'pipe ' || g FROM generate_series(1, 500) g;";

fn rows(db: &TestDb) -> String {
    db.query_one("SELECT count(*)::text FROM pipe").unwrap()
}

/// No output of any run carries the secret key.
#[track_caller]
fn no_secret(runs: &[&Run]) {
    for run in runs {
        assert!(
            !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
            "the secret key was printed:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
}

#[test]
fn s3_dump_list_and_restore_the_latest() {
    let server = s3::server();
    let bucket = server.bucket();
    let store = format!("s3://{bucket}/nightly");
    let src = TestDb::new();
    src.execute(MODEL);
    let first = server
        .pum(src.pum())
        .args(["dump", "-p", "test", "--store", &store])
        .run()
        .success();
    src.execute("INSERT INTO pipe VALUES (501, 'late')");
    let second = server
        .pum(src.pum())
        .args(["--format", "json", "dump", "-p", "test", "--store", &store])
        .args(["--name", "after-late"])
        .run()
        .success();
    let keys = server.keys(&bucket);
    let dumps: Vec<_> = keys.iter().filter(|k| k.ends_with(".dump")).collect();
    assert_eq!(dumps.len(), 2, "{keys:?}");
    for k in &dumps {
        assert!(k.starts_with(&format!("nightly/{}/", src.name)), "{k}");
        assert!(keys.contains(&format!("{k}.manifest.json")), "{keys:?}");
    }
    assert!(second.json()["path"]
        .as_str()
        .unwrap()
        .ends_with(".after-late.dump"));
    assert!(server.open_uploads(&bucket).is_empty());

    let listed = server
        .pum(src.pum())
        .args(["--format", "json", "dumps", &store, &src.name])
        .run()
        .success();
    let list = listed.json();
    let items = list["dumps"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["name"], "after-late", "newest first: {list}");
    assert!(items
        .iter()
        .all(|d| d["verified"] == true && d["database"] == src.name.as_str()));
    let names = server
        .pum(src.pum())
        .args(["dumps", &store, "--only-db-names"])
        .run()
        .success();
    assert_eq!(names.stdout.trim(), src.name);

    let target = src.sibling();
    let restored = server
        .pum(target.pum())
        .args([
            "restore",
            "-p",
            "test",
            "--latest",
            &store,
            "--from-db",
            &src.name,
        ])
        .run()
        .success()
        .stdout_has("verified");
    assert_eq!(rows(&target), "501", "the newest dump was restored");
    no_secret(&[&first, &second, &listed, &names, &restored]);
}

#[test]
fn a_damaged_or_truncated_object_is_refused_before_the_target_is_touched() {
    let server = s3::server();
    let bucket = server.bucket();
    let src = TestDb::new();
    src.execute(MODEL);
    let url = format!("s3://{bucket}/one/{}.dump", src.name);
    server
        .pum(src.pum())
        .args(["dump", "-p", "test", &url])
        .run()
        .success();
    let key = format!("one/{}.dump", src.name);
    let good = server.get(&bucket, &key);
    assert_eq!(&good[..5], b"PGDMP", "a custom archive went up");
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    for (what, bytes) in [
        ("flipped", flipped),
        ("truncated", good[..good.len() - 100].to_vec()),
    ] {
        server.put(&bucket, &key, &bytes);
        let target = src.sibling();
        let run = server
            .pum(target.pum())
            .args(["restore", "-p", "test", &url])
            .run()
            .code(2)
            .stderr_has("does not match its manifest")
            .stderr_has(&url);
        assert!(
            !target.exists_table("public.pipe"),
            "{what}: target touched"
        );
        let listed = server
            .pum(src.pum())
            .args(["--format", "json", "dumps", &format!("s3://{bucket}/one")])
            .run()
            .success();
        assert_eq!(listed.json()["dumps"][0]["verified"], false, "{what}");
        no_secret(&[&run, &listed]);
    }
}

#[test]
fn unreachable_endpoints_and_missing_buckets_are_named_and_leave_nothing() {
    let server = s3::server();
    let src = TestDb::new();
    src.execute(MODEL);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = server
        .pum(src.pum())
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{closed}"))
        .args(["dump", "-p", "test", "--store", "s3://nowhere/x"])
        .run()
        .code(2)
        .stderr_has("s3://nowhere/x/")
        .stderr_has(&format!("127.0.0.1:{closed}"));
    let missing = server
        .pum(src.pum())
        .args(["dump", "-p", "test", "--store", "s3://no-such-bucket-here"])
        .run()
        .code(2)
        .stderr_has("s3://no-such-bucket-here/")
        .stderr_has("does not exist");
    let listing = server
        .pum(src.pum())
        .args(["dumps", "s3://no-such-bucket-here"])
        .run()
        .code(2)
        .stderr_has("s3://no-such-bucket-here");
    // http without AWS_ALLOW_HTTP is refused before any request.
    let plain = server
        .pum(src.pum())
        .env_remove("AWS_ALLOW_HTTP")
        .args(["dump", "-p", "test", "--store", "s3://b/x"])
        .run()
        .code(2)
        .stderr_has("AWS_ALLOW_HTTP=true");
    // A dump that fails once the upload has begun aborts it.
    let bucket = server.bucket();
    let bad_sql = delta_dir(&[("prepare.sql", "SELECT * FROM no_such_table;")]);
    let failed = server
        .pum(src.pum())
        .args(["dump", "-p", "test", "--store", &format!("s3://{bucket}")])
        .arg("--pre-dump")
        .arg(bad_sql.path().join("prepare.sql"))
        .run()
        .code(2)
        .stderr_has("no_such_table")
        .stderr_has("aborted");
    assert!(server.keys(&bucket).is_empty());
    assert!(
        server.open_uploads(&bucket).is_empty(),
        "an upload was left open"
    );
    no_secret(&[&unreachable, &missing, &listing, &plain, &failed]);
}

#[test]
fn sigterm_while_dumping_to_s3_stops_pg_dump_and_aborts_the_upload() {
    let server = s3::server();
    let bucket = server.bucket();
    let db = TestDb::new();
    db.execute(MODEL);
    // pg_dump waits for this lock, with the upload already begun.
    let mut locker = db.client();
    locker
        .batch_execute("BEGIN; LOCK TABLE pipe IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let child = server
        .pum(db.pum())
        .args(["dump", "-p", "test", "--store", &format!("s3://{bucket}")])
        .spawn();
    wait_up_to(
        std::time::Duration::from_secs(30),
        "pg_dump waiting for the lock",
        || {
            db.query_one(
                "SELECT count(*)::text FROM pg_stat_activity \
                 WHERE datname = current_database() AND application_name = 'pg_dump' \
                 AND wait_event_type = 'Lock'",
            )
            .as_deref()
                == Some("1")
        },
    );
    assert_eq!(
        server.open_uploads(&bucket).len(),
        1,
        "the upload had begun"
    );
    send_signal(&child, libc::SIGTERM);
    let run = finish(child);
    locker.batch_execute("ROLLBACK").unwrap();
    assert_eq!(run.code, 143, "{}", run.stderr);
    assert!(
        run.stderr.contains("the upload was aborted"),
        "{}",
        run.stderr
    );
    assert!(
        server.keys(&bucket).is_empty(),
        "{:?}",
        server.keys(&bucket)
    );
    assert!(server.open_uploads(&bucket).is_empty());
    no_secret(&[&run]);
}

#[test]
fn children_never_get_the_s3_keys() {
    let server = s3::server();
    let bucket = server.bucket();
    let store = format!("s3://{bucket}");
    let db = TestDb::new();
    db.execute(MODEL);
    let recorder = crate::support::fixtures().join("dump/record_argv");
    std::fs::write(
        db.home.path().join("pum.yaml"),
        format!(
            "pg_dump_exe: {0}\npg_restore_exe: {0}\n",
            recorder.display()
        ),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let record = out.path().join("record");
    let dumped = server
        .pum(db.pum())
        .env("PUM_TEST_RECORD", &record)
        .env("PUM_TEST_REAL", "pg_dump")
        .args(["dump", "-p", "test", "--store", &store])
        .run()
        .success();
    let target = db.sibling();
    let restored = server
        .pum(target.pum())
        .current_dir(db.home.path())
        .env("PUM_TEST_RECORD", &record)
        .env("PUM_TEST_REAL", "pg_restore")
        .args([
            "restore",
            "-p",
            "test",
            "--latest",
            &store,
            "--from-db",
            &db.name,
        ])
        .run()
        .success();
    assert_eq!(rows(&target), "500");
    let argv = std::fs::read_to_string(out.path().join("record.argv")).unwrap();
    let env = std::fs::read_to_string(out.path().join("record.env")).unwrap();
    assert!(argv.contains("--format=custom"), "{argv}");
    assert!(
        !argv.contains(SECRET) && !argv.contains(s3::KEY_ID),
        "{argv}"
    );
    for key in [
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SESSION_TOKEN",
    ] {
        assert!(!env.lines().any(|l| l == key), "{key} reached a child");
    }
    no_secret(&[&dumped, &restored]);
}

#[test]
fn credentials_come_from_a_profile_and_are_never_printed() {
    let server = s3::server();
    let bucket = server.bucket();
    let src = TestDb::new();
    src.execute(MODEL);
    let aws = src.home.path().join(".aws");
    std::fs::create_dir(&aws).unwrap();
    std::fs::write(
        aws.join("credentials"),
        format!(
            "[store]\naws_access_key_id = {}\naws_secret_access_key = {SECRET}\n",
            s3::KEY_ID
        ),
    )
    .unwrap();
    let store = format!("s3://{bucket}");
    let dumped = src
        .pum()
        .env("AWS_PROFILE", "store")
        .env("AWS_ENDPOINT_URL", server.endpoint())
        .env("AWS_ALLOW_HTTP", "true")
        .args(["-q", "dump", "-p", "test", "--store", &store])
        .run()
        .success();
    let no_keys = src
        .pum()
        .env("AWS_ENDPOINT_URL", server.endpoint())
        .env("AWS_ALLOW_HTTP", "true")
        .args(["dump", "-p", "test", "--store", &store])
        .run()
        .code(2)
        .stderr_has("no S3 credentials");
    assert_eq!(server.keys(&bucket).len(), 2, "one dump and its manifest");
    no_secret(&[&dumped, &no_keys]);
}

#[test]
fn a_local_store_takes_several_databases_and_says_which_failed() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap().to_string();
    let a = TestDb::new();
    a.execute(MODEL);
    let b = a.sibling();
    b.execute("CREATE TABLE other (x int)");
    let missing = "host=/nonexistent dbname=nope user=nobody";
    let run = a
        .pum()
        .args([
            "--format", "json", "dump", "--store", &store, "-p", "test", "-p",
        ])
        .arg(conninfo(&b))
        .args(["-p", missing])
        .args(["--exclude-table", "pipe"])
        .run()
        .code(2);
    let report = run.json();
    let oks: Vec<_> = report["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["database"].as_str().unwrap().to_string(), d["ok"] == true))
        .collect();
    assert_eq!(
        oks,
        [
            (a.name.clone(), true),
            (b.name.clone(), true),
            ("nope".to_string(), false)
        ]
    );
    assert_eq!(report["failed"], 1);
    let a_dumps = std::fs::read_dir(dir.path().join(&a.name)).unwrap().count();
    assert_eq!(a_dumps, 2, "one dump and its manifest");
    let listed = a
        .pum()
        .args(["--format", "json", "dumps", &store])
        .run()
        .success();
    assert_eq!(listed.json()["dumps"].as_array().unwrap().len(), 2);
    // --exclude-table left pipe out of a's dump.
    let target = a.sibling();
    target
        .pum()
        .args([
            "restore",
            "-p",
            "test",
            "--latest",
            &store,
            "--from-db",
            &a.name,
        ])
        .run()
        .success();
    assert!(!target.exists_table("public.pipe"));
    // --strict stops at the first failure.
    let strict = a
        .pum()
        .args([
            "--format", "json", "dump", "--store", &store, "--strict", "-p", missing, "-p", "test",
        ])
        .run()
        .code(2);
    assert_eq!(strict.json()["databases"].as_array().unwrap().len(), 1);
    assert_eq!(strict.json()["not_started"], 1);
}

#[test]
fn a_reversible_swap_moves_between_previous_and_current() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap().to_string();
    let db = TestDb::new();
    db.execute(MODEL);
    let prep = delta_dir(&[("prepare.sql", "CREATE TABLE prepared_for_the_dump (x int);")]);
    db.pum()
        .args(["dump", "-p", "test", "--store", &store, "--pre-dump"])
        .arg(prep.path().join("prepare.sql"))
        .run()
        .success()
        .stderr_has("pre-dump: ran");
    db.execute("DELETE FROM pipe WHERE id > 10; DROP TABLE prepared_for_the_dump");
    let _cleanup = DropDbs(vec![
        format!("{}_previous", db.name),
        format!("{}_current", db.name),
    ]);
    db.pum()
        .args([
            "restore",
            "-p",
            "test",
            "--latest",
            &store,
            "--swap",
            "--reversible",
        ])
        .run()
        .success();
    assert_eq!(rows(&db), "500");
    assert!(
        db.exists_table("public.prepared_for_the_dump"),
        "--pre-dump ran before the dump"
    );
    db.pum()
        .args(["restore", "-p", "test", ":previous"])
        .run()
        .success()
        .stdout_has("previous");
    assert_eq!(
        rows(&db),
        "10",
        "the database from before the restore is back"
    );
    let local = db
        .pum()
        .args(["--format", "json", "dumps", "--local", "-p", "test"])
        .run()
        .success();
    let roles: Vec<_> = local.json()["copies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["role"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(roles, ["live", "current"]);
    db.pum()
        .args(["restore", "-p", "test", ":current"])
        .run()
        .success();
    assert_eq!(rows(&db), "500");
    db.pum()
        .args(["restore", "-p", "test", ":current"])
        .run()
        .success()
        .stdout_has("nothing changed");
}

#[test]
fn the_restored_copy_is_upgraded_before_the_swap_and_a_failure_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap().to_string();
    let db = TestDb::baselined("1.0.0");
    db.execute(MODEL);
    db.pum()
        .args(["dump", "-p", "test", "--store", &store])
        .run()
        .success();
    db.execute("DELETE FROM pipe WHERE id > 10");
    let _cleanup = DropDbs(vec![format!("{}_previous", db.name)]);
    let deltas = delta_dir(&[(
        "delta_1.1.0_flag.sql",
        "ALTER TABLE pipe ADD COLUMN flag bool;",
    )]);
    let broken = delta_dir(&[
        ("prep.sql", "UPDATE pipe SET note = 'prepared';"),
        ("bad.sql", "ALTER TABLE pipe ADD COLUMN note text;"),
    ]);
    // A failing --pre-swap: the live database stays, the temporary one goes.
    db.pum()
        .args(["restore", "-p", "test", "--latest", &store, "--swap"])
        .arg("--pre-swap")
        .arg(broken.path().join("prep.sql"))
        .arg("--pre-swap")
        .arg(broken.path().join("bad.sql"))
        .run()
        .code(2)
        .stderr_has("bad.sql")
        .stderr_has("unchanged");
    assert_eq!(rows(&db), "10");
    let temps = db
        .query_one("SELECT count(*)::text FROM pg_database WHERE datname LIKE 'pum\\_restore\\_%'");
    assert_eq!(temps.as_deref(), Some("0"));
    // --pre-swap-upgrade brings the copy to the current version first.
    db.pum()
        .args([
            "restore",
            "-p",
            "test",
            "--latest",
            &store,
            "--swap",
            "--pre-swap-upgrade",
        ])
        .args(["-t", UPGRADES_TABLE, "-d"])
        .arg(deltas.path())
        .run()
        .success()
        .stderr_has("1.1.0");
    assert_eq!(rows(&db), "500");
    assert!(
        db.history().iter().any(|h| h.starts_with("1.1.0")),
        "{:?}",
        db.history()
    );
    assert!(db
        .query_one(
            "SELECT count(*)::text FROM information_schema.columns WHERE column_name = 'flag'"
        )
        .is_some_and(|n| n == "1"));
}

#[test]
fn a_protected_service_is_refused_for_store_restores_and_moves_under_any_spelling() {
    let server = s3::server();
    let bucket = server.bucket();
    let store = format!("s3://{bucket}");
    let db = TestDb::new();
    db.execute(MODEL);
    server
        .pum(db.pum())
        .args(["dump", "-p", "test", "--store", &store])
        .run()
        .success();
    std::fs::write(
        db.home.path().join("pum.yaml"),
        "services:\n  test:\n    allow_restore: false\n",
    )
    .unwrap();
    let other_spelling = conninfo(&db);
    for service in ["test", other_spelling.as_str()] {
        for args in [
            &[
                "--latest",
                store.as_str(),
                "--from-db",
                db.name.as_str(),
                "--swap",
            ][..],
            &[":previous"],
            &[":current"],
        ] {
            server
                .pum(db.pum())
                .args(["restore", "-p", service])
                .args(args)
                .run()
                .code(2)
                .stderr_has("allow_restore: false");
        }
    }
    assert_eq!(rows(&db), "500");
}

/// Drops databases a swap left, at the end of a test.
struct DropDbs(Vec<String>);

impl Drop for DropDbs {
    fn drop(&mut self) {
        if let Ok(mut admin) = pum::db::connect(&crate::support::cluster().params("postgres")) {
            for name in &self.0 {
                let _ = admin.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    pum::db::quote_ident(name)
                ));
            }
        }
    }
}
