//! Resolution as a whole: service file order, precedence of the sources,
//! the password file, and that passwords never show.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;

const SECRET: &str = "s3cret-Pw";

/// An environment with only `vars`, `home` as the home directory, a fixed OS
/// user and no system service file, so that nothing of the machine leaks in.
fn env(vars: &[(&str, &str)], home: &Path) -> Environment {
    let mut env = Environment::from_vars(
        vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        Some(home.to_path_buf()),
    )
    .with_sysconfdir(None);
    env.os_user = Some("osuser".into());
    env
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn write_private(path: &Path, text: &str) {
    write(path, text);
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn defaults_follow_libpq() {
    let home = tempfile::tempdir().unwrap();
    let p = ConnParams::resolve("port=5433", &env(&[], home.path())).unwrap();
    assert_eq!(p.host(), DEFAULT_SOCKET_DIR);
    assert_eq!(p.port().unwrap(), 5433);
    assert_eq!(p.user(), "osuser");
    assert_eq!(p.dbname(), "osuser");
    let p = ConnParams::resolve("user=alice", &env(&[], home.path())).unwrap();
    assert_eq!(p.dbname(), "alice");
    assert_eq!(p.port().unwrap(), 5432);
    // An empty value means the default, and still hides the variable.
    let p = ConnParams::resolve("host=''", &env(&[("PGHOST", "envhost")], home.path())).unwrap();
    assert_eq!(p.host(), DEFAULT_SOCKET_DIR);
    let p = ConnParams::resolve("hostaddr=127.0.0.1", &env(&[], home.path())).unwrap();
    assert_eq!(p.get("host"), None);
    assert_eq!(p.target(), "127.0.0.1:5432/osuser as osuser");
}

#[test]
fn service_conninfo_env_precedence() {
    let home = tempfile::tempdir().unwrap();
    write(
        &home.path().join(".pg_service.conf"),
        "[prod]\nhost=svchost\nport=6000\ndbname=svcdb\n",
    );
    let e = env(
        &[
            ("PGHOST", "envhost"),
            ("PGUSER", "envuser"),
            ("PGPORT", "7000"),
        ],
        home.path(),
    );
    let p = ConnParams::resolve("prod", &e).unwrap();
    assert_eq!(p.host(), "svchost");
    assert_eq!(p.port().unwrap(), 6000);
    assert_eq!(p.dbname(), "svcdb");
    assert_eq!(p.user(), "envuser");
    assert_eq!(p.origin(), "service prod");
    let p = ConnParams::resolve("service=prod dbname=mine", &e).unwrap();
    assert_eq!(p.dbname(), "mine");
    assert_eq!(p.host(), "svchost");
    assert_eq!(p.origin(), "conninfo (service prod)");
    let p = ConnParams::resolve("postgresql:///uridb?service=prod", &e).unwrap();
    assert_eq!(p.dbname(), "uridb");
    assert_eq!(p.port().unwrap(), 6000);
    // PGSERVICE applies when nothing names a service.
    let with_pgservice = env(&[("PGSERVICE", "prod"), ("PGPORT", "7000")], home.path());
    let p = ConnParams::from_environment(&with_pgservice).unwrap();
    assert_eq!(p.host(), "svchost");
    assert_eq!(p.port().unwrap(), 6000);
    let p = ConnParams::from_environment(&e).unwrap();
    assert_eq!(p.host(), "envhost");
    assert_eq!(p.port().unwrap(), 7000);
}

#[test]
fn service_files_are_searched_in_libpq_order_and_first_wins() {
    let home = tempfile::tempdir().unwrap();
    let sys = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let user_file = home.path().join(".pg_service.conf");
    let sys_file = sys.path().join("pg_service.conf");
    let env_file = other.path().join("services.conf");
    write(&user_file, "[both]\nhost=from-home\n[home]\nhost=h\n");
    write(
        &sys_file,
        "[both]\nhost=from-sys\nport=9999\n[sys]\nhost=s\n",
    );
    write(&env_file, "[both]\nhost=from-env\n");
    let sysdir = sys.path().to_str().unwrap();

    let e = env(&[("PGSYSCONFDIR", sysdir)], home.path());
    let p = ConnParams::resolve("both", &e).unwrap();
    assert_eq!(p.host(), "from-home");
    assert_eq!(p.service_file(), Some(user_file.as_path()));
    // The first file that defines the service wins outright: no merging.
    assert_eq!(p.port().unwrap(), 5432);
    assert_eq!(ConnParams::resolve("sys", &e).unwrap().host(), "s");

    let pgfile = env_file.to_str().unwrap();
    let e = env(
        &[("PGSERVICEFILE", pgfile), ("PGSYSCONFDIR", sysdir)],
        home.path(),
    );
    assert_eq!(ConnParams::resolve("both", &e).unwrap().host(), "from-env");
    // PGSERVICEFILE replaces ~/.pg_service.conf.
    assert_eq!(ConnParams::resolve("sys", &e).unwrap().host(), "s");
    let err = ConnParams::resolve("home", &e).unwrap_err().to_string();
    assert!(
        err.contains("definition of service \"home\" not found"),
        "{err}"
    );
    assert!(
        err.contains(pgfile) && err.contains(sys_file.to_str().unwrap()),
        "{err}"
    );

    // Without PGSYSCONFDIR the fixed (normally pg_config's) sysconfdir is used.
    let e = env(&[], home.path()).with_sysconfdir(Some(sys.path().to_path_buf()));
    assert_eq!(ConnParams::resolve("sys", &e).unwrap().host(), "s");
}

#[test]
fn unknown_service_lists_every_file_searched() {
    let home = tempfile::tempdir().unwrap();
    let sys = tempfile::tempdir().unwrap();
    let e = env(
        &[("PGSYSCONFDIR", sys.path().to_str().unwrap())],
        home.path(),
    );
    let err = ConnParams::resolve("nope", &e).unwrap_err().to_string();
    let user_file = home.path().join(".pg_service.conf");
    let sys_file = sys.path().join("pg_service.conf");
    assert!(
        err.starts_with("definition of service \"nope\" not found"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{} (absent)", user_file.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("{} (absent)", sys_file.display())),
        "{err}"
    );

    // A byte-order mark hides the first section from libpq; say so.
    std::fs::write(
        home.path().join(".pg_service.conf"),
        "\u{feff}[nope]\nhost=h\n",
    )
    .unwrap();
    let err = ConnParams::resolve("nope", &e).unwrap_err().to_string();
    assert!(err.contains("byte-order mark"), "{err}");

    let missing = home.path().join("missing.conf");
    let e = env(&[("PGSERVICEFILE", missing.to_str().unwrap())], home.path());
    let err = ConnParams::resolve("nope", &e).unwrap_err().to_string();
    assert!(
        err.contains("missing.conf") && err.contains("not found"),
        "{err}"
    );
}

#[test]
fn pg_config_runs_only_when_the_service_is_not_found_earlier() {
    let home = tempfile::tempdir().unwrap();
    write(&home.path().join(".pg_service.conf"), "[here]\nhost=h\n");
    let mut e = Environment::from_vars(Vec::<(String, String)>::new(), Some(home.path().into()))
        .with_pg_config(home.path().join("no-such-pg_config"));
    e.os_user = Some("osuser".into());
    ConnParams::resolve("here", &e).unwrap();
    assert!(e.sysconfdir.get().is_none(), "pg_config ran needlessly");
    let err = ConnParams::resolve("elsewhere", &e)
        .unwrap_err()
        .to_string();
    assert!(e.sysconfdir.get().is_some());
    assert!(err.contains("no-such-pg_config --sysconfdir"), "{err}");
    assert!(err.contains("set PGSYSCONFDIR"), "{err}");
}

#[test]
fn service_file_errors_name_file_and_line() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join(".pg_service.conf");
    let e = env(&[], home.path());
    write(&file, "# comment\n[prod]\nhost=x\nport 5432\n");
    let err = ConnParams::resolve("prod", &e).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}:4: syntax error", file.display())),
        "{err}"
    );
    write(&file, "[prod]\nhost=x\ndatabase=y\n");
    let err = ConnParams::resolve("prod", &e).unwrap_err().to_string();
    assert!(
        err.contains(":3:") && err.contains("unknown keyword \"database\""),
        "{err}"
    );
    write(&file, "[prod]\nservice=other\n");
    let err = ConnParams::resolve("prod", &e).unwrap_err().to_string();
    assert!(
        err.contains(":2:") && err.contains("nested service"),
        "{err}"
    );
}

#[test]
fn uris_resolve_to_endpoints() {
    let home = tempfile::tempdir().unwrap();
    let e = env(&[("PGPORT", "7000")], home.path());
    let p = ConnParams::resolve("postgresql://u@[::1]:5433,db2/app", &e).unwrap();
    assert_eq!(p.target(), "[::1]:5433,db2:5432/app as u");
    // A host list without ports still sets port to "," (as in libpq), which
    // hides PGPORT and means the default port for every host.
    let p = ConnParams::resolve("postgresql://a,b/app", &e).unwrap();
    assert_eq!(p.target(), "a:5432,b:5432/app as osuser");
    let p = ConnParams::resolve("postgresql://a/app", &e).unwrap();
    assert_eq!(p.target(), "a:7000/app as osuser");
    let p = ConnParams::resolve("postgresql://%2Ftmp%2Fsock:6000/app", &e).unwrap();
    assert_eq!(p.host(), "/tmp/sock");
    assert_eq!(p.target(), "/tmp/sock:6000/app as osuser");
    let cfg = crate::db::driver::client_config(&p, "pum").unwrap();
    assert_eq!(cfg.get_ports(), &[6000]);
    for bad in [
        "host=a,b port=1,2,3",
        "postgresql://h:0/x",
        "postgresql://h:port/x",
        "host=a,b hostaddr=127.0.0.1",
        "hostaddr=not-an-ip",
    ] {
        assert!(ConnParams::resolve(bad, &e).is_err(), "{bad}");
    }
}

#[test]
fn password_precedence() {
    let home = tempfile::tempdir().unwrap();
    write_private(&home.path().join(".pgpass"), "*:*:*:*:from-passfile\n");
    write(
        &home.path().join(".pg_service.conf"),
        "[withpw]\nhost=h\npassword=from-service\n[nopw]\nhost=h\n",
    );
    let plain = env(&[], home.path());
    let with_env = env(&[("PGPASSWORD", "from-env")], home.path());
    let pw = |spec: &str, e: &Environment| {
        let p = ConnParams::resolve(spec, e).unwrap();
        (p.password.clone(), p.password_source())
    };
    let cases = [
        (
            "host=h password=explicit",
            &with_env,
            "explicit",
            PasswordSource::Explicit,
        ),
        (
            "postgresql://u:from%20uri@h/db",
            &with_env,
            "from uri",
            PasswordSource::Explicit,
        ),
        (
            "withpw",
            &with_env,
            "from-service",
            PasswordSource::Explicit,
        ),
        ("nopw", &with_env, "from-env", PasswordSource::Environment),
        ("nopw", &plain, "from-passfile", PasswordSource::Passfile),
        // An empty explicit password hides PGPASSWORD but not the passfile.
        (
            "host=h password=''",
            &with_env,
            "from-passfile",
            PasswordSource::Passfile,
        ),
    ];
    for (spec, e, password, source) in cases {
        assert_eq!(pw(spec, e), (Some(password.into()), source), "{spec}");
    }
    // passfile= beats PGPASSFILE beats ~/.pgpass.
    let other = home.path().join("other.pgpass");
    write_private(&other, "*:*:*:*:from-other\n");
    let third = home.path().join("third.pgpass");
    write_private(&third, "*:*:*:*:from-third\n");
    let e = env(&[("PGPASSFILE", other.to_str().unwrap())], home.path());
    assert_eq!(pw("host=h", &e).0.as_deref(), Some("from-other"));
    let spec = format!("host=h passfile={}", third.display());
    assert_eq!(pw(&spec, &e).0.as_deref(), Some("from-third"));
    // No file, no password.
    let empty_home = tempfile::tempdir().unwrap();
    assert_eq!(
        pw("host=h", &env(&[], empty_home.path())),
        (None, PasswordSource::None)
    );
}

#[test]
fn passfile_lines_are_matched_against_the_resolved_target() {
    let home = tempfile::tempdir().unwrap();
    write_private(
        &home.path().join(".pgpass"),
        "# host:port:db:user:password\n\
         localhost:5432:app:alice:socket-default\n\
         \\/tmp:5432:app:alice:socket-tmp\n\
         db.example.com:6543:*:alice:tcp\n\
         127.0.0.1:*:app:*:loopback\n",
    );
    let e = env(&[("PGUSER", "alice")], home.path());
    let pw = |spec: &str| ConnParams::resolve(spec, &e).unwrap().password;
    assert_eq!(pw("dbname=app").as_deref(), Some("socket-default"));
    let spec = format!("host={DEFAULT_SOCKET_DIR} dbname=app");
    assert_eq!(pw(&spec).as_deref(), Some("socket-default"));
    assert_eq!(
        pw("host=localhost dbname=app").as_deref(),
        Some("socket-default")
    );
    assert_eq!(pw("host=/tmp dbname=app").as_deref(), Some("socket-tmp"));
    assert_eq!(pw("host=/run/other dbname=app"), None);
    assert_eq!(
        pw("host=db.example.com port=6543 dbname=x").as_deref(),
        Some("tcp")
    );
    assert_eq!(pw("host=db.example.com port=6544 dbname=x"), None);
    assert_eq!(
        pw("hostaddr=127.0.0.1 dbname=app").as_deref(),
        Some("loopback")
    );
    // host, not hostaddr, names the server when both are given.
    assert_eq!(
        pw("host=db.example.com hostaddr=127.0.0.1 port=6543").as_deref(),
        Some("tcp")
    );
}

#[test]
fn a_passfile_readable_by_others_is_ignored() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join(".pgpass");
    write(&file, "*:*:*:*:pw\n");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let p = ConnParams::resolve("host=h", &env(&[], home.path())).unwrap();
    assert!(!p.has_password());
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let p = ConnParams::resolve("host=h", &env(&[], home.path())).unwrap();
    assert!(p.has_password());
}

#[test]
fn with_dbname_looks_the_passfile_up_again() {
    let home = tempfile::tempdir().unwrap();
    write_private(
        &home.path().join(".pgpass"),
        "h:5432:prod:u:prod-pw\nh:5432:test:u:test-pw\n",
    );
    let e = env(&[], home.path());
    let prod = ConnParams::resolve("host=h user=u dbname=prod", &e).unwrap();
    assert_eq!(prod.password.as_deref(), Some("prod-pw"));
    let test = prod.with_dbname("test");
    assert_eq!(test.dbname(), "test");
    assert_eq!(test.password.as_deref(), Some("test-pw"));
    let none = prod.with_dbname("other");
    assert!(!none.has_password());
    assert_eq!(none.password_source(), PasswordSource::None);
    assert_eq!(
        none.with_dbname("prod").password.as_deref(),
        Some("prod-pw")
    );
    // An explicit password is kept for every database.
    let explicit = ConnParams::resolve("host=h user=u dbname=prod password=given", &e).unwrap();
    assert_eq!(
        explicit.with_dbname("test").password.as_deref(),
        Some("given")
    );
}

#[test]
fn passwords_never_show() {
    let home = tempfile::tempdir().unwrap();
    let e = env(&[], home.path());
    let specs = [
        format!("host=h password={SECRET} sslpassword={SECRET}"),
        format!("postgresql://u:{SECRET}@h/db?sslpassword={SECRET}"),
    ];
    for spec in &specs {
        let p = ConnParams::resolve(spec, &e).unwrap();
        assert!(p.has_password());
        for shown in [format!("{p:?}"), p.target(), p.origin().to_string()] {
            assert!(!shown.contains(SECRET), "{shown}");
        }
        let other = p.with_dbname("x");
        assert!(!format!("{other:?}").contains(SECRET));
    }
    let e_with_pw = env(&[("PGPASSWORD", SECRET)], home.path());
    assert!(!format!("{e_with_pw:?}").contains(SECRET));
    for bad in [
        format!("host=h password={SECRET} port=nope"),
        format!("postgresql://u:{SECRET}@h:nope/db"),
        format!("postgresql://u:{SECRET}@h/db?sslmode=verify-full"),
    ] {
        // Each fails somewhere: resolving, building the driver's
        // configuration, or (verify-full without a root certificate) TLS.
        let msg = match ConnParams::resolve(&bad, &e) {
            Err(err) => err.to_string(),
            Ok(p) => match (
                crate::db::driver::client_config(&p, "pum"),
                crate::db::tls_connector(&p),
            ) {
                (Err(err), _) | (_, Err(err)) => err.to_string(),
                _ => panic!("{bad} should fail"),
            },
        };
        assert!(!msg.contains(SECRET), "{msg}");
    }
}

#[test]
fn child_env_points_at_the_same_target() {
    let home = tempfile::tempdir().unwrap();
    write_private(&home.path().join(".pgpass"), "*:*:*:*:from-file\n");
    let e = env(&[("PGSSLMODE", "disable")], home.path());
    let p = ConnParams::resolve("host=db port=6000 dbname=app user=u", &e).unwrap();
    let child: BTreeMap<String, Option<String>> = p
        .child_env()
        .into_iter()
        .map(|(k, v)| {
            (
                k.into_string().unwrap(),
                v.map(|v| v.into_string().unwrap()),
            )
        })
        .collect();
    let get = |k: &str| {
        child
            .get(k)
            .unwrap_or_else(|| panic!("{k} not set or removed"))
    };
    assert_eq!(get("PGHOST").as_deref(), Some("db"));
    assert_eq!(get("PGPORT").as_deref(), Some("6000"));
    assert_eq!(get("PGDATABASE").as_deref(), Some("app"));
    assert_eq!(get("PGUSER").as_deref(), Some("u"));
    assert_eq!(get("PGSSLMODE").as_deref(), Some("disable"));
    assert_eq!(get("PGPASSWORD").as_deref(), Some("from-file"));
    let passfile = home.path().join(".pgpass");
    assert_eq!(get("PGPASSFILE").as_deref(), passfile.to_str());
    assert_eq!(get("PGHOSTADDR"), &None);
    assert_eq!(get("PGOPTIONS"), &None);
    assert_eq!(get("PGSERVICE"), &None);
    assert_eq!(get("PGSERVICEFILE"), &None);

    let sandbox = ConnParams::local_socket(Path::new("/tmp/s"), 5555, "db", "postgres");
    let child = sandbox.child_env();
    let pw = child.iter().find(|(k, _)| k == "PGPASSWORD").unwrap();
    assert_eq!(pw.1, None);
}
