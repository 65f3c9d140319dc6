//! The driver's side of a connection: resolved [`ConnParams`] turned into a
//! `postgres::Config`, with libpq's keywords mapped one by one and those
//! the driver cannot honour refused rather than silently dropped.

use crate::error::{Error, Result};
use crate::service::{ConnParams, SslMode};

/// The driver configuration for pum's own connection, one group of
/// keywords per step.
pub fn client_config(params: &ConnParams, application_name: &str) -> Result<postgres::Config> {
    let mut cfg = postgres::Config::new();
    servers(&mut cfg, params)?;
    cfg.dbname(params.dbname());
    cfg.user(params.user());
    if let Some(pw) = params.password() {
        cfg.password(pw);
    }
    if let Some(opts) = params.get("options") {
        cfg.options(opts);
    }
    timeouts(&mut cfg, params)?;
    session(&mut cfg, params, application_name)?;
    security(&mut cfg, params)?;
    Ok(cfg)
}

/// The error for a keyword the driver cannot take, naming where it came from.
fn refused(params: &ConnParams, msg: String) -> Error {
    Error::Service(format!("{}: {msg}", params.origin()))
}

/// `host`, `hostaddr` and `port`, paired as libpq pairs them.
fn servers(cfg: &mut postgres::Config, params: &ConnParams) -> Result<()> {
    let err = |msg: String| refused(params, msg);
    let endpoints = params.endpoints()?;
    let any_hostaddr = endpoints.iter().any(|e| e.hostaddr.is_some());
    for e in &endpoints {
        match &e.hostaddr {
            Some(addr) => {
                cfg.hostaddr(addr.parse().expect("validated by endpoints()"));
            }
            None if any_hostaddr => {
                return Err(err(
                    "a hostaddr list with empty entries is not supported".into()
                ))
            }
            None => {}
        }
        // With hostaddr, host only names the server (passfile, TLS).
        if e.host.starts_with('/') {
            cfg.host_path(&e.host);
        } else if !e.host.is_empty() || !any_hostaddr {
            cfg.host(&e.host);
        }
        cfg.port(e.port);
    }
    if any_hostaddr && !cfg.get_hosts().is_empty() && cfg.get_hosts().len() != endpoints.len() {
        return Err(err(
            "mixing empty and non-empty host names with hostaddr is not supported".into(),
        ));
    }
    Ok(())
}

/// `connect_timeout`, the keepalives and `tcp_user_timeout`.
fn timeouts(cfg: &mut postgres::Config, params: &ConnParams) -> Result<()> {
    let err = |msg: String| refused(params, msg);
    let seconds = |key: &str| -> Result<Option<u64>> {
        params
            .get(key)
            .map(|t| {
                t.trim()
                    .parse::<u64>()
                    .map_err(|_| err(format!("invalid {key} {t:?}")))
            })
            .transpose()
    };
    if let Some(secs) = seconds("connect_timeout")? {
        // libpq waits at least two seconds; zero means forever.
        if secs > 0 {
            cfg.connect_timeout(std::time::Duration::from_secs(secs.max(2)));
        }
    }
    if let Some(v) = params.get("keepalives") {
        cfg.keepalives(v.trim() != "0");
    }
    if let Some(secs) = seconds("keepalives_idle")? {
        cfg.keepalives_idle(std::time::Duration::from_secs(secs));
    }
    if let Some(secs) = seconds("keepalives_interval")? {
        cfg.keepalives_interval(std::time::Duration::from_secs(secs));
    }
    if let Some(count) = seconds("keepalives_count")? {
        cfg.keepalives_retries(u32::try_from(count).unwrap_or(u32::MAX));
    }
    if let Some(ms) = seconds("tcp_user_timeout")? {
        cfg.tcp_user_timeout(std::time::Duration::from_millis(ms));
    }
    Ok(())
}

/// The application name and which of the servers to use.
fn session(cfg: &mut postgres::Config, params: &ConnParams, application_name: &str) -> Result<()> {
    let err = |msg: String| refused(params, msg);
    let app = params
        .get("application_name")
        .or(params.get("fallback_application_name"))
        .unwrap_or(application_name);
    cfg.application_name(app);
    match params.get("target_session_attrs").unwrap_or("any") {
        "any" => {}
        "read-write" => {
            cfg.target_session_attrs(postgres::config::TargetSessionAttrs::ReadWrite);
        }
        "read-only" => {
            cfg.target_session_attrs(postgres::config::TargetSessionAttrs::ReadOnly);
        }
        other => {
            return Err(err(format!(
            "target_session_attrs={other} is not supported yet; use any, read-write or read-only"
        )))
        }
    }
    match params.get("load_balance_hosts").unwrap_or("disable") {
        "disable" => {}
        "random" => {
            cfg.load_balance_hosts(postgres::config::LoadBalanceHosts::Random);
        }
        other => return Err(err(format!("invalid load_balance_hosts {other:?}"))),
    }
    Ok(())
}

/// What the connection must prove: TLS, channel binding, peer and
/// authentication requirements (the certificates are [`super::tls_connector`]'s).
fn security(cfg: &mut postgres::Config, params: &ConnParams) -> Result<()> {
    let err = |msg: String| refused(params, msg);
    // Silently skipping these would weaken what the user asked to be checked.
    for key in ["requirepeer", "require_auth"] {
        if params.get(key).is_some() {
            return Err(err(format!("{key} is not supported by pum yet")));
        }
    }
    cfg.ssl_mode(match params.ssl_mode()? {
        SslMode::Disable => postgres::config::SslMode::Disable,
        SslMode::Allow | SslMode::Prefer => postgres::config::SslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            postgres::config::SslMode::Require
        }
    });
    cfg.channel_binding(match params.get("channel_binding").unwrap_or("prefer") {
        "disable" => postgres::config::ChannelBinding::Disable,
        "prefer" => postgres::config::ChannelBinding::Prefer,
        "require" => postgres::config::ChannelBinding::Require,
        other => return Err(err(format!("invalid channel_binding {other:?}"))),
    });
    if params.get("gssencmode") == Some("require") {
        return Err(err(
            "gssencmode=require is not supported by pum; use prefer or disable".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::{Environment, DEFAULT_SOCKET_DIR};

    /// An empty environment with a fixed OS user and no system service file.
    fn env(home: &std::path::Path) -> Environment {
        let mut env =
            Environment::from_vars(Vec::<(String, String)>::new(), Some(home.to_path_buf()))
                .with_sysconfdir(None);
        env.os_user = Some("osuser".into());
        env
    }

    #[test]
    fn driver_config_mirrors_the_endpoints_and_refuses_what_it_cannot_honour() {
        use postgres::config::Host;
        let home = tempfile::tempdir().unwrap();
        let e = env(home.path());
        let cfg = |spec: &str| client_config(&ConnParams::resolve(spec, &e).unwrap(), "pum");

        let c = cfg("host=db hostaddr=127.0.0.1 port=6000").unwrap();
        assert_eq!(
            c.get_hostaddrs(),
            &["127.0.0.1".parse::<std::net::IpAddr>().unwrap()]
        );
        assert_eq!(c.get_hosts(), &[Host::Tcp("db".into())]);
        assert_eq!(c.get_ports(), &[6000]);

        let c = cfg("host=/tmp,db, port=1,2,3 application_name=app").unwrap();
        assert_eq!(
            c.get_hosts(),
            &[
                Host::Unix("/tmp".into()),
                Host::Tcp("db".into()),
                Host::Unix(DEFAULT_SOCKET_DIR.into())
            ]
        );
        assert_eq!(c.get_ports(), &[1, 2, 3]);
        assert_eq!(c.get_application_name(), Some("app"));
        assert_eq!(cfg("host=h").unwrap().get_application_name(), Some("pum"));
        assert!(
            cfg("host=h connect_timeout=1")
                .unwrap()
                .get_connect_timeout()
                == Some(&std::time::Duration::from_secs(2))
        );

        use postgres::config::SslMode as DriverMode;
        for (spec, mode) in [
            ("host=h sslmode=require", DriverMode::Require),
            ("host=h sslmode=verify-full", DriverMode::Require),
            ("host=h sslmode=allow", DriverMode::Prefer),
            ("host=h sslmode=disable", DriverMode::Disable),
        ] {
            assert_eq!(cfg(spec).unwrap().get_ssl_mode(), mode, "{spec}");
        }
        assert_eq!(cfg("host=h").unwrap().get_ssl_mode(), DriverMode::Prefer);

        for (spec, needle) in [
            ("sslmode=sometimes", "invalid sslmode"),
            ("channel_binding=maybe", "invalid channel_binding"),
            ("target_session_attrs=standby", "not supported"),
            ("requirepeer=postgres", "not supported"),
            ("connect_timeout=soon", "invalid connect_timeout"),
        ] {
            let err = cfg(spec).unwrap_err().to_string();
            assert!(err.contains(needle), "{spec}: {err}");
        }
    }
}
