//! The rehearsal runs as production will: as the role pum connects to
//! production as, with that role's attributes and memberships, on a copy
//! that keeps production's owners and grants.

use crate::support::{cluster, conninfo, delta_dir, example_deltas, TestDb};

const TABLE: &str = "public.pum_upgrades";

/// A normal role (LOGIN CREATEDB, not a superuser) owning `db`, reachable
/// as service `app` from `runner`'s service file.
fn owned_by_app(db: &TestDb, role: &str) {
    db.execute(&format!(
        "DO $$ BEGIN CREATE ROLE {r} LOGIN CREATEDB; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
         ALTER DATABASE {d} OWNER TO {r};",
        r = pum::db::quote_ident(role),
        d = pum::db::quote_ident(&db.name)
    ));
}

fn app_service(db: &TestDb, role: &str) -> String {
    let c = cluster();
    format!(
        "[app]\nhost={}\nport={}\ndbname={}\nuser={role}\n",
        c.socket_dir().display(),
        c.port(),
        db.name
    )
}

fn app_conninfo(db: &TestDb, role: &str) -> String {
    format!("{} user={role}", conninfo(db).replace(" user=postgres", ""))
}

/// A database at 1.0.0 (or the newest version) built entirely by `role`.
fn built_by(role: &str, newest: bool) -> TestDb {
    let db = TestDb::new();
    owned_by_app(&db, role);
    db.write_service_file(&app_service(&db, role));
    db.pum()
        .args(["baseline", "-p", "app", "-t", TABLE, "-b", "1.0.0"])
        .run()
        .success();
    let mut up = db
        .pum()
        .args(["upgrade", "-p", "app", "-t", TABLE, "-d"])
        .arg(example_deltas());
    if !newest {
        up = up.args(["-u", "1.0.0"]);
    }
    up.run().success();
    db
}

fn version(db: &TestDb) -> String {
    db.query_one("SELECT max(string_to_array(version, '.')::int[])::text FROM public.pum_upgrades")
        .unwrap()
}

#[test]
fn an_app_owned_production_equals_its_app_owned_reference_without_ignoring_owners() {
    let role = format!("app_{}", std::process::id());
    let prod = built_by(&role, false);
    let reference = built_by(&role, true);
    let owner = prod.query_one(
        "SELECT tableowner::text FROM pg_tables WHERE schemaname = 'network' AND tablename = 'pipe'",
    );
    assert_eq!(owner.as_deref(), Some(role.as_str()));
    let run = prod
        .pum()
        .args(["test-and-upgrade", "-pp", "app", "-pc"])
        .arg(app_conninfo(&reference, &role))
        .args(["-t", TABLE, "--yes", "--format", "json", "-d"])
        .arg(example_deltas())
        .run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let json = run.json();
    assert_eq!(json["verdict"], "upgraded");
    assert_eq!(json["rehearsed_as"], role.as_str());
    assert_eq!(version(&prod), "{1,2,0}");
    // The deltas ran on production as the app role too.
    let owner = prod.query_one(
        "SELECT tableowner::text FROM pg_tables WHERE schemaname = 'network' AND tablename = 'material'",
    );
    assert_eq!(owner.as_deref(), Some(role.as_str()));
}

#[test]
fn a_delta_production_would_refuse_is_refused_in_the_rehearsal() {
    let role = format!("app_nocr_{}", std::process::id());
    let prod = built_by(&role, false);
    // Needs CREATEROLE, which the app role lacks: on production this delta
    // would fail. The reference says the delta is expected.
    let needs_createrole = format!("CREATE ROLE {role}_reader NOLOGIN;");
    let first = std::fs::read_to_string(example_deltas().join("delta_1.0.0_network.sql")).unwrap();
    let deltas = delta_dir(&[
        ("delta_1.0.0_network.sql", &first),
        ("delta_1.1.0_reader.sql", &needs_createrole),
    ]);
    let reference = built_by(&role, false);
    let before = prod
        .query_strings("SELECT version || ' ' || description FROM public.pum_upgrades ORDER BY id");
    let run = prod
        .pum()
        .args(["test-and-upgrade", "-pp", "app", "-pc"])
        .arg(app_conninfo(&reference, &role))
        .args(["-t", TABLE, "--yes", "--format", "json", "-d"])
        .arg(deltas.path())
        .run();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("permission denied to create role"),
        "{}",
        run.stderr
    );
    let json = run.json();
    assert_eq!(json["verdict"], "rehearsal_failed");
    assert_eq!(json["production_touched"], false);
    assert_eq!(json["production_check"]["version_unchanged"], true);
    assert_eq!(json["production_check"]["schema_unchanged"], true);
    assert!(
        run.stderr.contains("production not touched (re-read"),
        "{}",
        run.stderr
    );
    assert_eq!(
        prod.query_strings(
            "SELECT version || ' ' || description FROM public.pum_upgrades ORDER BY id"
        ),
        before
    );
    assert_eq!(
        prod.query_one(&format!(
            "SELECT count(*)::text FROM pg_roles WHERE rolname = '{role}_reader'"
        ))
        .as_deref(),
        Some("0")
    );
}
