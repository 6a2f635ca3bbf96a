//! Which client a request comes from, for the per-address limits (mailboxes, registrations,
//! connections). The peer address of the TCP connection, unless that peer is one of the operator's
//! `trusted_proxies`: then the right-most `X-Forwarded-For` entry that is not itself a trusted proxy
//! (what the proxy saw; entries further left are the client's own word and can be forged).
//! IPv6 clients are counted per /64, the block one subscriber usually gets.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

pub use crate::config::parse_trusted;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

/// The unit a per-address limit counts: an IPv4 address, or an IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressKey(IpAddr);

impl AddressKey {
    pub fn of(ip: IpAddr) -> AddressKey {
        match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                AddressKey(IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0)))
            }
            v4 => AddressKey(v4),
        }
    }

    /// A 32-byte key for the token buckets, separated by `what` (one bucket per limit).
    pub fn bucket(&self, what: &str) -> [u8; 32] {
        coffre_sync_protocol::sha256(format!("address/{what}/{}", self.0).as_bytes())
    }
}

/// The client address of a request (see the module doc); `None` without connection info (tests
/// that call the router directly).
pub fn client_ip(parts: &Parts, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip().to_canonical();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    let hops = forwarded.iter().flat_map(|v| v.split(',')).map(str::trim).collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip.to_canonical()) => continue,
            Ok(ip) => return Some(ip.to_canonical()),
            // Garbage where an address should be: the proxy did not write it; count the proxy.
            Err(_) => return Some(peer),
        }
    }
    Some(peer)
}

/// The client address of a request, as an extractor (never rejects).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl axum::extract::FromRequestParts<crate::state::AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &crate::state::AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_ip(parts, &state.trusted_proxies)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parts(peer: &str, xff: &[&str]) -> Parts {
        let mut b = axum::http::Request::builder();
        for v in xff {
            b = b.header("x-forwarded-for", *v);
        }
        let (mut parts, ()) = b.body(()).unwrap().into_parts();
        parts.extensions.insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        parts
    }

    #[test]
    fn forwarded_for_is_read_only_from_a_trusted_proxy() {
        let proxy = parse_trusted("10.0.0.1, ::1").unwrap();
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // A direct client cannot choose its address by sending the header.
        assert_eq!(client_ip(&parts("203.0.113.9:5000", &["198.51.100.1"]), &proxy), ip("203.0.113.9"));
        // Behind the proxy: the right-most entry the proxy added, not what the client prepended.
        assert_eq!(client_ip(&parts("10.0.0.1:5000", &["1.2.3.4, 198.51.100.7"]), &proxy), ip("198.51.100.7"));
        assert_eq!(
            client_ip(&parts("10.0.0.1:5000", &["1.2.3.4", "198.51.100.7, 10.0.0.1"]), &proxy),
            ip("198.51.100.7")
        );
        assert_eq!(client_ip(&parts("10.0.0.1:5000", &[]), &proxy), ip("10.0.0.1"));
        assert_eq!(client_ip(&parts("10.0.0.1:5000", &["junk"]), &proxy), ip("10.0.0.1"));
        assert!(parse_trusted("not-an-ip").is_err());
        assert_eq!(parse_trusted("").unwrap(), Vec::<IpAddr>::new());
    }

    #[test]
    fn ipv6_counts_per_64() {
        let a = AddressKey::of("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = AddressKey::of("2001:db8:1:2:bbbb::2".parse().unwrap());
        let c = AddressKey::of("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a.bucket("mailbox"), a.bucket("register"));
    }
}
