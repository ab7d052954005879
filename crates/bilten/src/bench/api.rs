//! The public API as the benchmark's clients use it: typed request bodies, and typed views of
//! the few response fields a client needs. The views are deliberately partial (serde skips
//! the rest): the load generator shares the machine's cores with the servers, so it parses no
//! more than it must.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::Flow;

/// Stripe's success test card, which the `test` payment provider accepts.
pub const TEST_CARD: &str = "4242424242424242";

/// How often one request is retried after `503 Service Unavailable` before it counts as
/// failed. A 503 is the platform asking to be asked again (a pool wait ran out), and that is
/// what a browser's user does; the retries are counted and reported, and a purchase's latency
/// includes them.
const RETRIES_ON_503: u32 = 10;
/// The pause before a retry when the answer names none, and the longest one we honor.
const DEFAULT_RETRY_PAUSE: Duration = Duration::from_millis(250);
const LONGEST_RETRY_PAUSE: Duration = Duration::from_secs(2);

/// A pooled keep-alive HTTP client.
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    retried: Arc<AtomicU64>,
}

/// What a buyer buys: one ticket of this type.
pub struct SaleTarget {
    pub event_id: String,
    pub ticket_type_id: String,
}

/// A ticket as the buyer receives it.
#[derive(Debug, Clone, Deserialize)]
pub struct IssuedTicket {
    pub code: String,
}

/// The result of one purchase attempt.
pub enum Purchase {
    Bought(Vec<IssuedTicket>),
    SoldOut,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    #[serde(default)]
    message: String,
}

/// A non-2xx answer: status and the error code of the body.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for Refusal {}

/// Why one attempt failed: the platform asked to be asked again (after the pause), or not.
enum Failure {
    Unavailable(Duration),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Self::Other(error)
    }
}

// ---- request bodies ------------------------------------------------------------------------

#[derive(Serialize)]
struct NewOrder<'a> {
    event_id: &'a str,
    items: [OrderItem<'a>; 1],
    buyer: Buyer<'a>,
}

#[derive(Serialize)]
struct OrderItem<'a> {
    ticket_type_id: &'a str,
    quantity: u32,
}

#[derive(Serialize)]
struct Buyer<'a> {
    email: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct CardPayment<'a> {
    test_card: &'a str,
}

/// `POST /purchases`: the order and the card in one body.
#[derive(Serialize)]
struct PaidPurchase<'a> {
    #[serde(flatten)]
    order: NewOrder<'a>,
    test_card: &'a str,
}

#[derive(Serialize)]
pub struct Login<'a> {
    pub email: &'a str,
    pub password: &'a str,
}

#[derive(Serialize)]
pub struct NewOrganization<'a> {
    pub name: &'a str,
}

#[derive(Serialize)]
pub struct NewEvent<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub starts_at: &'a str,
    pub ends_at: &'a str,
    pub timezone: &'a str,
    pub venue_name: &'a str,
    pub city: &'a str,
    pub country: &'a str,
    pub currency: &'a str,
    pub category: &'a str,
}

#[derive(Serialize)]
pub struct NewTicketType<'a> {
    pub name: &'a str,
    pub price: i64,
    pub capacity: u32,
}

#[derive(Serialize)]
pub struct Named<'a> {
    pub name: &'a str,
}

#[derive(Serialize)]
pub struct Pairing<'a> {
    pub pairing_code: &'a str,
    pub gate: &'a str,
}

#[derive(Serialize)]
struct Redeem<'a> {
    code: &'a str,
    list_id: &'a str,
    nonce: &'a str,
}

#[derive(Serialize)]
pub struct Empty {}

// ---- response views ------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct Tokens {
    pub access_token: String,
}

#[derive(Deserialize)]
pub struct Id {
    pub id: String,
}

#[derive(Deserialize)]
pub struct CreatedOrganization {
    pub organization: Id,
}

#[derive(Deserialize)]
pub struct CreatedEvent {
    pub event: Id,
}

#[derive(Deserialize)]
pub struct CreatedTicketType {
    pub ticket_type: Id,
}

#[derive(Deserialize)]
pub struct CreatedList {
    pub checkin_list: Id,
}

#[derive(Deserialize)]
pub struct CreatedDevice {
    pub pairing_code: String,
}

#[derive(Deserialize)]
pub struct PairedDevice {
    pub device_token: String,
}

#[derive(Deserialize)]
struct CreatedOrder {
    order: Id,
    access_key: String,
}

#[derive(Deserialize)]
struct CompletedOrder {
    order: OrderStatus,
    tickets: Vec<IssuedTicket>,
}

#[derive(Deserialize)]
struct OrderStatus {
    status: String,
}

/// A scanner's answer: `ok`, or `error` with the reason.
#[derive(Deserialize)]
pub struct ScanAnswer {
    pub status: String,
    pub reason: String,
}

// ---- calls ---------------------------------------------------------------------------------

impl Api {
    pub fn new(concurrency: usize) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            // Only 127.0.0.1 is ever called; no proxy from the environment may intervene.
            .no_proxy()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(concurrency.max(1))
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Self {
            client,
            retried: Arc::new(AtomicU64::new(0)),
        })
    }

    /// 503 answers retried so far, by every clone of this client.
    pub fn retried(&self) -> u64 {
        self.retried.load(Ordering::Relaxed)
    }

    /// Sends one request and returns the body of a 2xx answer, or the refusal; a 503 is
    /// retried (see [`RETRIES_ON_503`]).
    async fn call<B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: &str,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&B>,
    ) -> anyhow::Result<bytes::Bytes> {
        let mut attempt = 0;
        loop {
            match self
                .call_once(method.clone(), url, bearer, headers, body)
                .await
            {
                Err(Failure::Unavailable(pause)) if attempt < RETRIES_ON_503 => {
                    attempt += 1;
                    self.retried.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(pause).await;
                }
                Err(Failure::Unavailable(_)) => {
                    return Err(Refusal {
                        status: StatusCode::SERVICE_UNAVAILABLE,
                        code: "service_unavailable".to_owned(),
                        message: format!("still 503 after {RETRIES_ON_503} retries"),
                    }
                    .into())
                }
                Err(Failure::Other(error)) => return Err(error),
                Ok(bytes) => return Ok(bytes),
            }
        }
    }

    async fn call_once<B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: &str,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<bytes::Bytes, Failure> {
        let mut request = self.client.request(method, url);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(anyhow::Error::from)?;
        let status = response.status();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            let pause = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map_or(DEFAULT_RETRY_PAUSE, Duration::from_secs)
                .min(LONGEST_RETRY_PAUSE);
            // Read the body so the connection goes back to the pool.
            let _ = response.bytes().await;
            return Err(Failure::Unavailable(pause));
        }
        let bytes = response.bytes().await.map_err(anyhow::Error::from)?;
        if status.is_success() {
            return Ok(bytes);
        }
        let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => (body.error.code, body.error.message),
            Err(_) => (
                "unreadable".to_owned(),
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
            ),
        };
        Err(Failure::Other(
            Refusal {
                status,
                code,
                message,
            }
            .into(),
        ))
    }

    /// A JSON call whose answer is read as `T`.
    pub async fn json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        bearer: Option<&str>,
        body: Option<&B>,
    ) -> anyhow::Result<T> {
        let bytes = self.call(method.clone(), url, bearer, &[], body).await?;
        serde_json::from_slice(&bytes).with_context(|| format!("{method} {url}: unexpected body"))
    }

    /// `GET url`, body read whole and dropped: the status is what counts.
    pub async fn get(&self, url: &str) -> anyhow::Result<()> {
        self.call::<Empty>(Method::GET, url, None, &[], None)
            .await?;
        Ok(())
    }

    /// One purchase of one ticket by buyer number `buyer` through `flow`, at `base`.
    /// `Ok(SoldOut)` when the answer is 409 `sold_out`; any other refusal is an error.
    pub async fn purchase(
        &self,
        flow: Flow,
        base: &str,
        target: &SaleTarget,
        run_id: &str,
        buyer: u64,
    ) -> anyhow::Result<Purchase> {
        match flow {
            Flow::TwoStep => self.purchase_two_step(base, target, run_id, buyer).await,
            Flow::OneStep => self.purchase_one_step(base, target, run_id, buyer).await,
        }
    }

    async fn purchase_one_step(
        &self,
        base: &str,
        target: &SaleTarget,
        run_id: &str,
        buyer: u64,
    ) -> anyhow::Result<Purchase> {
        let (email, key) = buyer_identity(run_id, buyer);
        let purchase = PaidPurchase {
            order: one_ticket(target, &email),
            test_card: TEST_CARD,
        };
        let paid = self
            .call(
                Method::POST,
                &format!("{base}/api/v1/purchases"),
                None,
                &[("idempotency-key", &key)],
                Some(&purchase),
            )
            .await;
        let paid: CompletedOrder = match paid {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).context("POST /purchases: unexpected body")?
            }
            Err(error) => return sold_out_or(error, "POST /purchases"),
        };
        bought(paid, "the purchase")
    }

    async fn purchase_two_step(
        &self,
        base: &str,
        target: &SaleTarget,
        run_id: &str,
        buyer: u64,
    ) -> anyhow::Result<Purchase> {
        let (email, key) = buyer_identity(run_id, buyer);
        let order = one_ticket(target, &email);
        let created = self
            .call(
                Method::POST,
                &format!("{base}/api/v1/orders"),
                None,
                &[("idempotency-key", &key)],
                Some(&order),
            )
            .await;
        let created: CreatedOrder = match created {
            Ok(bytes) => serde_json::from_slice(&bytes).context("POST /orders: unexpected body")?,
            Err(error) => return sold_out_or(error, "POST /orders"),
        };
        let paid = self
            .call(
                Method::POST,
                &format!("{base}/api/v1/orders/{}/checkout", created.order.id),
                None,
                &[("x-order-key", &created.access_key)],
                Some(&CardPayment {
                    test_card: TEST_CARD,
                }),
            )
            .await
            .context("checkout")?;
        let paid: CompletedOrder =
            serde_json::from_slice(&paid).context("checkout: unexpected body")?;
        bought(paid, "checkout")
    }

    /// One scan at the gate: `POST /checkin/redeem` with the device's token.
    pub async fn redeem(
        &self,
        base: &str,
        device_token: &str,
        list_id: &str,
        code: &str,
        nonce: &str,
    ) -> anyhow::Result<ScanAnswer> {
        self.json(
            Method::POST,
            &format!("{base}/api/v1/checkin/redeem"),
            Some(device_token),
            Some(&Redeem {
                code,
                list_id,
                nonce,
            }),
        )
        .await
    }
}

/// A buyer's email and idempotency key, unique per run.
fn buyer_identity(run_id: &str, buyer: u64) -> (String, String) {
    (
        format!("buyer-{buyer}-{run_id}@example.com"),
        format!("bench-{run_id}-{buyer}"),
    )
}

/// One ticket of the sale's ticket type for `email`.
fn one_ticket<'a>(target: &'a SaleTarget, email: &'a str) -> NewOrder<'a> {
    NewOrder {
        event_id: &target.event_id,
        items: [OrderItem {
            ticket_type_id: &target.ticket_type_id,
            quantity: 1,
        }],
        buyer: Buyer {
            email,
            name: "Bench Buyer",
        },
    }
}

/// A completed order's tickets, or what `step` answered instead.
fn bought(paid: CompletedOrder, step: &str) -> anyhow::Result<Purchase> {
    if paid.order.status != "paid" || paid.tickets.is_empty() {
        bail!(
            "{step} answered order {} with {} tickets",
            paid.order.status,
            paid.tickets.len()
        );
    }
    Ok(Purchase::Bought(paid.tickets))
}

/// `sold_out` is an answer a buyer can get; anything else is the request's failure.
fn sold_out_or(error: anyhow::Error, request: &'static str) -> anyhow::Result<Purchase> {
    match error.downcast_ref::<Refusal>() {
        Some(refusal) if refusal.status == StatusCode::CONFLICT && refusal.code == "sold_out" => {
            Ok(Purchase::SoldOut)
        }
        _ => Err(error.context(request)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    use axum::http::StatusCode;
    use axum::response::IntoResponse;

    use super::{Api, Refusal, RETRIES_ON_503};

    /// A server whose first `unavailable` answers are 503 with `Retry-After: 0`, then 200.
    async fn flaky_server(unavailable: u32) -> String {
        let calls = Arc::new(AtomicU32::new(0));
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move || {
                let calls = calls.clone();
                async move {
                    if calls.fetch_add(1, Ordering::SeqCst) < unavailable {
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            [("retry-after", "0")],
                            "busy",
                        )
                            .into_response()
                    } else {
                        "fine".into_response()
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    #[tokio::test]
    async fn a_503_is_retried_and_counted_until_the_answer_comes() {
        let api = Api::new(1).unwrap();
        api.get(&flaky_server(3).await).await.unwrap();
        assert_eq!(api.retried(), 3);
    }

    #[tokio::test]
    async fn a_request_that_stays_503_fails_after_its_retries() {
        let api = Api::new(1).unwrap();
        let error = api.get(&flaky_server(u32::MAX).await).await.unwrap_err();
        let refusal = error.downcast_ref::<Refusal>().unwrap();
        assert_eq!(refusal.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(api.retried(), u64::from(RETRIES_ON_503));
    }
}
