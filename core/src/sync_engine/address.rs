//! Which server addresses a vault may be connected to. Everything synced is end-to-end encrypted and
//! signed, but over plain `http://` anyone on the way (a shelter's Wi-Fi, a café's) sees which vault
//! syncs when and how much, and can tamper with or block the traffic. So `https://` always; `http://`
//! only to this machine (tests, the demo), or when the person explicitly allows it.

use std::net::IpAddr;

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// `http://` to another machine than this one, without the explicit opt-in.
    #[error("the server address is not secure (http://); use https://")]
    NotSecure,
    /// Not an `https://` (or `http://`) address with a host.
    #[error("not a server address (expected https://host)")]
    Malformed,
}

/// Checks `url` before a vault is connected to it: `https://HOST…` always passes, `http://` only to
/// loopback (127.0.0.0/8, ::1, `localhost`) unless `allow_plain_http`.
pub fn check_server_address(url: &str, allow_plain_http: bool) -> Result<(), AddressError> {
    let (scheme, rest) = url.trim().split_once("://").ok_or(AddressError::Malformed)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split_once(']').ok_or(AddressError::Malformed)?.0,
        None => host_port.split(':').next().unwrap_or(""),
    };
    if host.is_empty() {
        return Err(AddressError::Malformed);
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if allow_plain_http || is_loopback(host) => Ok(()),
        "http" => Err(AddressError::NotSecure),
        _ => Err(AddressError::Malformed),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.to_canonical().is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_always_http_only_to_this_machine() {
        for ok in [
            "https://coffre.example.org",
            "HTTPS://coffre.example.org:8443/base/",
            "https://192.0.2.10",
            "http://127.0.0.1:8787",
            "http://127.1.2.3",
            "http://[::1]:8787/",
            "http://localhost:8787",
            "http://LOCALHOST.",
        ] {
            assert_eq!(check_server_address(ok, false), Ok(()), "{ok}");
        }
        for plain in [
            "http://example.org",
            "http://example.org:80/",
            "HTTP://192.168.1.10:8787",
            "http://[2001:db8::1]:8787",
            "http://localhost.example.org",
            "http://127.0.0.1.example.org",
            "http://127.0.0.1@example.org/",
        ] {
            assert_eq!(check_server_address(plain, false), Err(AddressError::NotSecure), "{plain}");
            assert_eq!(check_server_address(plain, true), Ok(()), "{plain} with the opt-in");
        }
        for bad in ["example.org", "ftp://example.org", "https://", "http:///path", "https://[::1"] {
            assert_eq!(check_server_address(bad, true), Err(AddressError::Malformed), "{bad}");
        }
    }
}
