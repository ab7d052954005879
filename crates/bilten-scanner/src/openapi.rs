//! The OpenAPI 3.1 document of the check-in API (the scanner role), generated from the code
//! like the backend's: the handlers' `#[utoipa::path]` give operations, bodies and answers
//! (types of `bilten_api::checkin`), and [`document`] adds who may call each one and its
//! error answers from the catalog.
//!
//! A document of its own rather than a part of the backend's: the scanner is its own role
//! with its own router (the gateway sends `/api/v1/checkin/…` to it), so its router is what
//! its document must equal. Served at `GET /api/v1/checkin/openapi.json` and committed as
//! docs/openapi-checkin.json (a test fails when the two differ).

use bilten_api::error::ErrorResponse;
use bilten_api::ErrorCode;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::OpenApi;
use utoipa::OpenApi as _;

use crate::ScannerState;

/// Where the check-in API lives; paths in the document include it.
pub const BASE: &str = "/api/v1/checkin";

/// The security scheme names.
pub const DEVICE_TOKEN: &str = "device_token";
pub const BEARER: &str = "bearer";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Bilten check-in API",
        description = "What scanner devices (and staff with their own login) use at the gate: \
            pairing, check-in lists, scans, offline sync and uploads, search and counts. Served \
            by the scanner role; the rest of the API is in `/api/v1/openapi.json`. The guide is \
            docs/API.md.\n\n\
            Every error has one shape, `ErrorResponse`, whose `code` is one of `ErrorCode`.",
        license(name = "AGPL-3.0-only", identifier = "AGPL-3.0-only"),
    ),
    components(schemas(ErrorResponse, ErrorCode)),
    tags(
        (name = "check-in", description = "Scanning at the gate."),
    )
)]
struct CheckinDoc;

fn base() -> OpenApi {
    let mut doc = CheckinDoc::openapi();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        DEVICE_TOKEN,
        SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "A device token (`bdt_…`) from `POST /checkin/pair`: scans for one event.",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "A staff member's access token from the backend's `POST /auth/login`.",
                ))
                .build(),
        ),
    );
    doc
}

/// The codes an operation can answer with, beyond those its inputs bring.
fn own_codes(path: &str) -> &'static [ErrorCode] {
    use ErrorCode as E;
    match path {
        "/pair" => &[E::InvalidPairingCode],
        "/lists" => &[E::EventRequired],
        "/redeem" => &[
            E::CodeRequired,
            E::CodeTooLong,
            E::InvalidNonce,
            E::InvalidTicketId,
            E::ScanInProgress,
        ],
        "/sync" => &[E::InvalidCursor],
        "/uploads" => &[E::TooManyScans],
        "/search" => &[E::QueryTooShort],
        _ => &[],
    }
}

fn codes_of(path: &str, operation: &Operation) -> Vec<ErrorCode> {
    use ErrorCode as E;
    let mut codes = vec![E::InternalError, E::ServiceUnavailable];
    let has_body = operation.request_body.is_some();
    let has_query = operation.parameters.is_some();
    if has_body {
        codes.extend([
            E::MalformedJson,
            E::PayloadTooLarge,
            E::UnsupportedMediaType,
            E::InvalidBody,
            E::InvalidCharacters,
        ]);
    }
    if has_query {
        codes.extend([E::InvalidQuery, E::InvalidCharacters]);
    }
    if path != "/pair" {
        // A device token or a staff login; objects of other events are 404.
        codes.extend([
            E::Unauthenticated,
            E::InvalidToken,
            E::TokenExpired,
            E::DeviceRevoked,
            E::NotFound,
        ]);
    }
    codes.extend_from_slice(own_codes(path));
    codes.sort();
    codes.dedup();
    codes
}

/// Finishes the document the router produced: security and error answers.
pub fn document(mut doc: OpenApi) -> OpenApi {
    for (path, item) in &mut doc.paths.paths {
        let route = path.strip_prefix(BASE).unwrap_or(path).to_owned();
        for operation in [item.get.as_mut(), item.post.as_mut()]
            .into_iter()
            .flatten()
        {
            if route != "/pair" {
                operation.security = Some(vec![
                    SecurityRequirement::new(DEVICE_TOKEN, Vec::<String>::new()),
                    SecurityRequirement::new(BEARER, Vec::<String>::new()),
                ]);
            }
            let codes = codes_of(&route, operation);
            let has_body = operation.request_body.is_some();
            let has_query = operation.parameters.is_some();
            for (status, codes) in bilten_api::openapi::by_status(&codes, has_body, has_query) {
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| bilten_api::openapi::error_response(&codes).into());
            }
        }
    }
    doc
}

/// The check-in API's router (paths relative to [`BASE`]) and its finished document (paths
/// with [`BASE`]).
pub fn router() -> (axum::Router<ScannerState>, OpenApi) {
    let (router, doc) = utoipa_axum::router::OpenApiRouter::with_openapi(base())
        .merge(crate::api::routes())
        .split_for_parts();
    let mut doc = doc;
    // The router is nested under BASE by the caller; the document names the full paths.
    doc.paths.paths = std::mem::take(&mut doc.paths.paths)
        .into_iter()
        .map(|(path, item)| (format!("{BASE}{path}"), item))
        .collect();
    (router, document(doc))
}

/// The document as served and committed (docs/openapi-checkin.json).
pub fn openapi() -> OpenApi {
    router().1
}

/// `GET /api/v1/checkin/openapi.json` (serialized once, at start).
pub fn document_route(doc: &OpenApi) -> axum::Router {
    let body = serde_json::to_string(doc).unwrap_or_default();
    axum::Router::new().route(
        &format!("{BASE}/openapi.json"),
        axum::routing::get(move || {
            let body = body.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    body,
                )
            }
        }),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{openapi, BASE};

    const SNAPSHOT: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/openapi-checkin.json"
    );

    /// The committed docs/openapi-checkin.json is the document the code generates.
    /// `BILTEN_UPDATE_DOCS=1` rewrites it.
    #[test]
    fn the_committed_checkin_openapi_json_is_the_generated_one() {
        if let Err(stale) = bilten_api::openapi::check_committed_document(SNAPSHOT, &openapi()) {
            panic!("{stale}");
        }
    }

    /// Every operation has an id, errors, and (but pairing) security; the document lists the
    /// seven routes `api::routes` declares. That the router serves exactly these is tested
    /// from outside in tests/scanner/openapi.rs.
    #[test]
    fn every_operation_is_described() {
        let doc = openapi();
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["openapi"], "3.1.0");
        let mut operations = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            assert!(path.starts_with(BASE), "{path}");
            for (method, operation) in [("GET", &item.get), ("POST", &item.post)] {
                let Some(operation) = operation else { continue };
                operations.insert((method, path.clone()));
                assert!(operation.operation_id.is_some(), "{method} {path}");
                assert!(operation.responses.responses.contains_key("500"));
                if !path.ends_with("/pair") {
                    assert!(operation.security.is_some(), "{method} {path}");
                    assert!(operation.responses.responses.contains_key("401"));
                }
            }
        }
        let expected: BTreeSet<(&str, String)> = [
            ("POST", "/pair"),
            ("GET", "/lists"),
            ("POST", "/redeem"),
            ("GET", "/sync"),
            ("POST", "/uploads"),
            ("GET", "/search"),
            ("GET", "/counts"),
        ]
        .into_iter()
        .map(|(m, p)| (m, format!("{BASE}{p}")))
        .collect();
        assert_eq!(operations, expected);
    }
}
