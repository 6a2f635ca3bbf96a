//! The state every handler shares: configuration, the stores, the server key, and the in-memory guards.

use std::path::Path;
use std::sync::Arc;

use coffre_crypto::SigningKey;

use crate::config::Config;
use crate::guards::{NonceCache, RateLimiter};
use crate::membership::MembershipCache;
use crate::metrics::Metrics;
use crate::store::enrolment::EnrolmentStore;
use crate::store::fs::FsChunks;
use crate::store::mandate::MandateStore;
use crate::store::postgres::PgMeta;
use crate::store::recovery::RecoveryStore;
use crate::store::replay::ReplayStore;
use crate::store::s3::S3Chunks;
use crate::store::shares::ShareStore;
use crate::store::sqlite::SqliteMeta;
use crate::store::{ChunkStore, MetaStore};

/// The storage backends, one per trait (the embedded SQLite database implements all but chunks).
pub struct Stores {
    pub meta: Arc<dyn MetaStore>,
    pub chunks: Arc<dyn ChunkStore>,
    /// Organisations, mandates, deposits, audit (`mandate.rs`).
    pub mandates: Arc<dyn MandateStore>,
    pub recovery: Arc<dyn RecoveryStore>,
    /// Share links (`share.rs`).
    pub shares: Arc<dyn ShareStore>,
    /// Who enrolled whom, last seen (`store/enrolment.rs`).
    pub enrolments: Arc<dyn EnrolmentStore>,
    /// Nonces kept across restarts, and on PostgreSQL across instances (`store/replay.rs`).
    pub replays: Arc<dyn ReplayStore>,
}

impl Stores {
    /// One SQLite database for every metadata store, and `chunks` for the bytes.
    pub fn sqlite(db: Arc<SqliteMeta>, chunks: Arc<dyn ChunkStore>) -> Stores {
        Stores {
            meta: db.clone(),
            chunks,
            mandates: db.clone(),
            recovery: db.clone(),
            shares: db.clone(),
            enrolments: db.clone(),
            replays: db,
        }
    }

    /// One PostgreSQL database for every metadata store (shared by every instance), and `chunks`.
    pub fn postgres(db: Arc<PgMeta>, chunks: Arc<dyn ChunkStore>) -> Stores {
        Stores {
            meta: db.clone(),
            chunks,
            mandates: db.clone(),
            recovery: db.clone(),
            shares: db.clone(),
            enrolments: db.clone(),
            replays: db,
        }
    }
}

pub struct Inner {
    pub cfg: Config,
    pub meta: Arc<dyn MetaStore>,
    pub chunks: Arc<dyn ChunkStore>,
    /// Organisations, mandates, deposits, audit (`mandate.rs`).
    pub mandates: Arc<dyn MandateStore>,
    pub recovery: Arc<dyn RecoveryStore>,
    /// Share links (`share.rs`).
    pub shares: Arc<dyn ShareStore>,
    /// Who enrolled whom, last seen (`store/enrolment.rs`).
    pub enrolments: Arc<dyn EnrolmentStore>,
    /// Nonces kept across restarts (`store/replay.rs`).
    pub replays: Arc<dyn ReplayStore>,
    pub server_key: SigningKey,
    pub nonces: NonceCache,
    pub limiter: RateLimiter,
    /// Per client address: mailboxes filled, and vaults or organisations registered.
    pub mailbox_addresses: RateLimiter,
    pub registrations: RateLimiter,
    /// Slots for requests handled at once (`max_in_flight`).
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// `trusted_proxies`, parsed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub metrics: Metrics,
    /// Recently confirmed enrolments, so hot paths skip a database read.
    pub members: MembershipCache,
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(cfg: Config, stores: Stores, server_key: SigningKey) -> AppState {
        let limiter = RateLimiter::new(cfg.rate_burst, cfg.rate_per_sec);
        let mailbox_addresses = RateLimiter::refill_every(cfg.mailboxes_per_address, cfg.mailbox_refill_secs);
        let registrations = RateLimiter::refill_every(cfg.registrations_per_address, cfg.registration_refill_secs);
        let in_flight = Arc::new(tokio::sync::Semaphore::new(
            usize::try_from(cfg.max_in_flight).unwrap_or(usize::MAX).clamp(1, tokio::sync::Semaphore::MAX_PERMITS),
        ));
        // Validated by `Config::validate`; an invalid list here (a config built in code) trusts nobody.
        let trusted_proxies = crate::config::parse_trusted(&cfg.trusted_proxies).unwrap_or_default();
        let Stores { meta, chunks, mandates, recovery, shares, enrolments, replays } = stores;
        AppState(Arc::new(Inner {
            cfg,
            meta,
            chunks,
            mandates,
            recovery,
            shares,
            enrolments,
            replays,
            server_key,
            nonces: NonceCache::default(),
            limiter,
            mailbox_addresses,
            registrations,
            in_flight,
            trusted_proxies,
            metrics: Metrics::default(),
            members: MembershipCache::default(),
        }))
    }

    /// The backends `cfg` names: the metadata in SQLite (`meta.sqlite3` in the data directory) or
    /// PostgreSQL (`storage = "postgres"`), the chunks in the data directory or an S3-compatible bucket
    /// (`s3_bucket`). The server key is always `server.key` in the data directory; on PostgreSQL the
    /// database records its public half, and an instance started with another key is refused, since
    /// devices pin it (docs/scale-out.md: copy `server.key` to every instance).
    pub async fn open(cfg: Config) -> Result<AppState, ServerError> {
        if cfg.storage != "postgres" && !cfg.uses_s3() {
            return Self::open_embedded(cfg);
        }
        create_private_dir_all(&cfg.data_dir).map_err(|e| ServerError::Io("create data dir", e))?;
        let key = load_or_create_key(&cfg.data_dir.join("server.key"))?;
        let chunks: Arc<dyn ChunkStore> = if cfg.uses_s3() {
            Arc::new(S3Chunks::open(&cfg).map_err(ServerError::Store)?)
        } else {
            Arc::new(FsChunks::open(&cfg.data_dir).map_err(ServerError::Store)?)
        };
        let stores = if cfg.storage == "postgres" {
            let db = PgMeta::connect(&cfg.postgres_url).await.map_err(ServerError::Store)?;
            if !db.claim_server_key(key.verifying_key().to_bytes()).await.map_err(ServerError::Store)? {
                return Err(ServerError::OtherServerKey);
            }
            Stores::postgres(Arc::new(db), chunks)
        } else {
            let db = SqliteMeta::open(&cfg.data_dir.join("meta.sqlite3")).map_err(ServerError::Store)?;
            Stores::sqlite(Arc::new(db), chunks)
        };
        Ok(AppState::new(cfg, stores, key))
    }

    /// The embedded backends in `cfg.data_dir`: `meta.sqlite3`, `chunks/`, `server.key`. A data
    /// directory it creates is private to the server's account (0700 on unix, whatever the umask).
    pub fn open_embedded(cfg: Config) -> Result<AppState, ServerError> {
        create_private_dir_all(&cfg.data_dir).map_err(|e| ServerError::Io("create data dir", e))?;
        let key = load_or_create_key(&cfg.data_dir.join("server.key"))?;
        let db = Arc::new(SqliteMeta::open(&cfg.data_dir.join("meta.sqlite3")).map_err(ServerError::Store)?);
        let chunks = FsChunks::open(&cfg.data_dir).map_err(ServerError::Store)?;
        Ok(AppState::new(cfg, Stores::sqlite(db, Arc::new(chunks)), key))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}: {1}")]
    Io(&'static str, std::io::Error),
    #[error("storage: {0}")]
    Store(#[source] crate::store::StoreError),
    #[error("server key file is corrupt")]
    BadKey,
    #[error(
        "server.key differs from the key this database was created with (devices pin it): copy server.key \
         from the first instance into this instance's data directory"
    )]
    OtherServerKey,
}

/// Creates `dir` and its missing parents, 0700 on unix (existing directories keep their mode).
fn create_private_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The server's Ed25519 signing key: 32 random bytes in `server.key`, created on first start (mode 0600).
pub fn load_or_create_key(path: &Path) -> Result<SigningKey, ServerError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let seed: [u8; 32] = bytes.try_into().map_err(|_| ServerError::BadKey)?;
            Ok(SigningKey::from_bytes(seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SigningKey::generate();
            let tmp = path.with_extension("tmp");
            {
                use std::io::Write as _;
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create(true).truncate(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(&tmp).map_err(|e| ServerError::Io("write server key", e))?;
                f.write_all(&*key.to_bytes()).map_err(|e| ServerError::Io("write server key", e))?;
                f.sync_all().map_err(|e| ServerError::Io("write server key", e))?;
            }
            std::fs::rename(&tmp, path).map_err(|e| ServerError::Io("write server key", e))?;
            Ok(key)
        }
        Err(e) => Err(ServerError::Io("read server key", e)),
    }
}
