//! pum 1.x module directories: `.pum.yaml`, `changelogs/<version>/`,
//! typed parameters, the `pum_migrations` table shared with pum 1.x, roles.

use std::path::PathBuf;

use crate::support::{fixtures, TestDb};

fn fixture() -> PathBuf {
    fixtures().join("module_1x")
}

/// A copy of the fixture module to change freely.
pub(crate) fn module_copy() -> tempfile::TempDir {
    crate::support::copy_tree(&fixture())
}

/// The table exactly as pum 1.x 1.9 creates it.
const PUM1_TABLE: &str = "
CREATE SCHEMA IF NOT EXISTS pipes_sys;
CREATE TABLE IF NOT EXISTS pipes_sys.pum_migrations
(
id uuid DEFAULT gen_random_uuid() PRIMARY KEY,
date_installed timestamp without time zone NOT NULL DEFAULT now(),
module character varying(50) NOT NULL,
version character varying(50) NOT NULL,
beta_testing boolean NOT NULL DEFAULT false,
changelog_files text[],
parameters jsonb,
migration_table_version integer NOT NULL DEFAULT 3,
pum_version character varying(50) NOT NULL DEFAULT '1.9.2'
);
COMMENT ON TABLE pipes_sys.pum_migrations IS 'migration_table_version: 3';
";

/// A database where pum 1.x installed version 1.0.0 of the fixture with
/// its default parameters.
pub(crate) fn installed_by_pum1() -> TestDb {
    let db = TestDb::new();
    db.execute(PUM1_TABLE);
    db.execute(
        "CREATE SCHEMA pipes;
         CREATE TABLE pipes.pipe (id serial PRIMARY KEY, srid integer NOT NULL DEFAULT 2056,
             owner text NOT NULL DEFAULT 'city', tolerance numeric NOT NULL DEFAULT 0.5);
         INSERT INTO pipes_sys.pum_migrations (module, version, beta_testing, migration_table_version,
             changelog_files, parameters, pum_version)
         VALUES ('pipes', '1.0.0', false, 3, '{module_1x/changelogs/1.0.0/01_schema.sql}',
             '{\"SRID\": 2056, \"owner_label\": \"city\", \"with_audit\": false, \"tolerance\": 0.5}', '1.9.2');",
    );
    db
}

pub(crate) fn rows(db: &TestDb) -> Vec<String> {
    db.query_strings(
        "SELECT version || ' ' || cardinality(coalesce(changelog_files, '{}'))::text FROM pipes_sys.pum_migrations \
         ORDER BY date_installed, string_to_array(version, '.')::int[]",
    )
}

#[test]
fn upgrade_continues_where_pum_1x_left_off() {
    let db = installed_by_pum1();
    let run = db
        .pum()
        .args(["upgrade", "-p", "test", "-d"])
        .arg(fixture())
        .run()
        .success()
        .stderr_has("ran drop hook")
        .stderr_has("applied pipes 1.9.0 (2 files)")
        .stderr_has("app/create_app.sql in")
        .stderr_has("applied pipes 1.11.0 (application-only release");
    assert!(
        run.stdout.contains("1.0.0 → 1.11.0 (3 versions applied"),
        "{}",
        run.stdout
    );
    assert!(
        db.exists_table("pipes.app_pipes"),
        "the create hook did not run"
    );
    // 1.9.0 before 1.10.0, the app-only release recorded without files.
    assert_eq!(
        db.query_strings(
            "SELECT version FROM pipes_sys.pum_migrations ORDER BY date_installed, id::text"
        )
        .len(),
        4
    );
    let shape = db.query_strings(
        "SELECT concat_ws(' | ', version, module, beta_testing, migration_table_version, \
                array_to_string(changelog_files, ','), parameters::text, \
                (id IS NOT NULL)::text, (date_installed <= now())::text) \
         FROM pipes_sys.pum_migrations WHERE version <> '1.0.0' ORDER BY version",
    );
    let dir = fixture().display().to_string();
    let params = r#"{"SRID": 2056, "tolerance": 0.5, "with_audit": false, "owner_label": "city"}"#;
    assert_eq!(
        shape,
        [
            format!("1.10.0 | pipes | f | 3 | {dir}/changelogs/1.10.0/01_view.sql | {params} | true | true"),
            format!("1.11.0 | pipes | f | 3 |  | {params} | true | true"),
            format!(
                "1.9.0 | pipes | f | 3 | {dir}/changelogs/1.9.0/01_material.sql,{dir}/changelogs/1.9.0/02 material table.sql | {params} | true | true"
            ),
        ]
    );
    assert_eq!(
        db.query_one("SELECT string_agg(DISTINCT pum_version, ',') FROM pipes_sys.pum_migrations WHERE version <> '1.0.0'")
            .unwrap(),
        format!("1.9.2+pumrs.{}", env!("CARGO_PKG_VERSION"))
    );
    // Parameters were substituted as literals of their type.
    assert_eq!(
        db.query_one(
            "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'pipes.material'::regclass"
        )
        .as_deref(),
        Some("'{\"audit\": false}'::jsonb")
    );
    assert!(db.exists_table("pipes.v_pipe"));
    // Nothing left: a second run applies nothing.
    db.pum()
        .args(["upgrade", "-p", "test", "-d"])
        .arg(fixture())
        .run()
        .success()
        .stderr_has("nothing to apply")
        .stdout_has("1.11.0 → 1.11.0 (0 versions");
    // info: versions in numeric order with their status, history as JSON.
    let info = db
        .pum()
        .args(["--format", "json", "info", "-p", "test", "-d"])
        .arg(fixture())
        .run()
        .success()
        .json();
    assert_eq!(info["module"], "pipes");
    assert_eq!(info["current_version"], "1.11.0");
    let versions: Vec<&str> = info["changelogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["1.0.0", "1.9.0", "1.10.0", "1.11.0"]);
    assert_eq!(info["changelogs"][2]["status"], "applied");
    assert_eq!(info["history"].as_array().unwrap().len(), 4);
    assert_eq!(info["history"][0]["pum_version"], "1.9.2");
    db.pum()
        .args(["info", "-p", "test", "-d"])
        .arg(fixture())
        .run()
        .success()
        .stdout_has("02 material table.sql")
        .stdout_has("version 1.11.0, 0 pending");
}

#[test]
fn baseline_then_parameters_from_the_command_line() {
    let db = TestDb::new();
    let run = db
        .pum()
        .args(["baseline", "-p", "test", "-b", "0.9", "-d"])
        .arg(fixture())
        .run()
        .success();
    assert!(run.stdout.contains("baselined"), "{}", run.stdout);
    assert_eq!(
        db.query_one(
            "SELECT concat_ws(' | ', module, version, beta_testing, coalesce(array_length(changelog_files, 1), 0), \
                    parameters::text, migration_table_version, obj_description('pipes_sys.pum_migrations'::regclass)) \
             FROM pipes_sys.pum_migrations"
        )
        .unwrap(),
        "pipes | 0.9 | f | 0 | {} | 3 | migration_table_version: 3"
    );
    // Same or older baseline: refused, as pum 1.x refuses it.
    db.pum()
        .args(["baseline", "-p", "test", "-b", "0.9.0", "-d"])
        .arg(fixture())
        .run()
        .code(2)
        .stderr_has("already at version 0.9");
    // Wrong type and unknown names are usage errors naming the parameter.
    db.pum()
        .args(["upgrade", "-p", "test", "--parameter", "SRID", "lv95", "-d"])
        .arg(fixture())
        .run()
        .code(2)
        .stderr_has("--parameter SRID \"lv95\": not an integer");
    db.pum()
        .args(["upgrade", "-p", "test", "--parameter", "SRDI", "1", "-d"])
        .arg(fixture())
        .run()
        .code(2)
        .stderr_has("unknown parameter \"SRDI\"");
    assert_eq!(rows(&db), ["0.9 0"]);
    // Overrides, one of them an injection attempt that must stay a literal.
    let evil = "x'); DROP SCHEMA pipes_sys CASCADE; --";
    db.pum()
        .args([
            "upgrade",
            "-p",
            "test",
            "-u",
            "1.9.0",
            "--parameter",
            "SRID",
            "21781",
            "--parameter",
            "owner_label",
            evil,
            "--parameter",
            "with_audit",
            "yes",
            "-d",
        ])
        .arg(fixture())
        .run()
        .success();
    assert_eq!(
        db.query_one(
            "SELECT string_agg(pg_get_expr(adbin, adrelid), ' ; ' ORDER BY adrelid = 'pipes.material'::regclass, adnum) \
             FROM pg_attrdef WHERE adrelid IN ('pipes.pipe'::regclass, 'pipes.material'::regclass) AND adnum > 1"
        )
        .unwrap(),
        "21781 ; 'x''); DROP SCHEMA pipes_sys CASCADE; --'::text ; 0.5 ; '{\"audit\": true}'::jsonb"
    );
    assert_eq!(rows(&db), ["0.9 0", "1.0.0 1", "1.9.0 2"]);
    assert_eq!(
        db.query_one(
            "SELECT parameters->>'SRID' FROM pipes_sys.pum_migrations WHERE version = '1.9.0'"
        )
        .as_deref(),
        Some("21781")
    );
    // Parameters are fixed for the module's life, as pum 1.x checks.
    db.pum()
        .args(["upgrade", "-p", "test", "-d"])
        .arg(fixture())
        .run()
        .code(2)
        .stderr_has("parameter SRID is 2056 but version 1.9.0 was installed with 21781");
    assert!(!db.exists_table("pipes.v_pipe"));
}

#[test]
fn failing_file_rolls_back_its_whole_version() {
    let db = installed_by_pum1();
    let module = module_copy();
    std::fs::write(
        module.path().join("changelogs/1.10.0/02_broken.sql"),
        "SELECT 1;\nINSERT INTO pipes.v_pipe (id, srid, owner) VALUES (1, 2056, NULL);\n",
    )
    .unwrap();
    // Without the application hooks, each version commits on its own.
    db.pum()
        .args(["upgrade", "-p", "test", "-d"])
        .arg(module.path())
        .args(["--skip-drop-app", "--skip-create-app"])
        .run()
        .code(2)
        .stderr_has("applied pipes 1.9.0")
        .stderr_has("changelogs/1.10.0/02_broken.sql:2:")
        .stderr_has("[23502]");
    // 1.9.0 stays; 1.10.0 (both files) and its row are gone.
    assert_eq!(rows(&db), ["1.0.0 1", "1.9.0 2"]);
    assert!(db.exists_table("pipes.material"));
    assert!(!db.exists_table("pipes.v_pipe"));
    // Fixed, the next run picks up at 1.10.0.
    std::fs::write(
        module.path().join("changelogs/1.10.0/02_broken.sql"),
        "SELECT 1;\n",
    )
    .unwrap();
    db.pum()
        .args(["upgrade", "-p", "test", "-d"])
        .arg(module.path())
        .run()
        .success();
    assert_eq!(rows(&db), ["1.0.0 1", "1.9.0 2", "1.10.0 2", "1.11.0 0"]);
}

#[test]
fn with_application_hooks_a_failure_rolls_back_everything_and_keeps_the_app() {
    let db = installed_by_pum1();
    db.execute("CREATE VIEW pipes.app_pipes AS SELECT id, srid FROM pipes.pipe");
    let module = module_copy();
    std::fs::write(
        module.path().join("changelogs/1.10.0/02_broken.sql"),
        "SELECT 1/0;\n",
    )
    .unwrap();
    db.pum()
        .args(["upgrade", "-p", "test", "-d"])
        .arg(module.path())
        .run()
        .code(2)
        .stderr_has("ran drop hook")
        .stderr_has("was rolled back");
    // The drop hook, 1.9.0 and 1.10.0 are undone together: the app stays.
    assert_eq!(rows(&db), ["1.0.0 1"]);
    assert!(
        db.exists_table("pipes.app_pipes"),
        "the application was left dropped"
    );
    assert!(!db.exists_table("pipes.material"));

    // A Python hook file without a Hook class: refused before anything runs.
    std::fs::write(
        module.path().join("changelogs/1.10.0/02_broken.sql"),
        "SELECT 1;\n",
    )
    .unwrap();
    std::fs::write(
        module.path().join("app/hook.py"),
        "from pum import HookBase\n",
    )
    .unwrap();
    let config = module.path().join(".pum.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("- file: app/create_app.sql", "- file: app/hook.py"),
    )
    .unwrap();
    db.pum()
        .args(["upgrade", "-p", "test", "-d"])
        .arg(module.path())
        .run()
        .code(2)
        .stderr_has("hook.py: no class named Hook subclassing pum.HookBase");
    assert_eq!(rows(&db), ["1.0.0 1"]);
    db.pum()
        .args(["upgrade", "-p", "test", "-d"])
        .arg(module.path())
        .arg("--skip-create-app")
        .run()
        .success();
    assert!(
        !db.exists_table("pipes.app_pipes"),
        "the drop hook ran, the create hook was skipped"
    );
}

#[test]
fn roles_are_created_and_granted() {
    let db = installed_by_pum1();
    db.execute("CREATE TABLE pipes.extra (id int)");
    let run = db
        .pum()
        .args(["roles", "create", "-p", "test", "-d"])
        .arg(fixture())
        .run()
        .success();
    assert!(run.stdout.contains("2 roles created"), "{}", run.stdout);
    assert_eq!(
        db.query_one(
            "SELECT string_agg(rolname || ':' || rolcanlogin || ':' || rolinherit, ',' ORDER BY rolname) \
             FROM pg_roles WHERE rolname IN ('pum_it_viewer', 'pum_it_editor')"
        )
        .unwrap(),
        "pum_it_editor:false:true,pum_it_viewer:false:true"
    );
    assert_eq!(
        db.query_one(
            "SELECT concat_ws(',', pg_has_role('pum_it_editor', 'pum_it_viewer', 'MEMBER'), \
                    has_table_privilege('pum_it_viewer', 'pipes.extra', 'SELECT'), \
                    has_table_privilege('pum_it_viewer', 'pipes.extra', 'INSERT'), \
                    has_table_privilege('pum_it_editor', 'pipes.extra', 'INSERT'), \
                    shobj_description((SELECT oid FROM pg_roles WHERE rolname = 'pum_it_viewer'), 'pg_authid'))"
        )
        .unwrap(),
        "t,t,f,t,Reads the pipes."
    );
    // --grant after an upgrade covers the tables the upgrade created.
    db.pum()
        .args(["upgrade", "-p", "test", "--grant", "-d"])
        .arg(fixture())
        .run()
        .success()
        .stderr_has("granted permissions of 2 roles");
    assert_eq!(
        db.query_one(
            "SELECT concat_ws(',', has_table_privilege('pum_it_viewer', 'pipes.material', 'SELECT'), \
                    has_table_privilege('pum_it_viewer', 'pipes.v_pipe', 'SELECT'), \
                    has_table_privilege('pum_it_editor', 'pipes.material', 'DELETE'))"
        )
        .unwrap(),
        "t,t,t"
    );
    // Running it again creates nothing.
    db.pum()
        .args(["roles", "create", "-p", "test", "-d"])
        .arg(fixture())
        .run()
        .success()
        .stdout_has("0 roles created, 2 already there");
}

#[test]
fn bad_module_files_are_reported_with_their_position() {
    let db = TestDb::new();
    let module = module_copy();
    let yaml = module.path().join(".pum.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(
        &yaml,
        text.replace("changelogs_directory:", "changelog_directory:"),
    )
    .unwrap();
    db.pum()
        .args(["info", "-p", "test", "-d"])
        .arg(module.path())
        .run()
        .code(2)
        .stderr_has(".pum.yaml:23:1: unknown field `changelog_directory`");
    std::fs::write(&yaml, &text).unwrap();
    std::fs::write(
        module.path().join("changelogs/1.9.0/01_material.sql"),
        "ALTER TABLE pipes.pipe ADD COLUMN material text DEFAULT {nope};\n",
    )
    .unwrap();
    db.execute(PUM1_TABLE);
    db.pum()
        .args(["upgrade", "-p", "test", "-d"])
        .arg(module.path())
        .run()
        .code(2)
        .stderr_has("1.9.0/01_material.sql:1:57: parameter \"nope\" is not defined");
    // A database without pum_migrations is not installed.
    let fresh = TestDb::new();
    fresh
        .pum()
        .args(["upgrade", "-p", "test", "-d"])
        .arg(fixture())
        .run()
        .code(2)
        .stderr_has("pipes_sys.pum_migrations not found");
}

#[test]
fn dry_run_info_and_versions_below_the_baseline() {
    let db = TestDb::new();
    // Not installed yet: info still lists the changelogs.
    let info = db
        .pum()
        .args(["--format", "json", "info", "-p", "test", "-d"])
        .arg(fixture())
        .run()
        .success()
        .json();
    assert_eq!(info["installed"], false);
    assert_eq!(info["pending"], 4);
    db.pum()
        .args(["baseline", "-p", "test", "-b", "1.9.0", "-d"])
        .arg(fixture())
        .run()
        .success();
    let plan = db
        .pum()
        .args([
            "--format",
            "json",
            "upgrade",
            "--dry-run",
            "-p",
            "test",
            "--parameter",
            "SRID",
            "4326",
            "-d",
        ])
        .arg(fixture())
        .run()
        .success()
        .stderr_has("version(s) 1.0.0 are older than the database's version 1.9.0")
        .json();
    assert_eq!(plan["version_before"], "1.9.0");
    assert_eq!(plan["version_after"], "1.11.0");
    assert_eq!(plan["parameters"]["SRID"], 4326);
    assert_eq!(plan["versions"][0]["version"], "1.10.0");
    assert!(plan["versions"][0]["files"][0]["sql"]
        .as_str()
        .unwrap()
        .starts_with("CREATE VIEW pipes.v_pipe"));
    assert_eq!(plan["versions"][1]["app_only"], true);
    assert_eq!(rows(&db), ["1.9.0 0"]);
    // --strict refuses to leave an unrecorded older version behind.
    db.pum()
        .args(["upgrade", "-p", "test", "--strict", "-d"])
        .arg(fixture())
        .run()
        .code(2)
        .stderr_has("refusing to upgrade (--strict); nothing was applied");
    assert_eq!(rows(&db), ["1.9.0 0"]);
    // -t and -v belong to delta directories.
    db.pum()
        .args(["upgrade", "-p", "test", "-t", "public.x", "-d"])
        .arg(fixture())
        .run()
        .code(2)
        .stderr_has("leave out -t");
}

#[test]
fn install_builds_the_module_from_scratch() {
    let db = TestDb::new();
    // Roles are cluster-wide: names of their own, apart from the roles test.
    let module = module_copy();
    let yaml = module.path().join(".pum.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(&yaml, text.replace("pum_it_", "pum_it_install_")).unwrap();
    db.pum()
        .args([
            "install",
            "-p",
            "test",
            "--grant",
            "--parameter",
            "tolerance",
            "0.25",
            "-d",
        ])
        .arg(module.path())
        .run()
        .success()
        .stderr_has("created pipes_sys.pum_migrations")
        .stdout_has("(none) → 1.11.0 (4 versions applied");
    assert_eq!(rows(&db), ["1.0.0 1", "1.9.0 2", "1.10.0 1", "1.11.0 0"]);
    assert_eq!(
        db.query_one(
            "SELECT concat_ws(',', has_table_privilege('pum_it_install_viewer', 'pipes.v_pipe', 'SELECT'), \
                    (SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef \
                     WHERE adrelid = 'pipes.pipe'::regclass AND adnum = 4))"
        )
        .unwrap(),
        "t,0.25"
    );
    // A second install is refused; the module is there.
    db.pum()
        .args(["install", "-p", "test", "-d"])
        .arg(module.path())
        .run()
        .code(2)
        .stderr_has("already exists")
        .stderr_has("use `pum upgrade`");
}

#[test]
fn run_lock_and_lock_timeout_apply_to_modules() {
    let db = installed_by_pum1();
    let mut holder = db.client();
    holder
        .batch_execute(
            "SELECT pg_advisory_lock(7370093, hashtext('\"pipes_sys\".\"pum_migrations\"'))",
        )
        .unwrap();
    db.pum()
        .args(["upgrade", "-p", "test", "--lock-timeout", "300ms", "-d"])
        .arg(fixture())
        .run()
        .code(2)
        .stderr_has("another pum run holds the upgrade lock on pipes_sys.pum_migrations");
    assert_eq!(rows(&db), ["1.0.0 1"]);
    holder
        .batch_execute("SELECT pg_advisory_unlock_all()")
        .unwrap();
    // A version blocked by another session's lock is rolled back and retried.
    holder
        .batch_execute("BEGIN; LOCK TABLE pipes.pipe IN ACCESS SHARE MODE;")
        .unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(800));
        holder.batch_execute("COMMIT").unwrap();
    });
    let run = db
        .pum()
        .args([
            "--format",
            "json",
            "upgrade",
            "-p",
            "test",
            "--delta-lock-timeout",
            "100ms",
            "--retries",
            "6",
            "-d",
        ])
        .arg(fixture())
        .run()
        .success()
        .stderr_has(
            "pipes 1.9.0: canceling statement due to lock timeout (rolled back); attempt 2 of 7",
        );
    release.join().unwrap();
    let report = run.json();
    assert_eq!(report["version_after"], "1.11.0");
    assert_eq!(report["applied"][0]["version"], "1.9.0");
    assert_eq!(report["applied"][0]["atomic"], true);
    assert_eq!(rows(&db), ["1.0.0 1", "1.9.0 2", "1.10.0 1", "1.11.0 0"]);
}
