//! Serving: the listener, the periodic purge, graceful shutdown, and a handle for tests and embedding.

use std::net::SocketAddr;
use std::time::Duration;

use crate::clock::now_secs;
use crate::state::AppState;

/// Serve on `listener` until `shutdown` resolves, then drain in-flight requests (bounded by the grace).
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_secs(state.cfg.shutdown_grace_secs);
    // HTTPS when the configuration names a certificate (`tls.rs`), else plain HTTP.
    let tls = crate::tls::ServerTls::from_config(&state.cfg).map_err(std::io::Error::other)?;
    let listener = crate::tls::tapped(crate::tls::Incoming::new(listener, tls)?);
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
    let app = crate::router::router(state);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    // The peer address lets `/metrics` tell a client on this machine from one on the network.
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
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
