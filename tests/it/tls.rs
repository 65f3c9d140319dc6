//! TLS, following libpq's sslmode: a role the server accepts over TLS only.

use crate::support::{cluster, server_certificate, wait_until, TestDb};

const PASSWORD: &str = "tls-only-secret";

/// A role that pg_hba.conf lets in over TLS only (prepended rules, first match wins).
fn tls_only_role(db: &TestDb) {
    db.execute(&format!(
        "CREATE ROLE tls_only LOGIN PASSWORD '{PASSWORD}'; GRANT ALL ON DATABASE {} TO tls_only; \
         GRANT ALL ON SCHEMA public TO tls_only;",
        db.name
    ));
    let hba = cluster().data_dir().join("pg_hba.conf");
    let old = std::fs::read_to_string(&hba).unwrap();
    let rules = "hostnossl all tls_only 127.0.0.1/32 reject\nhostssl all tls_only 127.0.0.1/32 scram-sha-256\n";
    std::fs::write(&hba, format!("{rules}{old}")).unwrap();
    db.execute("SELECT pg_reload_conf()");
    // The reload is asynchronous: wait until the rules refuse an unencrypted login.
    let env = pum::service::Environment::from_vars([("PGPASSWORD", PASSWORD)], None);
    let spec = format!(
        "host=127.0.0.1 port={} dbname={} user=tls_only sslmode=disable",
        cluster().port(),
        db.name
    );
    let plain = pum::service::ConnParams::resolve(&spec, &env).unwrap();
    wait_until(
        "pg_hba.conf refuses unencrypted logins of tls_only",
        || matches!(pum::db::connect(&plain), Err(pum::error::Error::Connect { ref message, .. }) if message.contains("no encryption")),
    );
}

#[test]
fn sslmode_encrypts_and_verifies_as_libpq_does() {
    let db = TestDb::new();
    tls_only_role(&db);
    let base = format!(
        "host=localhost hostaddr=127.0.0.1 port={} dbname={} user=tls_only",
        cluster().port(),
        db.name
    );
    let run = |extra: &str| {
        db.pum()
            .env("PGPASSWORD", PASSWORD)
            .args(["baseline", "-t", "public.up", "-b", "1.0.0", "-p"])
            .arg(format!("{base} {extra}"))
            .run()
    };
    run("sslmode=disable").code(2).stderr_has("no encryption");
    run("sslmode=require").success();
    let cert = server_certificate();
    // Baselined already: the connection works, the second baseline is refused.
    run(&format!(
        "sslmode=verify-full sslrootcert={}",
        cert.display()
    ))
    .code(2)
    .stderr_has("already has a baseline");
    let other = tempfile::tempdir().unwrap();
    let wrong = other.path().join("other.crt");
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=other",
        ])
        .arg("-keyout")
        .arg(other.path().join("other.key"))
        .arg("-out")
        .arg(&wrong)
        .output()
        .unwrap();
    assert!(made.status.success());
    run(&format!(
        "sslmode=verify-ca sslrootcert={}",
        wrong.display()
    ))
    .code(2)
    .stderr_has("certificate verify failed");
    run("sslmode=verify-full sslrootcert=/nonexistent/root.crt")
        .code(2)
        .stderr_has("root certificate file /nonexistent/root.crt does not exist");
    // The certificate names localhost, not the address.
    let by_address = format!(
        "host=127.0.0.1 port={} dbname={} user=tls_only sslmode=verify-full sslrootcert={}",
        cluster().port(),
        db.name,
        cert.display()
    );
    db.pum()
        .env("PGPASSWORD", PASSWORD)
        .args(["info", "-t", "public.up", "-d", "/", "-p"])
        .arg(&by_address)
        .run()
        .code(2)
        .stderr_has("certificate verify failed");
    // pg_dump gets the same sslmode through its environment.
    let out = tempfile::tempdir().unwrap();
    db.pum()
        .env("PGPASSWORD", PASSWORD)
        .args(["dump", "-p"])
        .arg(format!("{base} sslmode=require"))
        .arg(out.path().join("tls.dump"))
        .run()
        .success();
    assert!(out.path().join("tls.dump").is_file());
}
