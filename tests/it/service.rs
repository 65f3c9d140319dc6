//! Resolving where to connect, end to end: the real binary reaching the test
//! cluster over TCP (password authentication) through service files,
//! conninfo strings, URIs and the password file.

use std::os::unix::fs::PermissionsExt;

use crate::support::{cluster, TestDb};

const PASSWORD: &str = "Pa:ss\\w@rd s3cret";
const WRONG: &str = "Wr0ng-s3cret";

/// A login role with [`PASSWORD`], unique to this test database.
fn create_role(db: &TestDb) -> String {
    let role = format!("{}_role", db.name);
    db.execute(&format!(
        "CREATE ROLE {} LOGIN PASSWORD {}",
        pum::db::quote_ident(&role),
        pum::db::quote_literal(PASSWORD)
    ));
    role
}

/// Writes `~/.pgpass` in the test's private home with the given mode.
fn write_pgpass(db: &TestDb, text: &str, mode: u32) {
    let path = db.home.path().join(".pgpass");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A `.pgpass` field with `:` and `\` escaped.
fn escape(field: &str) -> String {
    field.replace('\\', "\\\\").replace(':', "\\:")
}

/// `pum info` against `spec`, with an empty delta directory in the test's home.
fn info(db: &TestDb, spec: &str) -> crate::support::Pum {
    let deltas = db.home.path().join("deltas");
    std::fs::create_dir_all(&deltas).unwrap();
    db.pum()
        .args(["info", "-p", spec, "-t", "public.pum_upgrades", "-d"])
        .arg(deltas)
}

#[test]
fn password_from_pgpass_reaches_the_server_over_tcp() {
    let db = TestDb::new();
    let role = create_role(&db);
    let port = cluster().port();
    std::fs::write(
        db.home.path().join(".pg_service.conf"),
        format!(
            "# reached over TCP\n[tcp]\nhost=127.0.0.1\nport={port}\ndbname={}\nuser={role}\n",
            db.name
        ),
    )
    .unwrap();
    write_pgpass(
        &db,
        &format!(
            "# hostname:port:database:username:password\n\
             127.0.0.1:{port}:other_db:{role}:not-this-one\n\
             127.0.0.1:{port}:*:{role}:{}\n",
            escape(PASSWORD)
        ),
        0o600,
    );
    // Reaching the missing upgrades table proves that authentication worked.
    let run = info(&db, "tcp").run().code(2);
    assert!(
        run.stderr
            .contains("upgrades table public.pum_upgrades not found")
            && run.stderr.contains("pum baseline"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(PASSWORD), "{}", run.stderr);

    // The same through a conninfo string and a URI.
    let conninfo = format!(
        "host=127.0.0.1 port={port} dbname='{}' user={role}",
        db.name
    );
    info(&db, &conninfo)
        .run()
        .code(2)
        .stderr_has("upgrades table public.pum_upgrades not found");
    let uri = format!("postgresql://{role}@127.0.0.1:{port}/{}", db.name);
    info(&db, &uri)
        .run()
        .code(2)
        .stderr_has("upgrades table public.pum_upgrades not found");

    // A password file others may read is ignored, as libpq does.
    write_pgpass(&db, &format!("*:*:*:*:{}\n", escape(PASSWORD)), 0o644);
    let run = info(&db, "tcp").run().code(2);
    assert!(
        run.stderr.contains("has group or world access"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        run.stderr
    );
}

#[test]
fn wrong_password_names_the_server_but_not_the_password() {
    let db = TestDb::new();
    let role = create_role(&db);
    let port = cluster().port();
    let uri = format!("postgresql://{role}:{WRONG}@127.0.0.1:{port}/{}", db.name);
    let run = info(&db, &uri).run().code(2);
    assert!(
        run.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("authentication failed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(WRONG), "{}", run.stderr);
    assert!(!run.stdout.contains(WRONG), "{}", run.stdout);

    // PGPASSWORD is used when nothing else gives one, and stays hidden too.
    let conninfo = format!("host=127.0.0.1 port={port} dbname={} user={role}", db.name);
    let run = info(&db, &conninfo).env("PGPASSWORD", WRONG).run().code(2);
    assert!(
        run.stderr.contains("authentication failed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(WRONG), "{}", run.stderr);
}

#[test]
fn unknown_service_lists_the_files_searched() {
    let db = TestDb::new();
    let sysconf = tempfile::tempdir().unwrap();
    let run = info(&db, "no_such_service")
        .env("PGSYSCONFDIR", sysconf.path())
        .run()
        .code(2);
    let user_file = db.home.path().join(".pg_service.conf");
    let sys_file = sysconf.path().join("pg_service.conf");
    assert!(
        run.stderr
            .contains("definition of service \"no_such_service\" not found"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&user_file.display().to_string())
            && run.stderr.contains(&sys_file.display().to_string()),
        "{}",
        run.stderr
    );
}

#[test]
fn service_file_syntax_error_names_file_and_line() {
    let db = TestDb::new();
    let file = db.home.path().join(".pg_service.conf");
    std::fs::write(&file, "[broken]\nhost=127.0.0.1\nport 5432\n").unwrap();
    info(&db, "broken")
        .run()
        .code(2)
        .stderr_has(&format!("{}:3: syntax error", file.display()));
    std::fs::write(&file, "[broken]\nhost = 127.0.0.1\n").unwrap();
    info(&db, "broken")
        .run()
        .code(2)
        .stderr_has(&format!("{}:2:", file.display()))
        .stderr_has("unknown keyword");
}

#[test]
fn unreachable_port_names_host_and_port() {
    let db = TestDb::new();
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conninfo = format!(
        "host=127.0.0.1 port={port} dbname={} user=postgres connect_timeout=5",
        db.name
    );
    info(&db, &conninfo)
        .run()
        .code(2)
        .stderr_has("cannot connect to")
        .stderr_has(&format!("127.0.0.1:{port}"));
}
