//! Static assets, fingerprinted: the URL carries a hash of the content, so a response can be
//! cached for a year (by browsers and any CDN in front) and a new release still takes effect
//! at once, because its pages point at a new URL.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One file compiled into the binary (a deployment is one file) and its fingerprinted name.
struct Asset {
    content: &'static str,
    content_type: &'static str,
    /// `/static/<stem>.<first 16 hex digits of SHA-256>.<ext>`
    path: String,
}

impl Asset {
    fn new(stem: &str, ext: &str, content: &'static str, content_type: &'static str) -> Self {
        let digest = Sha256::digest(content.as_bytes());
        Self {
            content,
            content_type,
            path: format!("/static/{stem}.{}.{ext}", &hex::encode(digest)[..16]),
        }
    }
}

/// The stylesheet and the four small scripts, all hand-written.
static ASSETS: LazyLock<[Asset; 5]> = LazyLock::new(|| {
    [
        Asset::new(
            "app",
            "css",
            include_str!("../static/app.css"),
            "text/css; charset=utf-8",
        ),
        Asset::new(
            "countdown",
            "js",
            include_str!("../static/countdown.js"),
            "text/javascript; charset=utf-8",
        ),
        Asset::new(
            "availability",
            "js",
            include_str!("../static/availability.js"),
            "text/javascript; charset=utf-8",
        ),
        Asset::new(
            "total",
            "js",
            include_str!("../static/total.js"),
            "text/javascript; charset=utf-8",
        ),
        Asset::new(
            "passkeys",
            "js",
            include_str!("../static/passkeys.js"),
            "text/javascript; charset=utf-8",
        ),
    ]
});

/// Where pages link the stylesheet.
pub fn stylesheet_path() -> &'static str {
    &ASSETS[0].path
}

/// Where pages with a hold countdown load the script.
pub fn countdown_script_path() -> &'static str {
    &ASSETS[1].path
}

/// Where event pages load the live-availability script.
pub fn availability_script_path() -> &'static str {
    &ASSETS[2].path
}

/// Where pages with a ticket form load the running-total script.
pub fn total_script_path() -> &'static str {
    &ASSETS[3].path
}

/// Where the account and login pages load the passkey script.
pub fn passkeys_script_path() -> &'static str {
    &ASSETS[4].path
}

/// `GET /static/{file}`: only the current fingerprints exist. An old one is a 404 rather than
/// today's content, so a cache can never store new content under an old name.
pub async fn serve(Path(file): Path<String>) -> Response {
    let wanted = format!("/static/{file}");
    match ASSETS.iter().find(|asset| asset.path == wanted) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            asset.content,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-store")],
            "not found",
        )
            .into_response(),
    }
}
