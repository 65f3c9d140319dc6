//! The driver's side of a connection: resolved [`ConnParams`] turned into a
//! `postgres::Config`, with libpq's keywords mapped one by one and those
//! the driver cannot honour refused rather than silently dropped.

use crate::error::{Error, Result};
use crate::service::{ConnParams, SslMode};

/// The driver configuration for pum's own connection.
pub fn config(params: &ConnParams, application_name: &str) -> Result<postgres::Config> {
    let err = |msg: String| Error::Service(format!("{}: {msg}", params.origin()));
    let mut cfg = postgres::Config::new();
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
    cfg.dbname(params.dbname());
    cfg.user(params.user());
    if let Some(pw) = params.password() {
        cfg.password(pw);
    }
    if let Some(opts) = params.get("options") {
        cfg.options(opts);
    }
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
        other => return Err(err(format!(
            "target_session_attrs={other} is not supported yet; use any, read-write or read-only"
        ))),
    }
    match params.get("load_balance_hosts").unwrap_or("disable") {
        "disable" => {}
        "random" => {
            cfg.load_balance_hosts(postgres::config::LoadBalanceHosts::Random);
        }
        other => return Err(err(format!("invalid load_balance_hosts {other:?}"))),
    }
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
    Ok(cfg)
}
