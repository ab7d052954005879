//! The backend's route table. Every route the API has is listed here and nowhere else, which
//! lets tests walk all of them: [`ROUTES`] declares each route with who may call it, and a
//! unit test below checks it against the router built in [`api`], so a new route cannot be
//! added without saying who may use it (and being walked by the authorization tests).

use axum::routing::{get, post};
use axum::Router;

use crate::{
    admin_api, auth, checkin, checkout, event_cancel, events, orders, organizations,
    organizer_views, payments, promo, purchase, refunds, tickets, users, webhooks, AppState,
};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not.
    Public,
    /// Any logged-in user, on their own things.
    User,
    /// Members of the organization owning the object in the path (404 for everyone else).
    Organizer,
    /// Platform admins.
    Admin,
}

/// `(method, path, access)` for every route under `/api/v1`.
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("POST", "/auth/register", Access::Public),
    ("POST", "/auth/login", Access::Public),
    ("POST", "/auth/refresh", Access::Public),
    ("POST", "/auth/logout", Access::User),
    ("POST", "/auth/logout-all", Access::User),
    ("POST", "/auth/password", Access::User),
    ("POST", "/auth/forgot", Access::Public),
    ("POST", "/auth/reset", Access::Public),
    ("POST", "/auth/verify", Access::Public),
    ("POST", "/auth/verify/resend", Access::User),
    ("GET", "/me", Access::User),
    ("PATCH", "/me", Access::User),
    ("GET", "/me/sessions", Access::User),
    ("GET", "/me/organizations", Access::User),
    ("GET", "/admin/users", Access::Admin),
    ("POST", "/admin/users/{id}/disabled", Access::Admin),
    ("GET", "/admin/organizations", Access::Admin),
    ("GET", "/admin/events", Access::Admin),
    ("POST", "/admin/events/{id}/unpublish", Access::Admin),
    ("POST", "/admin/events/{id}/release", Access::Admin),
    ("POST", "/organizations", Access::User),
    ("GET", "/organizations/{id}", Access::Organizer),
    ("GET", "/organizations/{id}/members", Access::Organizer),
    ("POST", "/organizations/{id}/members", Access::Organizer),
    (
        "DELETE",
        "/organizations/{id}/members/{user_id}",
        Access::Organizer,
    ),
    ("GET", "/organizations/{id}/events", Access::Organizer),
    ("POST", "/organizations/{id}/events", Access::Organizer),
    ("GET", "/events", Access::Public),
    ("GET", "/events/{id}", Access::Public),
    ("PATCH", "/events/{id}", Access::Organizer),
    ("DELETE", "/events/{id}", Access::Organizer),
    ("POST", "/events/{id}/publish", Access::Organizer),
    ("GET", "/events/{id}/ticket-types", Access::Organizer),
    ("POST", "/events/{id}/ticket-types", Access::Organizer),
    ("PATCH", "/ticket-types/{id}", Access::Organizer),
    ("GET", "/events/{id}/quotas", Access::Organizer),
    ("POST", "/events/{id}/quotas", Access::Organizer),
    ("GET", "/events/{id}/promo-codes", Access::Organizer),
    ("POST", "/events/{id}/promo-codes", Access::Organizer),
    ("PATCH", "/promo-codes/{id}", Access::Organizer),
    ("GET", "/events/{id}/orders", Access::Organizer),
    ("GET", "/events/{id}/orders.csv", Access::Organizer),
    ("GET", "/events/{id}/sales-summary", Access::Organizer),
    ("GET", "/events/{id}/attendees", Access::Organizer),
    ("GET", "/events/{id}/attendees.csv", Access::Organizer),
    ("GET", "/events/{id}/checkin-lists", Access::Organizer),
    ("POST", "/events/{id}/checkin-lists", Access::Organizer),
    ("GET", "/events/{id}/devices", Access::Organizer),
    ("POST", "/events/{id}/devices", Access::Organizer),
    ("DELETE", "/devices/{id}", Access::Organizer),
    ("GET", "/devices/{id}/pairing.svg", Access::Organizer),
    ("GET", "/events/{id}/checkin-stats", Access::Organizer),
    ("GET", "/events/{id}/checkin-log", Access::Organizer),
    ("POST", "/orders", Access::Public),
    ("POST", "/purchases", Access::Public),
    // The buyer (account or `X-Order-Key`) or the organization; anyone else gets 404.
    ("GET", "/orders/{id}", Access::Public),
    ("DELETE", "/orders/{id}", Access::Public),
    // The buyer only (account or `X-Order-Key`); members of the organization get 403.
    ("POST", "/orders/{id}/checkout", Access::Public),
    // The test provider's hosted page; the payment id in the URL is the credential.
    ("GET", "/pay/test/{id}", Access::Public),
    ("POST", "/pay/test/{id}", Access::Public),
    ("GET", "/events/{id}/ticket-keys", Access::Public),
    ("POST", "/events/{id}/ticket-keys/rotate", Access::Organizer),
    ("GET", "/events/{id}/revoked", Access::Organizer),
    ("GET", "/me/tickets", Access::User),
    // The buyer (account or the order's `X-Order-Key`) or the organization; else 404.
    ("GET", "/tickets/{id}", Access::Public),
    ("PATCH", "/tickets/{id}", Access::Public),
    ("GET", "/tickets/{id}/qr.svg", Access::Public),
    ("GET", "/tickets/{id}/pdf", Access::Public),
    ("POST", "/orders/{id}/refund", Access::Organizer),
    ("POST", "/events/{id}/cancel", Access::Organizer),
    // Called by Stripe; the Stripe-Signature header is the credential.
    ("POST", "/webhooks/stripe", Access::Public),
];

#[allow(clippy::too_many_lines)] // one route per line: the table reads best in one piece
pub fn api() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/logout-all", post(auth::logout_everywhere))
        .route("/auth/password", post(auth::change_password))
        .route("/auth/forgot", post(auth::forgot))
        .route("/auth/reset", post(auth::reset))
        .route("/auth/verify", post(auth::verify))
        .route("/auth/verify/resend", post(auth::resend_verification))
        .route("/me", get(users::me).patch(users::update_me))
        .route("/me/sessions", get(users::my_sessions))
        .route("/me/organizations", get(organizations::mine))
        .route("/admin/users", get(admin_api::list_users))
        .route(
            "/admin/users/{id}/disabled",
            post(admin_api::set_user_disabled),
        )
        .route("/admin/organizations", get(admin_api::list_organizations))
        .route("/admin/events", get(admin_api::list_events))
        .route(
            "/admin/events/{id}/unpublish",
            post(admin_api::unpublish_event),
        )
        .route("/admin/events/{id}/release", post(admin_api::release_event))
        .route("/organizations", post(organizations::create))
        .route("/organizations/{id}", get(organizations::get))
        .route(
            "/organizations/{id}/members",
            get(organizations::members).post(organizations::add_member),
        )
        .route(
            "/organizations/{id}/members/{user_id}",
            axum::routing::delete(organizations::remove_member),
        )
        .route(
            "/organizations/{id}/events",
            get(events::list_for_organization).post(events::create),
        )
        .route("/events", get(events::list))
        .route(
            "/events/{id}",
            get(events::get)
                .patch(events::update)
                .delete(events::delete),
        )
        .route("/events/{id}/publish", post(events::publish))
        .route(
            "/events/{id}/ticket-types",
            get(events::list_ticket_types).post(events::create_ticket_type),
        )
        .route(
            "/ticket-types/{id}",
            axum::routing::patch(events::update_ticket_type),
        )
        .route(
            "/events/{id}/quotas",
            get(events::list_quotas).post(events::create_quota),
        )
        .route(
            "/events/{id}/promo-codes",
            get(promo::list).post(promo::create),
        )
        .route("/promo-codes/{id}", axum::routing::patch(promo::update))
        .route("/events/{id}/orders", get(organizer_views::orders))
        .route("/events/{id}/orders.csv", get(organizer_views::orders_csv))
        .route(
            "/events/{id}/sales-summary",
            get(organizer_views::sales_summary),
        )
        .route("/events/{id}/attendees", get(organizer_views::attendees))
        .route(
            "/events/{id}/attendees.csv",
            get(organizer_views::attendees_csv),
        )
        .route(
            "/events/{id}/checkin-lists",
            get(checkin::list_lists).post(checkin::create_list),
        )
        .route(
            "/events/{id}/devices",
            get(checkin::list_devices).post(checkin::create_device),
        )
        .route(
            "/devices/{id}",
            axum::routing::delete(checkin::revoke_device),
        )
        .route("/devices/{id}/pairing.svg", get(checkin::pairing_svg))
        .route("/events/{id}/checkin-stats", get(checkin::stats))
        .route("/events/{id}/checkin-log", get(checkin::log))
        .route("/orders", post(orders::create))
        .route("/purchases", post(purchase::create))
        .route("/orders/{id}", get(orders::get).delete(orders::cancel))
        .route("/orders/{id}/checkout", post(checkout::checkout))
        .route(
            "/pay/test/{id}",
            get(payments::hosted_page_show).post(payments::hosted_page_submit),
        )
        .route("/events/{id}/ticket-keys", get(tickets::keys))
        .route("/events/{id}/ticket-keys/rotate", post(tickets::rotate))
        .route("/events/{id}/revoked", get(tickets::revoked))
        .route("/me/tickets", get(tickets::mine))
        .route("/tickets/{id}", get(tickets::get).patch(tickets::update))
        .route("/tickets/{id}/qr.svg", get(tickets::qr_svg))
        .route("/tickets/{id}/pdf", get(tickets::pdf))
        .route("/orders/{id}/refund", post(refunds::refund_order))
        .route("/events/{id}/cancel", post(event_cancel::cancel))
        .route("/webhooks/stripe", post(webhooks::stripe))
}

#[cfg(test)]
mod tests {
    use super::ROUTES;

    /// Every `.route("path", method(...))` in `api()` must be declared in `ROUTES` with the
    /// same methods, and the other way round.
    #[test]
    fn every_route_in_the_router_is_declared_with_its_access() {
        let source = include_str!("routes.rs");
        let body = source
            .split("pub fn api()")
            .nth(1)
            .and_then(|rest| rest.split("#[cfg(test)]").next())
            .unwrap();
        let mut found = Vec::new();
        for chunk in body.split(".route(").skip(1) {
            let path = chunk.split('"').nth(1).unwrap();
            let handlers = chunk.split_once(')').map_or(chunk, |_| chunk);
            let handlers = handlers.split(".route(").next().unwrap();
            for (marker, method) in [
                ("get(", "GET"),
                ("post(", "POST"),
                ("patch(", "PATCH"),
                ("delete(", "DELETE"),
                ("put(", "PUT"),
            ] {
                if handlers.contains(marker) {
                    found.push((method.to_owned(), path.to_owned()));
                }
            }
        }
        let mut declared: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        found.sort();
        declared.sort();
        assert_eq!(found, declared);
    }
}
