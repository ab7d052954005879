//! The error-code catalog: every `code` an error body (`{"error": {"code", …}}`) can carry,
//! with its HTTP status and what it means. Codes are stable and meant for programs; the
//! `message` next to them is for people.
//!
//! The table below is the one place a code is declared. docs/API.md's catalog is generated
//! from it (a test keeps the two equal), and the error type of every role takes an
//! [`ErrorCode`], so a handler cannot answer with a code that is not here.

use http::StatusCode;
use serde::{Deserialize, Serialize};

/// Declares [`ErrorCode`] from one table: `Variant = "wire", [statuses], "meaning";`.
/// The first status is the code's usual one; a second is where the same problem is
/// answered differently (a NUL in the query string is a 400, in the body a 422).
macro_rules! catalog {
    ($( $variant:ident = $wire:literal, [$($status:ident),+], $meaning:literal; )*) => {
        /// A stable, `snake_case` error code. See the module docs.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $( #[doc = $meaning] $variant, )*
        }

        impl ErrorCode {
            /// Every code, in catalog order (by status).
            pub const ALL: &'static [ErrorCode] = &[$(Self::$variant),*];

            /// The code as it is sent, e.g. `"sold_out"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }

            /// Every status the code is answered with; the first is the usual one.
            pub const fn statuses(self) -> &'static [StatusCode] {
                match self {
                    $(Self::$variant => &[$(StatusCode::$status),+],)*
                }
            }

            /// What the code means, in one line (the catalog's "when" column).
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(Self::$variant => $meaning,)*
                }
            }
        }
    };
}

catalog! {
    BadRequest = "bad_request", [BAD_REQUEST], "the request body could not be read (the client stopped sending it)";
    MalformedJson = "malformed_json", [BAD_REQUEST], "the body is not JSON";
    InvalidQuery = "invalid_query", [BAD_REQUEST], "the query string does not fit the route (e.g. `limit=many`)";
    InvalidOrExpiredToken = "invalid_or_expired_token", [BAD_REQUEST], "a verification, reset or invitation token, or a sign-in challenge, is unknown, used or expired";
    IdempotencyKeyRequired = "idempotency_key_required", [BAD_REQUEST], "the `Idempotency-Key` header is missing or not 1–255 visible ASCII characters";
    InvalidSignature = "invalid_signature", [BAD_REQUEST], "a Stripe webhook's `Stripe-Signature` is missing, malformed, forged or stale";
    InvalidPairingCode = "invalid_pairing_code", [BAD_REQUEST], "a scanner pairing code is unknown, used or expired";
    CodeRequired = "code_required", [BAD_REQUEST], "a scan names neither a `code` nor a `ticket_id`";
    CodeTooLong = "code_too_long", [BAD_REQUEST], "a scanned code is longer than any ticket code (2048 characters)";
    InvalidNonce = "invalid_nonce", [BAD_REQUEST], "a scan's `nonce` is not 8–100 printable ASCII characters";
    InvalidTicketId = "invalid_ticket_id", [BAD_REQUEST], "a scan's `ticket_id` names no ticket";
    InvalidCursor = "invalid_cursor", [BAD_REQUEST], "a scanner sync `since` is not a cursor the server gave";
    InvalidTime = "invalid_time", [BAD_REQUEST], "an uploaded scan's `scanned_at` is not RFC 3339 or lies in the future";
    TooManyScans = "too_many_scans", [BAD_REQUEST], "an upload holds more than 500 scans";
    QueryTooShort = "query_too_short", [BAD_REQUEST], "a scanner search is shorter than 2 characters";
    EventRequired = "event_required", [BAD_REQUEST], "a staff member's scanner call does not name its `event_id`";
    PasskeyChallengeInvalid = "passkey_challenge_invalid", [BAD_REQUEST], "a passkey answer's challenge is unknown, already used or expired: ask for new options";
    PasskeyRejected = "passkey_rejected", [BAD_REQUEST], "the authenticator's answer does not verify (another origin or site, no user verification, a bad key or signature, a counter that went back); the message says which";
    InvalidCharacters = "invalid_characters", [UNPROCESSABLE_ENTITY, BAD_REQUEST], "a string in the body (422) or a query parameter's name or value (400) holds a NUL; `fields` names it";
    Unauthenticated = "unauthenticated", [UNAUTHORIZED], "no `Authorization` header on a route that needs one";
    InvalidToken = "invalid_token", [UNAUTHORIZED], "the access token is malformed, forged, or not an access token";
    TokenExpired = "token_expired", [UNAUTHORIZED], "the access token has expired: refresh it";
    SessionEnded = "session_ended", [UNAUTHORIZED], "the token's session was logged out, revoked or its account disabled";
    InvalidCredentials = "invalid_credentials", [UNAUTHORIZED], "wrong email or password (the same for both)";
    InvalidRefreshToken = "invalid_refresh_token", [UNAUTHORIZED], "unknown, expired or revoked refresh token";
    RefreshTokenReused = "refresh_token_reused", [UNAUTHORIZED], "an already-rotated refresh token: its whole session is now revoked";
    DeviceRevoked = "device_revoked", [UNAUTHORIZED], "the scanner's device token is unknown or was revoked: pair again";
    PasskeyUnknown = "passkey_unknown", [UNAUTHORIZED], "signing in with a passkey that no account has (it was removed, or is another site's)";
    PaymentDeclined = "payment_declined", [PAYMENT_REQUIRED], "the card was declined; the decline code is in `fields.test_card.code`";
    Forbidden = "forbidden", [FORBIDDEN], "authenticated but not allowed (e.g. admin routes, a role too weak)";
    InvitationForAnotherEmail = "invitation_for_another_email", [FORBIDDEN], "accepting an invitation sent to another email address: log in with the invited address";
    TwoFactorRequired = "two_factor_required", [FORBIDDEN], "the organization requires two-factor sign-in: enable it on the account first";
    EmailNotVerified = "email_not_verified", [FORBIDDEN], "the account's email must be verified first (e.g. to create an organization)";
    NotFound = "not_found", [NOT_FOUND], "no such route or object (also for objects you may not see)";
    MethodNotAllowed = "method_not_allowed", [METHOD_NOT_ALLOWED], "the route exists but not with this method";
    RequestTimeout = "request_timeout", [REQUEST_TIMEOUT], "the request body arrived too slowly (gateway)";
    EmailTaken = "email_taken", [CONFLICT], "registration with an email that has an account";
    TwoFactorEnabled = "two_factor_enabled", [CONFLICT], "enrolling a second factor while one is enabled (disable it first)";
    TwoFactorNotEnabled = "two_factor_not_enabled", [CONFLICT], "confirming or disabling a second factor the account has not started or enabled";
    PasskeyExists = "passkey_exists", [CONFLICT], "registering a passkey that is registered already";
    AlreadyMember = "already_member", [CONFLICT], "the person is already a member of the organization";
    LastOwner = "last_owner", [CONFLICT], "removing the organization's last owner, or deleting the account of an organization's only owner";
    NoTicketTypes = "no_ticket_types", [CONFLICT], "publishing an event that has no ticket types";
    NotADraft = "not_a_draft", [CONFLICT], "publishing or deleting an event that is not a draft";
    ModerationLocked = "moderation_locked", [CONFLICT], "publishing an event a platform admin unpublished (until an admin releases it)";
    NotPublished = "not_published", [CONFLICT], "an admin unpublishing an event that is not published";
    NotModerationLocked = "not_moderation_locked", [CONFLICT], "an admin releasing an event that is not moderation-locked";
    EventCanceled = "event_canceled", [CONFLICT], "changing an event that was canceled";
    EventNotOnSale = "event_not_on_sale", [CONFLICT], "ordering from an event that is canceled";
    CapacityBelowTaken = "capacity_below_taken", [CONFLICT], "a capacity below the tickets already sold and held";
    SoldOut = "sold_out", [CONFLICT], "not enough tickets left; `fields` names the item";
    SalesNotOpen = "sales_not_open", [CONFLICT], "the ticket type's sales have not started; `fields` names the item";
    SalesClosed = "sales_closed", [CONFLICT], "the ticket type's sales have ended; `fields` names the item";
    LimitExceeded = "limit_exceeded", [CONFLICT], "a per-order or per-buyer ticket limit; `fields` names the item";
    OrderNotPending = "order_not_pending", [CONFLICT], "the order is no longer pending (canceled, refunded)";
    OrderPending = "order_pending", [CONFLICT], "anonymizing an order whose hold is still open: cancel it or wait until the hold ends";
    OrderExpired = "order_expired", [CONFLICT], "the order's hold ran out; order again";
    OrderAlreadyPaid = "order_already_paid", [CONFLICT], "the order was already paid (a second payment is refunded)";
    OrderNotRefundable = "order_not_refundable", [CONFLICT], "refunding an order that is not paid or partially refunded";
    RefundExceedsRemaining = "refund_exceeds_remaining", [CONFLICT], "a refund of more tickets or money than remain on the order";
    PaymentNotPending = "payment_not_pending", [CONFLICT], "paying a payment that already ended";
    CheckoutInProgress = "checkout_in_progress", [CONFLICT], "another request is still starting this order's checkout; retry in a moment";
    PurchaseInProgress = "purchase_in_progress", [CONFLICT], "a purchase with this `Idempotency-Key` was not completed; send it again";
    RequestInProgress = "request_in_progress", [CONFLICT], "a request with this `Idempotency-Key` is still being answered; retry in a moment";
    PromoCodeTaken = "promo_code_taken", [CONFLICT], "the event already has a promo code with this code (any case)";
    PromoCodeExhausted = "promo_code_exhausted", [CONFLICT], "every use of the promo code is taken";
    MaxUsesBelowUsed = "max_uses_below_used", [CONFLICT], "a promo code's `max_uses` below the uses already taken";
    EventStarted = "event_started", [CONFLICT], "changing a ticket after its event started";
    TicketNotValid = "ticket_not_valid", [CONFLICT], "changing a ticket that was replaced or canceled";
    RotationInProgress = "rotation_in_progress", [CONFLICT], "the event's ticket keys are being rotated right now; try again";
    PairingCodeUsed = "pairing_code_used", [CONFLICT], "the device's pairing code was already used";
    ScanInProgress = "scan_in_progress", [CONFLICT], "a scan with this nonce is still being decided; retry in a moment";
    PayloadTooLarge = "payload_too_large", [PAYLOAD_TOO_LARGE], "the body is over the limit";
    UnsupportedMediaType = "unsupported_media_type", [UNSUPPORTED_MEDIA_TYPE], "the body is not sent as `application/json`";
    ValidationFailed = "validation_failed", [UNPROCESSABLE_ENTITY], "fields are invalid; see `fields`";
    InvalidBody = "invalid_body", [UNPROCESSABLE_ENTITY], "the JSON has the wrong shape: wrong types, unknown fields";
    IdempotencyKeyReused = "idempotency_key_reused", [UNPROCESSABLE_ENTITY], "the `Idempotency-Key` was used with a different request";
    PromoCodeInvalid = "promo_code_invalid", [UNPROCESSABLE_ENTITY], "the promo code is unknown, malformed, deactivated or outside its window";
    PromoCodeNotApplicable = "promo_code_not_applicable", [UNPROCESSABLE_ENTITY], "the promo code applies to none of the ordered ticket types";
    TooManyAttempts = "too_many_attempts", [TOO_MANY_REQUESTS], "too many login attempts for this account or from this address; wait `Retry-After` seconds";
    RateLimited = "rate_limited", [TOO_MANY_REQUESTS], "over a gateway rate limit; wait `Retry-After` seconds";
    InternalError = "internal_error", [INTERNAL_SERVER_ERROR], "a bug on our side (logged with the request id)";
    BadGateway = "bad_gateway", [BAD_GATEWAY], "the gateway could not reach a server or got no valid answer";
    ServiceUnavailable = "service_unavailable", [SERVICE_UNAVAILABLE], "the database is unreachable; retry after `Retry-After`";
    NoHealthyUpstream = "no_healthy_upstream", [SERVICE_UNAVAILABLE], "the gateway has no healthy server for the route; retry after `Retry-After`";
    UpstreamTimeout = "upstream_timeout", [GATEWAY_TIMEOUT], "the server behind the gateway took too long to answer";
}

impl ErrorCode {
    /// The usual status of the code.
    pub fn status(self) -> StatusCode {
        self.statuses()[0]
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `"sold_out".parse::<ErrorCode>()`, for clients matching a code they received.
impl std::str::FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == s)
            .ok_or(UnknownErrorCode)
    }
}

/// A code that is not in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownErrorCode;

impl std::fmt::Display for UnknownErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a Bilten error code")
    }
}

impl std::error::Error for UnknownErrorCode {}

/// The catalog as the Markdown table docs/API.md holds between its `error-codes` markers.
pub fn markdown_table() -> String {
    use std::fmt::Write as _;
    let mut table = String::from("| status | code | when |\n|---|---|---|\n");
    for code in ErrorCode::ALL {
        let statuses = code
            .statuses()
            .iter()
            .map(|s| s.as_u16().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        // Writing to a String cannot fail.
        let _ = writeln!(
            table,
            "| {statuses} | `{}` | {} |",
            code.as_str(),
            code.meaning()
        );
    }
    table
}

/// The schema: a string, one of the catalog's codes, described by the catalog table.
impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .description(Some(format!(
                "A stable error code. Every code with its status and meaning:\n\n{}",
                markdown_table()
            )))
            .enum_values(Some(ErrorCode::ALL.iter().map(|code| code.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for ErrorCode {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("ErrorCode")
    }
}

#[cfg(test)]
mod tests {
    use super::{markdown_table, ErrorCode};
    use std::collections::HashSet;

    const START: &str = "<!-- error-codes:start (generated from bilten_api::ErrorCode; BILTEN_UPDATE_DOCS=1 cargo test -p bilten-api rewrites it) -->\n";
    const END: &str = "<!-- error-codes:end -->";

    #[test]
    fn each_code_is_sent_as_its_snake_case_name() {
        for code in ErrorCode::ALL {
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire, code.as_str(), "{code:?}");
            let back: ErrorCode = serde_json::from_value(wire).unwrap();
            assert_eq!(back, *code);
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(*code));
        }
        assert!("no_such_code".parse::<ErrorCode>().is_err());
    }

    #[test]
    fn codes_are_unique_and_listed_by_status() {
        let names: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        let primary: Vec<u16> = ErrorCode::ALL
            .iter()
            // invalid_characters sits with the 400s, where most of its kind are.
            .filter(|c| **c != ErrorCode::InvalidCharacters)
            .map(|c| c.status().as_u16())
            .collect();
        assert!(primary.is_sorted(), "keep the catalog ordered by status");
    }

    #[test]
    fn every_code_has_an_error_status_and_a_one_line_meaning() {
        for code in ErrorCode::ALL {
            assert!(
                code.statuses()
                    .iter()
                    .all(|s| s.is_client_error() || s.is_server_error()),
                "{code:?}"
            );
            assert!(!code.meaning().is_empty() && !code.meaning().contains('\n'));
            assert!(
                !code.meaning().contains('|'),
                "{code:?} would break the table"
            );
        }
    }

    /// docs/API.md's catalog is this table, so every code is documented with its status.
    /// `BILTEN_UPDATE_DOCS=1` rewrites it after a deliberate change.
    #[test]
    fn docs_api_md_lists_every_code_with_its_status() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/API.md");
        let doc = std::fs::read_to_string(path).unwrap();
        let (head, rest) = doc.split_once(START).expect("API.md has the start marker");
        let (documented, tail) = rest.split_once(END).expect("API.md has the end marker");
        let generated = markdown_table();
        if std::env::var_os("BILTEN_UPDATE_DOCS").is_some() {
            std::fs::write(path, format!("{head}{START}{generated}{END}{tail}")).unwrap();
            return;
        }
        assert_eq!(
            documented, generated,
            "docs/API.md's error catalog is stale: run BILTEN_UPDATE_DOCS=1 cargo test -p bilten-api"
        );
    }
}
