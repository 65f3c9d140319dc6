//! Where an S3 client's settings come from, in the order the AWS tools use:
//! the `AWS_*` environment first, then the profile (`AWS_PROFILE`, else
//! `default`) in the shared credentials and config files. Only static keys
//! are read: pum never asks an instance metadata service, so a machine
//! without keys gets an error saying what to set rather than a network
//! call to an address nobody configured.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::service::Environment;

/// A value that must never be shown: its `Debug` says so instead.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Everything needed to talk to one S3-compatible service.
#[derive(Debug, Clone)]
pub struct AwsSettings {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    pub region: String,
    /// `AWS_ENDPOINT_URL` (MinIO and other S3-compatible servers); `None`: AWS itself.
    pub endpoint: Option<String>,
    pub allow_http: bool,
    /// Where the keys came from, for messages: `the environment` or `profile NAME`.
    pub source: String,
}

impl AwsSettings {
    /// Reads the settings from `env` and the profile files under `HOME`.
    pub fn resolve(env: &Environment) -> Result<AwsSettings> {
        let profile_name = env.get("AWS_PROFILE").unwrap_or("default").to_string();
        let profile = Profile::load(env, &profile_name)?;
        let pick = |var: &str, key: &str| {
            env.get(var)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .or_else(|| profile.get(key))
        };
        let (access_key_id, secret, token, source) = match (
            env.get("AWS_ACCESS_KEY_ID").filter(|v| !v.is_empty()),
            env.get("AWS_SECRET_ACCESS_KEY").filter(|v| !v.is_empty()),
        ) {
            (Some(id), Some(secret)) => (
                id.to_string(),
                secret.to_string(),
                env.get("AWS_SESSION_TOKEN").map(str::to_string),
                "the environment".to_string(),
            ),
            _ => match (
                profile.get("aws_access_key_id"),
                profile.get("aws_secret_access_key"),
            ) {
                (Some(id), Some(secret)) => (
                    id,
                    secret,
                    profile.get("aws_session_token"),
                    format!("profile {profile_name}"),
                ),
                _ => return Err(no_credentials(&profile_name, &profile)),
            },
        };
        let endpoint = pick("AWS_ENDPOINT_URL_S3", "endpoint_url")
            .or_else(|| env.get("AWS_ENDPOINT_URL").map(str::to_string))
            .map(|e| e.trim_end_matches('/').to_string());
        let allow_http = env
            .get("AWS_ALLOW_HTTP")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if let Some(url) = &endpoint {
            check_endpoint(url, allow_http)?;
        }
        Ok(AwsSettings {
            access_key_id,
            secret_access_key: Secret(secret),
            session_token: token.filter(|t| !t.is_empty()).map(Secret),
            region: pick("AWS_REGION", "region")
                .or_else(|| env.get("AWS_DEFAULT_REGION").map(str::to_string))
                .unwrap_or_else(|| "us-east-1".to_string()),
            endpoint,
            allow_http,
            source,
        })
    }

    /// The endpoint as said in messages.
    pub fn endpoint_shown(&self) -> String {
        self.endpoint
            .clone()
            .unwrap_or_else(|| format!("AWS S3 in {}", self.region))
    }
}

fn check_endpoint(url: &str, allow_http: bool) -> Result<()> {
    if url.starts_with("https://") {
        return Ok(());
    }
    if url.starts_with("http://") {
        if allow_http {
            return Ok(());
        }
        return Err(Error::Usage(format!(
            "AWS_ENDPOINT_URL {url} is plain http: set AWS_ALLOW_HTTP=true to allow an unencrypted connection"
        )));
    }
    Err(Error::Usage(format!(
        "AWS_ENDPOINT_URL {url} is not an http:// or https:// URL"
    )))
}

fn no_credentials(profile_name: &str, profile: &Profile) -> Error {
    Error::Usage(format!(
        "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE to a profile \
         with aws_access_key_id and aws_secret_access_key (looked for profile {profile_name} in {})",
        profile.searched()
    ))
}

/// One profile's keys from the shared credentials file and the config file
/// (`[NAME]` in the former, `[profile NAME]` or `[default]` in the latter).
struct Profile {
    values: BTreeMap<String, String>,
    files: Vec<PathBuf>,
}

impl Profile {
    fn load(env: &Environment, name: &str) -> Result<Profile> {
        let home = env.home.clone();
        let file = |var: &str, default: &str| {
            env.get(var)
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
        };
        let mut values = BTreeMap::new();
        let mut files = Vec::new();
        let sources = [
            (
                file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
                name.to_string(),
            ),
            (
                file("AWS_CONFIG_FILE", "config"),
                if name == "default" {
                    "default".to_string()
                } else {
                    format!("profile {name}")
                },
            ),
        ];
        for (path, section) in sources {
            let Some(path) = path else { continue };
            files.push(path.clone());
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    for (k, v) in section_values(&text, &section) {
                        values.entry(k).or_insert(v);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Ok(Profile { values, files })
    }

    fn get(&self, key: &str) -> Option<String> {
        self.values.get(key).filter(|v| !v.is_empty()).cloned()
    }

    fn searched(&self) -> String {
        if self.files.is_empty() {
            return "no file (HOME is not set)".to_string();
        }
        self.files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

/// The `key = value` lines of `[section]` in an INI text.
fn section_values(text: &str, section: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(head) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = head.trim() == section;
            continue;
        }
        if inside {
            if let Some((k, v)) = line.split_once('=') {
                out.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Environment {
        Environment::from_vars(
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            None,
        )
    }

    #[test]
    fn environment_keys_win_and_http_needs_to_be_allowed() {
        let base = [
            ("AWS_ACCESS_KEY_ID", "id"),
            ("AWS_SECRET_ACCESS_KEY", "s3cr3t"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"),
        ];
        let err = AwsSettings::resolve(&env(&base)).unwrap_err().to_string();
        assert!(
            err.contains("AWS_ALLOW_HTTP=true") && !err.contains("s3cr3t"),
            "{err}"
        );
        let mut vars = base.to_vec();
        vars.push(("AWS_ALLOW_HTTP", "true"));
        let s = AwsSettings::resolve(&env(&vars)).unwrap();
        assert_eq!(s.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s.region, "us-east-1");
        assert!(!format!("{s:?}").contains("s3cr3t"));
    }

    #[test]
    fn a_profile_supplies_keys_region_and_endpoint() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".aws")).unwrap();
        std::fs::write(
            home.path().join(".aws/credentials"),
            "[default]\naws_access_key_id = d\naws_secret_access_key = dd\n\n[ci]\naws_access_key_id = AK\naws_secret_access_key = SK\n",
        )
        .unwrap();
        std::fs::write(
            home.path().join(".aws/config"),
            "[profile ci]\nregion = eu-west-3\nendpoint_url = https://minio.example\n",
        )
        .unwrap();
        let with_home = |profile: &str| {
            let mut e = env(&[("AWS_PROFILE", profile)]);
            e.home = Some(home.path().to_path_buf());
            e
        };
        let s = AwsSettings::resolve(&with_home("ci")).unwrap();
        assert_eq!(s.access_key_id, "AK");
        assert_eq!(s.secret_access_key.expose(), "SK");
        assert_eq!(s.region, "eu-west-3");
        assert_eq!(s.endpoint.as_deref(), Some("https://minio.example"));
        assert_eq!(s.source, "profile ci");
        let err = AwsSettings::resolve(&with_home("nope"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("profile nope") && err.contains("credentials"),
            "{err}"
        );
    }
}
