//! dump, restore and dumps against real databases: round trips in every
//! format, the manifest check, the restore guards, swaps, and what pum hands
//! to the child processes.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{cluster, fixtures, TestDb};

/// A model with two user schemas besides public, cross-schema references
/// (a foreign key, a view), a function, a sequence, a mixed-case schema
/// name and some rows.
const MODEL: &str = r#"
CREATE SCHEMA app;
CREATE SCHEMA audit;
CREATE SCHEMA "Odd Schema";
CREATE TABLE public.kind (id int PRIMARY KEY, label text NOT NULL UNIQUE);
CREATE TABLE app.pipe (
    id serial PRIMARY KEY,
    kind_id int NOT NULL REFERENCES public.kind (id),
    length_m numeric(10, 2) CHECK (length_m > 0),
    note text
);
CREATE INDEX pipe_kind_idx ON app.pipe (kind_id);
CREATE VIEW audit.long_pipes AS SELECT id, length_m FROM app.pipe WHERE length_m > 50;
CREATE FUNCTION app.total_length() RETURNS numeric LANGUAGE sql STABLE
    AS $$ SELECT coalesce(sum(length_m), 0) FROM app.pipe $$;
CREATE TABLE audit.log (at timestamptz DEFAULT now(), what text);
CREATE TABLE "Odd Schema"."Mixed Table" (v int);
CREATE VIEW "Odd Schema".pipe_count AS SELECT count(*) AS n FROM app.pipe;
COMMENT ON TABLE app.pipe IS 'pipes of the network';
INSERT INTO public.kind VALUES (1, 'steel'), (2, 'pvc');
INSERT INTO app.pipe (kind_id, length_m, note)
    SELECT 1 + g % 2, g * 1.5, 'pipe ' || g FROM generate_series(1, 200) g;
INSERT INTO audit.log (what) SELECT 'event ' || g FROM generate_series(1, 30) g;
INSERT INTO "Odd Schema"."Mixed Table" SELECT g FROM generate_series(1, 7) g;
"#;

fn model_db() -> TestDb {
    let db = TestDb::new();
    db.execute(MODEL);
    db
}

/// Drops a database created outside [`TestDb`] (by --create or a swap) at the end.
struct DropDb(String);

impl Drop for DropDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = pum::db::connect(&cluster().params("postgres")) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                pum::db::quote_ident(&self.0)
            ));
        }
    }
}

/// Runs a client program of the cluster's server version against `dbname`.
fn client_program(program: &str, dbname: &str) -> Command {
    let c = cluster();
    let mut cmd = Command::new(program);
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") {
            cmd.env_remove(k);
        }
    }
    cmd.env("PGHOST", c.socket_dir())
        .env("PGPORT", c.port().to_string())
        .env("PGUSER", "postgres")
        .env("PGDATABASE", dbname);
    cmd
}

fn query(dbname: &str, sql: &str) -> Vec<String> {
    let mut client = pum::db::connect(&cluster().params(dbname)).expect("connect");
    client
        .query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.get::<_, Option<String>>(0).unwrap_or_default())
        .collect()
}

/// What two databases are compared on: the schema as `pg_dump --schema-only`
/// prints it (without comments, `\restrict` lines and blank lines, which
/// vary from run to run) and the row count of every table. The one place to
/// swap for `pum check` once that exists.
fn snapshot(dbname: &str) -> String {
    let out = client_program("pg_dump", dbname)
        .args(["--schema-only", "--no-owner", "--no-privileges"])
        .output()
        .expect("run pg_dump");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut text: String = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("--")
                && !l.starts_with("\\restrict")
                && !l.starts_with("\\unrestrict")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let tables = query(
        dbname,
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
         ORDER BY 1",
    );
    for t in tables {
        let n = query(dbname, &format!("SELECT count(*)::text FROM {t}"));
        text.push_str(&format!("rows {t}: {}\n", n[0]));
    }
    text
}

#[track_caller]
fn assert_same_database(a: &str, b: &str) {
    let (sa, sb) = (snapshot(a), snapshot(b));
    if sa != sb {
        let diff = similar::TextDiff::from_lines(&sa, &sb)
            .unified_diff()
            .header(a, b)
            .to_string();
        panic!("databases {a} and {b} differ:\n{diff}");
    }
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A directory with a pum.yaml holding `yaml`.
fn project(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pum.yaml"), yaml).unwrap();
    dir
}

fn fixture(name: &str) -> PathBuf {
    fixtures().join("dump").join(name)
}

#[test]
fn custom_dump_round_trips_with_a_private_manifest() {
    let db = model_db();
    db.execute(
        "CREATE TABLE public.pum_upgrades (id serial, version varchar(50) NOT NULL, description varchar(200) NOT NULL, \
         type int NOT NULL, script varchar(1000) NOT NULL, checksum varchar(32) NOT NULL, \
         installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(), \
         execution_time int NOT NULL, success boolean NOT NULL); \
         INSERT INTO public.pum_upgrades (version, description, type, script, checksum, installed_by, execution_time, success) \
         VALUES ('1.0.0', 'baseline', 0, '', '', 'me', 1, true), ('1.10.0', 'x', 8, 'x.sql', 'abc', 'me', 1, true), \
                ('1.9.0', 'y', 8, 'y.sql', 'abc', 'me', 1, true);",
    );
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("net.dump");
    let info = db
        .pum()
        .args([
            "--format",
            "json",
            "dump",
            "-p",
            "test",
            "-t",
            "public.pum_upgrades",
        ])
        .arg(&file)
        .run()
        .success()
        .json();
    assert_eq!(info["kind"], "custom");
    assert_eq!(info["database"], db.name.as_str());
    assert_eq!(info["version"], "1.10.0");
    assert_eq!(info["files"].as_array().unwrap().len(), 1);
    let manifest_path = out.path().join("net.dump.manifest.json");
    assert_eq!(files_in(out.path()), ["net.dump", "net.dump.manifest.json"]);
    assert_eq!(mode_of(&file), 0o600);
    assert_eq!(mode_of(&manifest_path), 0o600);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    assert_eq!(manifest["database"], db.name.as_str());
    assert_eq!(manifest["version"], "1.10.0");
    assert_eq!(manifest["server_version"], manifest["pg_dump_version"]);
    let created = manifest["created_at"].as_str().unwrap();
    assert!(
        created.len() == 24 && created.ends_with('Z') && &created[10..11] == "T",
        "{created}"
    );
    let entry = &manifest["files"][0];
    assert_eq!(
        entry["size"].as_u64().unwrap(),
        std::fs::metadata(&file).unwrap().len()
    );
    assert_eq!(entry["sha256"].as_str().unwrap().len(), 64);

    let target = db.sibling();
    let report = db
        .pum()
        .args([
            "--format",
            "json",
            "restore",
            "-p",
            "test",
            "--into",
            &target.name,
        ])
        .arg(&file)
        .run()
        .success()
        .json();
    assert_eq!(report["verification"], "verified");
    assert_eq!(report["database"], target.name.as_str());
    assert_eq!(report["errors_ignored"], 0);
    assert_same_database(&db.name, &target.name);
}

#[test]
fn directory_dump_with_two_jobs_round_trips_into_a_created_database() {
    let db = model_db();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("net.dir");
    db.pum()
        .args(["dump", "-p", "test", "-F", "directory", "-j", "2"])
        .arg(&dir)
        .run()
        .success()
        .stdout_has("directory dump");
    assert!(dir.join("toc.dat").is_file());
    assert!(dir.join("manifest.json").is_file());
    assert_eq!(mode_of(&dir), 0o700);
    assert_eq!(mode_of(&dir.join("toc.dat")), 0o600);
    // Nothing but the finished dump is left in the output directory.
    assert_eq!(files_in(out.path()), ["net.dir"]);

    let new_name = format!("{}_created", db.name);
    let _cleanup = DropDb(new_name.clone());
    db.pum()
        .args([
            "restore", "-p", "test", "-j", "2", "--create", "--into", &new_name,
        ])
        .arg(&dir)
        .run()
        .success();
    assert_same_database(&db.name, &new_name);
    // Without --create a missing database is an error with a hint.
    db.pum()
        .args([
            "restore",
            "-p",
            "test",
            "--into",
            &format!("{new_name}_missing"),
        ])
        .arg(&dir)
        .run()
        .code(2)
        .stderr_has("pass --create");
    // --create never writes into an existing database.
    db.pum()
        .args(["restore", "-p", "test", "--create", "--into", &new_name])
        .arg(&dir)
        .run()
        .code(2)
        .stderr_has("already exists");
}

#[test]
fn schema_wise_dump_round_trips_across_schema_references() {
    let db = model_db();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("by-schema");
    let info = db
        .pum()
        .args(["--format", "json", "dump", "-p", "test", "--schema-wise"])
        .arg(&dir)
        .run()
        .success()
        .json();
    assert_eq!(info["kind"], "schema-wise");
    let schemas: Vec<&str> = info["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["schema"].as_str().unwrap())
        .collect();
    // Each schema after those its definitions refer to ("Odd Schema" and
    // audit have views over app), otherwise by name.
    assert_eq!(schemas, ["app", "Odd Schema", "audit", "public"]);
    assert!(dir.join("manifest.json").is_file());

    let target = db.sibling();
    db.pum()
        .args(["restore", "-p", "test", "--into", &target.name])
        .arg(&dir)
        .run()
        .success();
    assert_same_database(&db.name, &target.name);
}

#[test]
fn two_excluded_schemas_are_left_out() {
    let db = model_db();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("part.dump");
    db.pum()
        .args([
            "dump",
            "-p",
            "test",
            "-N",
            "audit",
            "--exclude-schema",
            "\"Odd Schema\"",
        ])
        .arg(&file)
        .run()
        .success();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("part.dump.manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["schemas"]["excluded"],
        serde_json::json!(["audit", "\"Odd Schema\""])
    );
    let target = db.sibling();
    db.pum()
        .args(["restore", "-p", "test", "--into", &target.name])
        .arg(&file)
        .run()
        .success();
    let schemas = query(
        &target.name,
        "SELECT nspname::text FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' \
         AND nspname <> 'information_schema' ORDER BY 1",
    );
    assert_eq!(schemas, ["app", "public"]);
    assert_eq!(
        query(&target.name, "SELECT count(*)::text FROM app.pipe"),
        ["200"]
    );
}

#[test]
fn a_dump_changed_by_one_byte_is_refused() {
    let db = model_db();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("net.dump");
    db.pum()
        .args(["dump", "-p", "test"])
        .arg(&file)
        .run()
        .success();
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();

    let target = db.sibling();
    db.pum()
        .args(["restore", "-p", "test", "--into", &target.name])
        .arg(&file)
        .run()
        .code(2)
        .stderr_has("does not match its manifest")
        .stderr_has("sha256")
        .stderr_has("--no-verify");
    assert!(!target.exists_table("app.pipe"), "nothing was restored");

    let listed = db
        .pum()
        .args(["--format", "json", "dumps"])
        .arg(out.path())
        .run()
        .success()
        .json();
    assert_eq!(listed["dumps"][0]["verified"], false);
}

#[test]
fn restore_over_user_objects_needs_clean() {
    let db = model_db();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("net.dump");
    db.pum()
        .args(["dump", "-p", "test"])
        .arg(&file)
        .run()
        .success();
    let reference = db.sibling();
    db.pum()
        .args(["restore", "-p", "test", "--into", &reference.name])
        .arg(&file)
        .run()
        .success();

    db.execute("CREATE TABLE public.added_later (x int); CREATE SCHEMA scratch;");
    db.pum()
        .args(["restore", "-p", "test"])
        .arg(&file)
        .run()
        .code(2)
        .stderr_has("is not empty")
        .stderr_has("--clean");
    assert!(
        db.exists_table("public.added_later"),
        "refused means untouched"
    );

    db.pum()
        .args(["restore", "-p", "test", "--clean"])
        .arg(&file)
        .run()
        .success();
    assert!(!db.exists_table("public.added_later"));
    assert_same_database(&reference.name, &db.name);
}

#[test]
fn allow_restore_false_refuses_whatever_the_flags() {
    let db = model_db();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("net.dump");
    db.pum()
        .args(["dump", "-p", "test"])
        .arg(&file)
        .run()
        .success();
    let dir = project("services:\n  test:\n    allow_restore: false\n");
    for flags in [
        &["--clean"][..],
        &["--swap"],
        &["--create", "--into", "x"],
        &[],
    ] {
        db.pum()
            .current_dir(dir.path())
            .args(["restore", "-p", "test"])
            .args(flags)
            .arg(&file)
            .run()
            .code(2)
            .stderr_has("allow_restore: false");
    }
    db.pum()
        .current_dir(dir.path())
        .args(["restore", "-p", "test", "--previous"])
        .run()
        .code(2)
        .stderr_has("allow_restore: false");
    assert_eq!(
        db.query_one("SELECT count(*)::text FROM app.pipe")
            .as_deref(),
        Some("200")
    );
}

/// A dump whose objects belong to a role that no longer exists: restoring
/// it with `--owner` fails half-way, after tables were created.
fn dump_with_missing_owner(db: &TestDb, file: &Path) {
    let role = format!("pum_gone_{}", db.name);
    db.execute(&format!(
        "CREATE ROLE {role}; CREATE TABLE public.owned (x int); ALTER TABLE public.owned OWNER TO {role};"
    ));
    db.pum()
        .args(["dump", "-p", "test"])
        .arg(file)
        .run()
        .success();
    db.execute(&format!(
        "REASSIGN OWNED BY {role} TO postgres; DROP OWNED BY {role}; DROP ROLE {role};"
    ));
}

#[test]
fn a_failing_swap_leaves_the_target_untouched_and_swap_back_works() {
    let source = model_db();
    let out = tempfile::tempdir().unwrap();
    let bad = out.path().join("bad.dump");
    dump_with_missing_owner(&source, &bad);
    let good = out.path().join("good.dump");
    source
        .pum()
        .args(["dump", "-p", "test"])
        .arg(&good)
        .run()
        .success();

    let target = source.sibling();
    target.execute("CREATE TABLE public.marker (x int); INSERT INTO marker VALUES (42);");
    let previous = format!("{}_previous", target.name);
    let _cleanup = DropDb(previous.clone());
    let databases = || {
        query(
            "postgres",
            "SELECT datname::text FROM pg_database WHERE datname LIKE 'pum\\_restore\\_%' ORDER BY 1",
        )
    };

    let run = target
        .pum()
        .args(["restore", "-p", "test", "--swap", "--owner"])
        .arg(&bad)
        .run()
        .code(2)
        .stderr_has("pg_restore failed")
        .stderr_has("does not exist");
    assert!(run.stderr.contains("command: "), "{}", run.stderr);
    assert_eq!(target.query_strings("SELECT x::text FROM marker"), ["42"]);
    assert!(!target.exists_table("app.pipe"));
    assert!(query(
        "postgres",
        &format!("SELECT datname::text FROM pg_database WHERE datname = '{previous}'")
    )
    .is_empty());
    assert!(
        databases().is_empty(),
        "temporary database left: {:?}",
        databases()
    );

    // The same archive, truncated, restored unverified: also refused before the swap.
    let truncated = out.path().join("truncated.dump");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();
    target
        .pum()
        .args(["restore", "-p", "test", "--swap", "--no-verify"])
        .arg(&truncated)
        .run()
        .code(2);
    assert_eq!(target.query_strings("SELECT x::text FROM marker"), ["42"]);
    assert!(databases().is_empty());

    // A good dump swaps in; the replaced database is kept as _previous.
    target
        .pum()
        .args(["restore", "-p", "test", "--swap"])
        .arg(&good)
        .run()
        .success()
        .stdout_has(&previous);
    assert_same_database(&source.name, &target.name);
    assert_eq!(query(&previous, "SELECT x::text FROM marker"), ["42"]);

    // And back.
    target
        .pum()
        .args(["restore", "-p", "test", "--previous"])
        .run()
        .success();
    assert_eq!(target.query_strings("SELECT x::text FROM marker"), ["42"]);
    assert_eq!(
        query(&previous, "SELECT count(*)::text FROM app.pipe"),
        ["200"]
    );
}

#[test]
fn ignore_errors_restores_the_rest_and_counts_the_errors() {
    let source = model_db();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("owner.dump");
    dump_with_missing_owner(&source, &file);
    let target = source.sibling();
    let run = source
        .pum()
        .args([
            "--format",
            "json",
            "restore",
            "-p",
            "test",
            "--owner",
            "-x",
            "--into",
            &target.name,
        ])
        .arg(&file)
        .run()
        .success()
        .stderr_has("error(s) and went on");
    assert!(run.json()["errors_ignored"].as_u64().unwrap() >= 1);
    assert!(target.exists_table("public.owned"));
    assert_eq!(
        target.query_strings("SELECT count(*)::text FROM app.pipe"),
        ["200"]
    );
}

#[test]
fn a_killed_pg_dump_leaves_no_file_behind() {
    let db = model_db();
    let dir = project(&format!(
        "pg_dump_exe: {}\n",
        fixture("pg_dump_killed").display()
    ));
    let out = tempfile::tempdir().unwrap();
    for flags in [
        &["-F", "custom"][..],
        &["-F", "directory"],
        &["--schema-wise"],
    ] {
        db.pum()
            .current_dir(dir.path())
            .args(["dump", "-p", "test"])
            .args(flags)
            .arg(out.path().join("net.dump"))
            .run()
            .code(2)
            .stderr_has("pg_dump failed")
            .stderr_has("signal: 9");
        assert!(
            files_in(out.path()).is_empty(),
            "left behind: {:?}",
            files_in(out.path())
        );
    }
}

#[test]
fn an_older_pg_dump_is_refused_naming_both_versions() {
    let db = model_db();
    let dir = project(&format!(
        "pg_dump_exe: {}\n",
        fixture("pg_dump_old").display()
    ));
    let out = tempfile::tempdir().unwrap();
    let server = db
        .query_one("SELECT split_part(current_setting('server_version'), ' ', 1)")
        .unwrap();
    db.pum()
        .current_dir(dir.path())
        .args(["dump", "-p", "test"])
        .arg(out.path().join("x.dump"))
        .run()
        .code(2)
        .stderr_has("9.6.24")
        .stderr_has(&format!("({server})"))
        .stderr_has("pg_dump_exe");
    assert!(files_in(out.path()).is_empty());
}

#[test]
fn children_get_the_password_in_their_environment_only() {
    let db = model_db();
    let c = cluster();
    let password = "s3cret-Pw";
    // Trust authentication ignores the password, but pum must still hand
    // it over, and only through the environment.
    std::fs::write(
        db.home.path().join(".pg_service.conf"),
        format!(
            "[test]\nhost={}\nport={}\ndbname={}\nuser=postgres\npassword={password}\n",
            c.socket_dir().display(),
            c.port(),
            db.name
        ),
    )
    .unwrap();
    let recorder = fixture("record_argv");
    // One project per program: the dump's own archive check runs pg_restore.
    let dump_dir = project(&format!("pg_dump_exe: {}\n", recorder.display()));
    let restore_dir = project(&format!("pg_restore_exe: {}\n", recorder.display()));
    let out = tempfile::tempdir().unwrap();
    let record = out.path().join("record");
    let file = out.path().join("net.dump");
    db.pum()
        .current_dir(dump_dir.path())
        .env("PUM_TEST_RECORD", &record)
        .env("PUM_TEST_REAL", "pg_dump")
        .args(["dump", "-p", "test"])
        .arg(&file)
        .run()
        .success();
    let target = db.sibling();
    db.pum()
        .current_dir(restore_dir.path())
        .env("PUM_TEST_RECORD", &record)
        .env("PUM_TEST_REAL", "pg_restore")
        .args(["restore", "-p", "test", "--into", &target.name])
        .arg(&file)
        .run()
        .success();
    assert!(target.exists_table("app.pipe"));

    let argv = std::fs::read_to_string(out.path().join("record.argv")).unwrap();
    let env = std::fs::read_to_string(out.path().join("record.env")).unwrap();
    assert!(argv.contains("--format=custom"), "{argv}");
    assert!(
        argv.contains("--exit-on-error"),
        "pg_restore was recorded too:\n{argv}"
    );
    assert!(!argv.contains(password), "password in argv:\n{argv}");
    let socket = c.socket_dir().display().to_string();
    for leak in [
        socket.as_str(),
        &c.port().to_string(),
        &db.name,
        "host=",
        "password",
    ] {
        assert!(
            !argv.lines().any(|l| l.contains(leak)),
            "connection detail {leak:?} in argv:\n{argv}"
        );
    }
    let names: Vec<&str> = env.lines().collect();
    for var in ["PGPASSWORD", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER"] {
        assert!(
            names.contains(&var),
            "{var} missing from the child's environment"
        );
    }
    assert!(!names.contains(&"PGSERVICE"));
}

#[test]
fn dumps_lists_a_directory_and_latest_picks_the_newest() {
    let db = model_db();
    let out = tempfile::tempdir().unwrap();
    db.pum()
        .args(["dump", "-p", "test"])
        .arg(out.path().join("first.dump"))
        .run()
        .success();
    db.execute("CREATE TABLE public.second_only (x int);");
    db.pum()
        .args(["dump", "-p", "test", "-F", "directory"])
        .arg(out.path().join("second"))
        .run()
        .success();

    let listed = db
        .pum()
        .args(["--format", "json", "dumps"])
        .arg(out.path())
        .run()
        .success()
        .json();
    let dumps = listed["dumps"].as_array().unwrap();
    assert_eq!(dumps.len(), 2);
    assert_eq!(dumps[0]["kind"], "directory", "newest first");
    assert!(dumps
        .iter()
        .all(|d| d["verified"] == true && d["database"] == db.name.as_str()));
    db.pum()
        .arg("dumps")
        .arg(out.path())
        .run()
        .success()
        .stdout_has("Verified")
        .stdout_has("first.dump");

    let target = db.sibling();
    db.pum()
        .args(["restore", "-p", "test", "--into", &target.name, "--latest"])
        .arg(out.path())
        .run()
        .success()
        .stderr_has("second");
    assert!(target.exists_table("public.second_only"));
}

#[test]
fn ctrl_c_during_pg_dump_removes_the_partial_file() {
    let db = model_db();
    let dir = project(&format!(
        "pg_dump_exe: {}\n",
        fixture("pg_dump_slow").display()
    ));
    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pum"));
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") {
            cmd.env_remove(k);
        }
    }
    // A process group of its own, as a shell gives a foreground job, so the
    // interrupt reaches pum and its pg_dump together and nothing else.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let child = cmd
        .env("HOME", db.home.path())
        .current_dir(dir.path())
        .args(["dump", "-p", "test"])
        .arg(out.path().join("net.dump"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while files_in(out.path()).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "pg_dump never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: signalling the process group we just created.
    unsafe {
        libc::kill(-(child.id() as libc::pid_t), libc::SIGINT);
    }
    let result = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("pum: interrupted (SIGINT) during 'pg_dump'; nothing written to"),
        "{stderr}"
    );
    assert!(
        files_in(out.path()).is_empty(),
        "left behind: {:?}",
        files_in(out.path())
    );
}

#[test]
fn plain_dumps_are_written_but_not_restored() {
    let db = model_db();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("net.sql");
    db.pum()
        .args([
            "dump",
            "-p",
            "test",
            "--dump-format",
            "plain",
            "--schema-only",
        ])
        .arg(&file)
        .run()
        .success();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("CREATE TABLE app.pipe"), "{text}");
    assert!(!text.contains("pipe 17"), "--schema-only leaves rows out");
    assert!(out.path().join("net.sql.manifest.json").is_file());
    let target = db.sibling();
    db.pum()
        .args(["restore", "-p", "test", "--into", &target.name])
        .arg(&file)
        .run()
        .code(2)
        .stderr_has("psql");
    // -j needs the directory format.
    db.pum()
        .args(["dump", "-p", "test", "-j", "2"])
        .arg(out.path().join("x.dump"))
        .run()
        .code(2)
        .stderr_has("directory format");
}

#[test]
fn a_full_disk_while_dumping_leaves_no_file_behind() {
    let db = TestDb::new();
    db.execute(
        "CREATE TABLE filler AS SELECT g, md5(g::text) || md5((g * 7)::text) AS t FROM generate_series(1, 100000) g",
    );
    let out = tempfile::tempdir().unwrap();
    for format in ["custom", "directory"] {
        db.pum()
            .file_size_limit(256 * 1024)
            .args(["dump", "-p", "test", "-F", format])
            .arg(out.path().join("full.dump"))
            .run()
            .code(2)
            .stderr_has("pg_dump failed")
            .stderr_has("the disk is full");
        assert!(
            files_in(out.path()).is_empty(),
            "left behind: {:?}",
            files_in(out.path())
        );
    }
}

#[test]
fn dump_refuses_to_write_over_an_existing_file_or_directory() {
    let source = model_db();
    let out = tempfile::tempdir().unwrap();
    // A file: refused without --overwrite, kept byte for byte.
    let file = out.path().join("keep.dump");
    std::fs::write(&file, "precious").unwrap();
    let run = source
        .pum()
        .args(["dump", "-p", "test"])
        .arg(&file)
        .run()
        .code(2)
        .stderr_has("--overwrite");
    assert!(
        run.stderr.contains(&file.display().to_string()),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious");
    source
        .pum()
        .args(["dump", "-p", "test", "--overwrite"])
        .arg(&file)
        .run()
        .success();
    assert_ne!(std::fs::read(&file).unwrap(), b"precious");
    // A directory holding other files: refused, even with --overwrite.
    let dir = out.path().join("notes");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    for extra in [&[][..], &["--overwrite"][..]] {
        source
            .pum()
            .args(["dump", "-p", "test", "-F", "directory"])
            .args(extra)
            .arg(&dir)
            .run()
            .code(2)
            .stderr_has(&dir.display().to_string());
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    // A directory dump over an older one: only with --overwrite.
    let dumps = out.path().join("dir.dump");
    let dir_dump = |extra: &[&str]| {
        source
            .pum()
            .args(["dump", "-p", "test", "-F", "directory"])
            .args(extra)
            .arg(&dumps)
            .run()
    };
    dir_dump(&[]).success();
    dir_dump(&[])
        .code(2)
        .stderr_has(&format!("{} exists", dumps.display()));
    dir_dump(&["--overwrite"]).success();
    // A place that cannot be written fails before pg_dump starts.
    source
        .pum()
        .args(["dump", "-p", "test"])
        .arg(out.path().join("no/such/dir/x.dump"))
        .run()
        .code(2)
        .stderr_has("no/such/dir/x.dump");
}

#[test]
fn a_second_swap_keeps_the_older_previous_under_a_new_name() {
    let source = model_db();
    let out = tempfile::tempdir().unwrap();
    let good = out.path().join("good.dump");
    source
        .pum()
        .args(["dump", "-p", "test"])
        .arg(&good)
        .run()
        .success();
    let target = source.sibling();
    target.execute("CREATE TABLE public.marker (x int); INSERT INTO marker VALUES (1);");
    let previous = format!("{}_previous", target.name);
    let _cleanup = DropDb(previous.clone());
    let swap = || {
        target
            .pum()
            .args(["--format", "json", "restore", "-p", "test", "--swap"])
            .arg(&good)
            .run()
            .success()
            .json()
    };
    let first = swap();
    assert_eq!(first["previous"], previous.as_str());
    assert!(first["previous_kept"].is_null());
    // The restored database, marked, is replaced by a second swap.
    target.execute("CREATE TABLE public.marker (x int); INSERT INTO marker VALUES (2);");
    let second = swap();
    let kept = second["previous_kept"]
        .as_str()
        .expect("the older _previous is kept")
        .to_string();
    let _cleanup_kept = DropDb(kept.clone());
    assert!(
        kept.starts_with(&format!("{previous}_")) && kept.len() <= 63,
        "{kept}"
    );
    assert_eq!(query(&kept, "SELECT x::text FROM marker"), ["1"]);
    assert_eq!(query(&previous, "SELECT x::text FROM marker"), ["2"]);
    // The text output says it too.
    target.execute("CREATE TABLE public.marker (x int); INSERT INTO marker VALUES (3);");
    let run = target
        .pum()
        .args(["restore", "-p", "test", "--swap"])
        .arg(&good)
        .run()
        .success()
        .stdout_has("the older one that had that name is kept as");
    let third_kept = run
        .stdout
        .rsplit("kept as ")
        .next()
        .unwrap()
        .trim_end_matches([')', '\n'])
        .to_string();
    let _cleanup_third = DropDb(third_kept.clone());
    assert_eq!(query(&third_kept, "SELECT x::text FROM marker"), ["2"]);
    assert_eq!(query(&kept, "SELECT x::text FROM marker"), ["1"]);
}
