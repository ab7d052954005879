//! The backend's route table. Every route the API has is listed here and nowhere else, which
//! lets tests walk all of them: [`ROUTES`] declares each route with who may call it, and a
//! unit test below checks it against the routes [`api`] declares (the same declaration
//! builds the router and the OpenAPI document), so a new route cannot be added without
//! saying who may use it (and being walked by the authorization tests) or without being
//! documented.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{
    accounts, admin, catalogue, checkin, checkout, events, orders, organizations, organizer_views,
    privacy, promo, refunds, tickets, webhooks, AppState,
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
        .routes(routes!(accounts::auth::register))
        .routes(routes!(accounts::auth::login))
        .routes(routes!(accounts::two_factor::login))
        .routes(routes!(accounts::auth::refresh))
        .routes(routes!(accounts::auth::logout))
        .routes(routes!(accounts::auth::logout_everywhere))
        .routes(routes!(accounts::auth::change_password))
        .routes(routes!(accounts::auth::forgot))
        .routes(routes!(accounts::auth::reset))
        .routes(routes!(accounts::auth::verify))
        .routes(routes!(accounts::auth::resend_verification))
        .routes(routes!(
            accounts::users::me,
            accounts::users::update_me,
            privacy::delete_me
        ))
        .routes(routes!(privacy::export))
        .routes(routes!(accounts::users::my_sessions))
        .routes(routes!(
            accounts::two_factor::status,
            accounts::two_factor::enrol,
            accounts::two_factor::disable
        ))
        .routes(routes!(accounts::two_factor::confirm))
        .routes(routes!(accounts::two_factor::renew_recovery_codes))
        .routes(routes!(organizations::handlers::mine))
        .routes(routes!(admin::handlers::list_users))
        .routes(routes!(admin::handlers::set_user_disabled))
        .routes(routes!(admin::handlers::list_organizations))
        .routes(routes!(admin::handlers::list_events))
        .routes(routes!(admin::handlers::unpublish_event))
        .routes(routes!(admin::handlers::release_event))
        .routes(routes!(organizations::handlers::create))
        .routes(routes!(
            organizations::handlers::get,
            organizations::settings::update_organization
        ))
        .routes(routes!(
            organizations::handlers::members,
            organizations::handlers::add_member
        ))
        .routes(routes!(organizations::invitations::list))
        .routes(routes!(organizations::invitations::accept))
        .routes(routes!(organizations::handlers::remove_member))
        .routes(routes!(
            events::handlers::list_for_organization,
            events::handlers::create
        ))
        .routes(routes!(catalogue::handlers::list))
        .routes(routes!(
            catalogue::handlers::get,
            events::handlers::update,
            events::handlers::delete
        ))
        .routes(routes!(events::handlers::publish))
        .routes(routes!(
            events::ticket_types::list_ticket_types,
            events::ticket_types::create_ticket_type
        ))
        .routes(routes!(events::ticket_types::update_ticket_type))
        .routes(routes!(
            events::ticket_types::list_quotas,
            events::ticket_types::create_quota
        ))
        .routes(routes!(promo::handlers::list, promo::handlers::create))
        .routes(routes!(promo::handlers::update))
        .routes(routes!(organizer_views::handlers::orders))
        .routes(routes!(organizer_views::handlers::orders_csv))
        .routes(routes!(organizer_views::handlers::sales_summary))
        .routes(routes!(organizer_views::handlers::attendees))
        .routes(routes!(organizer_views::handlers::attendees_csv))
        .routes(routes!(
            checkin::handlers::list_lists,
            checkin::handlers::create_list
        ))
        .routes(routes!(
            checkin::handlers::list_devices,
            checkin::handlers::create_device
        ))
        .routes(routes!(checkin::handlers::revoke_device))
        .routes(routes!(checkin::handlers::pairing_svg))
        .routes(routes!(checkin::handlers::stats))
        .routes(routes!(checkin::handlers::log))
        .routes(routes!(orders::handlers::create))
        .routes(routes!(orders::purchase::create))
        .routes(routes!(orders::handlers::get, orders::handlers::cancel))
        .routes(routes!(checkout::handlers::checkout))
        .routes(routes!(
            checkout::hosted_page::show,
            checkout::hosted_page::submit
        ))
        .routes(routes!(tickets::handlers::keys))
        .routes(routes!(tickets::handlers::rotate))
        .routes(routes!(tickets::handlers::revoked))
        .routes(routes!(tickets::handlers::mine))
        .routes(routes!(tickets::handlers::get, tickets::handlers::update))
        .routes(routes!(tickets::handlers::qr_svg))
        .routes(routes!(tickets::handlers::pdf))
        .routes(routes!(refunds::handlers::refund_order))
        .routes(routes!(privacy::anonymize_order))
        .routes(routes!(refunds::event_cancel::cancel))
        .routes(routes!(webhooks::stripe::stripe))
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
