//! Connection limits, below HTTP: at most `max_connections` open at once (the next ones wait in the
//! kernel's backlog), at most `max_connections_per_address` from one client address (more are closed at
//! once; trusted proxies are exempt, their clients are counted by [`crate::client_addr`] instead), and
//! a connection on which nothing arrives or leaves for `idle_timeout_secs` is closed (a half-sent
//! request or a silent keep-alive holds no slot for longer), and so is one to which the server has
//! written nothing for `max_silence` (headers trickled a byte at a time never reach the request
//! timeout, which starts once they are complete; every request is answered within that timeout).

use std::collections::HashMap;
use std::future::Future as _;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::client_addr::AddressKey;

/// The limits a [`GuardedListener`] enforces.
#[derive(Debug, Clone)]
pub struct ConnLimits {
    pub max_connections: usize,
    pub max_per_address: usize,
    pub idle_timeout: Duration,
    /// Longest the server may go without writing to a connection (request timeout + idle timeout).
    pub max_silence: Duration,
    /// Peers exempt from the per-address cap (the operator's reverse proxies).
    pub trusted_proxies: Vec<IpAddr>,
}

/// A listener that enforces [`ConnLimits`] on the connections of `L` (plain TCP, or TLS connections
/// after their handshake: `crate::tls::Incoming`); serve it with `axum::serve`.
pub struct GuardedListener<L> {
    inner: L,
    limits: ConnLimits,
    slots: Arc<Semaphore>,
    per_address: Arc<Mutex<HashMap<AddressKey, usize>>>,
}

impl<L> GuardedListener<L> {
    pub fn new(inner: L, limits: ConnLimits) -> GuardedListener<L> {
        let slots = Arc::new(Semaphore::new(limits.max_connections.clamp(1, Semaphore::MAX_PERMITS)));
        GuardedListener { inner, limits, slots, per_address: Arc::default() }
    }

    /// Counts one more connection from `key`, or `None` if that address is at its cap.
    fn claim(&self, key: AddressKey) -> Option<AddressSlot> {
        let Ok(mut map) = self.per_address.lock() else { return None };
        let n = map.entry(key).or_insert(0);
        if *n >= self.limits.max_per_address {
            return None;
        }
        *n += 1;
        Some(AddressSlot { key, map: self.per_address.clone() })
    }
}

impl<L> axum::serve::Listener for GuardedListener<L>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    L::Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Io = GuardedStream<L::Io>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (GuardedStream<L::Io>, SocketAddr) {
        loop {
            let Ok(permit) = self.slots.clone().acquire_owned().await else {
                // The semaphore is never closed; if it were, stop accepting rather than spin.
                std::future::pending::<()>().await;
                continue;
            };
            // The inner listener waits out accept errors itself.
            let (stream, peer) = self.inner.accept().await;
            let ip = peer.ip().to_canonical();
            let slot = if self.limits.trusted_proxies.contains(&ip) {
                None
            } else {
                match self.claim(AddressKey::of(ip)) {
                    Some(slot) => Some(slot),
                    None => {
                        tracing::debug!("connection refused: too many from one address");
                        drop(stream);
                        continue;
                    }
                }
            };
            let (idle, max_silence) = (self.limits.idle_timeout, self.limits.max_silence);
            let io = GuardedStream {
                inner: stream,
                idle,
                deadline: Box::pin(tokio::time::sleep(idle)),
                max_silence,
                silence: Box::pin(tokio::time::sleep(max_silence)),
                _permit: permit,
                _slot: slot,
            };
            return (io, peer);
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// One connection's count against its address, released when the connection closes.
struct AddressSlot {
    key: AddressKey,
    map: Arc<Mutex<HashMap<AddressKey, usize>>>,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        if let Ok(mut map) = self.map.lock()
            && let Some(n) = map.get_mut(&self.key)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

/// A connection that fails its reads once it has been idle (no byte in or out) for the idle timeout, or
/// the server has written nothing to it for `max_silence`.
pub struct GuardedStream<S> {
    inner: S,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    max_silence: Duration,
    silence: Pin<Box<Sleep>>,
    _permit: OwnedSemaphorePermit,
    _slot: Option<AddressSlot>,
}

impl<S> GuardedStream<S> {
    fn touch(&mut self) {
        self.deadline.as_mut().reset(Instant::now() + self.idle);
    }

    fn wrote(&mut self) {
        self.touch();
        let until = Instant::now() + self.max_silence;
        self.silence.as_mut().reset(until);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for GuardedStream<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.touch();
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                let idle = self.deadline.as_mut().poll(cx).is_ready();
                let silent = self.silence.as_mut().poll(cx).is_ready();
                if idle || silent {
                    Poll::Ready(Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "connection idle")))
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for GuardedStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.wrote();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.wrote();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
