//! Events, orders and organizations as the API shows them, and the calls the pages make.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use super::{request, ApiError, BackendApi, Call, Forwarded};

/// The contract's types the organizer and admin pages use.
pub use bilten_api::accounts::User;
pub use bilten_api::admin::{AdminOrganization, DisableRequest};
pub use bilten_api::checkin::CheckinLogEntry;
pub use bilten_api::checkin::CheckinStats;
use bilten_api::checkin::{CreateCheckinListRequest, CreateDeviceRequest};
pub use bilten_api::checkin::{Device, DeviceList, DeviceStatus, ListCheckins as CheckinListStats};
pub use bilten_api::events::{
    Event, EventDetail, EventStatus, Quota, SalesPhase, TicketType, Visibility,
};
use bilten_api::events::{EventList, EventResponse, OrganizerPage, QuotaList, TicketTypeList};
pub use bilten_api::events::{
    EventRequest, EventTranslationRequest, QuotaPatchRequest, QuotaRequest, TicketTypeRequest,
};
use bilten_api::orders::{CompletedCheckout, CreateOrderRequest, OrderResponse, StartedCheckout};
pub use bilten_api::orders::{HeldOrder as CreatedOrder, Order, OrderDetail, OrderStatus};
use bilten_api::organizations::{
    AddMemberRequest, CreateOrganizationRequest, MemberList, OrganizationList, OrganizationResponse,
};
pub use bilten_api::organizations::{Member, Organization};
pub use bilten_api::promo::PromoCode;
use bilten_api::promo::PromoCodeList;
pub use bilten_api::promo::PromoCodeRequest;
use bilten_api::refunds::RefundRequest;
pub use bilten_api::reports::{Attendee, DaySales, OrderRow, SalesSummary};
use bilten_api::tickets::{ReissuedTicket, RenameTicketRequest};
pub use bilten_api::tickets::{Ticket, TicketStatus};
pub use bilten_api::Page as Paged;

/// What `POST /orders/{id}/checkout` answered.
pub enum CheckoutStarted {
    /// Pay on the provider's hosted page.
    Redirect(String),
    /// Free, or paid with a test card: the order is complete.
    Completed,
}

/// Either answer of `POST /orders/{id}/checkout`: `201` starts a hosted checkout, `200`
/// completed it at once. Only the frontend needs the two told apart by shape.
#[derive(Deserialize)]
#[serde(untagged)]
enum CheckoutAnswer {
    Started(StartedCheckout),
    // Decoded so a `200` of another shape is an error, not a success; the page then reloads
    // the order, so nothing of it is read here.
    #[expect(
        dead_code,
        reason = "the answer tells the two checkouts apart; its body is not read"
    )]
    Completed(Box<CompletedCheckout>),
}

/// The filters of `GET /events`, as the API takes them.
#[derive(Debug, Default, Clone)]
pub struct EventSearch {
    pub q: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub city: Option<String>,
    pub category: Option<String>,
    pub price: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

impl EventSearch {
    fn query_string(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let mut add = |name, value: &Option<String>| {
            if let Some(value) = value.as_ref().filter(|v| !v.is_empty()) {
                pairs.push((name, value.clone()));
            }
        };
        add("q", &self.q);
        add("from", &self.from.map(|t| t.to_rfc3339()));
        add("to", &self.to.map(|t| t.to_rfc3339()));
        add("city", &self.city);
        add("category", &self.category);
        add("price", &self.price);
        add("cursor", &self.cursor);
        add("limit", &self.limit.map(|l| l.to_string()));
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

/// Who is asking for an order: its buyer's account, or a guest holding its access key.
#[derive(Debug, Clone, Copy)]
pub struct OrderAccess<'a> {
    pub bearer: Option<&'a str>,
    pub key: Option<&'a str>,
}

impl OrderAccess<'_> {
    fn headers(&self) -> Vec<(&'static str, String)> {
        self.key
            .map(|key| vec![("x-order-key", key.to_owned())])
            .unwrap_or_default()
    }
}

impl BackendApi {
    pub async fn events(
        &self,
        caller: &Forwarded,
        search: &EventSearch,
    ) -> Result<Paged<Event>, ApiError> {
        let path = format!("/events?{}", search.query_string());
        let mut page: Paged<Event> = self.send_json(Call::get(&path, caller, None)).await?;
        page.items = page
            .items
            .into_iter()
            .map(|e| storefront(e, caller))
            .collect();
        Ok(page)
    }

    /// An event with its ticket types; with a member's token also drafts and counters.
    pub async fn event(
        &self,
        caller: &Forwarded,
        bearer: Option<&str>,
        id: &str,
    ) -> Result<EventDetail, ApiError> {
        let path = format!("/events/{}", path_segment(id));
        let mut detail: EventDetail = self.send_json(Call::get(&path, caller, bearer)).await?;
        if bearer.is_none() {
            detail.event = storefront(detail.event, caller);
        }
        Ok(detail)
    }

    /// `GET /organizers/{id}`: an organization's public page.
    pub async fn organizer(&self, caller: &Forwarded, id: &str) -> Result<OrganizerPage, ApiError> {
        let path = format!("/organizers/{}", path_segment(id));
        let mut page: OrganizerPage = self.send_json(Call::get(&path, caller, None)).await?;
        page.events = page
            .events
            .into_iter()
            .map(|e| storefront(e, caller))
            .collect();
        Ok(page)
    }

    pub async fn create_order(
        &self,
        caller: &Forwarded,
        bearer: Option<&str>,
        idempotency_key: &str,
        body: &CreateOrderRequest,
    ) -> Result<CreatedOrder, ApiError> {
        let body = request(body)?;
        let headers = [("idempotency-key", idempotency_key.to_owned())];
        self.send_json(Call {
            method: Method::POST,
            path: "/orders",
            caller,
            bearer,
            headers: &headers,
            body: Some(body),
        })
        .await
    }

    pub async fn order(
        &self,
        caller: &Forwarded,
        access: OrderAccess<'_>,
        id: &str,
    ) -> Result<OrderDetail, ApiError> {
        let path = format!("/orders/{}", path_segment(id));
        let headers = access.headers();
        self.send_json(Call {
            headers: &headers,
            ..Call::get(&path, caller, access.bearer)
        })
        .await
    }

    pub async fn cancel_order(
        &self,
        caller: &Forwarded,
        access: OrderAccess<'_>,
        id: &str,
    ) -> Result<Order, ApiError> {
        let path = format!("/orders/{}", path_segment(id));
        let headers = access.headers();
        let envelope: OrderResponse = self
            .send_json(Call {
                method: Method::DELETE,
                headers: &headers,
                ..Call::get(&path, caller, access.bearer)
            })
            .await?;
        Ok(envelope.order)
    }

    pub async fn checkout(
        &self,
        caller: &Forwarded,
        access: OrderAccess<'_>,
        id: &str,
    ) -> Result<CheckoutStarted, ApiError> {
        let path = format!("/orders/{}/checkout", path_segment(id));
        let headers = access.headers();
        let answer: CheckoutAnswer = self
            .send_json(Call {
                method: Method::POST,
                headers: &headers,
                ..Call::get(&path, caller, access.bearer)
            })
            .await?;
        Ok(match answer {
            CheckoutAnswer::Started(started) => CheckoutStarted::Redirect(started.redirect_url),
            CheckoutAnswer::Completed(_) => CheckoutStarted::Completed,
        })
    }

    /// `POST /orders/{id}/refund`: everything left (`ticket_ids` empty) or those tickets.
    pub async fn refund(
        &self,
        caller: &Forwarded,
        bearer: String,
        order: &str,
        ticket_ids: &[String],
    ) -> Result<(), ApiError> {
        let path = format!("/orders/{}/refund", path_segment(order));
        let body = request(&RefundRequest {
            lines: None,
            ticket_ids: (!ticket_ids.is_empty()).then(|| ticket_ids.to_vec()),
        })?;
        self.send(Call::post(&path, caller, &bearer, body))
            .await
            .map(drop)
    }

    pub async fn my_tickets(
        &self,
        caller: &Forwarded,
        bearer: String,
        cursor: Option<&str>,
    ) -> Result<Paged<Ticket>, ApiError> {
        let mut query = vec![("limit", "50")];
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor));
        }
        let path = format!(
            "/me/tickets?{}",
            serde_urlencoded::to_string(query).unwrap_or_default()
        );
        self.send_json(Call::get(&path, caller, Some(&bearer)))
            .await
    }

    /// A ticket's QR code (`qr.svg`) or PDF (`pdf`), as the backend renders it; the PDF's
    /// words in `locale`.
    pub async fn ticket_file(
        &self,
        caller: &Forwarded,
        access: OrderAccess<'_>,
        id: &str,
        file: &str,
        locale: bilten_i18n::Locale,
    ) -> Result<super::Answer, ApiError> {
        let path = format!("/tickets/{}/{file}", path_segment(id));
        let mut headers = access.headers();
        // The PDF's words in the language the visitor reads the site in.
        headers.push(("accept-language", locale.code().to_owned()));
        self.send(Call {
            headers: &headers,
            ..Call::get(&path, caller, access.bearer)
        })
        .await
    }

    /// Renames a ticket's attendee; the ticket is re-issued under a new id.
    pub async fn rename_ticket(
        &self,
        caller: &Forwarded,
        access: OrderAccess<'_>,
        id: &str,
        name: &str,
    ) -> Result<Ticket, ApiError> {
        let path = format!("/tickets/{}", path_segment(id));
        let headers = access.headers();
        let body = request(&RenameTicketRequest {
            attendee_name: Some(name.to_owned()),
        })?;
        let envelope: ReissuedTicket = self
            .send_json(Call {
                method: Method::PATCH,
                headers: &headers,
                body: Some(body),
                ..Call::get(&path, caller, access.bearer)
            })
            .await?;
        Ok(envelope.ticket)
    }

    // ----- organizers -----

    pub async fn my_organizations(
        &self,
        caller: &Forwarded,
        bearer: String,
    ) -> Result<Vec<Organization>, ApiError> {
        let list: OrganizationList = self
            .send_json(Call::get("/me/organizations", caller, Some(&bearer)))
            .await?;
        Ok(list.items)
    }

    pub async fn create_organization(
        &self,
        caller: &Forwarded,
        bearer: String,
        name: &str,
    ) -> Result<Organization, ApiError> {
        let body = request(&CreateOrganizationRequest {
            name: Some(name.to_owned()),
        })?;
        let envelope: OrganizationResponse = self
            .send_json(Call::post("/organizations", caller, &bearer, body))
            .await?;
        Ok(envelope.organization)
    }

    pub async fn members(
        &self,
        caller: &Forwarded,
        bearer: String,
        organization: &str,
    ) -> Result<Vec<Member>, ApiError> {
        let path = format!("/organizations/{}/members", path_segment(organization));
        let list: MemberList = self
            .send_json(Call::get(&path, caller, Some(&bearer)))
            .await?;
        Ok(list.items)
    }

    pub async fn add_member(
        &self,
        caller: &Forwarded,
        bearer: String,
        organization: &str,
        email: &str,
        role: &str,
    ) -> Result<bool, ApiError> {
        let path = format!("/organizations/{}/members", path_segment(organization));
        let body = request(&AddMemberRequest {
            email: Some(email.to_owned()),
            role: Some(role.to_owned()),
        })?;
        let answer = self.send(Call::post(&path, caller, &bearer, body)).await?;
        // An email without an account is invited instead (202 `{invitation}`): true.
        Ok(
            serde_json::from_slice::<bilten_api::invitations::InvitationResponse>(&answer.body)
                .is_ok(),
        )
    }

    /// `POST /orders/{id}/anonymize` (managers).
    pub async fn anonymize_order(
        &self,
        caller: &Forwarded,
        bearer: String,
        order: &str,
    ) -> Result<(), ApiError> {
        let path = format!("/orders/{}/anonymize", path_segment(order));
        self.send(Call::post(&path, caller, &bearer, Value::Null))
            .await
            .map(drop)
    }

    /// The organization's open invitations.
    pub async fn invitations(
        &self,
        caller: &Forwarded,
        bearer: String,
        organization: &str,
    ) -> Result<Vec<bilten_api::invitations::Invitation>, ApiError> {
        let path = format!("/organizations/{}/invitations", path_segment(organization));
        let list: bilten_api::invitations::InvitationList = self
            .send_json(Call::get(&path, caller, Some(&bearer)))
            .await?;
        Ok(list.items)
    }

    /// `PATCH /organizations/{id}`: whether members must use two-factor sign-in.
    pub async fn set_require_two_factor(
        &self,
        caller: &Forwarded,
        bearer: String,
        organization: &str,
        required: bool,
    ) -> Result<(), ApiError> {
        let path = format!("/organizations/{}", path_segment(organization));
        let body = request(&bilten_api::two_factor::OrganizationSettingsRequest {
            require_two_factor: Some(required),
        })?;
        self.send(Call::patch(&path, caller, &bearer, body))
            .await
            .map(drop)
    }

    /// `POST /invitations/accept`: the organization joined.
    pub async fn accept_invitation(
        &self,
        caller: &Forwarded,
        bearer: String,
        token: &str,
    ) -> Result<Organization, ApiError> {
        let body = request(&bilten_api::invitations::AcceptInvitationRequest {
            token: Some(token.to_owned()),
        })?;
        let answer: bilten_api::organizations::OrganizationResponse = self
            .send_json(Call::post("/invitations/accept", caller, &bearer, body))
            .await?;
        Ok(answer.organization)
    }

    pub async fn remove_member(
        &self,
        caller: &Forwarded,
        bearer: String,
        organization: &str,
        user: &str,
    ) -> Result<(), ApiError> {
        let path = format!(
            "/organizations/{}/members/{}",
            path_segment(organization),
            path_segment(user)
        );
        self.send(Call {
            method: Method::DELETE,
            ..Call::get(&path, caller, Some(&bearer))
        })
        .await
        .map(drop)
    }

    pub async fn organization_events(
        &self,
        caller: &Forwarded,
        bearer: String,
        organization: &str,
    ) -> Result<Vec<Event>, ApiError> {
        let path = format!("/organizations/{}/events", path_segment(organization));
        let list: EventList = self
            .send_json(Call::get(&path, caller, Some(&bearer)))
            .await?;
        Ok(list.items)
    }

    pub async fn create_event(
        &self,
        caller: &Forwarded,
        bearer: String,
        organization: &str,
        body: &EventRequest,
    ) -> Result<Event, ApiError> {
        let body = request(body)?;
        let path = format!("/organizations/{}/events", path_segment(organization));
        let envelope: EventResponse = self
            .send_json(Call::post(&path, caller, &bearer, body))
            .await?;
        Ok(envelope.event)
    }

    pub async fn update_event(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
        body: &EventRequest,
    ) -> Result<Event, ApiError> {
        let body = request(body)?;
        let path = format!("/events/{}", path_segment(event));
        let envelope: EventResponse = self
            .send_json(Call::patch(&path, caller, &bearer, body))
            .await?;
        Ok(envelope.event)
    }

    /// `PUT /events/{id}/translations/{locale}`: the event's title and description in a
    /// language, replacing what it had in it.
    pub async fn put_event_translation(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
        locale: bilten_i18n::Locale,
        body: &EventTranslationRequest,
    ) -> Result<Event, ApiError> {
        let body = request(body)?;
        let path = format!(
            "/events/{}/translations/{}",
            path_segment(event),
            locale.code()
        );
        let envelope: EventResponse = self
            .send_json(Call {
                method: Method::PUT,
                body: Some(body),
                ..Call::get(&path, caller, Some(&bearer))
            })
            .await?;
        Ok(envelope.event)
    }

    /// `DELETE /events/{id}/translations/{locale}`.
    pub async fn delete_event_translation(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
        locale: bilten_i18n::Locale,
    ) -> Result<(), ApiError> {
        let path = format!(
            "/events/{}/translations/{}",
            path_segment(event),
            locale.code()
        );
        self.send(Call {
            method: Method::DELETE,
            ..Call::get(&path, caller, Some(&bearer))
        })
        .await
        .map(drop)
    }

    /// `POST /events/{id}/{action}` without a body (`publish`, `cancel`).
    pub async fn event_action(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
        action: &str,
        body: Option<Value>,
    ) -> Result<(), ApiError> {
        let path = format!("/events/{}/{action}", path_segment(event));
        self.send(Call {
            body,
            ..Call::post(&path, caller, &bearer, Value::Null)
        })
        .await
        .map(drop)
    }

    pub async fn create_ticket_type(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
        body: &TicketTypeRequest,
    ) -> Result<(), ApiError> {
        let body = request(body)?;
        let path = format!("/events/{}/ticket-types", path_segment(event));
        self.send(Call::post(&path, caller, &bearer, body))
            .await
            .map(drop)
    }

    /// Every ticket type with its counters, hidden ones too (members only: 404 for others).
    pub async fn ticket_types(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
    ) -> Result<Vec<TicketType>, ApiError> {
        let path = format!("/events/{}/ticket-types", path_segment(event));
        let list: TicketTypeList = self
            .send_json(Call::get(&path, caller, Some(&bearer)))
            .await?;
        Ok(list.items)
    }

    pub async fn quotas(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
    ) -> Result<Vec<Quota>, ApiError> {
        let path = format!("/events/{}/quotas", path_segment(event));
        let list: QuotaList = self
            .send_json(Call::get(&path, caller, Some(&bearer)))
            .await?;
        Ok(list.items)
    }

    pub async fn create_quota(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
        body: &QuotaRequest,
    ) -> Result<(), ApiError> {
        let body = request(body)?;
        let path = format!("/events/{}/quotas", path_segment(event));
        self.send(Call::post(&path, caller, &bearer, body))
            .await
            .map(drop)
    }

    /// `PATCH /events/{id}/quotas/{quota}`: a quota's name and capacity.
    pub async fn update_quota(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
        quota: &str,
        body: &QuotaPatchRequest,
    ) -> Result<(), ApiError> {
        let body = request(body)?;
        let path = format!(
            "/events/{}/quotas/{}",
            path_segment(event),
            path_segment(quota)
        );
        self.send(Call::patch(&path, caller, &bearer, body))
            .await
            .map(drop)
    }
}

/// Organizer reports and promo codes.
impl BackendApi {
    pub async fn promo_codes(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
    ) -> Result<Vec<PromoCode>, ApiError> {
        let path = format!("/events/{}/promo-codes", path_segment(event));
        let list: PromoCodeList = self
            .send_json(Call::get(&path, caller, Some(&bearer)))
            .await?;
        Ok(list.items)
    }

    pub async fn create_promo_code(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
        body: &PromoCodeRequest,
    ) -> Result<(), ApiError> {
        let body = request(body)?;
        let path = format!("/events/{}/promo-codes", path_segment(event));
        self.send(Call::post(&path, caller, &bearer, body))
            .await
            .map(drop)
    }

    pub async fn sales_summary(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
    ) -> Result<SalesSummary, ApiError> {
        let path = format!("/events/{}/sales-summary", path_segment(event));
        self.send_json(Call::get(&path, caller, Some(&bearer)))
            .await
    }

    pub async fn admin_users(
        &self,
        caller: &Forwarded,
        bearer: String,
        query: &str,
    ) -> Result<Paged<User>, ApiError> {
        let path = format!("/admin/users?{query}");
        self.send_json(Call::get(&path, caller, Some(&bearer)))
            .await
    }

    pub async fn admin_organizations(
        &self,
        caller: &Forwarded,
        bearer: String,
        query: &str,
    ) -> Result<Paged<AdminOrganization>, ApiError> {
        let path = format!("/admin/organizations?{query}");
        self.send_json(Call::get(&path, caller, Some(&bearer)))
            .await
    }

    pub async fn admin_events(
        &self,
        caller: &Forwarded,
        bearer: String,
        query: &str,
    ) -> Result<Paged<Event>, ApiError> {
        let path = format!("/admin/events?{query}");
        self.send_json(Call::get(&path, caller, Some(&bearer)))
            .await
    }

    pub async fn unpublish_event(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
    ) -> Result<(), ApiError> {
        let path = format!("/admin/events/{}/unpublish", path_segment(event));
        self.send(Call::post(&path, caller, &bearer, serde_json::json!({})))
            .await
            .map(drop)
    }

    pub async fn release_event(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
    ) -> Result<(), ApiError> {
        let path = format!("/admin/events/{}/release", path_segment(event));
        self.send(Call::post(&path, caller, &bearer, serde_json::json!({})))
            .await
            .map(drop)
    }

    pub async fn set_user_disabled(
        &self,
        caller: &Forwarded,
        bearer: String,
        user: &str,
        disabled: bool,
    ) -> Result<(), ApiError> {
        let path = format!("/admin/users/{}/disabled", path_segment(user));
        let body = request(&DisableRequest { disabled })?;
        self.send(Call::post(&path, caller, &bearer, body))
            .await
            .map(drop)
    }

    pub async fn devices(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
    ) -> Result<Vec<Device>, ApiError> {
        let path = format!("/events/{}/devices", path_segment(event));
        let list: DeviceList = self
            .send_json(Call::get(&path, caller, Some(&bearer)))
            .await?;
        Ok(list.items)
    }

    /// `POST /events/{id}/checkin-lists` or `/devices` with `{name}`.
    pub async fn create_named(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
        what: &str,
        name: &str,
    ) -> Result<(), ApiError> {
        let path = format!("/events/{}/{what}", path_segment(event));
        let body = if what == "devices" {
            request(&CreateDeviceRequest {
                name: Some(name.to_owned()),
            })?
        } else {
            request(&CreateCheckinListRequest {
                name: Some(name.to_owned()),
                ..CreateCheckinListRequest::default()
            })?
        };
        self.send(Call::post(&path, caller, &bearer, body))
            .await
            .map(drop)
    }

    /// `PATCH /ticket-types/{id}`: only the fields given change.
    pub async fn update_ticket_type(
        &self,
        caller: &Forwarded,
        bearer: String,
        ticket_type: &str,
        body: &TicketTypeRequest,
    ) -> Result<(), ApiError> {
        let path = format!("/ticket-types/{}", path_segment(ticket_type));
        let body = request(body)?;
        self.send(Call::patch(&path, caller, &bearer, body))
            .await
            .map(drop)
    }

    /// `PATCH /promo-codes/{id}`: its limits, window and whether it is active.
    pub async fn update_promo_code(
        &self,
        caller: &Forwarded,
        bearer: String,
        promo_code: &str,
        body: &PromoCodeRequest,
    ) -> Result<(), ApiError> {
        let path = format!("/promo-codes/{}", path_segment(promo_code));
        let body = request(body)?;
        self.send(Call::patch(&path, caller, &bearer, body))
            .await
            .map(drop)
    }

    /// A page of the scan log (`GET /events/{id}/checkin-log`), newest first.
    pub async fn checkin_log(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
        cursor: Option<&str>,
    ) -> Result<Paged<CheckinLogEntry>, ApiError> {
        let mut query = vec![("limit", "200")];
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor));
        }
        let path = format!(
            "/events/{}/checkin-log?{}",
            path_segment(event),
            serde_urlencoded::to_string(query).unwrap_or_default()
        );
        self.send_json(Call::get(&path, caller, Some(&bearer)))
            .await
    }

    pub async fn revoke_device(
        &self,
        caller: &Forwarded,
        bearer: String,
        device: &str,
    ) -> Result<(), ApiError> {
        let path = format!("/devices/{}", path_segment(device));
        self.send(Call {
            method: Method::DELETE,
            ..Call::get(&path, caller, Some(&bearer))
        })
        .await
        .map(drop)
    }

    pub async fn device_pairing_svg(
        &self,
        caller: &Forwarded,
        bearer: String,
        device: &str,
    ) -> Result<super::Answer, ApiError> {
        let path = format!("/devices/{}/pairing.svg", path_segment(device));
        self.send(Call::get(&path, caller, Some(&bearer))).await
    }

    pub async fn checkin_stats(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
    ) -> Result<CheckinStats, ApiError> {
        let path = format!("/events/{}/checkin-stats", path_segment(event));
        self.send_json(Call::get(&path, caller, Some(&bearer)))
            .await
    }

    /// `GET /events/{id}/orders` or `/attendees` with a query string (filters, cursor).
    pub async fn event_report<T: serde::de::DeserializeOwned>(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
        report: &str,
        query: &str,
    ) -> Result<Paged<T>, ApiError> {
        let path = format!("/events/{}/{report}?{query}", path_segment(event));
        self.send_json(Call::get(&path, caller, Some(&bearer)))
            .await
    }

    /// A CSV export as the backend sends it (`orders.csv`, `attendees.csv`).
    pub async fn event_csv(
        &self,
        caller: &Forwarded,
        bearer: String,
        event: &str,
        file: &str,
    ) -> Result<super::Answer, ApiError> {
        let path = format!("/events/{}/{file}", path_segment(event));
        self.send(Call::get(&path, caller, Some(&bearer))).await
    }
}

impl<'a> Call<'a> {
    pub fn get(path: &'a str, caller: &'a Forwarded, bearer: Option<&'a str>) -> Self {
        Self {
            method: Method::GET,
            path,
            caller,
            bearer,
            headers: &[],
            body: None,
        }
    }

    pub fn post(path: &'a str, caller: &'a Forwarded, bearer: &'a str, body: Value) -> Self {
        Self {
            method: Method::POST,
            path,
            caller,
            bearer: Some(bearer),
            headers: &[],
            body: (!body.is_null()).then_some(body),
        }
    }

    /// A `PATCH` with the organizer's token and a body: only the fields given change.
    pub fn patch(path: &'a str, caller: &'a Forwarded, bearer: &'a str, body: Value) -> Self {
        Self {
            method: Method::PATCH,
            ..Self::post(path, caller, bearer, body)
        }
    }
}

/// An event as the storefront shows it to `caller`: its title and description in the
/// caller's language when the organizer gave them (`Event::localized`), else its own. The
/// public reads (`events`, `organizer`, and `event` without a token) answer this, so every
/// page built on them — listing, event page, checkout, order page, embed, calendar — speaks
/// the page's language; the console reads with a token and edits the event's own text.
fn storefront(event: Event, caller: &Forwarded) -> Event {
    match caller.locale {
        Some(locale) => event.localized(locale),
        None => event,
    }
}

/// An id from a URL, made safe to put in the API's path: ids are `prefix_base32`, so anything
/// else is percent-encoded and simply not found by the backend.
pub fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
