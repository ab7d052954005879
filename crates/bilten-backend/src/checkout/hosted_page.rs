//! The test provider's hosted payment page: `GET/POST /api/v1/pay/test/{payment_id}`.
//!
//! It plays the part of Stripe Checkout: a plain HTML form (no JavaScript) with a card
//! number field. Submitting a test card decides the payment as the table in
//! [`super::test_card`] says; a decline leaves the payment open so the buyer can try another
//! card, a success completes the order. The card number is matched against the table and
//! dropped: it is never stored, logged or echoed back.
//!
//! The page lives under `/api/v1` so it is reachable through the gateway like every backend
//! route; the unguessable payment id in the URL is the buyer's credential for it, as a Stripe
//! Checkout URL is. It only exists while the test provider is the active one.
//!
//! Every answer carries a strict Content-Security-Policy ([`CSP`]): no script may run, the
//! form may post only back here, nothing may frame the page (a card form in someone else's
//! frame is a phishing kit), and no `Referer` leaks the payment URL when the buyer follows
//! the link back to the order.

use std::fmt::Write as _;

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use bilten_domain::{Currency, Money, PaymentId};
use bilten_mail::templates::escape_html;
use bilten_store::payments::{self, PaymentRecord};
use chrono::Utc;
use serde::Deserialize;

use crate::checkout::completion::{self, Completion};
use crate::error::BackendResult;
use crate::payments::test_card::{self, CardOutcome, TEST_CARDS};
use crate::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PayForm {
    #[serde(default)]
    card_number: String,
}

/// The page's policy: nothing loads or runs but its own inline styles; its form posts only to
/// itself.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                       base-uri 'none'; frame-ancestors 'none'";

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title} · Bilten test payments</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:480px;margin:40px auto;padding:0 16px;color:#1a1a1a\">\
         <p style=\"background:#fff3cd;padding:8px;border-radius:4px\">Test mode: no money moves. \
         Use one of the test card numbers below.</p><h1>{title}</h1>{body}</body></html>",
        title = escape_html(title),
    );
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Html(html),
    )
        .into_response()
}

fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Payment not found",
        "<p>This payment link is not valid.</p>",
    )
}

/// The payment behind a page URL, if it is a test payment and test payments are on.
async fn load(state: &AppState, id: &str) -> BackendResult<Option<PaymentRecord>> {
    if !state.payments.accepts_test_cards() {
        return Ok(None);
    }
    let Ok(id) = id.parse::<PaymentId>() else {
        return Ok(None);
    };
    Ok(payments::find(state.store.primary(), id)
        .await?
        .filter(|p| p.provider == bilten_domain::PaymentProvider::Test))
}

fn amount_text(p: &PaymentRecord) -> String {
    Currency::parse(&p.currency).map_or_else(
        |_| format!("{} {}", p.amount_minor, p.currency),
        |c| Money::new(p.amount_minor, c).format_display(),
    )
}

fn form(p: &PaymentRecord, problem: Option<&str>) -> String {
    let mut cards = String::new();
    for (number, outcome) in TEST_CARDS {
        let result = match outcome {
            CardOutcome::Succeeds => "succeeds".to_owned(),
            CardOutcome::Declined(code) => format!("declined: {code}"),
        };
        let _ = write!(
            cards,
            "<tr><td><code>{number}</code></td><td>{result}</td></tr>"
        );
    }
    let problem = problem.map_or_else(String::new, |p| {
        format!(
            "<p role=\"alert\" style=\"color:#a40000\"><strong>{}</strong></p>",
            escape_html(p)
        )
    });
    format!(
        "<p>Order <code>{order}</code><br>Amount: <strong>{amount}</strong></p>{problem}\
         <form method=\"post\">\
         <label for=\"card_number\">Card number</label><br>\
         <input id=\"card_number\" name=\"card_number\" inputmode=\"numeric\" \
         autocomplete=\"cc-number\" required style=\"font-size:1.2em;width:100%\"><br><br>\
         <button type=\"submit\" style=\"font-size:1.1em\">Pay {amount}</button></form>\
         <h2>Test cards</h2><table>{cards}</table>",
        order = escape_html(&p.order_id.to_string()),
        amount = escape_html(&amount_text(p)),
    )
}

fn settled(p: &PaymentRecord) -> Response {
    match p.status.as_str() {
        "succeeded" => page(
            StatusCode::OK,
            "Payment received",
            "<p>Thank you. Your tickets are on their way to your inbox.</p>",
        ),
        "refunded" => page(
            StatusCode::CONFLICT,
            "Payment refunded",
            "<p>The order could not be completed, so the payment was refunded.</p>",
        ),
        _ => page(
            StatusCode::CONFLICT,
            "Payment closed",
            "<p>This payment can no longer be made. Start again from your order.</p>",
        ),
    }
}

/// `GET /pay/test/{payment_id}`: the card form (or where the payment stands).
#[utoipa::path(
    get,
    path = "/pay/test/{id}",
    tag = "orders",
    operation_id = "show_test_payment_page",
    summary = "The test provider's card form",
    params(
        ("id" = String, Path, description = "The payment id (`pay_…`)."),
    ),
    responses(
        (status = 200, description = "An HTML page.", body = String, content_type = "text/html"),
        (status = 404, description = "An HTML page: no such test payment.", body = String, content_type = "text/html"),
        (status = 409, description = "An HTML page: the payment is closed.", body = String, content_type = "text/html"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> BackendResult<Response> {
    let Some(payment) = load(&state, &id).await? else {
        return Ok(not_found());
    };
    if payment.status != bilten_domain::PaymentStatus::Pending {
        return Ok(settled(&payment));
    }
    Ok(page(
        StatusCode::OK,
        "Pay for your tickets",
        &form(&payment, None),
    ))
}

/// `POST /pay/test/{payment_id}` with `card_number`: charges the test card.
#[utoipa::path(
    post,
    path = "/pay/test/{id}",
    tag = "orders",
    operation_id = "submit_test_payment_page",
    summary = "Pay with a test card on the form",
    params(
        ("id" = String, Path, description = "The payment id (`pay_…`)."),
    ),
    request_body(content = PayForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "An HTML page with the outcome.", body = String, content_type = "text/html"),
        (status = 400, description = "An HTML page: the form could not be read.", body = String, content_type = "text/html"),
        (status = 402, description = "An HTML page: the card was declined; try another.", body = String, content_type = "text/html"),
        (status = 404, description = "An HTML page: no such test payment.", body = String, content_type = "text/html"),
        (status = 409, description = "An HTML page: the payment is closed.", body = String, content_type = "text/html"),
        (status = 415, description = "An HTML page: the form was not sent as a form.", body = String, content_type = "text/html"),
        (status = 422, description = "An HTML page: not a test card number, or the form could not be read.", body = String, content_type = "text/html"),
    )
)]
pub async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    input: Result<Form<PayForm>, FormRejection>,
) -> BackendResult<Response> {
    let Some(payment) = load(&state, &id).await? else {
        return Ok(not_found());
    };
    if payment.status != bilten_domain::PaymentStatus::Pending {
        return Ok(settled(&payment));
    }
    // A person reads this page: a form that cannot be read is answered as a page too (with
    // the rejection's status), not as axum's plain-text message.
    let Form(input) = match input {
        Ok(form) => form,
        Err(rejection) => {
            return Ok(page(
                rejection.status(),
                "Pay for your tickets",
                &form(&payment, Some("Send the card number with the form below.")),
            ))
        }
    };
    match test_card::outcome_of(&input.card_number) {
        None => Ok(page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Pay for your tickets",
            &form(
                &payment,
                Some("That is not one of the test card numbers listed below."),
            ),
        )),
        Some(CardOutcome::Declined(code)) => {
            payments::record_decline(state.store.primary(), payment.id, code, None, Utc::now())
                .await?;
            Ok(page(
                StatusCode::PAYMENT_REQUIRED,
                "Pay for your tickets",
                &form(&payment, Some(test_card::decline_message(code))),
            ))
        }
        Some(CardOutcome::Succeeds) => {
            let outcome = completion::payment_succeeded(&state, payment.id).await;
            Ok(match outcome {
                Ok(
                    Completion::Completed | Completion::AlreadyCompleted | Completion::Duplicate,
                ) => page(
                    StatusCode::OK,
                    "Payment received",
                    &format!(
                        "<p>Thank you. Your tickets are on their way to your inbox.</p>\
                         <p><a href=\"{}\">See your order</a></p>",
                        escape_html(&crate::tickets::confirmation::order_link(
                            &state,
                            payment.order_id
                        )),
                    ),
                ),
                Ok(Completion::Refunded(_) | Completion::NotCompleted) => page(
                    StatusCode::CONFLICT,
                    "Payment refunded",
                    "<p>The order could not be completed (its tickets are no longer \
                     available or it was already paid), so the payment was refunded.</p>",
                ),
                Err(error) => return Err(error),
            })
        }
    }
}
