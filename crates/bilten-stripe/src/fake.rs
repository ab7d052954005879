//! A local Stripe for tests. Stripe cannot be reached from the test machines, so this server
//! follows Stripe's documented behaviour for exactly the calls Bilten makes:
//!
//! - `POST /v1/checkout/sessions`, `GET /v1/checkout/sessions/{id}`,
//!   `POST /v1/checkout/sessions/{id}/expire`, `POST /v1/refunds`;
//! - form-encoded bodies with bracket notation; unknown parameters are refused
//!   (`parameter_unknown`), missing ones too (`parameter_missing`), `expires_at` must lie 30 min to
//!   24 h ahead;
//! - bearer secret-key auth: a missing or wrong key is a 401 with Stripe's error object;
//! - idempotency: a retry with the same key and parameters replays the saved response (with
//!   `Idempotent-Replayed: true`); the same key with other parameters is a 400 `idempotency_error`;
//!   only executed requests are saved (a validation error is not, as documented);
//! - webhooks: events (`checkout.session.completed`, `checkout.session.expired`, `charge.refunded`)
//!   are `POST`ed to the configured URL with a `Stripe-Signature` header made exactly as Stripe makes
//!   it; tests can also hold events back and deliver them late, twice or out of order.
//!
//! A buyer "pays" either through the hosted page (`GET`/`POST {base}/pay/{session}`, which
//! redirects to `success_url`) or from a test with [`FakeStripe::pay_session`].

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::event::{CHARGE_REFUNDED, CHECKOUT_SESSION_COMPLETED, CHECKOUT_SESSION_EXPIRED};
use crate::ids::EventId;
use crate::objects::{CheckoutSession, Refund};
use crate::signature::signature_header;
use crate::Event;

/// The API version our fake objects mimic.
const API_VERSION: &str = "2025-04-30.basil";

#[derive(Debug, Clone)]
pub struct FakeStripeConfig {
    /// The only key the fake accepts (`sk_test_…`).
    pub secret_key: String,
    /// Signs webhook deliveries (`whsec_…`).
    pub webhook_secret: String,
    /// Where events are sent; may be set later with [`FakeStripe::set_webhook_url`].
    pub webhook_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FakeError {
    #[error("no such checkout session: {0}")]
    NoSuchSession(String),
    #[error("the checkout session is {0}, not open")]
    SessionNotOpen(String),
    #[error("no such event: {0}")]
    NoSuchEvent(String),
    #[error("no webhook URL is configured")]
    NoWebhookUrl,
    #[error("webhook delivery failed: {0}")]
    Delivery(#[from] reqwest::Error),
}

/// One webhook delivery attempt, for assertions.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event_id: EventId,
    pub event_type: String,
    /// The endpoint's status, or `None` if it could not be reached.
    pub status: Option<u16>,
}

/// One API request, for assertions ("exactly one refund call").
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
}

struct PaymentIntent {
    charge_id: String,
    amount: i64,
    amount_refunded: i64,
    currency: String,
    refunds: Vec<Value>,
}

struct SavedResponse {
    endpoint: String,
    params: Vec<(String, String)>,
    status: StatusCode,
    body: Value,
}

struct Inner {
    config: FakeStripeConfig,
    base_url: String,
    auto_deliver: bool,
    sessions: HashMap<String, Value>,
    payment_intents: HashMap<String, PaymentIntent>,
    idempotency: HashMap<String, SavedResponse>,
    events: Vec<Value>,
    deliveries: Vec<Delivery>,
    requests: Vec<RecordedRequest>,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    http: reqwest::Client,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not wedge every other request.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running fake Stripe; stops when dropped.
pub struct FakeStripe {
    shared: Shared,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}_test_{}", uuid::Uuid::new_v4().simple())
}

/// Stripe's error object with its status (kept small, unlike a built `Response`).
struct Fault {
    status: StatusCode,
    body: Value,
}

impl IntoResponse for Fault {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

fn stripe_error(
    status: StatusCode,
    kind: &str,
    code: Option<&str>,
    message: &str,
    param: Option<&str>,
) -> Fault {
    let mut error = json!({ "type": kind, "message": message });
    if let Some(code) = code {
        error["code"] = json!(code);
    }
    if let Some(param) = param {
        error["param"] = json!(param);
    }
    Fault {
        status,
        body: json!({ "error": error }),
    }
}

fn invalid(code: &str, message: &str, param: &str) -> Fault {
    stripe_error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        Some(code),
        message,
        Some(param),
    )
}

fn missing(param: &str) -> Fault {
    invalid(
        "parameter_missing",
        &format!("Missing required param: {param}."),
        param,
    )
}

fn resource_missing(status: StatusCode, kind: &str, id: &str, param: &str) -> Fault {
    stripe_error(
        status,
        "invalid_request_error",
        Some("resource_missing"),
        &format!("No such {kind}: '{id}'"),
        Some(param),
    )
}

/// Parsed form parameters, keyed by their full bracketed name.
struct Form(BTreeMap<String, String>);

impl Form {
    fn parse(body: &[u8]) -> Result<Self, Fault> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| {
            stripe_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                None,
                "Invalid request body: expected application/x-www-form-urlencoded.",
                None,
            )
        })?;
        Ok(Self(pairs.into_iter().collect()))
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    fn required(&self, key: &str) -> Result<&str, Fault> {
        self.get(key)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| missing(key))
    }

    fn integer(&self, key: &str) -> Result<Option<i64>, Fault> {
        self.get(key)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    invalid(
                        "parameter_invalid_integer",
                        &format!("Invalid integer: {v}"),
                        key,
                    )
                })
            })
            .transpose()
    }

    /// Refuses any parameter outside the documented ones we emulate, like Stripe does.
    fn only(&self, allowed: impl Fn(&str) -> bool) -> Result<(), Fault> {
        match self.0.keys().find(|k| !allowed(k)) {
            Some(key) => Err(invalid(
                "parameter_unknown",
                &format!("Received unknown parameter: {key}"),
                key,
            )),
            None => Ok(()),
        }
    }

    fn sorted_pairs(&self) -> Vec<(String, String)> {
        self.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    fn metadata(&self, prefix: &str) -> Value {
        let mut map = serde_json::Map::new();
        for (key, value) in &self.0 {
            if let Some(name) = key.strip_prefix(prefix).and_then(|k| k.strip_suffix(']')) {
                map.insert(name.to_owned(), json!(value));
            }
        }
        Value::Object(map)
    }
}

fn is_metadata_key(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .and_then(|k| k.strip_suffix(']'))
        .is_some_and(|name| !name.is_empty() && !name.contains(['[', ']']))
}

fn authorize(inner: &Inner, headers: &HeaderMap) -> Result<(), Fault> {
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        None => Err(stripe_error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth.",
            None,
        )),
        Some(key) if key == inner.config.secret_key => Ok(()),
        Some(key) => {
            let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            Err(stripe_error(
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                None,
                &format!("Invalid API Key provided: sk_test_****{tail}"),
                None,
            ))
        }
    }
}

fn record(inner: &mut Inner, method: &str, path: &str, headers: &HeaderMap) {
    inner.requests.push(RecordedRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        idempotency_key: idempotency_key(headers),
    });
}

fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Runs a create under Stripe's idempotency rules. `execute` returns `Err` for validation
/// failures, which are not saved, and `Ok((status, body))` for executed requests, which are.
fn idempotent(
    inner: &mut Inner,
    headers: &HeaderMap,
    endpoint: &str,
    form: &Form,
    execute: impl FnOnce(&mut Inner) -> Result<(StatusCode, Value), Fault>,
) -> Response {
    let key = idempotency_key(headers);
    let params = form.sorted_pairs();
    if let Some(key) = &key {
        if key.len() > 255 {
            return invalid(
                "idempotency_key_too_long",
                "Idempotency keys are at most 255 characters long.",
                "Idempotency-Key",
            )
            .into_response();
        }
        if let Some(saved) = inner.idempotency.get(key) {
            if saved.endpoint != endpoint || saved.params != params {
                return stripe_error(
                    StatusCode::BAD_REQUEST,
                    "idempotency_error",
                    None,
                    &format!(
                        "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
                    ),
                    None,
                )
                .into_response();
            }
            let mut response = (saved.status, axum::Json(saved.body.clone())).into_response();
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return response;
        }
    }
    match execute(inner) {
        Err(fault) => fault.into_response(),
        Ok((status, body)) => {
            if let Some(key) = key {
                inner.idempotency.insert(
                    key,
                    SavedResponse {
                        endpoint: endpoint.to_owned(),
                        params,
                        status,
                        body: body.clone(),
                    },
                );
            }
            (status, axum::Json(body)).into_response()
        }
    }
}

fn session_param_allowed(key: &str) -> bool {
    const PLAIN: [&str; 7] = [
        "mode",
        "success_url",
        "cancel_url",
        "client_reference_id",
        "customer_email",
        "expires_at",
        "currency",
    ];
    if PLAIN.contains(&key)
        || is_metadata_key(key, "metadata[")
        || is_metadata_key(key, "payment_intent_data[metadata][")
    {
        return true;
    }
    // line_items[N][quantity|price_data][currency|unit_amount|product_data][name]
    let Some(rest) = key.strip_prefix("line_items[") else {
        return false;
    };
    let Some((index, field)) = rest.split_once(']') else {
        return false;
    };
    index.parse::<usize>().is_ok()
        && matches!(
            field,
            "[quantity]"
                | "[price_data][currency]"
                | "[price_data][unit_amount]"
                | "[price_data][product_data][name]"
        )
}

fn create_session(inner: &mut Inner, form: &Form) -> Result<(StatusCode, Value), Fault> {
    form.only(session_param_allowed)?;
    let mode = form.required("mode")?;
    if mode != "payment" {
        return Err(invalid(
            "parameter_invalid_string",
            "This fake supports only mode=payment.",
            "mode",
        ));
    }
    let success_url = form.required("success_url")?.to_owned();
    let now = now();
    let expires_at = form.integer("expires_at")?.unwrap_or(now + 24 * 3600);
    if expires_at < now + 30 * 60 || expires_at > now + 24 * 3600 {
        return Err(invalid(
            "parameter_invalid_integer",
            "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
            "expires_at",
        ));
    }
    let mut currency: Option<String> = None;
    let mut total = 0_i64;
    let mut lines = Vec::new();
    for i in 0.. {
        let p = format!("line_items[{i}]");
        if !form.0.keys().any(|k| k.starts_with(&p)) {
            break;
        }
        let quantity = form
            .integer(&format!("{p}[quantity]"))?
            .ok_or_else(|| missing(&format!("{p}[quantity]")))?;
        let item_currency = form
            .required(&format!("{p}[price_data][currency]"))?
            .to_owned();
        let unit_amount = form
            .integer(&format!("{p}[price_data][unit_amount]"))?
            .ok_or_else(|| missing(&format!("{p}[price_data][unit_amount]")))?;
        let name = form
            .required(&format!("{p}[price_data][product_data][name]"))?
            .to_owned();
        if quantity < 1 || unit_amount < 0 {
            return Err(invalid(
                "parameter_invalid_integer",
                "Quantity must be at least 1 and unit_amount non-negative.",
                &p,
            ));
        }
        if currency.as_ref().is_some_and(|c| *c != item_currency) {
            return Err(invalid(
                "parameter_invalid_string",
                "All line items must share one currency.",
                &p,
            ));
        }
        currency = Some(item_currency);
        total += unit_amount * quantity;
        lines.push(json!({ "description": name, "quantity": quantity, "amount_total": unit_amount * quantity }));
    }
    if lines.is_empty() {
        return Err(missing("line_items"));
    }
    let id = new_id("cs");
    let session = json!({
        "id": id,
        "object": "checkout.session",
        "amount_subtotal": total,
        "amount_total": total,
        "cancel_url": form.get("cancel_url"),
        "client_reference_id": form.get("client_reference_id"),
        "created": now,
        "currency": currency,
        "customer_email": form.get("customer_email"),
        "expires_at": expires_at,
        "livemode": false,
        "metadata": form.metadata("metadata["),
        "mode": "payment",
        "payment_intent": null,
        "payment_status": "unpaid",
        "status": "open",
        "success_url": success_url,
        "url": format!("{}/pay/{id}", inner.base_url),
        // Not part of Stripe's session object (line items are a sub-resource); kept out of the
        // public shape below.
        "_payment_intent_metadata": form.metadata("payment_intent_data[metadata]["),
    });
    inner.sessions.insert(id, session.clone());
    Ok((StatusCode::OK, public_session(&session)))
}

fn public_session(session: &Value) -> Value {
    let mut public = session.clone();
    if let Some(map) = public.as_object_mut() {
        map.retain(|k, _| !k.starts_with('_'));
    }
    public
}

fn push_event(inner: &mut Inner, kind: &str, object: &Value) -> Value {
    let event = json!({
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": now(),
        "data": { "object": object },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": kind,
    });
    inner.events.push(event.clone());
    event
}

fn complete(inner: &mut Inner, id: &str) -> Result<Value, FakeError> {
    let session = inner
        .sessions
        .get_mut(id)
        .ok_or_else(|| FakeError::NoSuchSession(id.to_owned()))?;
    let status = session["status"].as_str().unwrap_or_default().to_owned();
    if status != "open" {
        return Err(FakeError::SessionNotOpen(status));
    }
    let pi = new_id("pi");
    session["status"] = json!("complete");
    session["payment_status"] = json!("paid");
    session["payment_intent"] = json!(pi);
    session["url"] = Value::Null;
    let amount = session["amount_total"].as_i64().unwrap_or_default();
    let currency = session["currency"].as_str().unwrap_or_default().to_owned();
    let object = public_session(session);
    inner.payment_intents.insert(
        pi,
        PaymentIntent {
            charge_id: new_id("ch"),
            amount,
            amount_refunded: 0,
            currency,
            refunds: Vec::new(),
        },
    );
    Ok(push_event(inner, CHECKOUT_SESSION_COMPLETED, &object))
}

fn expire(inner: &mut Inner, id: &str) -> Result<Value, FakeError> {
    let session = inner
        .sessions
        .get_mut(id)
        .ok_or_else(|| FakeError::NoSuchSession(id.to_owned()))?;
    let status = session["status"].as_str().unwrap_or_default().to_owned();
    if status != "open" {
        return Err(FakeError::SessionNotOpen(status));
    }
    session["status"] = json!("expired");
    session["url"] = Value::Null;
    let object = public_session(session);
    Ok(push_event(inner, CHECKOUT_SESSION_EXPIRED, &object))
}

fn create_refund(inner: &mut Inner, form: &Form) -> Result<(StatusCode, Value), Fault> {
    form.only(|k| {
        matches!(k, "payment_intent" | "amount" | "reason") || is_metadata_key(k, "metadata[")
    })?;
    let pi_id = form.required("payment_intent")?.to_owned();
    let amount = form.integer("amount")?;
    let Some(pi) = inner.payment_intents.get_mut(&pi_id) else {
        return Err(resource_missing(
            StatusCode::BAD_REQUEST,
            "payment_intent",
            &pi_id,
            "payment_intent",
        ));
    };
    let remaining = pi.amount - pi.amount_refunded;
    if remaining == 0 {
        return Err(invalid(
            "charge_already_refunded",
            &format!("Charge {} has already been refunded.", pi.charge_id),
            "payment_intent",
        ));
    }
    let amount = amount.unwrap_or(remaining);
    if amount < 1 {
        return Err(invalid(
            "parameter_invalid_integer",
            "Refund amount must be positive.",
            "amount",
        ));
    }
    if amount > remaining {
        return Err(invalid(
            "amount_too_large",
            &format!("Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})"),
            "amount",
        ));
    }
    pi.amount_refunded += amount;
    let refund = json!({
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "charge": pi.charge_id,
        "created": now(),
        "currency": pi.currency,
        "metadata": form.metadata("metadata["),
        "payment_intent": pi_id,
        "reason": form.get("reason"),
        "status": "succeeded",
    });
    pi.refunds.push(refund.clone());
    let charge = json!({
        "id": pi.charge_id,
        "object": "charge",
        "amount": pi.amount,
        "amount_captured": pi.amount,
        "amount_refunded": pi.amount_refunded,
        "currency": pi.currency,
        "paid": true,
        "payment_intent": pi_id,
        "refunded": pi.amount_refunded == pi.amount,
        "refunds": { "object": "list", "data": pi.refunds, "has_more": false },
        "status": "succeeded",
    });
    let event = push_event(inner, CHARGE_REFUNDED, &charge);
    Ok((StatusCode::OK, json!({ "refund": refund, "_event": event })))
}

/// Sends one signed delivery of a stored event and records the outcome.
async fn deliver_event(shared: &Shared, event: &Value) -> Result<u16, FakeError> {
    let (url, secret) = {
        let inner = shared.lock();
        (
            inner.config.webhook_url.clone(),
            inner.config.webhook_secret.clone(),
        )
    };
    let url = url.ok_or(FakeError::NoWebhookUrl)?;
    let body = serde_json::to_vec(event).unwrap_or_default();
    // Each attempt is signed afresh with the current time, as Stripe does on retries.
    let header = signature_header(&secret, now(), &body);
    let result = shared
        .http
        .post(url)
        .header("Content-Type", "application/json; charset=utf-8")
        .header("Stripe-Signature", header)
        .body(body)
        .send()
        .await;
    let status = result.as_ref().ok().map(|r| r.status().as_u16());
    shared.lock().deliveries.push(Delivery {
        event_id: EventId::new(event["id"].as_str().unwrap_or_default()),
        event_type: event["type"].as_str().unwrap_or_default().to_owned(),
        status,
    });
    Ok(result?.status().as_u16())
}

/// Delivers in the background, like Stripe, when auto-delivery is on.
fn deliver_later(shared: &Shared, event: Value) {
    let auto = {
        let inner = shared.lock();
        inner.auto_deliver && inner.config.webhook_url.is_some()
    };
    if auto {
        let shared = shared.clone();
        tokio::spawn(async move {
            if let Err(e) = deliver_event(&shared, &event).await {
                tracing::warn!(error = %e, "fake Stripe: webhook delivery failed");
            }
        });
    }
}

async fn post_session(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut inner = shared.lock();
    record(&mut inner, "POST", "/v1/checkout/sessions", &headers);
    if let Err(r) = authorize(&inner, &headers) {
        return r.into_response();
    }
    let form = match Form::parse(&body) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    idempotent(
        &mut inner,
        &headers,
        "POST /v1/checkout/sessions",
        &form,
        |inner| create_session(inner, &form),
    )
}

async fn get_session(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut inner = shared.lock();
    record(
        &mut inner,
        "GET",
        &format!("/v1/checkout/sessions/{id}"),
        &headers,
    );
    if let Err(r) = authorize(&inner, &headers) {
        return r.into_response();
    }
    match inner.sessions.get(&id) {
        Some(session) => axum::Json(public_session(session)).into_response(),
        None => resource_missing(StatusCode::NOT_FOUND, "checkout.session", &id, "session")
            .into_response(),
    }
}

async fn post_expire(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut event = None;
    let response = {
        let mut inner = shared.lock();
        let path = format!("/v1/checkout/sessions/{id}/expire");
        record(&mut inner, "POST", &path, &headers);
        if let Err(r) = authorize(&inner, &headers) {
            return r.into_response();
        }
        let form = match Form::parse(&body) {
            Ok(f) => f,
            Err(r) => return r.into_response(),
        };
        idempotent(
            &mut inner,
            &headers,
            &format!("POST {path}"),
            &form,
            |inner| {
                form.only(|_| false)?;
                match expire(inner, &id) {
                    Ok(e) => {
                        let session = e["data"]["object"].clone();
                        event = Some(e);
                        Ok((StatusCode::OK, session))
                    }
                    Err(FakeError::NoSuchSession(_)) => Err(resource_missing(
                        StatusCode::NOT_FOUND,
                        "checkout.session",
                        &id,
                        "session",
                    )),
                    Err(_) => Err(stripe_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request_error",
                        None,
                        "Only Checkout Sessions with a status in [\"open\"] can be expired.",
                        None,
                    )),
                }
            },
        )
    };
    if let Some(event) = event {
        deliver_later(&shared, event);
    }
    response
}

async fn post_refund(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut event = None;
    let response = {
        let mut inner = shared.lock();
        record(&mut inner, "POST", "/v1/refunds", &headers);
        if let Err(r) = authorize(&inner, &headers) {
            return r.into_response();
        }
        let form = match Form::parse(&body) {
            Ok(f) => f,
            Err(r) => return r.into_response(),
        };
        idempotent(&mut inner, &headers, "POST /v1/refunds", &form, |inner| {
            let (status, mut both) = create_refund(inner, &form)?;
            event = Some(both["_event"].take());
            Ok((status, both["refund"].take()))
        })
    };
    if let Some(event) = event {
        deliver_later(&shared, event);
    }
    response
}

/// The hosted payment page: one button, standing in for Stripe's card form.
async fn hosted_page(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    let inner = shared.lock();
    match inner.sessions.get(&id) {
        Some(s) if s["status"] == "open" => Html(format!(
            "<!doctype html><title>Fake Stripe Checkout</title><h1>Pay {} {}</h1>\
             <form method=post><button id=pay type=submit>Pay</button></form>",
            s["amount_total"],
            s["currency"].as_str().unwrap_or_default().to_uppercase()
        ))
        .into_response(),
        Some(_) => (
            StatusCode::GONE,
            Html("This Checkout Session is no longer open."),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, Html("No such Checkout Session.")).into_response(),
    }
}

async fn hosted_pay(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    let result = {
        let mut inner = shared.lock();
        complete(&mut inner, &id).map(|event| {
            let success = inner.sessions[&id]["success_url"]
                .as_str()
                .unwrap_or("/")
                .to_owned();
            (event, success.replace("{CHECKOUT_SESSION_ID}", &id))
        })
    };
    match result {
        Ok((event, success_url)) => {
            deliver_later(&shared, event);
            Redirect::to(&success_url).into_response()
        }
        Err(e) => (StatusCode::GONE, Html(e.to_string())).into_response(),
    }
}

impl FakeStripe {
    /// Binds 127.0.0.1 on a free port and serves until dropped.
    pub async fn start(config: FakeStripeConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Shared {
            inner: Arc::new(Mutex::new(Inner {
                config,
                base_url: format!("http://{addr}"),
                auto_deliver: true,
                sessions: HashMap::new(),
                payment_intents: HashMap::new(),
                idempotency: HashMap::new(),
                events: Vec::new(),
                deliveries: Vec::new(),
                requests: Vec::new(),
            })),
            http: reqwest::Client::new(),
        };
        let app = Router::new()
            .route("/v1/checkout/sessions", post(post_session))
            .route("/v1/checkout/sessions/{id}", get(get_session))
            .route("/v1/checkout/sessions/{id}/expire", post(post_expire))
            .route("/v1/refunds", post(post_refund))
            .route("/pay/{id}", get(hosted_page).post(hosted_pay))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "fake Stripe stopped");
            }
        });
        Ok(Self {
            shared,
            addr,
            server,
        })
    }

    /// What `STRIPE_API_BASE` should be set to.
    pub fn api_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_webhook_url(&self, url: impl Into<String>) {
        self.shared.lock().config.webhook_url = Some(url.into());
    }

    /// Whether events caused by API calls and the hosted page are delivered in the background
    /// (on by default). Tests that drive delivery themselves turn it off.
    pub fn set_auto_deliver(&self, on: bool) {
        self.shared.lock().auto_deliver = on;
    }

    pub fn session(&self, id: &str) -> Option<CheckoutSession> {
        let inner = self.shared.lock();
        inner
            .sessions
            .get(id)
            .and_then(|s| serde_json::from_value(public_session(s)).ok())
    }

    /// The buyer pays: the session completes and a `checkout.session.completed` event is stored,
    /// but not delivered — see [`FakeStripe::deliver`].
    pub fn complete_session(&self, id: &str) -> Result<Event, FakeError> {
        let event = complete(&mut self.shared.lock(), id)?;
        Ok(serde_json::from_value(event)
            .unwrap_or_else(|_| unreachable!("events are built well-formed")))
    }

    /// The session runs out: `checkout.session.expired` is stored, not delivered.
    pub fn expire_session(&self, id: &str) -> Result<Event, FakeError> {
        let event = expire(&mut self.shared.lock(), id)?;
        Ok(serde_json::from_value(event)
            .unwrap_or_else(|_| unreachable!("events are built well-formed")))
    }

    /// Completes the session and delivers the event now; returns the endpoint's status.
    pub async fn pay_session(&self, id: &str) -> Result<u16, FakeError> {
        let event = self.complete_session(id)?;
        self.deliver(&event.id).await
    }

    /// Delivers (or re-delivers) a stored event, signed with the current time.
    pub async fn deliver(&self, event_id: &EventId) -> Result<u16, FakeError> {
        let event = {
            let inner = self.shared.lock();
            inner
                .events
                .iter()
                .find(|e| e["id"] == event_id.as_str())
                .cloned()
                .ok_or_else(|| FakeError::NoSuchEvent(event_id.to_string()))?
        };
        deliver_event(&self.shared, &event).await
    }

    /// The exact bytes a delivery of this event carries, for tests that forge or replay.
    pub fn event_body(&self, event_id: &EventId) -> Option<Vec<u8>> {
        let inner = self.shared.lock();
        inner
            .events
            .iter()
            .find(|e| e["id"] == event_id.as_str())
            .map(|e| serde_json::to_vec(e).unwrap_or_default())
    }

    pub fn webhook_secret(&self) -> String {
        self.shared.lock().config.webhook_secret.clone()
    }

    pub fn events(&self) -> Vec<Event> {
        let inner = self.shared.lock();
        inner
            .events
            .iter()
            .filter_map(|e| serde_json::from_value(e.clone()).ok())
            .collect()
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.lock().deliveries.clone()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Every refund made, in no particular order.
    pub fn refunds(&self) -> Vec<Refund> {
        let inner = self.shared.lock();
        inner
            .payment_intents
            .values()
            .flat_map(|pi| pi.refunds.iter())
            .filter_map(|r| serde_json::from_value(r.clone()).ok())
            .collect()
    }

    /// Waits (up to 10 s) until `count` deliveries of `event_type` have been answered.
    pub async fn wait_for_deliveries(&self, event_type: &str, count: usize) -> Vec<Delivery> {
        for _ in 0..200 {
            let found: Vec<Delivery> = self
                .deliveries()
                .into_iter()
                .filter(|d| d.event_type == event_type)
                .collect();
            if found.len() >= count {
                return found;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.deliveries()
            .into_iter()
            .filter(|d| d.event_type == event_type)
            .collect()
    }
}
