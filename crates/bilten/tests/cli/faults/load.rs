//! Buyers arriving while a fault is injected: each one orders a ticket (a guest order with an
//! idempotency key) and pays it with the test card. Every attempt is recorded (when it was
//! sent, when and how it was answered), and every purchase the service acknowledged, so a
//! test can check both what buyers saw and that nothing acknowledged was lost.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::processes::api::{guest_order, Answer, Api, Call, GOOD_CARD};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Order,
    Checkout,
}

/// One request and its fate: an HTTP answer, or the transport error (refused, reset, timeout).
#[derive(Debug)]
pub struct Attempt {
    pub step: Step,
    pub sent: Instant,
    pub answered: Instant,
    pub result: Result<Answer, String>,
}

impl Attempt {
    pub fn latency(&self) -> Duration {
        self.answered - self.sent
    }

    pub fn status(&self) -> Option<u16> {
        self.result.as_ref().ok().map(|a| a.status)
    }

    pub fn succeeded(&self) -> bool {
        self.status().is_some_and(|s| (200..300).contains(&s))
    }
}

/// An order the service acknowledged (201), and whether its payment was acknowledged (200).
#[derive(Debug, Clone)]
pub struct Acknowledged {
    pub order: String,
    pub paid: bool,
}

#[derive(Default)]
pub struct Record {
    pub attempts: Vec<Attempt>,
    pub acknowledged: Vec<Acknowledged>,
}

/// Buyers arriving at a steady rate, each buying independently of the others (a buyer stuck
/// in a hung request does not hold the next one back).
pub struct Load {
    stop: Arc<AtomicBool>,
    driver: tokio::task::JoinHandle<Vec<tokio::task::JoinHandle<Record>>>,
}

impl Load {
    /// A new buyer every `every`, each buying one ticket of `ticket_type` (buyer `i` talks to
    /// replica `i % n`).
    pub fn start(
        api: &Arc<Api>,
        label: &str,
        event: &str,
        ticket_type: &str,
        every: Duration,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (api, flag) = (api.clone(), stop.clone());
        let (event, ticket_type) = (event.to_owned(), ticket_type.to_owned());
        let label = format!("{label}-{}", crate::processes::api::short_id());
        let driver = tokio::spawn(async move {
            let mut buyers = Vec::new();
            let mut ticker = tokio::time::interval(every);
            while !flag.load(Ordering::Relaxed) {
                ticker.tick().await;
                let buyer = buyers.len();
                let (api, event, ticket_type) = (api.clone(), event.clone(), ticket_type.clone());
                let key = format!("{label}-{buyer}");
                buyers.push(tokio::spawn(async move {
                    let mut record = Record::default();
                    buy_once(&api, buyer, &key, &event, &ticket_type, &mut record).await;
                    record
                }));
            }
            buyers
        });
        Self { stop, driver }
    }

    /// Stops new arrivals, waits for every buyer to finish; everything they recorded.
    pub async fn finish(self) -> Record {
        self.stop.store(true, Ordering::Relaxed);
        let mut all = Record::default();
        for buyer in self.driver.await.unwrap() {
            let record = buyer.await.unwrap();
            all.attempts.extend(record.attempts);
            all.acknowledged.extend(record.acknowledged);
        }
        all.attempts.sort_by_key(|a| a.sent);
        all
    }
}

async fn buy_once(
    api: &Api,
    replica: usize,
    key: &str,
    event: &str,
    ticket_type: &str,
    record: &mut Record,
) {
    let body = guest_order(event, ticket_type, 1, &format!("{key}@example.com"));
    let sent = Instant::now();
    let result = api
        .try_send(
            replica,
            reqwest::Method::POST,
            "/orders",
            Call {
                idempotency_key: Some(key),
                body: Some(&body),
                ..Call::default()
            },
        )
        .await
        .map_err(|e| e.to_string());
    let created = match &result {
        Ok(answer) if answer.status == 201 => Some((
            answer.body["order"]["id"].as_str().unwrap().to_owned(),
            answer.body["access_key"].as_str().unwrap().to_owned(),
        )),
        _ => None,
    };
    record.attempts.push(Attempt {
        step: Step::Order,
        sent,
        answered: Instant::now(),
        result,
    });
    let Some((order, access_key)) = created else {
        return;
    };
    let card = json!({ "test_card": GOOD_CARD });
    let sent = Instant::now();
    let result = api
        .try_send(
            replica,
            reqwest::Method::POST,
            &format!("/orders/{order}/checkout"),
            Call {
                order_key: Some(&access_key),
                body: Some(&card),
                ..Call::default()
            },
        )
        .await
        .map_err(|e| e.to_string());
    let paid = matches!(&result, Ok(answer) if answer.status == 200);
    record.attempts.push(Attempt {
        step: Step::Checkout,
        sent,
        answered: Instant::now(),
        result,
    });
    record.acknowledged.push(Acknowledged { order, paid });
}
