//! Secrets generated for development and kept in the data dir.

use std::fs;
use std::path::Path;

use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::ConfigError;

const FILE_NAME: &str = "dev-secrets.json";

/// Secrets a development install makes for itself on first start.
pub struct DevSecrets {
    pub jwt_access: SecretString,
    pub jwt_refresh: SecretString,
    /// Root key for per-event ticket signing keys in development.
    pub ticket_root: SecretString,
}

#[derive(Serialize, Deserialize)]
struct OnDisk {
    jwt_access: String,
    jwt_refresh: String,
    #[serde(default)]
    ticket_root: Option<String>,
}

impl DevSecrets {
    pub fn load_or_create(data_dir: &Path) -> Result<Self, ConfigError> {
        let path = data_dir.join(FILE_NAME);
        let error = |reason: String| ConfigError::DevSecrets {
            path: path.clone(),
            reason,
        };
        let stored = match fs::read_to_string(&path) {
            Ok(text) => {
                Some(serde_json::from_str::<OnDisk>(&text).map_err(|e| error(e.to_string()))?)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(error(e.to_string())),
        };
        let complete = stored.filter(|s| s.ticket_root.is_some());
        let on_disk = if let Some(stored) = complete {
            stored
        } else {
            let fresh = OnDisk {
                jwt_access: random_secret(),
                jwt_refresh: random_secret(),
                ticket_root: Some(random_secret()),
            };
            fs::create_dir_all(data_dir).map_err(|e| error(e.to_string()))?;
            let text = serde_json::to_string_pretty(&fresh).map_err(|e| error(e.to_string()))?;
            write_private(&path, &text).map_err(|e| error(e.to_string()))?;
            fresh
        };
        Ok(Self {
            jwt_access: on_disk.jwt_access.into(),
            jwt_refresh: on_disk.jwt_refresh.into(),
            ticket_root: on_disk.ticket_root.unwrap_or_default().into(),
        })
    }

    pub fn ticket_root_bytes(&self) -> Vec<u8> {
        self.ticket_root.expose_secret().as_bytes().to_vec()
    }
}

fn random_secret() -> String {
    let mut bytes = [0u8; 48];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    fs::write(path, text)
}
