//! Serving: the listener, the periodic purge, graceful shutdown, and a handle for tests and embedding.

use std::net::SocketAddr;
use std::time::Duration;

use crate::clock::now_secs;
use axum::serve::ListenerExt as _;

use crate::conn_guard::{ConnLimits, GuardedListener};
use crate::state::AppState;

/// The connection limits of `state.cfg` ([`crate::conn_guard`]).
fn conn_limits(state: &AppState) -> ConnLimits {
    let cfg = &state.cfg;
    ConnLimits {
        max_connections: usize::try_from(cfg.max_connections).unwrap_or(usize::MAX),
        max_per_address: usize::try_from(cfg.max_connections_per_address).unwrap_or(usize::MAX),
        idle_timeout: Duration::from_secs(cfg.idle_timeout_secs),
        max_silence: Duration::from_secs(cfg.request_timeout_secs.saturating_add(cfg.idle_timeout_secs)),
        trusted_proxies: state.trusted_proxies.clone(),
    }
}

/// Serve on `listener` until `shutdown` resolves, then drain in-flight requests (bounded by the grace).
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_secs(state.cfg.shutdown_grace_secs);
    // HTTPS when the configuration names a certificate (`tls.rs`), else plain HTTP.
    let tls = crate::tls::ServerTls::from_config(&state.cfg).map_err(std::io::Error::other)?;
    let listener = crate::tls::Incoming::new(listener, tls)?;
    let purger = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(state.cfg.purge_interval_secs));
            loop {
                tick.tick().await;
                if let Err(e) = state.meta.purge_expired(now_secs()).await {
                    tracing::warn!(error = %e, "mailbox purge failed");
                }
                if let Err(e) = state.shares.purge_shares(now_secs(), state.cfg.share_opening_secs).await {
                    tracing::warn!(error = %e, "share purge failed");
                }
            }
        })
    };
    let limits = conn_limits(&state);
    let app = crate::router::router(state);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    // The peer address lets `/metrics` tell a client on this machine from one on the network.
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    // Connection caps over plain or TLS connections; `tap_io` (a no-op) only so that axum's
    // `ConnectInfo<SocketAddr>` applies to this listener type.
    let listener = GuardedListener::new(listener, limits).tap_io(|_| {});
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
    /// `https://127.0.0.1:port` when the server serves TLS itself, else `http://…`.
    pub fn url(&self) -> String {
        let scheme = if self.state.cfg.tls_enabled() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
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
