//! The organizer's side: organizations and their team, the event editor, ticket types,
//! quotas, promo codes, and per event a dashboard, orders and attendees.
//!
//! Every page asks the backend, which decides who may see and do what (a non-member gets 404
//! from the API and so here). Forms follow the account pages: post, then a redirect, or the
//! page again with the API's field errors next to the fields.

mod cancel;
mod charts;
mod checkin;
mod console;
mod editor;
mod forms;
mod overview;
mod privacy;
mod promo_codes;
mod quotas;
mod reports;
mod ticket_types;
mod translations;

pub(crate) use reports::order_status_label;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;

use super::{after_post, NoticeQuery};
use crate::api::ticketing::EventStatus;
use crate::api::ticketing::{path_segment, Event, Member, Organization};
use crate::api::ApiError;
use crate::format;
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{self, csrf_field, error_summary, field, select, Field, FormState};
use crate::Frontend;
use bilten_api::invitations::Invitation;
use bilten_domain::OrgRole;
use bilten_i18n::Locale;
use console::OrgPage;

pub fn routes() -> Router<Frontend> {
    Router::new()
        .route("/organize", get(organizations))
        .route("/organize/organizations", post(create_organization))
        .route("/organize/{org}", get(organization))
        .route("/organize/{org}/team", get(team_page))
        .route("/organize/{org}/settings", get(settings_page))
        .route("/organize/{org}/members", post(add_member))
        .route("/organize/{org}/members/{user}/remove", post(remove_member))
        .route("/organize/{org}/two-factor", post(set_two_factor))
        .merge(editor::routes())
        .merge(translations::routes())
        .merge(overview::routes())
        .merge(ticket_types::routes())
        .merge(quotas::routes())
        .merge(promo_codes::routes())
        .merge(checkin::routes())
        .merge(cancel::routes())
        .merge(reports::routes())
        .merge(privacy::routes())
}

/// Messages after an organizer's redirect.
fn notice(l: Locale, query: &NoticeQuery) -> Option<String> {
    Some(match query.key()? {
        "organization_created" => l.t("org-notice-organization-created"),
        "member_added" => l.t("org-notice-member-added"),
        "member_invited" => l.t("org-notice-member-invited"),
        "member_removed" => l.t("org-notice-member-removed"),
        "invitation_accepted" => l.t("org-notice-invitation-accepted"),
        "two_factor_required_now" => l.t("org-notice-two-factor-required"),
        "two_factor_not_required" => l.t("org-notice-two-factor-not-required"),
        "two_factor_yours_first" => l.t("org-notice-two-factor-yours-first"),
        "event_created" => l.t("org-notice-event-created"),
        "event_saved" => l.t("org-notice-event-saved"),
        "event_published" => l.t("org-notice-event-published"),
        "event_canceled" => l.t("org-notice-event-canceled"),
        "ticket_type_added" => l.t("org-notice-ticket-type-added"),
        "ticket_type_saved" => l.t("org-notice-ticket-type-saved"),
        "promo_code_saved" => l.t("console-notice-promo-code-saved"),
        "quota_added" => l.t("org-notice-quota-added"),
        "quota_saved" => l.t("console-notice-quota-saved"),
        "promo_code_added" => l.t("org-notice-promo-code-added"),
        "checkin_list_added" => l.t("org-notice-checkin-list-added"),
        "device_added" => l.t("org-notice-device-added"),
        "device_revoked" => l.t("org-notice-device-revoked"),
        "refunded" => l.t("org-notice-refunded"),
        "anonymized" => l.t("org-notice-anonymized"),
        key if key.starts_with("translation_") => translations::notice(l, key)?,
        _ => return query.message(l),
    })
}

/// An event's status as a word: `draft` → `Draft` / `Entwurf`.
pub(crate) fn event_status_label(l: Locale, status: EventStatus) -> String {
    match status {
        EventStatus::Draft => l.t("event-status-draft"),
        EventStatus::Published => l.t("event-status-published"),
        EventStatus::Canceled => l.t("event-status-canceled"),
    }
}

/// A team role as a word: `manager` → `Manager` / `Gestor`.
pub(crate) fn role_label(l: Locale, role: OrgRole) -> String {
    match role {
        OrgRole::Staff => l.t("org-role-staff"),
        OrgRole::Manager => l.t("org-role-manager"),
        OrgRole::Owner => l.t("org-role-owner"),
    }
}

/// Runs an API call with the visitor's token, after making sure they are logged in.
macro_rules! authed {
    ($app:expr, $visit:expr, |$token:ident, $fwd:ident| $call:expr) => {{
        if !$visit.signed_in() {
            Err(crate::api::ApiError::Rejected(crate::api::Rejection {
                status: axum::http::StatusCode::UNAUTHORIZED,
                code: bilten_api::ErrorCode::Unauthenticated,
                message: "Log in to continue.".to_owned(),
                fields: std::collections::BTreeMap::new(),
            }))
        } else {
            let $fwd = $visit.forwarded.clone();
            $visit.authed($app, |$token| $call).await
        }
    }};
}
pub(crate) use authed;

fn breadcrumbs(l: Locale, parts: &[(&str, Option<String>)]) -> Markup {
    html! {
        nav.breadcrumbs aria-label=(l.t("org-breadcrumb")) {
            ol {
                @for (label, href) in parts {
                    li {
                        @if let Some(href) = href { a href=(href) { (label) } }
                        @else { span aria-current="page" { (label) } }
                    }
                }
            }
        }
    }
}

// ----- organizations -----

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

async fn organizations_page(
    app: &Frontend,
    visit: &mut Visit,
    form: &FormState,
    notice_text: Option<&str>,
) -> Result<Response, PageError> {
    let list = authed!(app, visit, |token, fwd| app
        .api
        .my_organizations(&fwd, token))?;
    let l = visit.locale;
    let name = l.t("auth-name");
    let content = html! {
        (views::notice(notice_text))
        h1 { (l.t("org-title")) }
        @if list.is_empty() {
            p { (l.t("org-intro")) }
        } @else {
            h2 { (l.t("org-yours")) }
            ul.plain-list {
                @for org in &list {
                    li { a href={ "/organize/" (org.id) } { (org.name) } " " span.tag { (role_label(l, org.role)) } }
                }
            }
        }
        section.panel aria-labelledby="new-org" {
            h2 #new-org { (l.t("org-create-heading")) }
            (error_summary(form, &[("name", &name)]))
            form.form method="post" action="/organize/organizations" novalidate {
                (csrf_field(&visit.csrf_token))
                (field(&Field { name: "name", label: &name, kind: "text", autocomplete: "organization", hint: Some(&l.t("org-name-hint")) }, form))
                button type="submit" { (l.t("org-create-submit")) }
            }
        }
    };
    Ok(visit.page(&l.t("org-title"), &l.t("org-description"), &content))
}

async fn organizations(
    State(app): State<Frontend>,
    mut visit: Visit,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let (form, notice) = (FormState::new(visit.locale), notice(visit.locale, &query));
    let outcome = organizations_page(&app, &mut visit, &form, notice.as_deref()).await;
    visit.respond(outcome)
}

async fn create_organization(
    State(app): State<Frontend>,
    mut visit: Visit,
    CsrfForm(input): CsrfForm<NameForm>,
) -> Response {
    let result = authed!(&app, visit, |token, fwd| app.api.create_organization(
        &fwd,
        token,
        &input.name
    ));
    let outcome = after_post(
        result,
        FormState::new(visit.locale).with_value("name", &input.name),
        |org: Organization| format!("/organize/{}?notice=organization_created", org.id),
        async |form| organizations_page(&app, &mut visit, &form, None).await,
    )
    .await;
    visit.respond(outcome)
}

// ----- one organization: its events and team -----

fn event_row(l: Locale, event: &Event) -> Markup {
    let tz = format::zone(&event.timezone);
    html! {
        tr {
            th scope="row" { a href={ "/organize/events/" (event.id) } { (event.title) } }
            td { (format::local_datetime(l, event.starts_at, tz)) }
            td { span.tag { (event_status_label(l, event.status)) } }
        }
    }
}

fn team(
    visit: &Visit,
    organization: &Organization,
    members: &[Member],
    invited: &[Invitation],
    form: &FormState,
) -> Markup {
    let org = organization.id.to_string();
    let org = org.as_str();
    let l = visit.locale;
    let roles = [
        ("staff", l.t("org-role-staff-option")),
        ("manager", l.t("org-role-manager-option")),
        ("owner", l.t("org-role-owner-option")),
    ];
    let (email, role) = (l.t("checkout-email"), l.t("admin-role"));
    html! {
        section aria-labelledby="team" {
            h1 #team { (l.t("org-team")) }
            div.table-wrap tabindex="0" role="region" aria-label=(l.t("org-team")) {
                table {
                    thead { tr { th scope="col" { (l.t("auth-name")) } th scope="col" { (l.t("admin-email")) } th scope="col" { (role) } th scope="col" { span.visually-hidden { (l.t("admin-actions")) } } } }
                    tbody {
                        @for member in members {
                            tr {
                                th scope="row" { (member.name) }
                                td { (member.email) }
                                td { (role_label(l, member.role)) }
                                td {
                                    form method="post" action={ "/organize/" (org) "/members/" (member.user_id) "/remove" } {
                                        (csrf_field(&visit.csrf_token))
                                        button.link-button type="submit" { (l.t("org-remove")) span.visually-hidden { " " (member.name) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !invited.is_empty() {
                h2 #invited { (l.t("org-invited")) }
                div.table-wrap tabindex="0" role="region" aria-label=(l.t("org-invited")) {
                    table aria-labelledby="invited" {
                        thead { tr { th scope="col" { (l.t("admin-email")) } th scope="col" { (role) } th scope="col" { (l.t("org-link-until")) } } }
                        tbody {
                            @for invitation in invited {
                                tr {
                                    th scope="row" { (invitation.email) }
                                    td { (role_label(l, invitation.role)) }
                                    td { (format::local_datetime_zone(l, invitation.expires_at, chrono_tz::Tz::UTC)) }
                                }
                            }
                        }
                    }
                }
            }
            h2 { (l.t("org-add-member")) }
            (error_summary(form, &[("email", &email), ("role", &role)]))
            form.form method="post" action={ "/organize/" (org) "/members" } novalidate {
                (csrf_field(&visit.csrf_token))
                (field(&Field { name: "email", label: &email, kind: "email", autocomplete: "off", hint: Some(&l.t("org-add-member-hint")) }, form))
                (select("role", &role, &roles, form.value("role"), form))
                button type="submit" { (l.t("org-add-member-submit")) }
            }
        }
    }
}

/// Which page of an organization to draw.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OrgView {
    Events,
    Team,
    Settings,
}

async fn organization_page(
    app: &Frontend,
    visit: &mut Visit,
    org: &str,
    view: OrgView,
    member_form: &FormState,
    notice_text: Option<&str>,
) -> Result<Response, PageError> {
    let organization = console::organization(app, visit, org).await?;
    let l = visit.locale;
    let content = match view {
        OrgView::Events => {
            let events = match authed!(app, visit, |token, fwd| app
                .api
                .organization_events(&fwd, token, org))
            {
                Err(ApiError::Rejected(r))
                    if r.code == bilten_api::ErrorCode::TwoFactorRequired =>
                {
                    let content = html! {
                        h1 { (organization.name) }
                        p { (r.message) }
                        p { a.button href="/account" { (l.t("account-two-factor-set-up")) } }
                    };
                    return Ok(visit.page_with_status(
                        axum::http::StatusCode::FORBIDDEN,
                        &organization.name,
                        &l.t("org-two-factor-required-here"),
                        &content,
                    ));
                }
                other => other?,
            };
            html! {
                (views::notice(notice_text))
                h1 { (organization.name) }
                p { a.button href=(OrgPage::NewEvent.href(org)) { (l.t("org-new-event")) } }
                h2 #events { (l.t("nav-events")) }
                @if events.is_empty() {
                    p.empty-state { (l.t("org-no-events")) }
                } @else {
                    div.table-wrap tabindex="0" role="region" aria-label=(l.t("nav-events")) {
                        table aria-labelledby="events" {
                            thead { tr { th scope="col" { (l.t("my-orders-col-event")) } th scope="col" { (l.t("org-starts-local")) } th scope="col" { (l.t("admin-status")) } } }
                            tbody { @for event in &events { (event_row(l, event)) } }
                        }
                    }
                }
            }
        }
        OrgView::Team => {
            let members = authed!(app, visit, |token, fwd| app.api.members(&fwd, token, org))?;
            let invited = authed!(app, visit, |token, fwd| app
                .api
                .invitations(&fwd, token, org))?;
            html! {
                (views::notice(notice_text))
                (team(visit, &organization, &members, &invited, member_form))
            }
        }
        OrgView::Settings => settings(visit, &organization, notice_text),
    };
    let (page, title) = match view {
        OrgView::Events => (OrgPage::Events, organization.name.clone()),
        OrgView::Team => (
            OrgPage::Team,
            format!("{} – {}", l.t("org-team"), organization.name),
        ),
        OrgView::Settings => (
            OrgPage::Settings,
            format!("{} – {}", l.t("console-org-settings"), organization.name),
        ),
    };
    let framed = console::org_frame(l, &organization, page, &[], &content);
    Ok(visit.page(&title, &l.t("org-one-description"), &framed))
}

/// The organization's settings: requiring two-factor sign-in of every member (owners).
fn settings(visit: &Visit, organization: &Organization, notice_text: Option<&str>) -> Markup {
    let org = organization.id.to_string();
    let org = org.as_str();
    let l = visit.locale;
    html! {
        (views::notice(notice_text))
        h1 { (l.t("console-org-settings")) }
        section.panel aria-labelledby="two-factor" {
            h2 #two-factor { (l.t("account-two-factor")) }
            @if organization.require_two_factor {
                p { (l.t("org-two-factor-required")) }
            } @else {
                p { (l.t("org-two-factor-not-required")) }
            }
            @if organization.role == OrgRole::Owner {
                form method="post" action={ "/organize/" (org) "/two-factor" } {
                    (csrf_field(&visit.csrf_token))
                    input type="hidden" name="required" value=(if organization.require_two_factor { "false" } else { "true" });
                    button.secondary type="submit" {
                        @if organization.require_two_factor { (l.t("org-two-factor-stop")) } @else { (l.t("org-two-factor-require")) }
                    }
                }
            } @else {
                p.muted { (l.t("console-owners-only")) }
            }
        }
    }
}

async fn organization(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(org): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let (form, notice) = (FormState::new(visit.locale), notice(visit.locale, &query));
    let outcome = organization_page(
        &app,
        &mut visit,
        &org,
        OrgView::Events,
        &form,
        notice.as_deref(),
    )
    .await;
    visit.respond(outcome)
}

async fn team_page(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(org): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let (form, notice) = (FormState::new(visit.locale), notice(visit.locale, &query));
    let outcome = organization_page(
        &app,
        &mut visit,
        &org,
        OrgView::Team,
        &form,
        notice.as_deref(),
    )
    .await;
    visit.respond(outcome)
}

async fn settings_page(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(org): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let (form, notice) = (FormState::new(visit.locale), notice(visit.locale, &query));
    let outcome = organization_page(
        &app,
        &mut visit,
        &org,
        OrgView::Settings,
        &form,
        notice.as_deref(),
    )
    .await;
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

async fn add_member(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(org): Path<String>,
    CsrfForm(input): CsrfForm<MemberForm>,
) -> Response {
    let result = authed!(&app, visit, |token, fwd| app.api.add_member(
        &fwd,
        token,
        &org,
        &input.email,
        &input.role
    ));
    let outcome = after_post(
        result,
        FormState::new(visit.locale)
            .with_value("email", &input.email)
            .with_value("role", &input.role),
        |invited: bool| {
            let notice = if invited {
                "member_invited"
            } else {
                "member_added"
            };
            format!("/organize/{}/team?notice={notice}", path_segment(&org))
        },
        async |form| organization_page(&app, &mut visit, &org, OrgView::Team, &form, None).await,
    )
    .await;
    visit.respond(outcome)
}

#[derive(Deserialize)]
pub struct TwoFactorForm {
    #[serde(default)]
    required: bool,
}

async fn set_two_factor(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(org): Path<String>,
    CsrfForm(input): CsrfForm<TwoFactorForm>,
) -> Response {
    let result = authed!(&app, visit, |token, fwd| app.api.set_require_two_factor(
        &fwd,
        token,
        &org,
        input.required
    ));
    let notice = match result {
        Ok(()) if input.required => Ok("two_factor_required_now"),
        Ok(()) => Ok("two_factor_not_required"),
        Err(ApiError::Rejected(r)) if r.code == bilten_api::ErrorCode::TwoFactorRequired => {
            Ok("two_factor_yours_first")
        }
        Err(error) => Err(PageError::from(error)),
    };
    let outcome = notice.map(|notice| {
        axum::response::IntoResponse::into_response(axum::response::Redirect::to(&format!(
            "/organize/{}/settings?notice={notice}",
            path_segment(&org)
        )))
    });
    visit.respond(outcome)
}

async fn remove_member(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path((org, user)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<super::auth::EmptyForm>,
) -> Response {
    let result = authed!(&app, visit, |token, fwd| app
        .api
        .remove_member(&fwd, token, &org, &user));
    let outcome = after_post(
        result,
        FormState::new(visit.locale),
        |()| {
            format!(
                "/organize/{}/team?notice=member_removed",
                path_segment(&org)
            )
        },
        async |form| organization_page(&app, &mut visit, &org, OrgView::Team, &form, None).await,
    )
    .await;
    visit.respond(outcome)
}
