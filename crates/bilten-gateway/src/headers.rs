//! Header hygiene at the edge: hop-by-hop headers (RFC 9110 §7.6.1) stay on their own
//! connection, and responses get the security headers every page and API answer should have.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue};

/// Headers that describe one connection, never the message: a proxy must drop them in both
/// directions (RFC 9110 §7.6.1), along with every header the `Connection` header names.
/// `Expect` is dropped too: the gateway answers `100-continue` to the client itself, and the
/// upstream receives the body without waiting.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
    "expect",
];

/// Removes hop-by-hop headers, the ones `Connection` lists, and every `Proxy-*` header
/// (`Proxy-Authorization` and `Proxy-Authenticate` are for the proxy, never the upstream).
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // One pass over the names present (a handful) instead of a hashed lookup per listed
    // name: nearly every message carries none of them, and then nothing is allocated.
    let hop = |name: &HeaderName| {
        let name = name.as_str();
        HOP_BY_HOP.contains(&name) || name.starts_with("proxy-")
    };
    if !headers.keys().any(hop) {
        return;
    }
    let mut doomed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    doomed.extend(headers.keys().filter(|name| hop(name)).cloned());
    for name in doomed {
        headers.remove(name);
    }
}

const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Adds the security headers the upstream did not set itself:
/// - `X-Content-Type-Options: nosniff` everywhere (no MIME sniffing of API JSON or uploads);
/// - `Referrer-Policy: strict-origin-when-cross-origin` (no ticket or reset URLs leak to
///   other sites);
/// - `X-Frame-Options: DENY` on pages (not the API: JSON is never framed), against
///   clickjacking of checkout;
/// - `Strict-Transport-Security` when the client came over HTTPS (browsers ignore it over
///   plain HTTP, and sending it from a development `http://localhost` is pointless).
///
/// An upstream's own value wins, so the frontend can choose stricter policies per page.
pub(crate) fn add_security_headers(headers: &mut HeaderMap, api: bool, https: bool) {
    let mut set = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "strict-origin-when-cross-origin");
    if !api {
        set(header::X_FRAME_OPTIONS, "DENY");
    }
    if https {
        set(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_and_connection_listed_headers_are_dropped() {
        let mut h = HeaderMap::new();
        for (name, value) in [
            ("connection", "keep-alive, X-Secret-Hop"),
            ("connection", "close"),
            ("keep-alive", "timeout=5"),
            ("x-secret-hop", "1"),
            ("te", "trailers"),
            ("trailer", "x-checksum"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("proxy-authorization", "Basic xyz"),
            ("proxy-authenticate", "Basic"),
            ("proxy-connection", "keep-alive"),
            ("expect", "100-continue"),
            ("x-custom", "kept"),
            ("content-type", "application/json"),
        ] {
            h.append(name, HeaderValue::from_static(value));
        }
        strip_hop_by_hop(&mut h);
        let mut left: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        left.sort_unstable();
        assert_eq!(left, ["content-type", "x-custom"]);
    }

    #[test]
    fn security_headers_respect_upstream_choices() {
        let mut h = HeaderMap::new();
        h.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
        add_security_headers(&mut h, false, true);
        assert_eq!(h[header::X_FRAME_OPTIONS], "SAMEORIGIN");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(h.contains_key(header::STRICT_TRANSPORT_SECURITY));

        let mut api = HeaderMap::new();
        add_security_headers(&mut api, true, false);
        assert!(!api.contains_key(header::X_FRAME_OPTIONS));
        assert!(!api.contains_key(header::STRICT_TRANSPORT_SECURITY));
    }
}
