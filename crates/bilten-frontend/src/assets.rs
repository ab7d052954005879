//! Static assets, fingerprinted: the URL carries a hash of the content, so a response can be
//! cached for a year (by browsers and any CDN in front) and a new release still takes effect
//! at once, because its pages point at a new URL.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The one stylesheet, hand-written; compiled into the binary so a deployment is one file.
const STYLESHEET: &str = include_str!("../static/app.css");

/// `app.<first 16 hex digits of SHA-256>.css`, computed once from the content.
static STYLESHEET_FILE: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(STYLESHEET.as_bytes());
    format!("app.{}.css", &hex::encode(digest)[..16])
});

static STYLESHEET_PATH: LazyLock<String> =
    LazyLock::new(|| format!("/static/{}", STYLESHEET_FILE.as_str()));

/// Where pages link the stylesheet.
pub fn stylesheet_path() -> &'static str {
    STYLESHEET_PATH.as_str()
}

/// `GET /static/{file}`: only the current fingerprint exists. An old one is a 404 rather than
/// today's content, so a cache can never store new content under an old name.
pub async fn serve(Path(file): Path<String>) -> Response {
    if file == *STYLESHEET_FILE {
        (
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            STYLESHEET,
        )
            .into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-store")],
            "not found",
        )
            .into_response()
    }
}
