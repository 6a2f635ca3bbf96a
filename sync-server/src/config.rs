//! Server configuration: one struct, read from an optional TOML file, then overridden field by field by
//! `COFFRE_SERVER_<FIELD>` environment variables (the names are derived from the field names, so the two
//! sources cannot drift apart).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub const ENV_PREFIX: &str = "COFFRE_SERVER_";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Data directory: `meta.sqlite3`, `chunks/`, `server.key`.
    pub data_dir: PathBuf,
    /// `text` or `json`.
    pub log_format: String,
    /// `tracing` filter, e.g. `info` or `coffre_sync_server=debug`.
    pub log_level: String,
    /// Whether anyone may register a new vault.
    pub registration_open: bool,
    /// Per-vault quota (ciphertext chunks + op payloads), bytes.
    pub quota_bytes: u64,
    /// Largest chunk accepted (PUT body), bytes.
    pub max_chunk_bytes: u64,
    /// Largest JSON body, bytes.
    pub max_json_bytes: u64,
    /// Largest framed op payload, bytes.
    pub max_op_payload_bytes: u64,
    pub max_ops_per_append: u64,
    /// Most ops returned by one pull.
    pub max_pull_ops: u64,
    pub max_chunks_per_query: u64,
    /// Most bytes of chunk data returned by one batched fetch (at least one chunk is always returned).
    pub max_fetch_bytes: u64,
    pub max_mailbox_bytes: u64,
    pub mailbox_ttl_secs: u64,
    pub max_mailboxes: u64,
    /// Largest share upload (manifest and page copies), bytes; shares also count against the quota.
    pub max_share_bytes: u64,
    /// Token bucket per device: burst size and refill per second.
    pub rate_burst: u32,
    pub rate_per_sec: u32,
    /// Allowed clock skew of signed requests, seconds.
    pub clock_skew_secs: u64,
    /// Seconds given to in-flight requests at shutdown.
    pub shutdown_grace_secs: u64,
    /// Assisted recovery: seconds between the start of a request and the release of the provider
    /// share and slot, during which any enrolled device can cancel (72 h; tests use seconds).
    pub recovery_delay_secs: u64,
    /// Assisted recovery: wrong PINs before the provider share is locked.
    pub recovery_pin_tries: u32,
    /// Bearer token `/metrics` asks for (at least 16 characters). Empty: `/metrics` answers only to
    /// clients on this machine that did not come through a proxy.
    pub metrics_token: String,
    /// HTTPS served by this process: PEM certificate chain and PEM private key (both or neither).
    /// Empty: plain HTTP, for a TLS proxy (Caddy) in front. The files are read again when they change.
    pub tls_cert_file: String,
    pub tls_key_file: String,
    /// New uploads (chunks, shares, new vaults) are refused with `server_full` once the data
    /// directory's file system has less free space than this, bytes; 0 turns the check off.
    pub min_free_disk_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            data_dir: PathBuf::from("coffre-data"),
            log_format: "text".into(),
            log_level: "info".into(),
            registration_open: true,
            quota_bytes: 2 << 30,
            max_chunk_bytes: 4 << 20,
            max_json_bytes: 2 << 20,
            max_op_payload_bytes: 64 << 10,
            max_ops_per_append: 256,
            max_pull_ops: 1000,
            max_chunks_per_query: 4096,
            max_fetch_bytes: 8 << 20,
            max_mailbox_bytes: 16 << 10,
            mailbox_ttl_secs: 900,
            max_mailboxes: 10_000,
            max_share_bytes: 32 << 20,
            rate_burst: 300,
            rate_per_sec: 100,
            clock_skew_secs: coffre_sync_protocol::MAX_CLOCK_SKEW_SECS,
            shutdown_grace_secs: 10,
            recovery_delay_secs: 72 * 3600,
            recovery_pin_tries: 10,
            metrics_token: String::new(),
            tls_cert_file: String::new(),
            tls_key_file: String::new(),
            min_free_disk_bytes: 1 << 30,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("invalid config: {0}")]
    Invalid(String),
}

impl Config {
    /// Load: defaults, then the TOML file (if any), then `COFFRE_SERVER_*` variables from `env`.
    pub fn load(file: Option<&std::path::Path>, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.to_path_buf(), e))?;
                toml::from_str::<toml::Table>(&text).map_err(|e| ConfigError::Invalid(e.to_string()))?
            }
            None => toml::Table::new(),
        };
        let defaults = toml::Table::try_from(Config::default()).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        for (key, default) in &defaults {
            let var = format!("{ENV_PREFIX}{}", key.to_ascii_uppercase());
            if let Some(raw) = env.get(&var) {
                let value = match default {
                    toml::Value::String(_) => toml::Value::String(raw.clone()),
                    toml::Value::Integer(_) => toml::Value::Integer(
                        raw.trim().parse().map_err(|_| ConfigError::Invalid(format!("{var}: not an integer")))?,
                    ),
                    toml::Value::Boolean(_) => toml::Value::Boolean(
                        raw.trim().parse().map_err(|_| ConfigError::Invalid(format!("{var}: not a boolean")))?,
                    ),
                    _ => return Err(ConfigError::Invalid(format!("{var}: unsupported type"))),
                };
                table.insert(key.clone(), value);
            }
        }
        for var in env.keys() {
            if let Some(rest) = var.strip_prefix(ENV_PREFIX)
                && rest != "CONFIG"
                && !defaults.contains_key(&rest.to_ascii_lowercase())
            {
                return Err(ConfigError::Invalid(format!("unknown variable {var}")));
            }
        }
        let cfg: Config = table.try_into().map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_string()));
        if self.max_chunk_bytes == 0 || self.max_json_bytes < 1024 {
            return bad("limits too small");
        }
        if self.max_ops_per_append == 0 || self.max_pull_ops == 0 || self.rate_per_sec == 0 || self.rate_burst == 0 {
            return bad("counts must be positive");
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return bad("log_format must be text or json");
        }
        if !self.metrics_token.is_empty() && self.metrics_token.len() < 16 {
            return bad("metrics_token must be at least 16 characters (or empty)");
        }
        if self.tls_cert_file.is_empty() != self.tls_key_file.is_empty() {
            return bad("tls_cert_file and tls_key_file go together: give both, or neither");
        }
        Ok(())
    }

    /// Whether this process serves HTTPS itself (see [`crate::tls`]).
    pub fn tls_enabled(&self) -> bool {
        !self.tls_cert_file.is_empty()
    }

    /// What to tell the operator at start when the listener is reachable from the network: this server
    /// speaks no TLS, so anything but loopback needs a TLS proxy (Caddy) in front, or phones would send
    /// their requests in clear. A warning, not a refusal: behind a proxy on another host this is right.
    pub fn plain_http_warning(&self) -> Option<String> {
        let ip = self.listen.ip().to_canonical();
        (!ip.is_loopback() && !self.tls_enabled()).then(|| {
            format!(
                "listening on {} without TLS: clients must reach this server only through an HTTPS proxy \
                 (Caddy, see docs); never expose this port directly",
                self.listen
            )
        })
    }

    pub fn limits(&self) -> coffre_sync_protocol::Limits {
        coffre_sync_protocol::Limits {
            max_chunk_bytes: self.max_chunk_bytes,
            max_json_bytes: self.max_json_bytes,
            max_op_payload_bytes: self.max_op_payload_bytes,
            max_ops_per_append: self.max_ops_per_append,
            max_pull_ops: self.max_pull_ops,
            max_mailbox_bytes: self.max_mailbox_bytes,
            quota_bytes: self.quota_bytes,
            max_fetch_bytes: self.max_fetch_bytes,
            rate_burst: Some(self.rate_burst),
            rate_per_sec: Some(self.rate_per_sec),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn file_then_env() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.toml");
        std::fs::write(&f, "quota_bytes = 1000\nlisten = \"127.0.0.1:9000\"\n").unwrap();
        let mut env = HashMap::new();
        env.insert("COFFRE_SERVER_QUOTA_BYTES".to_string(), "2000".to_string());
        env.insert("COFFRE_SERVER_DATA_DIR".to_string(), "/tmp/x".to_string());
        env.insert("PATH".to_string(), "/bin".to_string());
        let c = Config::load(Some(&f), &env).unwrap();
        assert_eq!(c.quota_bytes, 2000);
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(c.max_pull_ops, Config::default().max_pull_ops);
    }

    #[test]
    fn metrics_token_from_env_and_not_too_short() {
        let mut env = HashMap::new();
        env.insert("COFFRE_SERVER_METRICS_TOKEN".to_string(), "a-long-enough-token".to_string());
        assert_eq!(Config::load(None, &env).unwrap().metrics_token, "a-long-enough-token");
        env.insert("COFFRE_SERVER_METRICS_TOKEN".to_string(), "short".to_string());
        assert!(Config::load(None, &env).is_err());
        assert_eq!(Config::load(None, &HashMap::new()).unwrap().metrics_token, "");
    }

    #[test]
    fn plain_http_warning_only_off_loopback() {
        let at = |listen: &str| Config { listen: listen.parse().unwrap(), ..Config::default() }.plain_http_warning();
        assert_eq!(at("127.0.0.1:8443"), None);
        assert_eq!(at("[::1]:8443"), None);
        assert!(at("0.0.0.0:8443").unwrap().contains("without TLS"));
        assert!(at("[::]:8443").is_some());
        assert!(at("192.168.1.10:8443").is_some());
        let tls = Config {
            listen: "0.0.0.0:443".parse().unwrap(),
            tls_cert_file: "/etc/coffre/cert.pem".into(),
            tls_key_file: "/etc/coffre/key.pem".into(),
            ..Config::default()
        };
        assert_eq!(tls.plain_http_warning(), None, "HTTPS served by the process itself");
    }

    /// `deploy/coffre-server.toml` is the operator's reference: it must load, name every setting,
    /// and differ from the defaults only where a packaged install should (address kept, data dir).
    #[test]
    fn the_deploy_reference_names_every_setting() {
        let text = include_str!("../deploy/coffre-server.toml");
        let table: toml::Table = toml::from_str(text).unwrap();
        let defaults = toml::Table::try_from(Config::default()).unwrap();
        for key in defaults.keys() {
            assert!(table.contains_key(key), "deploy/coffre-server.toml does not name `{key}`");
        }
        let cfg: Config = table.try_into().unwrap();
        cfg.validate().unwrap();
        assert_eq!(Config { data_dir: Config::default().data_dir, ..cfg }, Config::default());
    }

    #[test]
    fn tls_files_go_together() {
        let mut env = HashMap::new();
        env.insert("COFFRE_SERVER_TLS_CERT_FILE".to_string(), "/etc/coffre/cert.pem".to_string());
        assert!(Config::load(None, &env).is_err(), "a certificate without its key");
        env.insert("COFFRE_SERVER_TLS_KEY_FILE".to_string(), "/etc/coffre/key.pem".to_string());
        assert!(Config::load(None, &env).unwrap().tls_enabled());
        assert!(!Config::default().tls_enabled());
    }

    #[test]
    fn unknown_keys_refused() {
        let mut env = HashMap::new();
        env.insert("COFFRE_SERVER_QUOTA".to_string(), "1".to_string());
        assert!(Config::load(None, &env).is_err());
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.toml");
        std::fs::write(&f, "quotabytes = 1\n").unwrap();
        assert!(Config::load(Some(&f), &HashMap::new()).is_err());
    }
}
