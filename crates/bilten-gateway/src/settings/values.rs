//! Parsers for the value shapes the gateway's variables use: upstream URLs, sizes, durations,
//! CIDR ranges and origins. Each returns a reason string; the caller names the variable.

use std::net::IpAddr;
use std::time::Duration;

use http::uri::{Authority, Scheme};
use http::{HeaderValue, Uri};

/// One upstream replica: where to connect and the label its metrics carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamUrl {
    pub authority: Authority,
    /// `https://`: the replica is reached over TLS, verified against its host name (also
    /// sent as SNI), and is sent its own host name as `Host`: front ends that route by host
    /// name (App Service's) need it. `X-Forwarded-Host` still carries the client's.
    pub https: bool,
    /// The `Host` an https replica is sent: the URL's `host[:port]`.
    host: HeaderValue,
}

impl UpstreamUrl {
    /// `http://host:port` or `https://host[:port]` (a trailing `/` is fine). Upstreams on the
    /// private network behind the gateway speak plain HTTP and get the client's `Host`;
    /// `https://` is for replicas only reachable through a TLS front end of their own.
    pub fn parse(text: &str) -> Result<Self, String> {
        let uri: Uri = text
            .trim()
            .parse()
            .map_err(|e| format!("{text:?} is not a URL: {e}"))?;
        let https = match uri.scheme() {
            Some(scheme) if *scheme == Scheme::HTTP => false,
            Some(scheme) if *scheme == Scheme::HTTPS => true,
            _ => {
                return Err(format!(
                    "{text:?}: an upstream is an http:// or https:// URL"
                ))
            }
        };
        let Some(authority) = uri.authority().cloned() else {
            return Err(format!("{text:?} has no host"));
        };
        if authority.as_str().contains('@') {
            return Err(format!(
                "{text:?}: credentials in upstream URLs are not supported"
            ));
        }
        // An authority's characters are all allowed in a header value: this never fails.
        let host = HeaderValue::from_str(authority.as_str())
            .map_err(|_| format!("{text:?}: the host is not a valid Host header"))?;
        match uri.path_and_query().map(http::uri::PathAndQuery::as_str) {
            None | Some("" | "/") => Ok(Self {
                authority,
                https,
                host,
            }),
            Some(other) => Err(format!(
                "{text:?}: an upstream is a base URL without a path (got {other:?})"
            )),
        }
    }

    /// `host:port`, the `upstream` label of the gateway's metrics.
    pub fn label(&self) -> &str {
        self.authority.as_str()
    }

    /// The `Host` this replica must be sent in place of the client's: its own, for https
    /// replicas; `None` for http ones, which get the client's.
    pub fn own_host(&self) -> Option<&HeaderValue> {
        self.https.then_some(&self.host)
    }
}

/// A comma-separated list of upstream URLs; empty items are ignored.
pub fn upstream_list(text: &str) -> Result<Vec<UpstreamUrl>, String> {
    let mut list = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let url = UpstreamUrl::parse(item)?;
        if list.contains(&url) {
            return Err(format!("{item:?} is listed twice"));
        }
        list.push(url);
    }
    Ok(list)
}

/// A size in bytes: `1048576`, `64KiB`, `11MiB`, `10MB`, `1GiB`.
pub fn size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("expected a size like 11MiB or 10485760, got {text:?}"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" | "k" => 1 << 10,
        "mb" => 1_000_000,
        "mib" | "m" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" | "g" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?} in {text:?}")),
    };
    n.checked_mul(multiplier)
        .and_then(|bytes| usize::try_from(bytes).ok())
        .filter(|bytes| *bytes > 0)
        .ok_or_else(|| format!("{text:?} is out of range"))
}

/// A duration like `2s`, `500ms`, `1m` (see `bilten_config::parse_duration`), at least 1 ms.
pub fn duration(text: &str) -> Result<Duration, String> {
    bilten_config::parse_duration(text)
        .filter(|d| *d >= Duration::from_millis(1))
        .ok_or_else(|| format!("expected a duration like 500ms, 2s or 1m, got {text:?}"))
}

/// An IP range in CIDR notation, or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or CIDR range"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?}: prefix length must be 0-{max}"))?,
        };
        Ok(Self { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 client reached over an IPv6 socket shows up as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            IpAddr::V4(_) => ip,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u128::from(u32::from(net)), 32, self.prefix)
                    == masked(u128::from(u32::from(ip)), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128, self.prefix)
                    == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
    let host_bits = u32::from(width - prefix);
    bits.checked_shr(host_bits).unwrap_or(0)
}

/// A browser origin: `scheme://host[:port]`, no path.
pub fn origin(text: &str) -> Result<HeaderValue, String> {
    let text = text.trim().trim_end_matches('/');
    let uri: Uri = text
        .parse()
        .map_err(|_| format!("{text:?} is not an origin like https://tickets.example.com"))?;
    let ok = matches!(uri.scheme_str(), Some("http" | "https"))
        && uri.authority().is_some()
        && uri
            .path_and_query()
            .is_none_or(|pq| pq.as_str().is_empty() || pq.as_str() == "/");
    if !ok {
        return Err(format!(
            "{text:?} is not an origin like https://tickets.example.com (scheme and host, no path)"
        ));
    }
    HeaderValue::from_str(text).map_err(|_| format!("{text:?} is not a valid header value"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls_are_http_or_https_base_urls() {
        let plain = UpstreamUrl::parse("http://127.0.0.1:3001/").unwrap();
        assert_eq!(plain.label(), "127.0.0.1:3001");
        assert!(!plain.https && plain.own_host().is_none());
        let tls = UpstreamUrl::parse("https://bilten-api.azurewebsites.net").unwrap();
        assert!(tls.https);
        assert_eq!(tls.label(), "bilten-api.azurewebsites.net");
        assert_eq!(tls.own_host().unwrap(), "bilten-api.azurewebsites.net");
        assert_eq!(
            UpstreamUrl::parse("https://backend:8443/")
                .unwrap()
                .own_host()
                .unwrap(),
            "backend:8443"
        );
        assert!(UpstreamUrl::parse("ftp://backend:3001").is_err());
        assert!(UpstreamUrl::parse("http://backend:3001/api").is_err());
        assert!(UpstreamUrl::parse("backend:3001").is_err());
        assert!(UpstreamUrl::parse("http://user:pw@backend:3001").is_err());
        assert!(upstream_list("http://a:1, http://a:1").is_err());
        assert_eq!(upstream_list(" http://a:1,,http://b:2 ").unwrap().len(), 2);
    }

    #[test]
    fn sizes_read_binary_and_decimal_units() {
        assert_eq!(size("11MiB").unwrap(), 11 * 1024 * 1024);
        assert_eq!(size("10MB").unwrap(), 10_000_000);
        assert_eq!(size("4096").unwrap(), 4096);
        assert!(size("0").is_err());
        assert!(size("10 parsecs").is_err());
    }

    #[test]
    fn cidr_ranges_match_their_addresses() {
        let private = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(private.contains("10.1.2.3".parse().unwrap()));
        assert!(private.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!private.contains("11.0.0.1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Cidr::parse("::1").unwrap().contains("::1".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("ten").is_err());
    }

    #[test]
    fn origins_have_no_path() {
        assert!(origin("https://tickets.example.com").is_ok());
        assert!(origin("http://localhost:3000/").is_ok());
        assert!(origin("https://tickets.example.com/app").is_err());
        assert!(origin("tickets.example.com").is_err());
    }
}
