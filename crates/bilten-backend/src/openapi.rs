//! The OpenAPI 3.1 document of the API, generated from the code: the handlers' `#[utoipa::path]`
//! annotations give each operation its parameters, request body and success answers (with the
//! types of `bilten-api`), and [`document`] adds what follows from the route table: who may
//! call it (security) and the error answers with their codes from the catalog.
//!
//! Served at `GET /api/v1/openapi.json`, rendered at `/api/docs`, and kept in docs/openapi.json
//! (a test fails when the two differ, so a change of the contract is a reviewed diff).

use std::collections::BTreeMap;

use bilten_api::error::ErrorResponse;
use bilten_api::ErrorCode;
use utoipa::openapi::path::{HttpMethod, Operation, ParameterIn};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{OpenApi, Ref, RefOr};
use utoipa::OpenApi as _;

use crate::routes::Access;

/// Where the API lives; paths in the document include it.
pub const BASE: &str = "/api/v1";

/// The security scheme names.
pub const BEARER: &str = "bearer";
pub const ORDER_KEY: &str = "order_key";
pub const DEVICE_TOKEN: &str = "device_token";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Bilten API",
        description = "Event ticketing: accounts, organizations, events, orders, payments, tickets, \
            refunds and check-in. The guide is docs/API.md; this document is generated from the \
            code (`bilten-api` types and the backend's handlers).\n\n\
            Every error has one shape, `ErrorResponse`, whose `code` is one of `ErrorCode`.",
        license(name = "AGPL-3.0-only", identifier = "AGPL-3.0-only"),
    ),
    components(schemas(ErrorResponse, ErrorCode)),
    tags(
        (name = "accounts", description = "Registration, login, tokens, sessions and the caller's own account."),
        (name = "admin", description = "Platform administration (admins only)."),
        (name = "organizations", description = "Organizations and their members."),
        (name = "events", description = "Events, ticket types, quotas and the public listing."),
        (name = "promo codes", description = "Discount codes of an event."),
        (name = "orders", description = "Orders, purchases, checkout and the test provider's payment page."),
        (name = "tickets", description = "Tickets, their QR codes and PDFs, signing keys and revocations."),
        (name = "organizer views", description = "Read-only sales and attendee reports, CSV exports."),
        (name = "check-in", description = "Check-in lists, scanner devices, statistics and the scan log (organizer side)."),
        (name = "refunds", description = "Refunds and event cancellation."),
        (name = "privacy", description = "Personal data: the account's export and deletion, anonymizing an order."),
        (name = "webhooks", description = "Called by payment providers, not by clients."),
    )
)]
struct ApiDoc;

/// The base document (info, tags, shared schemas, security schemes) before the routes join it.
pub fn base() -> OpenApi {
    let mut doc = ApiDoc::openapi();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An access token from `POST /auth/login` (15 minutes; refresh with \
                     `POST /auth/refresh`).",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        ORDER_KEY,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-Order-Key",
            "The `access_key` (`ok_…`) returned with a new order: lets a guest read, pay and \
             cancel that one order and its tickets.",
        ))),
    );
    components.add_security_scheme(
        DEVICE_TOKEN,
        SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "A scanner device's token from `POST /checkin/pair` (scanner role, \
                     `/api/v1/checkin/…`).",
                ))
                .build(),
        ),
    );
    doc
}

/// Finishes the document the router produced: security and error answers of every operation.
pub fn document(mut doc: OpenApi) -> OpenApi {
    let mut shared = BTreeMap::new();
    for (path, item) in &mut doc.paths.paths {
        let route = path.strip_prefix(BASE).unwrap_or(path).to_owned();
        for (method, operation) in operations_mut(item) {
            let access = crate::routes::access(method, &route);
            if let Some(access) = access {
                operation.security = security(access, &route);
            }
            let codes = errors_of(method, &route, access, operation);
            add_errors(operation, &codes, &mut shared);
        }
    }
    let components = doc.components.get_or_insert_with(Default::default);
    components.responses.extend(shared);
    doc
}

fn operations_mut(
    item: &mut utoipa::openapi::path::PathItem,
) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("GET", item.get.as_mut()),
        ("POST", item.post.as_mut()),
        ("PATCH", item.patch.as_mut()),
        ("DELETE", item.delete.as_mut()),
        ("PUT", item.put.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|o| (method, o)))
}

/// `HttpMethod` of a method name, for tests that walk [`crate::routes::table`].
pub fn http_method(method: &str) -> Option<HttpMethod> {
    Some(match method {
        "GET" => HttpMethod::Get,
        "POST" => HttpMethod::Post,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        "PUT" => HttpMethod::Put,
        _ => return None,
    })
}

/// Routes a guest reaches with the order's key instead of an account.
fn takes_order_key(route: &str) -> bool {
    route.starts_with("/orders/{id}") && route != "/orders/{id}/refund"
        || route.starts_with("/tickets/{id}")
}

fn security(access: Access, route: &str) -> Option<Vec<SecurityRequirement>> {
    let bearer = || SecurityRequirement::new(BEARER, Vec::<String>::new());
    Some(match access {
        Access::User | Access::Organizer | Access::Admin => vec![bearer()],
        Access::Public if takes_order_key(route) => vec![
            bearer(),
            SecurityRequirement::new(ORDER_KEY, Vec::<String>::new()),
        ],
        // Anonymous or logged in (`POST /orders` uses the account when there is one).
        Access::Public
            if matches!(
                route,
                "/orders" | "/purchases" | "/events" | "/events/{id}" | "/events/{id}/ticket-keys"
            ) =>
        {
            vec![SecurityRequirement::default(), bearer()]
        }
        Access::Public => return None,
    })
}

/// The codes an operation can answer with: those every route shares, those its access class
/// and inputs bring, and its own (from [`SPECIFIC`]).
fn errors_of(
    method: &str,
    route: &str,
    access: Option<Access>,
    operation: &Operation,
) -> Vec<ErrorCode> {
    use ErrorCode as E;
    let mut codes = vec![E::InternalError, E::ServiceUnavailable];
    if operation.request_body.is_some() {
        codes.extend([
            E::MalformedJson,
            E::PayloadTooLarge,
            E::UnsupportedMediaType,
            E::InvalidBody,
            E::InvalidCharacters,
        ]);
    }
    let has_query = operation.parameters.as_ref().is_some_and(|params| {
        params
            .iter()
            .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query))
    });
    if has_query {
        codes.extend([E::InvalidQuery, E::InvalidCharacters]);
    }
    if operation.request_body.is_some() || has_query {
        codes.push(E::ValidationFailed);
    }
    match access {
        Some(Access::User) => codes.extend(unauthenticated()),
        Some(Access::Organizer) => {
            codes.extend(unauthenticated());
            codes.extend([E::Forbidden, E::NotFound, E::TwoFactorRequired]);
        }
        Some(Access::Admin) => {
            codes.extend(unauthenticated());
            codes.push(E::Forbidden);
        }
        Some(Access::Public) | None => {}
    }
    if route.contains('{') {
        codes.push(E::NotFound);
    }
    if let Some((_, _, own)) = SPECIFIC
        .iter()
        .find(|(m, p, _)| *m == method && *p == route)
    {
        codes.extend_from_slice(own);
    }
    codes.sort();
    codes.dedup();
    codes
}

fn unauthenticated() -> [ErrorCode; 4] {
    [
        ErrorCode::Unauthenticated,
        ErrorCode::InvalidToken,
        ErrorCode::TokenExpired,
        ErrorCode::SessionEnded,
    ]
}

/// The codes of each operation beyond those its access class and inputs bring.
const SPECIFIC: &[(&str, &str, &[ErrorCode])] = {
    use ErrorCode as E;
    &[
        ("POST", "/auth/register", &[E::EmailTaken]),
        (
            "POST",
            "/auth/passkey",
            &[
                E::PasskeyChallengeInvalid,
                E::PasskeyRejected,
                E::PasskeyUnknown,
            ],
        ),
        (
            "POST",
            "/me/passkeys",
            &[
                E::PasskeyChallengeInvalid,
                E::PasskeyRejected,
                E::PasskeyExists,
            ],
        ),
        (
            "POST",
            "/auth/login",
            &[E::InvalidCredentials, E::TooManyAttempts],
        ),
        (
            "POST",
            "/auth/refresh",
            &[E::InvalidRefreshToken, E::RefreshTokenReused],
        ),
        ("POST", "/auth/reset", &[E::InvalidOrExpiredToken]),
        ("POST", "/auth/verify", &[E::InvalidOrExpiredToken]),
        ("POST", "/admin/events/{id}/unpublish", &[E::NotPublished]),
        (
            "POST",
            "/admin/events/{id}/release",
            &[E::NotModerationLocked],
        ),
        (
            "POST",
            "/organizations",
            &[
                E::EmailNotVerified,
                E::IdempotencyKeyRequired,
                E::IdempotencyKeyReused,
                E::RequestInProgress,
            ],
        ),
        ("DELETE", "/me", &[E::LastOwner]),
        (
            "POST",
            "/invitations/accept",
            &[
                E::InvalidOrExpiredToken,
                E::InvitationForAnotherEmail,
                E::AlreadyMember,
            ],
        ),
        (
            "POST",
            "/auth/login/two-factor",
            &[E::InvalidOrExpiredToken, E::TooManyAttempts],
        ),
        ("POST", "/me/two-factor", &[E::TwoFactorEnabled]),
        (
            "POST",
            "/me/two-factor/confirm",
            &[
                E::TwoFactorEnabled,
                E::TwoFactorNotEnabled,
                E::TooManyAttempts,
            ],
        ),
        (
            "DELETE",
            "/me/two-factor",
            &[E::TwoFactorNotEnabled, E::TooManyAttempts],
        ),
        (
            "POST",
            "/me/two-factor/recovery-codes",
            &[E::TwoFactorNotEnabled, E::TooManyAttempts],
        ),
        ("POST", "/orders/{id}/anonymize", &[E::OrderPending]),
        ("POST", "/organizations/{id}/members", &[E::AlreadyMember]),
        (
            "DELETE",
            "/organizations/{id}/members/{user_id}",
            &[E::LastOwner],
        ),
        ("PATCH", "/events/{id}", &[E::EventCanceled]),
        ("DELETE", "/events/{id}", &[E::NotADraft]),
        (
            "PUT",
            "/events/{id}/translations/{locale}",
            &[E::EventCanceled],
        ),
        (
            "DELETE",
            "/events/{id}/translations/{locale}",
            &[E::EventCanceled, E::ValidationFailed],
        ),
        (
            "POST",
            "/events/{id}/publish",
            &[
                E::NoTicketTypes,
                E::NotADraft,
                E::ModerationLocked,
                E::EventCanceled,
            ],
        ),
        ("PATCH", "/ticket-types/{id}", &[E::CapacityBelowTaken]),
        ("POST", "/events/{id}/quotas", &[E::CapacityBelowTaken]),
        ("POST", "/events/{id}/promo-codes", &[E::PromoCodeTaken]),
        ("PATCH", "/promo-codes/{id}", &[E::MaxUsesBelowUsed]),
        ("GET", "/devices/{id}/pairing.svg", &[E::PairingCodeUsed]),
        ("POST", "/orders", ORDERING),
        ("POST", "/purchases", PURCHASING),
        (
            "DELETE",
            "/orders/{id}",
            &[E::OrderNotPending, E::Forbidden],
        ),
        (
            "POST",
            "/orders/{id}/checkout",
            &[
                E::OrderExpired,
                E::OrderAlreadyPaid,
                E::OrderNotPending,
                E::CheckoutInProgress,
                // A test card's payment decided meanwhile by another request.
                E::PaymentNotPending,
                E::PaymentDeclined,
                E::SoldOut,
                E::IdempotencyKeyRequired,
                E::IdempotencyKeyReused,
                E::Forbidden,
            ],
        ),
        (
            "POST",
            "/events/{id}/ticket-keys/rotate",
            &[E::RotationInProgress],
        ),
        (
            "PATCH",
            "/tickets/{id}",
            &[E::EventStarted, E::TicketNotValid, E::Forbidden],
        ),
        (
            "POST",
            "/orders/{id}/refund",
            &[
                E::RefundExceedsRemaining,
                E::OrderNotRefundable,
                E::IdempotencyKeyRequired,
                E::IdempotencyKeyReused,
                E::RequestInProgress,
            ],
        ),
        // 404 while no webhook secret is configured (the endpoint is off).
        (
            "POST",
            "/webhooks/stripe",
            &[E::InvalidSignature, E::NotFound],
        ),
        ("POST", "/organizations/{id}/events", IDEMPOTENT),
        ("POST", "/events/{id}/ticket-types", IDEMPOTENT),
        ("POST", "/events/{id}/cancel", IDEMPOTENT),
    ]
};

/// The codes an optional `Idempotency-Key` brings.
const IDEMPOTENT: &[ErrorCode] = &[
    ErrorCode::IdempotencyKeyRequired,
    ErrorCode::IdempotencyKeyReused,
    ErrorCode::RequestInProgress,
];

const ORDERING: &[ErrorCode] = {
    use ErrorCode as E;
    &[
        E::IdempotencyKeyRequired,
        E::IdempotencyKeyReused,
        E::SoldOut,
        E::SalesNotOpen,
        E::SalesClosed,
        E::LimitExceeded,
        E::EventNotOnSale,
        E::PromoCodeInvalid,
        E::PromoCodeNotApplicable,
        E::PromoCodeExhausted,
        E::NotFound,
    ]
};

const PURCHASING: &[ErrorCode] = {
    use ErrorCode as E;
    &[
        E::IdempotencyKeyRequired,
        E::IdempotencyKeyReused,
        E::PurchaseInProgress,
        E::SoldOut,
        E::SalesNotOpen,
        E::SalesClosed,
        E::LimitExceeded,
        E::EventNotOnSale,
        E::PromoCodeInvalid,
        E::PromoCodeNotApplicable,
        E::PromoCodeExhausted,
        E::PaymentDeclined,
        E::NotFound,
    ]
};

/// The name under `components/responses` of an error answer most operations share (one
/// code, or the four of a refused access token), so the document says it once.
fn shared_name(codes: &[ErrorCode]) -> Option<String> {
    match codes {
        [code] => Some(code.as_str().to_owned()),
        _ if codes == unauthenticated() => Some("unauthenticated_or_token_refused".to_owned()),
        _ => None,
    }
}

/// One response per status, listing its codes, with an example body for each.
fn add_errors(
    operation: &mut Operation,
    codes: &[ErrorCode],
    shared: &mut BTreeMap<String, RefOr<utoipa::openapi::Response>>,
) {
    let has_body = operation.request_body.is_some();
    let has_query = operation.parameters.is_some();
    for (status, codes) in bilten_api::openapi::by_status(codes, has_body, has_query) {
        let key = status.to_string();
        if operation.responses.responses.contains_key(&key) {
            continue;
        }
        let response = bilten_api::openapi::error_response(&codes);
        let entry = match shared_name(&codes) {
            Some(name) => {
                shared.insert(name.clone(), response.into());
                RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
            }
            None => response.into(),
        };
        operation.responses.responses.insert(key, entry);
    }
}

/// The API's router (paths under [`BASE`]) and its finished document.
pub fn router() -> (axum::Router<crate::AppState>, OpenApi) {
    let (router, doc) = utoipa_axum::router::OpenApiRouter::with_openapi(base())
        .nest(BASE, crate::routes::api())
        .split_for_parts();
    (router, document(doc))
}

/// The document as served and committed (docs/openapi.json).
pub fn openapi() -> OpenApi {
    router().1
}

/// `GET /api/v1/openapi.json` and the Swagger UI at `/api/docs` (served from the
/// `utoipa-swagger-ui` crate's vendored copy: nothing is fetched from elsewhere). The UI
/// offers the scanner's check-in document too, which the gateway routes to the scanner (a
/// backend alone has only its own).
pub fn docs_router(doc: OpenApi) -> axum::Router {
    use utoipa_swagger_ui::Url;
    let config = utoipa_swagger_ui::Config::new([
        Url::with_primary("Bilten API", "/api/v1/openapi.json", true),
        Url::new("Check-in API (scanner)", "/api/v1/checkin/openapi.json"),
    ])
    .validator_url("none")
    .try_it_out_enabled(false)
    .persist_authorization(false);
    utoipa_swagger_ui::SwaggerUi::new("/api/docs")
        .url(format!("{BASE}/openapi.json"), doc)
        .config(config)
        .into()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use super::{openapi, BASE};
    use crate::routes::{table, Access};

    const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");

    fn operations(
        doc: &utoipa::openapi::OpenApi,
    ) -> Vec<(&'static str, String, &utoipa::openapi::path::Operation)> {
        let mut all = Vec::new();
        for (path, item) in &doc.paths.paths {
            for (method, operation) in [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
                ("PUT", &item.put),
            ] {
                if let Some(operation) = operation {
                    all.push((method, path.clone(), operation));
                }
            }
        }
        all
    }

    /// The committed docs/openapi.json is the document the code generates, so a change of
    /// the contract shows up as a diff in review. `BILTEN_UPDATE_DOCS=1` rewrites it.
    #[test]
    fn the_committed_openapi_json_is_the_generated_one() {
        if let Err(stale) = bilten_api::openapi::check_committed_document(SNAPSHOT, &openapi()) {
            panic!("{stale}");
        }
    }

    /// Every route the router serves is in the document, and nothing else: both come from
    /// the rooms' route declarations, and the access table names the same set.
    #[test]
    fn the_document_has_every_route_of_the_router_and_no_other() {
        let doc = openapi();
        let documented: BTreeSet<(String, String)> = operations(&doc)
            .into_iter()
            .map(|(method, path, _)| (method.to_owned(), path))
            .collect();
        let routed: BTreeSet<(String, String)> = table()
            .iter()
            .map(|rule| (rule.method.to_owned(), format!("{BASE}{}", rule.path)))
            .collect();
        assert_eq!(documented, routed);
    }

    #[test]
    fn it_is_openapi_3_1_with_unique_operation_ids_and_described_security() {
        let doc = openapi();
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["openapi"], "3.1.0");
        let mut ids = HashSet::new();
        for (method, path, operation) in operations(&doc) {
            let id = operation.operation_id.clone().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            assert!(ids.insert(id.clone()), "operationId {id} twice");
            let route = path.strip_prefix(BASE).unwrap();
            let access = crate::routes::access(method, route).unwrap();
            if access != Access::Public {
                assert!(operation.security.is_some(), "{method} {path}: no security");
                assert!(operation.responses.responses.contains_key("401"));
            }
            assert!(
                operation.responses.responses.contains_key("500"),
                "{method} {path}: errors are listed"
            );
        }
        let schemes = &json["components"]["securitySchemes"];
        for scheme in [super::BEARER, super::ORDER_KEY, super::DEVICE_TOKEN] {
            assert!(schemes[scheme].is_object(), "{scheme}");
        }
    }

    /// Every code the backend answers with is documented on some operation (the scanner's
    /// and the gateway's own codes are theirs).
    #[test]
    fn every_backend_error_code_is_on_some_operation() {
        use bilten_api::ErrorCode as E;
        let doc = serde_json::to_value(openapi()).unwrap();
        let text = format!("{}{}", doc["paths"], doc["components"]["responses"]);
        let not_backend = [
            E::BadRequest,
            E::InvalidPairingCode,
            E::CodeRequired,
            E::CodeTooLong,
            E::InvalidNonce,
            E::InvalidTicketId,
            E::InvalidCursor,
            E::InvalidTime,
            E::TooManyScans,
            E::QueryTooShort,
            E::EventRequired,
            E::DeviceRevoked,
            E::MethodNotAllowed,
            E::RequestTimeout,
            E::ScanInProgress,
            E::RateLimited,
            E::BadGateway,
            E::NoHealthyUpstream,
            E::UpstreamTimeout,
        ];
        for code in E::ALL {
            if !not_backend.contains(code) {
                assert!(
                    text.contains(&format!("\"code\":\"{}\"", code.as_str())),
                    "{code} is on no operation"
                );
            }
        }
    }
}
