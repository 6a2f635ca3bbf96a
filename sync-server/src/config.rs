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
    /// Who may register a new vault: `open` (anyone, within `registrations_per_address`, with a quota
    /// that starts at `initial_quota_bytes` and grows with the vault's age), `invitation` (a code handed
    /// out by a structure's agent; full quota), or `closed`.
    pub registration: String,
    /// Open registration: vaults one client address may register at once (token bucket burst)...
    pub registrations_per_address: u32,
    /// ...and seconds before it may register one more.
    pub registration_refill_secs: u64,
    /// Open registration: the quota of a new vault, bytes; it grows by `quota_growth_bytes_per_day`
    /// each day of the vault's life, up to `quota_bytes`.
    pub initial_quota_bytes: u64,
    pub quota_growth_bytes_per_day: u64,
    /// Organisation keys (base64url, comma-separated) allowed to register; `*` allows any; empty: none.
    pub org_allowlist: String,
    /// Per-vault quota (ciphertext chunks + op payloads), bytes: the most a vault may ever hold.
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
    /// Open mailboxes on the whole server.
    pub max_mailboxes: u64,
    /// Mailboxes one client address may fill at once (token bucket burst)...
    pub mailboxes_per_address: u32,
    /// ...and seconds before it may fill one more.
    pub mailbox_refill_secs: u64,
    /// Largest share upload (manifest and page copies), bytes; shares also count against the quota.
    pub max_share_bytes: u64,
    /// How long an opening lets the browser fetch a share's pages, seconds; a share opened as often as
    /// allowed loses its copies once its last opening's window is over.
    pub share_opening_secs: u64,
    /// Seconds between purges of expired mailboxes and ended shares.
    pub purge_interval_secs: u64,
    /// Token bucket per device: burst size and refill per second.
    pub rate_burst: u32,
    pub rate_per_sec: u32,
    /// Allowed clock skew of signed requests, seconds.
    pub clock_skew_secs: u64,
    /// Seconds given to in-flight requests at shutdown.
    pub shutdown_grace_secs: u64,
    /// Open connections at once; more wait in the kernel's backlog.
    pub max_connections: u64,
    /// Open connections from one client address (trusted proxies are exempt); more are closed.
    pub max_connections_per_address: u64,
    /// Requests handled at once; more get `503 server_busy` with `Retry-After`.
    pub max_in_flight: u64,
    /// A connection with nothing received or sent for this long is closed, seconds.
    pub idle_timeout_secs: u64,
    /// Longest a request may take, its body included, seconds (then `408 request_timeout`).
    pub request_timeout_secs: u64,
    /// Reverse proxies (comma-separated IP addresses) whose `X-Forwarded-For` names the client. A proxy
    /// elsewhere must be listed, or every client would count as the proxy's one address.
    pub trusted_proxies: String,
    /// Assisted recovery: seconds between the start of a request and the release of the provider
    /// share and slot, during which any enrolled device can cancel (72 h; tests use seconds).
    pub recovery_delay_secs: u64,
    /// Assisted recovery: wrong PINs before a request is locked (that request only); every this many
    /// wrong PINs on a vault double the delay of its later requests (at most 32 times).
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
    /// Metadata backend: `sqlite` (embedded, `meta.sqlite3` in the data directory) or `postgres`
    /// (`postgres_url`; several instances may share it: docs/scale-out.md).
    pub storage: String,
    /// `postgres://user:password@host:port/database` when `storage = "postgres"`.
    pub postgres_url: String,
    /// S3-compatible endpoint for chunks and share copies (path-style addressing), e.g.
    /// `http://127.0.0.1:9000`. Empty, with `s3_bucket` empty: chunks stay in the data directory.
    pub s3_endpoint: String,
    /// Bucket holding the chunks; setting it alone uses AWS's own endpoints (virtual-hosted style).
    pub s3_bucket: String,
    pub s3_region: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            data_dir: PathBuf::from("coffre-data"),
            log_format: "text".into(),
            log_level: "info".into(),
            registration: "open".into(),
            registrations_per_address: 5,
            registration_refill_secs: 3600,
            initial_quota_bytes: 256 << 20,
            quota_growth_bytes_per_day: 64 << 20,
            org_allowlist: String::new(),
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
            mailboxes_per_address: 20,
            mailbox_refill_secs: 45,
            max_share_bytes: 32 << 20,
            share_opening_secs: coffre_sync_protocol::share::OPENING_TTL_SECS,
            purge_interval_secs: 60,
            rate_burst: 300,
            rate_per_sec: 100,
            clock_skew_secs: coffre_sync_protocol::MAX_CLOCK_SKEW_SECS,
            shutdown_grace_secs: 10,
            max_connections: 1024,
            max_connections_per_address: 64,
            max_in_flight: 256,
            idle_timeout_secs: 30,
            request_timeout_secs: 300,
            // A proxy on the same machine (the usual Caddy) works as is; a direct client on loopback is
            // the operator's own.
            trusted_proxies: "127.0.0.1,::1".into(),
            recovery_delay_secs: 72 * 3600,
            recovery_pin_tries: 10,
            metrics_token: String::new(),
            tls_cert_file: String::new(),
            tls_key_file: String::new(),
            min_free_disk_bytes: 1 << 30,
            storage: "sqlite".into(),
            postgres_url: String::new(),
            s3_endpoint: String::new(),
            s3_bucket: String::new(),
            s3_region: "us-east-1".into(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
        }
    }
}

/// Who may register a new vault (the `registration` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationPolicy {
    Open,
    Invitation,
    Closed,
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
        if self.registration_policy().is_none() {
            return bad("registration must be open, invitation or closed");
        }
        if self.max_connections == 0
            || self.max_connections_per_address == 0
            || self.max_in_flight == 0
            || self.idle_timeout_secs == 0
            || self.request_timeout_secs == 0
            || self.mailboxes_per_address == 0
            || self.registrations_per_address == 0
            || self.purge_interval_secs == 0
        {
            return bad("connection, request and per-address limits must be positive");
        }
        parse_trusted(&self.trusted_proxies).map_err(ConfigError::Invalid)?;
        parse_allowlist(&self.org_allowlist).map_err(ConfigError::Invalid)?;
        if self.tls_cert_file.is_empty() != self.tls_key_file.is_empty() {
            return bad("tls_cert_file and tls_key_file go together: give both, or neither");
        }
        match self.storage.as_str() {
            "sqlite" => {}
            "postgres" if self.postgres_url.is_empty() => return bad("storage = \"postgres\" needs postgres_url"),
            "postgres" => {}
            _ => return bad("storage must be sqlite or postgres"),
        }
        if !self.s3_endpoint.is_empty() && self.s3_bucket.is_empty() {
            return bad("s3_endpoint needs s3_bucket");
        }
        Ok(())
    }

    /// Whether this process serves HTTPS itself (see [`crate::tls`]).
    pub fn tls_enabled(&self) -> bool {
        !self.tls_cert_file.is_empty()
    }

    /// Whether chunks and share copies go to an S3-compatible bucket rather than the data directory.
    pub fn uses_s3(&self) -> bool {
        !self.s3_bucket.is_empty()
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

    /// The `registration` field, typed (`None` if it names no policy).
    pub fn registration_policy(&self) -> Option<RegistrationPolicy> {
        match self.registration.as_str() {
            "open" => Some(RegistrationPolicy::Open),
            "invitation" => Some(RegistrationPolicy::Invitation),
            "closed" => Some(RegistrationPolicy::Closed),
            _ => None,
        }
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

// ----- parsers of fields (used here to validate, and by the modules that apply them) -----

/// Parses `trusted_proxies` (comma-separated IP addresses; empty: none).
pub fn parse_trusted(list: &str) -> Result<Vec<std::net::IpAddr>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<std::net::IpAddr>()
                .map(|ip| ip.to_canonical())
                .map_err(|_| format!("trusted_proxies: {s:?} is not an IP address"))
        })
        .collect()
}

/// The organisations the operator lets register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgAllowlist {
    Any,
    Only(Vec<coffre_sync_protocol::PublicKey>),
}

impl OrgAllowlist {
    pub fn allows(&self, org: &coffre_sync_protocol::PublicKey) -> bool {
        match self {
            OrgAllowlist::Any => true,
            OrgAllowlist::Only(keys) => keys.contains(org),
        }
    }
}

/// Parses `org_allowlist`: `*`, or comma-separated base64url organisation keys (empty: none).
pub fn parse_allowlist(list: &str) -> Result<OrgAllowlist, String> {
    if list.trim() == "*" {
        return Ok(OrgAllowlist::Any);
    }
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            coffre_sync_protocol::unb64_array::<32>(s, "org key")
                .map_err(|_| format!("org_allowlist: {s:?} is not an organisation key"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(OrgAllowlist::Only)
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
    fn storage_fields_from_env_default_embedded() {
        let d = Config::load(None, &HashMap::new()).unwrap();
        assert_eq!((d.storage.as_str(), d.uses_s3()), ("sqlite", false));
        let mut env = HashMap::new();
        for (k, v) in [
            ("STORAGE", "postgres"),
            ("POSTGRES_URL", "postgres://coffre@127.0.0.1:5432/coffre"),
            ("S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("S3_BUCKET", "coffre"),
            ("S3_REGION", "eu-west-3"),
            ("S3_ACCESS_KEY_ID", "id"),
            ("S3_SECRET_ACCESS_KEY", "secret"),
        ] {
            env.insert(format!("COFFRE_SERVER_{k}"), v.to_string());
        }
        let c = Config::load(None, &env).unwrap();
        assert_eq!(c.storage, "postgres");
        assert_eq!(c.postgres_url, "postgres://coffre@127.0.0.1:5432/coffre");
        assert_eq!((c.s3_endpoint.as_str(), c.s3_bucket.as_str()), ("http://127.0.0.1:9000", "coffre"));
        assert_eq!((c.s3_region.as_str(), c.s3_access_key_id.as_str()), ("eu-west-3", "id"));
        assert_eq!(c.s3_secret_access_key, "secret");
        assert!(c.uses_s3());
        env.remove("COFFRE_SERVER_POSTGRES_URL");
        assert!(Config::load(None, &env).is_err(), "postgres without a URL");
        env.insert("COFFRE_SERVER_STORAGE".into(), "mysql".into());
        assert!(Config::load(None, &env).is_err());
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
