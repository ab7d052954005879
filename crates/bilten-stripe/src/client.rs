//! A small Stripe REST client: only the calls Bilten makes. Requests are form-encoded with
//! Stripe's bracket notation for nested parameters (`line_items[0][price_data][currency]`), the
//! secret key goes in a bearer `Authorization` header, and every create carries an
//! `Idempotency-Key` so a retry after a lost response never charges or refunds twice.

use std::collections::BTreeMap;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use crate::error::StripeError;
use crate::ids::{CheckoutSessionId, PaymentIntentId};
use crate::objects::{CheckoutSession, Refund};

pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";

/// One line of a Checkout Session, priced inline (`price_data`) so no Stripe Product/Price
/// catalog has to be kept in sync with our ticket types.
#[derive(Debug, Clone)]
pub struct LineItem {
    pub name: String,
    /// Minor units.
    pub unit_amount: i64,
    pub quantity: i64,
}

#[derive(Debug, Clone)]
pub struct CreateCheckoutSession {
    /// ISO 4217; sent lowercase as Stripe documents.
    pub currency: String,
    pub line_items: Vec<LineItem>,
    pub success_url: String,
    pub cancel_url: String,
    /// Our order id; echoed back as `client_reference_id` and `metadata[order_id]`.
    pub order_id: String,
    pub customer_email: Option<String>,
    /// Unix seconds; Stripe requires 30 minutes to 24 hours from now.
    pub expires_at: i64,
    /// More `metadata[…]` for the session and its payment intent (e.g. our payment id).
    pub metadata: BTreeMap<String, String>,
}

impl CreateCheckoutSession {
    fn to_form(&self) -> Vec<(String, String)> {
        let mut form = vec![
            ("mode".to_owned(), "payment".to_owned()),
            ("success_url".to_owned(), self.success_url.clone()),
            ("cancel_url".to_owned(), self.cancel_url.clone()),
            ("client_reference_id".to_owned(), self.order_id.clone()),
            ("metadata[order_id]".to_owned(), self.order_id.clone()),
            // The payment intent carries the order id too, so charges and refunds can be traced.
            (
                "payment_intent_data[metadata][order_id]".to_owned(),
                self.order_id.clone(),
            ),
            ("expires_at".to_owned(), self.expires_at.to_string()),
        ];
        for (key, value) in &self.metadata {
            form.push((format!("metadata[{key}]"), value.clone()));
            form.push((
                format!("payment_intent_data[metadata][{key}]"),
                value.clone(),
            ));
        }
        if let Some(email) = &self.customer_email {
            form.push(("customer_email".to_owned(), email.clone()));
        }
        let currency = self.currency.to_ascii_lowercase();
        for (i, item) in self.line_items.iter().enumerate() {
            let p = format!("line_items[{i}]");
            form.push((format!("{p}[quantity]"), item.quantity.to_string()));
            form.push((format!("{p}[price_data][currency]"), currency.clone()));
            form.push((
                format!("{p}[price_data][unit_amount]"),
                item.unit_amount.to_string(),
            ));
            form.push((
                format!("{p}[price_data][product_data][name]"),
                item.name.clone(),
            ));
        }
        form
    }
}

#[derive(Debug, Clone)]
pub struct CreateRefund {
    pub payment_intent: PaymentIntentId,
    /// Minor units; at most what remains unrefunded on the charge.
    pub amount: i64,
    /// Our refund id, kept on Stripe's refund as `metadata[refund_id]`.
    pub refund_id: String,
}

impl CreateRefund {
    fn to_form(&self) -> Vec<(String, String)> {
        vec![
            (
                "payment_intent".to_owned(),
                self.payment_intent.as_str().to_owned(),
            ),
            ("amount".to_owned(), self.amount.to_string()),
            ("metadata[refund_id]".to_owned(), self.refund_id.clone()),
        ]
    }
}

#[derive(Clone)]
pub struct StripeClient {
    http: reqwest::Client,
    api_base: String,
    secret_key: SecretString,
}

impl std::fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeClient")
            .field("api_base", &self.api_base)
            .field("secret_key", &"***")
            .finish_non_exhaustive()
    }
}

impl StripeClient {
    pub fn new(api_base: &str, secret_key: SecretString) -> Result<Self, StripeError> {
        let http = reqwest::Client::builder()
            // Stripe's own libraries wait up to 80 s; a checkout redirect should not wait that
            // long, and a timed-out create is safe to retry with the same idempotency key.
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self {
            http,
            api_base: api_base.trim_end_matches('/').to_owned(),
            secret_key,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_base)
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, StripeError> {
        let response = request
            .bearer_auth(self.secret_key.expose_secret())
            .send()
            .await?;
        let status = response.status().as_u16();
        let body = response.bytes().await?;
        if (200..300).contains(&status) {
            serde_json::from_slice(&body).map_err(|e| StripeError::Unexpected {
                status,
                detail: e.to_string(),
            })
        } else {
            Err(StripeError::from_body(status, &body))
        }
    }

    async fn post_form<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<T, StripeError> {
        let body = serde_urlencoded::to_string(form).map_err(|e| StripeError::Unexpected {
            status: 0,
            detail: e.to_string(),
        })?;
        let request = self
            .http
            .post(self.url(path))
            .header("Idempotency-Key", idempotency_key)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body);
        self.send(request).await
    }

    /// `POST /v1/checkout/sessions`
    pub async fn create_checkout_session(
        &self,
        params: &CreateCheckoutSession,
        idempotency_key: &str,
    ) -> Result<CheckoutSession, StripeError> {
        self.post_form("/v1/checkout/sessions", &params.to_form(), idempotency_key)
            .await
    }

    /// `GET /v1/checkout/sessions/{id}`
    pub async fn retrieve_checkout_session(
        &self,
        id: &CheckoutSessionId,
    ) -> Result<CheckoutSession, StripeError> {
        let request = self
            .http
            .get(self.url(&format!("/v1/checkout/sessions/{}", id.as_str())));
        self.send(request).await
    }

    /// `POST /v1/checkout/sessions/{id}/expire`: closes an open session so it can no longer be
    /// paid (used when our hold is released first).
    pub async fn expire_checkout_session(
        &self,
        id: &CheckoutSessionId,
        idempotency_key: &str,
    ) -> Result<CheckoutSession, StripeError> {
        self.post_form(
            &format!("/v1/checkout/sessions/{}/expire", id.as_str()),
            &[],
            idempotency_key,
        )
        .await
    }

    /// `POST /v1/refunds`
    pub async fn create_refund(
        &self,
        params: &CreateRefund,
        idempotency_key: &str,
    ) -> Result<Refund, StripeError> {
        self.post_form("/v1/refunds", &params.to_form(), idempotency_key)
            .await
    }
}
