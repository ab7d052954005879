//! The backend's route table. Every route the API has is listed here and nowhere else, which
//! lets tests walk all of them.

use axum::routing::{get, post};
use axum::Router;

use crate::{admin_api, auth, users, AppState};

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
        .route("/admin/users", get(admin_api::list_users))
        .route(
            "/admin/users/{id}/disabled",
            post(admin_api::set_user_disabled),
        )
}
