//! `GET /events/{id}/cover`: the event's cover image, fetched from the organizer's
//! `image_url` and served from this site, so every asset a page loads is ours (the CSP allows
//! images from `'self'` only). Only public addresses are fetched (no loopback, private or
//! link-local network: the URL is the organizer's to choose), no redirects are followed, only
//! raster images (`image/*` but SVG) up to [`MAX_BYTES`] are passed on, and browsers may keep
//! the answer for an hour. Anything else is a 404, and the page shows the image's alt text in
//! the reserved box.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::session::Visit;
use crate::Frontend;

/// Largest cover passed on.
const MAX_BYTES: usize = 5 * 1024 * 1024;

pub async fn cover(State(app): State<Frontend>, visit: Visit, Path(id): Path<String>) -> Response {
    let Ok(detail) = app.api.event(&visit.forwarded, None, &id).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(url) = detail.event.image_url else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match fetch(&url).await {
        Some((content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ),
            ],
            bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// An address on the public internet.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

/// The image at `url`: its content type and bytes, or `None` for anything not passed on.
async fn fetch(url: &str) -> Option<(HeaderValue, Vec<u8>)> {
    let parsed = reqwest::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let host = parsed.host_str()?.to_owned();
    let port = parsed.port_or_known_default()?;
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .ok()?
        .collect();
    let address = *addresses.first()?;
    if !addresses.iter().all(|a| is_public(a.ip())) {
        return None;
    }
    // Connect to the address checked above, not to a second lookup's answer.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .resolve(&host, address)
        .build()
        .ok()?;
    let mut response = client.get(parsed).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let content_type = response.headers().get(header::CONTENT_TYPE)?.clone();
    let kind = content_type.to_str().ok()?.to_ascii_lowercase();
    if !kind.starts_with("image/") || kind.starts_with("image/svg") {
        return None;
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BYTES as u64)
    {
        return None;
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_BYTES {
            return None;
        }
    }
    Some((content_type, bytes))
}

#[cfg(test)]
mod tests {
    use super::is_public;

    #[test]
    fn only_public_addresses_are_fetched() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "2606:2800:220:1::1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
