//! Who is calling: the client address, scheme and host, believing `X-Forwarded-*` only from
//! trusted proxies (the cloud load balancer), since anyone can send those headers and the
//! address is what rate limits count.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use axum::http::{header, HeaderMap, HeaderName, HeaderValue};

use crate::settings::values::Cidr;

// Names built once: a `&str` name is parsed and validated on every use.
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");

#[derive(Debug, Clone)]
pub(crate) struct ClientInfo {
    /// The client's address: the peer, or with a trusted peer the first untrusted hop of
    /// `X-Forwarded-For` read from the right.
    pub ip: Option<IpAddr>,
    /// Whether the client reached us over TLS (as told by a trusted proxy).
    pub https: bool,
    host: Option<HeaderValue>,
    forwarded_for: Option<HeaderValue>,
}

impl ClientInfo {
    pub(crate) fn resolve(headers: &HeaderMap, peer: Option<SocketAddr>, trusted: &[Cidr]) -> Self {
        let peer_ip = peer.map(|p| canonical(p.ip()));
        let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
        let peer_trusted = peer_ip.is_some_and(is_trusted);

        let mut chain: Vec<&str> = Vec::new();
        if peer_trusted {
            for value in headers.get_all(X_FORWARDED_FOR) {
                if let Ok(text) = value.to_str() {
                    chain.extend(text.split(',').map(str::trim).filter(|s| !s.is_empty()));
                }
            }
        }

        let mut ip = peer_ip;
        if peer_trusted {
            for hop in chain.iter().rev() {
                match hop.parse::<IpAddr>() {
                    Ok(hop) => {
                        ip = Some(canonical(hop));
                        if !is_trusted(hop) {
                            break;
                        }
                    }
                    // Garbage in the chain: the hop to its right is the last we can vouch for.
                    Err(_) => break,
                }
            }
        }

        let forwarded_proto = peer_trusted
            .then(|| headers.get(X_FORWARDED_PROTO))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(',')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        let https = forwarded_proto.as_deref() == Some("https");

        let host = peer_trusted
            .then(|| headers.get(X_FORWARDED_HOST).cloned())
            .flatten()
            .or_else(|| headers.get(header::HOST).cloned());

        let forwarded_for = peer_ip.and_then(|peer| {
            let mut list = String::with_capacity(64);
            for hop in &chain {
                list.push_str(hop);
                list.push_str(", ");
            }
            let _ = write!(list, "{peer}");
            HeaderValue::try_from(list).ok()
        });

        Self {
            ip,
            https,
            host,
            forwarded_for,
        }
    }

    /// Replaces whatever the client sent with what the gateway vouches for:
    /// `X-Forwarded-For` (the trusted chain plus the peer), `-Proto`, `-Host` and
    /// `X-Real-IP` (the resolved client address, for replicas that want one value).
    pub(crate) fn write_forwarded(&self, headers: &mut HeaderMap) {
        headers.remove(X_FORWARDED_FOR);
        headers.remove(X_REAL_IP);
        headers.remove(header::FORWARDED);
        if let Some(value) = &self.forwarded_for {
            headers.insert(X_FORWARDED_FOR, value.clone());
        }
        if let Some(ip) = self.ip {
            if let Ok(value) = HeaderValue::from_str(&ip.to_string()) {
                headers.insert(X_REAL_IP, value);
            }
        }
        headers.insert(
            X_FORWARDED_PROTO,
            HeaderValue::from_static(if self.https { "https" } else { "http" }),
        );
        match &self.host {
            Some(host) => headers.insert(X_FORWARDED_HOST, host.clone()),
            None => headers.remove(X_FORWARDED_HOST),
        };
    }
}

/// IPv4 clients on a dual-stack socket appear as `::ffff:a.b.c.d`; count them as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 40000)
    }

    #[test]
    fn an_untrusted_peer_cannot_spoof_its_address_or_scheme() {
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "evil.example"),
            ("x-real-ip", "1.2.3.4"),
            ("host", "tickets.example.com"),
        ]);
        let client = ClientInfo::resolve(&h, Some(peer("203.0.113.9")), &[]);
        assert_eq!(client.ip, Some("203.0.113.9".parse().unwrap()));
        assert!(!client.https);
        let mut out = h.clone();
        client.write_forwarded(&mut out);
        assert_eq!(out["x-forwarded-for"], "203.0.113.9");
        assert_eq!(out["x-real-ip"], "203.0.113.9");
        assert_eq!(out["x-forwarded-proto"], "http");
        assert_eq!(out["x-forwarded-host"], "tickets.example.com");
    }

    #[test]
    fn behind_a_trusted_balancer_the_first_untrusted_hop_is_the_client() {
        let trusted = [Cidr::parse("10.0.0.0/8").unwrap()];
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6, 198.51.100.7"),
            ("x-forwarded-for", "10.1.1.1"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "tickets.example.com"),
            ("host", "gateway.internal"),
        ]);
        let client = ClientInfo::resolve(&h, Some(peer("10.0.0.2")), &trusted);
        assert_eq!(client.ip, Some("198.51.100.7".parse().unwrap()));
        assert!(client.https);
        let mut out = h.clone();
        client.write_forwarded(&mut out);
        assert_eq!(
            out["x-forwarded-for"],
            "6.6.6.6, 198.51.100.7, 10.1.1.1, 10.0.0.2"
        );
        assert_eq!(out["x-forwarded-host"], "tickets.example.com");
        assert_eq!(out["x-real-ip"], "198.51.100.7");
    }

    #[test]
    fn mapped_ipv4_peers_are_plain_ipv4() {
        let client = ClientInfo::resolve(&HeaderMap::new(), Some(peer("::ffff:192.0.2.5")), &[]);
        assert_eq!(client.ip, Some("192.0.2.5".parse().unwrap()));
    }
}
