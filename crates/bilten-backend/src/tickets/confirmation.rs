//! The order confirmation mail: each ticket's PDF attached, its QR code inline.
//!
//! Composed (PDFs rendered) before the completion transaction, enqueued inside it with the
//! dedupe key `order-confirmation:{order_id}`: the mail exists if and only if the order was
//! completed, and a second completion attempt cannot enqueue a second one.
//!
//! The mail's order link carries the order's access key (`/orders/{id}?key=ok_…`, the form the
//! frontend's order page reads), so it opens the order on any device — a guest has no account
//! and no cookie on the phone where the mail is read.

use bilten_domain::event::TimeZoneName;
use bilten_domain::{Currency, Money, OrderId, TicketId, TicketTypeId};
use bilten_i18n::format as i18n_format;
use bilten_i18n::Locale;
use bilten_mail::templates::{self, Confirmation, ConfirmationTicket, Rendered};
use bilten_mail::Attachment;
use bilten_store::event_translations::EventTranslation;
use bilten_store::events::EventRecord;
use bilten_store::orders::OrderRecord;
use chrono::{DateTime, Utc};

use crate::error::{BackendError, BackendResult};
use crate::tickets::render::{ticket_files, TicketSheet};
use crate::AppState;

/// A ticket about to be issued.
pub struct IssuedTicket {
    pub id: TicketId,
    pub ticket_type_id: TicketTypeId,
    pub ticket_type_name: String,
    pub attendee_name: String,
    pub code: String,
}

/// A rendered confirmation, ready to enqueue.
pub struct ConfirmationMail {
    rendered: Rendered,
    attachments: Vec<Attachment>,
}

/// The order page on the web app, with the access key that opens it for anyone who has the
/// link (the buyer's mail). The key is hex after `ok_`, so it needs no URL encoding.
pub fn order_link(state: &AppState, order: OrderId) -> String {
    format!(
        "{}/orders/{order}?key={}",
        state.public_url,
        crate::orders::access::order_key(state, order)
    )
}

/// "Saturday 1 June 2030, 21:00 – 01:00 (Europe/Sarajevo)", in the event's own zone and
/// `locale`'s words and order ("Samstag, 1. Juni 2030, 21:00 – 01:00 (Europe/Sarajevo)").
pub fn when_text(
    locale: Locale,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    zone: &str,
) -> String {
    let (tz, zone) = match TimeZoneName::parse(zone) {
        Ok(zone_name) => (zone_name.tz(), zone),
        Err(_) => (chrono_tz::Tz::UTC, "UTC"),
    };
    let end_text = if ends_at - starts_at < chrono::Duration::hours(24) {
        i18n_format::time(locale, ends_at, tz)
    } else {
        i18n_format::long_date_time(locale, ends_at, tz)
    };
    bilten_i18n::t(
        locale,
        "mail-when-range",
        &[
            (
                "start",
                i18n_format::long_date_time(locale, starts_at, tz).into(),
            ),
            ("end", end_text.into()),
            ("zone", zone.into()),
        ],
    )
}

/// Where the event is, as lines: venue, address, city and country; or the online URL.
pub fn venue_lines(
    locale: Locale,
    venue_name: Option<&str>,
    venue_address: Option<&str>,
    city: Option<&str>,
    country: Option<&str>,
    online_url: Option<&str>,
) -> Vec<String> {
    let mut lines: Vec<String> = [venue_name, venue_address]
        .into_iter()
        .flatten()
        .map(ToOwned::to_owned)
        .collect();
    let place: Vec<&str> = [city, country].into_iter().flatten().collect();
    if !place.is_empty() {
        lines.push(place.join(", "));
    }
    if let Some(url) = online_url {
        lines.push(bilten_i18n::t(
            locale,
            "mail-online",
            &[("url", url.into())],
        ));
    }
    lines
}

fn event_venue(locale: Locale, event: &EventRecord) -> Vec<String> {
    let f = &event.fields;
    venue_lines(
        locale,
        f.venue_name.as_deref(),
        f.venue_address.as_deref(),
        f.city.as_deref(),
        f.country.as_deref(),
        f.online_url.as_deref(),
    )
}

/// Renders the confirmation of `order` with `tickets`. The event's title is its translation
/// in the order's language when it has one (`translations`: the event's).
pub fn compose(
    state: &AppState,
    order: &OrderRecord,
    event: &EventRecord,
    translations: &[EventTranslation],
    tickets: &[IssuedTicket],
) -> BackendResult<ConfirmationMail> {
    // The order's own language: the one it was bought in.
    let locale = Locale::parse(&order.locale).unwrap_or_default();
    let title = translations
        .iter()
        .find(|t| t.event_id == event.id && t.locale == locale)
        .map_or(event.fields.title.as_str(), |t| t.title.as_str());
    let when = when_text(
        locale,
        event.fields.starts_at,
        event.fields.ends_at,
        &event.fields.timezone,
    );
    let venue = event_venue(locale, event);
    let order_id = order.id.to_string();
    let mut attachments = Vec::with_capacity(tickets.len() * 2);
    let mut names = Vec::with_capacity(tickets.len());
    for (n, ticket) in tickets.iter().enumerate() {
        let ticket_id = ticket.id.to_string();
        let files = ticket_files(&TicketSheet {
            locale,
            event_title: title,
            when: &when,
            venue: &venue,
            holder: &ticket.attendee_name,
            ticket_type: &ticket.ticket_type_name,
            ticket_id: &ticket_id,
            order_id: &order_id,
            code: &ticket.code,
        })?;
        let pdf_name = format!("ticket-{}-{ticket_id}.pdf", n + 1);
        let cid = format!("qr-{ticket_id}@bilten");
        attachments.push(Attachment::inline(
            format!("qr-{ticket_id}.png"),
            "image/png",
            cid.clone(),
            files.png,
        ));
        attachments.push(Attachment::file(
            pdf_name.clone(),
            "application/pdf",
            files.pdf,
        ));
        names.push((ticket_id, cid, pdf_name));
    }
    let listed: Vec<ConfirmationTicket<'_>> = tickets
        .iter()
        .zip(&names)
        .map(|(t, (id, cid, pdf))| ConfirmationTicket {
            ticket_type: &t.ticket_type_name,
            attendee_name: &t.attendee_name,
            ticket_id: id,
            qr_content_id: cid,
            pdf_filename: pdf,
        })
        .collect();
    let total = Currency::parse(&order.currency)
        .map(|c| i18n_format::money(locale, Money::new(order.total_minor, c)))
        .map_err(|e| BackendError::Internal(e.to_string()))?;
    let rendered = templates::order_confirmation(&Confirmation {
        locale,
        buyer_name: &order.buyer_name,
        event_title: title,
        when: &when,
        venue: &venue.join(", "),
        order_id: &order_id,
        total: &total,
        tickets: &listed,
        order_link: &order_link(state, order.id),
    });
    Ok(ConfirmationMail {
        rendered,
        attachments,
    })
}

/// Composes order confirmations for the outbox worker from what the database holds: the
/// purchase engine enqueues them by reference (the order id) so that no QR code or PDF is
/// rendered on the purchase's request path.
pub struct ConfirmationComposer {
    state: AppState,
    /// The event of the last mail with its translations, for [`EVENT_KEPT`]: a sale's mails
    /// are of one event, so the backlog after an on-sale reads it once a second instead of
    /// once a mail.
    last_event: std::sync::Mutex<Option<(std::time::Instant, std::sync::Arc<MailEvent>)>>,
}

/// An event as its mails need it: the record and its titles in other languages.
struct MailEvent {
    record: EventRecord,
    translations: Vec<EventTranslation>,
}

/// How long the composer uses an event it read without reading it again: an edit made in
/// that time reaches the mails after it, one second late at most.
const EVENT_KEPT: std::time::Duration = std::time::Duration::from_secs(1);

impl ConfirmationComposer {
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            last_event: std::sync::Mutex::default(),
        }
    }

    async fn event(&self, id: bilten_domain::EventId) -> BackendResult<std::sync::Arc<MailEvent>> {
        let now = std::time::Instant::now();
        if let Ok(last) = self.last_event.lock() {
            if let Some((read_at, event)) = last.as_ref() {
                if event.record.id == id && now.duration_since(*read_at) < EVENT_KEPT {
                    return Ok(event.clone());
                }
            }
        }
        let record = crate::events::lookup::load_event(&self.state, id).await?;
        let translations =
            bilten_store::event_translations::of_event(self.state.store.primary(), id).await?;
        let event = std::sync::Arc::new(MailEvent {
            record,
            translations,
        });
        if let Ok(mut last) = self.last_event.lock() {
            *last = Some((now, event.clone()));
        }
        Ok(event)
    }

    async fn compose_order(
        &self,
        reference: &str,
    ) -> Result<bilten_mail::Composed, bilten_mail::ComposeError> {
        use bilten_mail::ComposeError;
        let temporary = |e: &dyn std::fmt::Display| ComposeError::Temporary(e.to_string());
        let id: bilten_domain::OrderId = reference
            .parse()
            .map_err(|_| ComposeError::Permanent(format!("not an order id: {reference}")))?;
        let state = &self.state;
        let order = bilten_store::orders::find_order(state.store.primary(), id)
            .await
            .map_err(|e| temporary(&e))?
            .ok_or_else(|| ComposeError::Permanent(format!("order {id} does not exist")))?;
        let event = self
            .event(order.event_id)
            .await
            .map_err(|e| temporary(&e))?;
        let issued: Vec<IssuedTicket> =
            bilten_store::tickets::list_for_order(state.store.primary(), id)
                .await
                .map_err(|e| temporary(&e))?
                .into_iter()
                .map(|t| IssuedTicket {
                    id: t.id,
                    ticket_type_id: t.ticket_type_id,
                    ticket_type_name: t.ticket_type_name,
                    attendee_name: t.attendee_name,
                    code: t.code,
                })
                .collect();
        let mail = compose(state, &order, &event.record, &event.translations, &issued)
            .map_err(|e| ComposeError::Permanent(e.to_string()))?;
        Ok(bilten_mail::Composed {
            rendered: mail.rendered,
            attachments: mail.attachments,
        })
    }
}

impl bilten_mail::Composer for ConfirmationComposer {
    fn compose<'a>(
        &'a self,
        template: &'a str,
        reference: &'a str,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<
                    Output = Result<bilten_mail::Composed, bilten_mail::ComposeError>,
                > + Send
                + 'a,
        >,
    > {
        Box::pin(async move {
            if template != crate::orders::purchase::CONFIRMATION_TEMPLATE {
                return Err(bilten_mail::ComposeError::Permanent(format!(
                    "unknown mail template {template}"
                )));
            }
            self.compose_order(reference).await
        })
    }
}
