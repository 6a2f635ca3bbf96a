//! Coffre sync server. It stores ciphertext only: opaque op payloads chained and signed per vault,
//! content-addressed chunks, committed blob manifests, and one-shot linking mailboxes.
//! The wire protocol is `docs/sync-protocol.md`; its types live in `coffre-sync-protocol`.
//!
//! Layout: [`config`] (one source of truth), [`store`] (the two storage traits and the embedded SQLite +
//! files backends), [`auth`] (request signatures, replay cache, rate limits), [`api`] (thin handlers),
//! [`metrics`].

pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod mandate;
pub mod metrics;
pub mod recovery;
pub mod share;
pub mod store;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use ed25519_dalek::SigningKey;

pub use config::Config;

use crate::auth::{NonceCache, RateLimiter};
use crate::metrics::Metrics;
use crate::store::fs::FsChunks;
use crate::store::mandate::MandateStore;
use crate::store::recovery::RecoveryStore;
use crate::store::shares::ShareStore;
use crate::store::sqlite::SqliteMeta;
use crate::store::{ChunkStore, MetaStore};

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
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
    pub server_key: SigningKey,
    pub nonces: NonceCache,
    pub limiter: RateLimiter,
    pub metrics: Metrics,
    /// Recently confirmed enrolments, so hot paths skip a database read. Invalidated by device removal in
    /// this process; with several instances, a removal reaches the others within [`MEMBERSHIP_TTL`].
    /// (cache, removal epoch): a lookup that started before a removal never caches its answer.
    pub members: std::sync::Mutex<MembershipCache>,
}

/// (vault, device) → when its enrolment was confirmed; plus the removal epoch.
pub type MembershipCache = (std::collections::HashMap<([u8; 32], [u8; 32]), Instant>, u64);

/// How long a confirmed enrolment is trusted without asking the database.
pub const MEMBERSHIP_TTL: Duration = Duration::from_secs(30);

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
    pub fn new(
        cfg: Config,
        meta: Arc<dyn MetaStore>,
        chunks: Arc<dyn ChunkStore>,
        mandates: Arc<dyn MandateStore>,
        recovery: Arc<dyn RecoveryStore>,
        shares: Arc<dyn ShareStore>,
        server_key: SigningKey,
    ) -> AppState {
        let limiter = RateLimiter::new(cfg.rate_burst, cfg.rate_per_sec);
        AppState(Arc::new(Inner {
            cfg,
            meta,
            chunks,
            mandates,
            recovery,
            shares,
            server_key,
            nonces: NonceCache::default(),
            limiter,
            metrics: Metrics::default(),
            members: std::sync::Mutex::new((std::collections::HashMap::new(), 0)),
        }))
    }

    /// The embedded backends in `cfg.data_dir`: `meta.sqlite3`, `chunks/`, `server.key`.
    pub fn open_embedded(cfg: Config) -> Result<AppState, ServerError> {
        std::fs::create_dir_all(&cfg.data_dir).map_err(|e| ServerError::Io("create data dir", e))?;
        let key = load_or_create_key(&cfg.data_dir.join("server.key"))?;
        let meta = Arc::new(
            SqliteMeta::open(&cfg.data_dir.join("meta.sqlite3")).map_err(|e| ServerError::Store(e.to_string()))?,
        );
        let chunks = FsChunks::open(&cfg.data_dir).map_err(|e| ServerError::Store(e.to_string()))?;
        Ok(AppState::new(cfg, meta.clone(), Arc::new(chunks), meta.clone(), meta.clone(), meta, key))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}: {1}")]
    Io(&'static str, std::io::Error),
    #[error("storage: {0}")]
    Store(String),
    #[error("server key file is corrupt")]
    BadKey,
}

/// The server's Ed25519 signing key: 32 random bytes in `server.key`, created on first start (mode 0600).
pub fn load_or_create_key(path: &Path) -> Result<SigningKey, ServerError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let seed: [u8; 32] = bytes.try_into().map_err(|_| ServerError::BadKey)?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SigningKey::generate(&mut rand_core::OsRng);
            let tmp = path.with_extension("tmp");
            {
                use std::io::Write as _;
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create(true).truncate(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(&tmp).map_err(|e| ServerError::Io("write server key", e))?;
                f.write_all(key.as_bytes()).map_err(|e| ServerError::Io("write server key", e))?;
                f.sync_all().map_err(|e| ServerError::Io("write server key", e))?;
            }
            std::fs::rename(&tmp, path).map_err(|e| ServerError::Io("write server key", e))?;
            Ok(key)
        }
        Err(e) => Err(ServerError::Io("read server key", e)),
    }
}

/// Logging and metrics for every request. Logs the route template, never the concrete path (it holds
/// vault, chunk and mailbox ids), never headers or bodies.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
    state.metrics.in_flight.fetch_add(1, Relaxed);
    let resp = next.run(req).await;
    state.metrics.in_flight.fetch_sub(1, Relaxed);
    let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    let status = resp.status().as_u16();
    state.metrics.observe(status, micros);
    let route = route.as_deref().unwrap_or("-");
    if status >= 500 {
        tracing::error!(%method, route, status, micros, "request");
    } else if status >= 400 {
        tracing::info!(%method, route, status, micros, "request");
    } else {
        tracing::debug!(%method, route, status, micros, "request");
    }
    resp
}

/// Serve on `listener` until `shutdown` resolves, then drain in-flight requests (bounded by the grace).
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_secs(state.cfg.shutdown_grace_secs);
    let purger = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                if let Err(e) = state.meta.purge_expired(now_secs()).await {
                    tracing::warn!(error = %e, "mailbox purge failed");
                }
                if let Err(e) = state.shares.purge_shares(now_secs()).await {
                    tracing::warn!(error = %e, "share purge failed");
                }
            }
        })
    };
    let app = api::router(state);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = tx.send(());
    });
    let result = tokio::select! {
        r = server => r,
        () = async {
            let _ = rx.await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!("shutdown grace elapsed; dropping remaining connections");
            Ok(())
        }
    };
    purger.abort();
    result
}

/// A server running on a tokio task (tests, embedding). Dropping the handle does not stop it; call
/// [`RunningServer::shutdown`].
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.map_err(std::io::Error::other)?
    }
}

/// Bind `state.cfg.listen` (port 0 picks a free port) and serve on a new task.
pub async fn spawn(state: AppState) -> std::io::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(state.cfg.listen).await?;
    let addr = listener.local_addr()?;
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(state.clone(), listener, async move {
        let _ = rx.await;
    }));
    Ok(RunningServer { addr, state, stop: Some(stop), task })
}
