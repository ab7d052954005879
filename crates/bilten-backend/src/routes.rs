//! The backend's route table. Every route the API has is listed here and nowhere else, which
//! lets tests walk all of them: [`ROUTES`] declares each route with who may call it, and a
//! unit test below checks it against the routes [`api`] declares (the same declaration
//! builds the router and the OpenAPI document), so a new route cannot be added without
//! saying who may use it (and being walked by the authorization tests) or without being
//! documented.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{
    admin_api, auth, checkin, checkout, event_cancel, events, invitations, orders, organizations,
    organizer_views, payments, privacy, promo, purchase, refunds, tickets, two_factor, users,
    webhooks, AppState,
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
    ("POST", "/auth/login/two-factor", Access::Public),
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
    ("DELETE", "/me", Access::User),
    ("GET", "/me/export", Access::User),
    ("GET", "/me/sessions", Access::User),
    ("GET", "/me/two-factor", Access::User),
    ("POST", "/me/two-factor", Access::User),
    ("DELETE", "/me/two-factor", Access::User),
    ("POST", "/me/two-factor/confirm", Access::User),
    ("POST", "/me/two-factor/recovery-codes", Access::User),
    ("GET", "/me/organizations", Access::User),
    ("GET", "/admin/users", Access::Admin),
    ("POST", "/admin/users/{id}/disabled", Access::Admin),
    ("GET", "/admin/organizations", Access::Admin),
    ("GET", "/admin/events", Access::Admin),
    ("POST", "/admin/events/{id}/unpublish", Access::Admin),
    ("POST", "/admin/events/{id}/release", Access::Admin),
    ("POST", "/organizations", Access::User),
    ("GET", "/organizations/{id}", Access::Organizer),
    ("PATCH", "/organizations/{id}", Access::Organizer),
    ("GET", "/organizations/{id}/members", Access::Organizer),
    ("POST", "/organizations/{id}/members", Access::Organizer),
    ("GET", "/organizations/{id}/invitations", Access::Organizer),
    ("POST", "/invitations/accept", Access::User),
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
    ("POST", "/orders/{id}/anonymize", Access::Organizer),
    ("POST", "/events/{id}/cancel", Access::Organizer),
    // Called by Stripe; the Stripe-Signature header is the credential.
    ("POST", "/webhooks/stripe", Access::Public),
];

/// The API's routes with their OpenAPI operations: one `routes!` per path, so the router and
/// the document come from the same declaration (see [`crate::openapi`]).
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(two_factor::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::logout_everywhere))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::forgot))
        .routes(routes!(auth::reset))
        .routes(routes!(auth::verify))
        .routes(routes!(auth::resend_verification))
        .routes(routes!(users::me, users::update_me, privacy::delete_me))
        .routes(routes!(privacy::export))
        .routes(routes!(users::my_sessions))
        .routes(routes!(
            two_factor::status,
            two_factor::enrol,
            two_factor::disable
        ))
        .routes(routes!(two_factor::confirm))
        .routes(routes!(two_factor::renew_recovery_codes))
        .routes(routes!(organizations::mine))
        .routes(routes!(admin_api::list_users))
        .routes(routes!(admin_api::set_user_disabled))
        .routes(routes!(admin_api::list_organizations))
        .routes(routes!(admin_api::list_events))
        .routes(routes!(admin_api::unpublish_event))
        .routes(routes!(admin_api::release_event))
        .routes(routes!(organizations::create))
        .routes(routes!(organizations::get, two_factor::update_organization))
        .routes(routes!(organizations::members, organizations::add_member))
        .routes(routes!(invitations::list))
        .routes(routes!(invitations::accept))
        .routes(routes!(organizations::remove_member))
        .routes(routes!(events::list_for_organization, events::create))
        .routes(routes!(events::list))
        .routes(routes!(events::get, events::update, events::delete))
        .routes(routes!(events::publish))
        .routes(routes!(
            events::list_ticket_types,
            events::create_ticket_type
        ))
        .routes(routes!(events::update_ticket_type))
        .routes(routes!(events::list_quotas, events::create_quota))
        .routes(routes!(promo::list, promo::create))
        .routes(routes!(promo::update))
        .routes(routes!(organizer_views::orders))
        .routes(routes!(organizer_views::orders_csv))
        .routes(routes!(organizer_views::sales_summary))
        .routes(routes!(organizer_views::attendees))
        .routes(routes!(organizer_views::attendees_csv))
        .routes(routes!(checkin::list_lists, checkin::create_list))
        .routes(routes!(checkin::list_devices, checkin::create_device))
        .routes(routes!(checkin::revoke_device))
        .routes(routes!(checkin::pairing_svg))
        .routes(routes!(checkin::stats))
        .routes(routes!(checkin::log))
        .routes(routes!(orders::create))
        .routes(routes!(purchase::create))
        .routes(routes!(orders::get, orders::cancel))
        .routes(routes!(checkout::checkout))
        .routes(routes!(
            payments::hosted_page::show,
            payments::hosted_page::submit
        ))
        .routes(routes!(tickets::keys))
        .routes(routes!(tickets::rotate))
        .routes(routes!(tickets::revoked))
        .routes(routes!(tickets::mine))
        .routes(routes!(tickets::get, tickets::update))
        .routes(routes!(tickets::qr_svg))
        .routes(routes!(tickets::pdf))
        .routes(routes!(refunds::refund_order))
        .routes(routes!(privacy::anonymize_order))
        .routes(routes!(event_cancel::cancel))
        .routes(routes!(webhooks::stripe))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::ROUTES;

    /// The router and the OpenAPI document come from the same `routes!` calls in [`api`];
    /// this checks that `ROUTES` (who may call what) names exactly those operations.
    #[test]
    fn every_route_in_the_router_is_declared_with_its_access() {
        let doc = super::api().into_openapi();
        let mut served = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            for (method, operation) in [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
                ("PUT", &item.put),
            ] {
                if operation.is_some() {
                    served.insert((method.to_owned(), path.clone()));
                }
            }
        }
        let declared: BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        assert_eq!(served, declared);
        assert_eq!(declared.len(), ROUTES.len(), "ROUTES lists a route twice");
    }
}
