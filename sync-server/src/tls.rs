//! HTTPS served by `coffre-server` itself (rustls, ring), for an operator without a TLS proxy: the
//! PEM certificate chain and key named by `tls_cert_file`/`tls_key_file`. The files are checked every
//! [`RELOAD_POLL`] and read again when either changed, so a renewal (certbot, acme.sh, an operator's
//! CA) needs no restart; a renewal that does not load (half-written, key and certificate not a pair)
//! keeps the previous certificate and logs why. Handshakes run on their own tasks under
//! [`HANDSHAKE_TIMEOUT`], at most [`MAX_HANDSHAKES`] at once, so a client that stalls its handshake
//! holds no accept slot. Without these settings the server speaks plain HTTP (behind Caddy).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

use crate::config::Config;

/// How often the certificate files are checked for a change.
pub const RELOAD_POLL: Duration = Duration::from_secs(2);
/// A client has this long to finish its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; further connections wait in the kernel's backlog.
pub const MAX_HANDSHAKES: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("{0}: no PEM certificate in it")]
    NoCertificate(PathBuf),
    #[error("{0}: not a PEM certificate chain ({1})")]
    BadCertificate(PathBuf, String),
    #[error("{0}: no PEM private key in it ({1})")]
    BadKey(PathBuf, String),
    #[error("the private key does not go with the certificate, or is of a kind rustls cannot use: {0}")]
    Mismatch(String),
    #[error("TLS set-up: {0}")]
    Setup(String),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificate and key files, and when they last changed.
#[derive(Debug, Clone)]
struct CertFiles {
    cert: PathBuf,
    key: PathBuf,
}

type Stamp = Option<(SystemTime, u64, SystemTime, u64)>;

impl CertFiles {
    fn stamp(&self) -> Stamp {
        let one = |p: &Path| std::fs::metadata(p).ok().and_then(|m| Some((m.modified().ok()?, m.len())));
        let (c, k) = (one(&self.cert)?, one(&self.key)?);
        Some((c.0, c.1, k.0, k.1))
    }

    fn load(&self, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
        let cert_pem = std::fs::read(&self.cert).map_err(|e| TlsError::Read(self.cert.clone(), e))?;
        let key_pem =
            zeroize::Zeroizing::new(std::fs::read(&self.key).map_err(|e| TlsError::Read(self.key.clone(), e))?);
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::BadCertificate(self.cert.clone(), e.to_string()))?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate(self.cert.clone()));
        }
        let key =
            PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::BadKey(self.key.clone(), e.to_string()))?;
        CertifiedKey::from_der(chain, key, provider).map_err(|e| TlsError::Mismatch(e.to_string()))
    }
}

/// The certificate handed to every handshake, swapped when the files change.
#[derive(Debug)]
struct CurrentCert(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for CurrentCert {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.read().ok().map(|c| c.clone())
    }
}

/// TLS for the listener: the acceptor and what reloads its certificate.
pub struct ServerTls {
    acceptor: tokio_rustls::TlsAcceptor,
    current: Arc<CurrentCert>,
    files: CertFiles,
    provider: Arc<CryptoProvider>,
}

impl ServerTls {
    /// `None` when the configuration names no certificate (plain HTTP); an error when the files do
    /// not load, so a misconfigured server stops at start instead of failing every handshake.
    pub fn from_config(cfg: &Config) -> Result<Option<ServerTls>, TlsError> {
        if !cfg.tls_enabled() {
            return Ok(None);
        }
        let files = CertFiles { cert: PathBuf::from(&cfg.tls_cert_file), key: PathBuf::from(&cfg.tls_key_file) };
        let provider = provider();
        let current = Arc::new(CurrentCert(RwLock::new(Arc::new(files.load(&provider)?))));
        let mut config = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Setup(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(current.clone());
        // axum serves HTTP/1.1 here (no `http2` feature).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        Ok(Some(ServerTls { acceptor, current, files, provider }))
    }

    /// Reads the files again if they changed since `seen`; keeps the served certificate when the new
    /// files do not load. Returns whether a new certificate is now served.
    fn reload_if_changed(&self, seen: &mut Stamp) -> bool {
        let now = self.files.stamp();
        if now.is_none() || now == *seen {
            return false;
        }
        *seen = now;
        match self.files.load(&self.provider) {
            Ok(key) => {
                if let Ok(mut c) = self.current.0.write() {
                    *c = Arc::new(key);
                }
                tracing::info!("TLS certificate reloaded");
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "TLS certificate changed but does not load; still serving the previous one");
                false
            }
        }
    }
}

/// A connection as the HTTP server sees it: plain TCP, or TLS over TCP.
pub trait Conn: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Conn for T {}

type Accepted = (Box<dyn Conn>, SocketAddr);

/// The server's listener: accepted connections, already through their TLS handshake when TLS is on.
pub struct Incoming {
    local: SocketAddr,
    source: Source,
}

enum Source {
    Plain(TcpListener),
    /// Filled by the accept task; the tasks stop when this listener is dropped.
    Tls {
        rx: tokio::sync::mpsc::Receiver<Accepted>,
        _tasks: AbortOnDrop,
    },
}

struct AbortOnDrop(Vec<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

impl Incoming {
    /// Wraps `listener`, with TLS when `tls` is given. Must be called inside a tokio runtime.
    pub fn new(listener: TcpListener, tls: Option<ServerTls>) -> std::io::Result<Incoming> {
        let local = listener.local_addr()?;
        let Some(tls) = tls else {
            return Ok(Incoming { local, source: Source::Plain(listener) });
        };
        let tls = Arc::new(tls);
        let (tx, rx) = tokio::sync::mpsc::channel::<Accepted>(64);
        let accept = tokio::spawn(accept_loop(listener, tls.clone(), tx));
        let reload = tokio::spawn(async move {
            let mut seen = tls.files.stamp();
            let mut tick = tokio::time::interval(RELOAD_POLL);
            loop {
                tick.tick().await;
                tls.reload_if_changed(&mut seen);
            }
        });
        Ok(Incoming { local, source: Source::Tls { rx, _tasks: AbortOnDrop(vec![accept, reload]) } })
    }
}

async fn accept_loop(listener: TcpListener, tls: Arc<ServerTls>, tx: tokio::sync::mpsc::Sender<Accepted>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else { return };
        let (tcp, peer) = match TcpListener::accept(&listener).await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (acceptor, tx) = (tls.acceptor.clone(), tx.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let _ = tcp.set_nodelay(true);
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => {
                    let _ = tx.send((Box::new(stream) as Box<dyn Conn>, peer)).await;
                }
                // A scanner, a client that does not trust the certificate, a stalled handshake.
                Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for Incoming {
    type Io = Box<dyn Conn>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> Accepted {
        match &mut self.source {
            Source::Plain(l) => {
                // axum's own accept loop for a TCP listener (it waits out accept errors).
                let (tcp, peer) = axum::serve::Listener::accept(l).await;
                (Box::new(tcp), peer)
            }
            Source::Tls { rx, .. } => match rx.recv().await {
                Some(c) => c,
                // The accept task ended (it does not, short of a panic): accept nothing more.
                None => std::future::pending().await,
            },
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}
