//! The organizer's side: organizations and their team, the event editor, ticket types,
//! quotas, promo codes, and per event a dashboard, orders and attendees.
//!
//! Every page asks the backend, which decides who may see and do what (a non-member gets 404
//! from the API and so here). Forms follow the account pages: post, then a redirect, or the
//! page again with the API's field errors next to the fields.

mod cancel;
mod editor;
mod privacy;
mod reports;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;

use super::{after_post, NoticeQuery};
use crate::api::ticketing::{path_segment, Event, Member, Organization};
use crate::api::ApiError;
use crate::format;
use crate::session::{CsrfForm, PageError, Visit};
use crate::views::{self, csrf_field, error_summary, field, select, Field, FormState};
use crate::Frontend;
use bilten_api::invitations::Invitation;
use bilten_domain::OrgRole;

pub fn routes() -> Router<Frontend> {
    Router::new()
        .route("/organize", get(organizations))
        .route("/organize/organizations", post(create_organization))
        .route("/organize/{org}", get(organization))
        .route("/organize/{org}/members", post(add_member))
        .route("/organize/{org}/members/{user}/remove", post(remove_member))
        .route("/organize/{org}/two-factor", post(set_two_factor))
        .merge(editor::routes())
        .merge(cancel::routes())
        .merge(reports::routes())
        .merge(privacy::routes())
}

/// Messages after an organizer's redirect.
fn notice(query: &NoticeQuery) -> Option<&'static str> {
    Some(match query.key()? {
        "organization_created" => "Your organization is ready. Create its first event.",
        "member_added" => "The member has been added.",
        "member_invited" => {
            "No account uses that email yet: we have emailed an invitation. They join once they sign up with that address and open the link."
        }
        "member_removed" => "The member has been removed.",
        "invitation_accepted" => "Welcome to the team.",
        "two_factor_required_now" => "Every member now needs two-factor sign-in to work here.",
        "two_factor_not_required" => "Two-factor sign-in is no longer required here.",
        "two_factor_yours_first" => {
            "Turn on two-factor sign-in for your own account first (Your account), then require it of everyone."
        }
        "event_created" => "The event is saved as a draft. Add ticket types, then publish it.",
        "event_saved" => "The event has been saved.",
        "event_published" => "The event is published and on sale.",
        "event_canceled" => "The event has been canceled.",
        "ticket_type_added" => "The ticket type has been added.",
        "ticket_type_saved" => "The ticket type has been saved.",
        "quota_added" => "The quota has been added.",
        "promo_code_added" => "The promo code has been added.",
        "checkin_list_added" => "The check-in list has been added.",
        "device_added" => "The device has been added: pair the scanner app with its code.",
        "device_revoked" => "The device has been revoked; it can no longer scan.",
        "refunded" => "The refund has been made; its tickets are revoked.",
        "anonymized" => "The buyer's personal data has been removed from this order.",
        _ => return query.message(),
    })
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

fn breadcrumbs(parts: &[(&str, Option<String>)]) -> Markup {
    html! {
        nav.breadcrumbs aria-label="Breadcrumb" {
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
    let content = html! {
        (views::notice(notice_text))
        h1 { "Organize events" }
        @if list.is_empty() {
            p { "Create an organization to publish events and sell tickets. You can invite your team to it." }
        } @else {
            h2 { "Your organizations" }
            ul.plain-list {
                @for org in &list {
                    li { a href={ "/organize/" (org.id) } { (org.name) } " " span.tag { (org.role.as_str()) } }
                }
            }
        }
        section.panel aria-labelledby="new-org" {
            h2 #new-org { "Create an organization" }
            (error_summary(form, &[("name", "Name")]))
            form.form method="post" action="/organize/organizations" novalidate {
                (csrf_field(&visit.csrf_token))
                (field(&Field { name: "name", label: "Name", kind: "text", autocomplete: "organization", hint: Some("Shown to buyers as the organizer.") }, form))
                button type="submit" { "Create organization" }
            }
        }
    };
    Ok(visit.page("Organize events", "Your organizations on Bilten.", &content))
}

async fn organizations(
    State(app): State<Frontend>,
    mut visit: Visit,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let outcome = organizations_page(&app, &mut visit, &FormState::default(), notice(&query)).await;
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
        FormState::default().with_value("name", &input.name),
        |org: Organization| format!("/organize/{}?notice=organization_created", org.id),
        async |form| organizations_page(&app, &mut visit, &form, None).await,
    )
    .await;
    visit.respond(outcome)
}

// ----- one organization: its events and team -----

fn event_row(event: &Event) -> Markup {
    let tz = format::zone(&event.timezone);
    html! {
        tr {
            th scope="row" { a href={ "/organize/events/" (event.id) } { (event.title) } }
            td { (format::local_datetime(event.starts_at, tz)) }
            td { span.tag { (event.status.as_str()) } }
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
    let roles = [
        ("staff", "Staff — sees sales and attendees".to_owned()),
        ("manager", "Manager — also edits events".to_owned()),
        ("owner", "Owner — also manages the team".to_owned()),
    ];
    html! {
        section.panel aria-labelledby="team" {
            h2 #team { "Team" }
            div.table-wrap {
                table {
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { span.visually-hidden { "Actions" } } } }
                    tbody {
                        @for member in members {
                            tr {
                                th scope="row" { (member.name) }
                                td { (member.email) }
                                td { (member.role.as_str()) }
                                td {
                                    form method="post" action={ "/organize/" (org) "/members/" (member.user_id) "/remove" } {
                                        (csrf_field(&visit.csrf_token))
                                        button.link-button type="submit" { "Remove" span.visually-hidden { " " (member.name) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !invited.is_empty() {
                h3 #invited { "Invited" }
                div.table-wrap {
                    table aria-labelledby="invited" {
                        thead { tr { th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "Link works until" } } }
                        tbody {
                            @for invitation in invited {
                                tr {
                                    th scope="row" { (invitation.email) }
                                    td { (invitation.role.as_str()) }
                                    td { (invitation.expires_at.format("%Y-%m-%d %H:%M UTC")) }
                                }
                            }
                        }
                    }
                }
            }
            @if organization.role == OrgRole::Owner {
                h3 { "Two-factor sign-in" }
                @if organization.require_two_factor {
                    p { "Required: members without it cannot work in this organization until they turn it on." }
                } @else {
                    p { "Not required. Requiring it keeps members who have not turned it on out of this organization until they do." }
                }
                form method="post" action={ "/organize/" (org) "/two-factor" } {
                    (csrf_field(&visit.csrf_token))
                    input type="hidden" name="required" value=(if organization.require_two_factor { "false" } else { "true" });
                    button.secondary type="submit" {
                        @if organization.require_two_factor { "Stop requiring it" } @else { "Require two-factor sign-in" }
                    }
                }
            }
            h3 { "Add a member" }
            (error_summary(form, &[("email", "Email address"), ("role", "Role")]))
            form.form method="post" action={ "/organize/" (org) "/members" } novalidate {
                (csrf_field(&visit.csrf_token))
                (field(&Field { name: "email", label: "Email address", kind: "email", autocomplete: "off", hint: Some("Someone without a Bilten account gets an invitation by email.") }, form))
                (select("role", "Role", &roles, form.value("role"), form))
                button type="submit" { "Add member" }
            }
        }
    }
}

async fn organization_page(
    app: &Frontend,
    visit: &mut Visit,
    org: &str,
    member_form: &FormState,
    notice_text: Option<&str>,
) -> Result<Response, PageError> {
    let list = authed!(app, visit, |token, fwd| app
        .api
        .my_organizations(&fwd, token))?;
    let Some(organization) = list.into_iter().find(|o| o.id.to_string() == org) else {
        return Err(PageError::NotFound);
    };
    let events = match authed!(app, visit, |token, fwd| app
        .api
        .organization_events(&fwd, token, org))
    {
        Err(ApiError::Rejected(r)) if r.code == bilten_api::ErrorCode::TwoFactorRequired => {
            let content = html! {
                h1 { (organization.name) }
                p { (r.message) }
                p { a.button href="/account" { "Set up two-factor sign-in" } }
            };
            return Ok(visit.page_with_status(
                axum::http::StatusCode::FORBIDDEN,
                &organization.name,
                "Two-factor sign-in is required here.",
                &content,
            ));
        }
        other => other?,
    };
    let members = authed!(app, visit, |token, fwd| app.api.members(&fwd, token, org))?;
    let invited = authed!(app, visit, |token, fwd| app
        .api
        .invitations(&fwd, token, org))?;
    let content = html! {
        (breadcrumbs(&[("Organize", Some("/organize".to_owned())), (&organization.name, None)]))
        (views::notice(notice_text))
        h1 { (organization.name) }
        p { a.button href={ "/organize/" (org) "/events/new" } { "New event" } }
        h2 #events { "Events" }
        @if events.is_empty() {
            p.empty-state { "No events yet." }
        } @else {
            div.table-wrap {
                table aria-labelledby="events" {
                    thead { tr { th scope="col" { "Event" } th scope="col" { "Starts (local time)" } th scope="col" { "Status" } } }
                    tbody { @for event in &events { (event_row(event)) } }
                }
            }
        }
        (team(visit, &organization, &members, &invited, member_form))
    };
    Ok(visit.page(&organization.name, "Your organization on Bilten.", &content))
}

async fn organization(
    State(app): State<Frontend>,
    mut visit: Visit,
    Path(org): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let outcome = organization_page(
        &app,
        &mut visit,
        &org,
        &FormState::default(),
        notice(&query),
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
        FormState::default()
            .with_value("email", &input.email)
            .with_value("role", &input.role),
        |invited: bool| {
            let notice = if invited {
                "member_invited"
            } else {
                "member_added"
            };
            format!("/organize/{}?notice={notice}", path_segment(&org))
        },
        async |form| organization_page(&app, &mut visit, &org, &form, None).await,
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
            "/organize/{}?notice={notice}",
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
        FormState::default(),
        |()| format!("/organize/{}?notice=member_removed", path_segment(&org)),
        async |form| organization_page(&app, &mut visit, &org, &form, None).await,
    )
    .await;
    visit.respond(outcome)
}
