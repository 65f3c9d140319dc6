//! The servers a [`ConnParams`] leads to: libpq's pairing of the
//! comma-separated `host`, `hostaddr` and `port` lists, checked once so both
//! the driver and the messages read the same list.

use super::{ConnParams, DEFAULT_SOCKET_DIR};
use crate::error::{Error, Result};

/// One server to try, after libpq's pairing of the `host`, `hostaddr` and
/// `port` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or socket directory; empty when only `hostaddr` is given.
    pub host: String,
    pub hostaddr: Option<String>,
    pub port: u16,
    /// The port as written (libpq matches it textually in the password file).
    pub(super) port_text: String,
}

impl Endpoint {
    fn is_socket(&self) -> bool {
        self.hostaddr.is_none() && (self.host.starts_with('/') || self.host.starts_with('@'))
    }

    /// The server's name: `host` if given, else `hostaddr` (which is also
    /// what libpq looks up in the password file).
    pub(super) fn name(&self) -> &str {
        if self.host.is_empty() {
            self.hostaddr.as_deref().unwrap_or_default()
        } else {
            &self.host
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.name();
        if name.contains(':') && !self.is_socket() {
            write!(f, "[{name}]:{}", self.port)
        } else {
            write!(f, "{name}:{}", self.port)
        }
    }
}

impl ConnParams {
    /// The servers to try, in order: libpq pairs the comma-separated `host`,
    /// `hostaddr` and `port` lists (one port may serve every host).
    pub fn endpoints(&self) -> Result<Vec<Endpoint>> {
        let err = |msg: String| Error::Service(format!("{}: {msg}", self.origin));
        let split = |key: &str| -> Vec<String> {
            self.get(key)
                .map(|v| v.split(',').map(str::to_string).collect())
                .unwrap_or_default()
        };
        let hosts = split("host");
        let hostaddrs = split("hostaddr");
        let ports = split("port");
        if !hosts.is_empty() && !hostaddrs.is_empty() && hosts.len() != hostaddrs.len() {
            return Err(err(format!(
                "could not match {} host names to {} hostaddr values",
                hosts.len(),
                hostaddrs.len()
            )));
        }
        let count = hosts.len().max(hostaddrs.len()).max(1);
        if ports.len() > 1 && ports.len() != count {
            return Err(err(format!(
                "could not match {} port numbers to {count} hosts",
                ports.len()
            )));
        }
        let mut endpoints = Vec::with_capacity(count);
        for i in 0..count {
            let hostaddr = hostaddrs.get(i).filter(|a| !a.is_empty()).cloned();
            let mut host = hosts.get(i).cloned().unwrap_or_default();
            if host.is_empty() && hostaddr.is_none() {
                host = DEFAULT_SOCKET_DIR.into();
            }
            let port_text = match ports.get(i).or(ports.first()) {
                Some(p) if !p.is_empty() => p.clone(),
                _ => "5432".to_string(),
            };
            let port = port_text
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| err(format!("invalid port number {port_text:?}")))?;
            if let Some(addr) = &hostaddr {
                addr.parse::<std::net::IpAddr>()
                    .map_err(|_| err(format!("invalid hostaddr {addr:?}")))?;
            }
            endpoints.push(Endpoint {
                host,
                hostaddr,
                port,
                port_text,
            });
        }
        Ok(endpoints)
    }
}
