//! The organizer console's frame: a left navigation per organization (events, team,
//! settings) and per event (overview, ticket types, quotas, promo codes, orders, attendees,
//! check-in, reports, settings, cancel), breadcrumbs with the organization's and the event's
//! names, and the loaders that fetch what every console page needs to draw them.
//!
//! Without JavaScript the navigation is a column beside the page on a wide screen and a
//! `<details>` disclosure above it on a phone: the same list twice, one of the two hidden
//! by a media query (`display: none`, so it is out of the accessibility tree too).

use maud::{html, Markup};

use super::{authed, breadcrumbs, editor};
use crate::api::ticketing::{path_segment, EventDetail, EventStatus, Organization};
use crate::session::{PageError, Visit};
use crate::Frontend;
use bilten_i18n::Locale;

/// A page of an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgPage {
    Events,
    Team,
    Settings,
    NewEvent,
}

/// A page of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventPage {
    Overview,
    TicketTypes,
    Quotas,
    PromoCodes,
    Orders,
    Attendees,
    Checkin,
    Reports,
    Settings,
    Cancel,
}

impl EventPage {
    const ALL: [EventPage; 10] = [
        Self::Overview,
        Self::TicketTypes,
        Self::Quotas,
        Self::PromoCodes,
        Self::Orders,
        Self::Attendees,
        Self::Checkin,
        Self::Reports,
        Self::Settings,
        Self::Cancel,
    ];

    /// The page's path under `/organize/events/{id}`.
    fn suffix(self) -> &'static str {
        match self {
            Self::Overview => "",
            Self::TicketTypes => "/ticket-types",
            Self::Quotas => "/quotas",
            Self::PromoCodes => "/promo-codes",
            Self::Orders => "/orders",
            Self::Attendees => "/attendees",
            Self::Checkin => "/checkin",
            Self::Reports => "/reports",
            Self::Settings => "/edit",
            Self::Cancel => "/cancel",
        }
    }

    pub fn label(self, l: Locale) -> String {
        l.t(match self {
            Self::Overview => "console-overview",
            Self::TicketTypes => "editor-ticket-types",
            Self::Quotas => "editor-quotas",
            Self::PromoCodes => "editor-promo-codes",
            Self::Orders => "report-orders",
            Self::Attendees => "report-attendees",
            Self::Checkin => "editor-checkin",
            Self::Reports => "console-reports",
            Self::Settings => "console-event-settings",
            Self::Cancel => "editor-cancel-event",
        })
    }

    pub fn href(self, event: &str) -> String {
        format!("/organize/events/{}{}", path_segment(event), self.suffix())
    }
}

impl OrgPage {
    fn label(self, l: Locale) -> String {
        l.t(match self {
            Self::Events => "nav-events",
            Self::Team => "org-team",
            Self::Settings => "console-org-settings",
            Self::NewEvent => "org-new-event",
        })
    }

    pub fn href(self, org: &str) -> String {
        let org = path_segment(org);
        match self {
            Self::Events => format!("/organize/{org}"),
            Self::Team => format!("/organize/{org}/team"),
            Self::Settings => format!("/organize/{org}/settings"),
            Self::NewEvent => format!("/organize/{org}/events/new"),
        }
    }
}

/// An event with every ticket type (hidden ones too) and its organization.
pub struct EventContext {
    pub detail: EventDetail,
    pub organization: Organization,
}

impl EventContext {
    pub fn id(&self) -> String {
        self.detail.event.id.to_string()
    }
}

/// The caller's organization `org` (404 when they are not a member).
pub async fn organization(
    app: &Frontend,
    visit: &mut Visit,
    org: &str,
) -> Result<Organization, PageError> {
    let list = authed!(app, visit, |token, fwd| app
        .api
        .my_organizations(&fwd, token))?;
    list.into_iter()
        .find(|o| o.id.to_string() == org)
        .ok_or(PageError::NotFound)
}

/// The event `id` as its organization sees it, with the organization (for its name).
pub async fn event(app: &Frontend, visit: &mut Visit, id: &str) -> Result<EventContext, PageError> {
    let detail = editor::load(app, visit, id).await?;
    let organization = organization(app, visit, &detail.event.organization_id.to_string()).await?;
    Ok(EventContext {
        detail,
        organization,
    })
}

fn org_links(l: Locale, org: &Organization, active: Option<OrgPage>) -> Markup {
    let id = org.id.to_string();
    html! {
        p.console-group { (org.name) }
        ul {
            @for page in [OrgPage::Events, OrgPage::Team, OrgPage::Settings] {
                li { a href=(page.href(&id)) aria-current=[(active == Some(page)).then_some("page")] { (page.label(l)) } }
            }
        }
    }
}

fn event_links(l: Locale, ctx: &EventContext, active: EventPage) -> Markup {
    let id = ctx.id();
    let event = &ctx.detail.event;
    html! {
        p.console-group { (event.title) }
        ul {
            @for page in EventPage::ALL {
                @if page != EventPage::Cancel || event.status != EventStatus::Canceled {
                    li { a href=(page.href(&id)) aria-current=[(active == page).then_some("page")] { (page.label(l)) } }
                }
            }
        }
    }
}

/// The navigation twice: a `<details>` for phones, a column for wide screens.
fn navigation(l: Locale, current: &str, links: &Markup) -> Markup {
    html! {
        details.console-menu {
            summary { (l.t("console-menu")) ": " (current) }
            nav aria-label=(l.t("console-nav")) { (links) }
        }
        nav.console-nav aria-label=(l.t("console-nav")) { (links) }
    }
}

/// An organization's page in the console frame.
pub fn org_frame(
    l: Locale,
    org: &Organization,
    active: OrgPage,
    crumbs: &[(String, Option<String>)],
    content: &Markup,
) -> Markup {
    let organize = l.t("nav-organize");
    let label = active.label(l);
    let org_href = OrgPage::Events.href(&org.id.to_string());
    let mut trail: Vec<(&str, Option<String>)> = vec![(&organize, Some("/organize".to_owned()))];
    if active == OrgPage::Events && crumbs.is_empty() {
        trail.push((&org.name, None));
    } else {
        trail.push((&org.name, Some(org_href)));
        if active != OrgPage::Events {
            trail.push((&label, None));
        }
    }
    trail.extend(
        crumbs
            .iter()
            .map(|(label, href)| (label.as_str(), href.clone())),
    );
    let links = org_links(l, org, (active != OrgPage::NewEvent).then_some(active));
    html! {
        (breadcrumbs(l, &trail))
        div.console {
            (navigation(l, &label, &links))
            div.console-main { (content) }
        }
    }
}

/// An event's console page as a whole page: in the console frame, titled "page – event" in
/// the visitor's language.
pub fn event_page(
    visit: &Visit,
    ctx: &EventContext,
    active: EventPage,
    description: &str,
    content: &Markup,
) -> axum::response::Response {
    let l = visit.locale;
    let framed = event_frame(l, ctx, active, &[], content);
    let title = bilten_i18n::t(
        l,
        "console-page-of",
        &[
            ("page", active.label(l).into()),
            ("event", ctx.detail.event.title.as_str().into()),
        ],
    );
    visit.page(&title, description, &framed)
}

/// An event's page in the console frame; `crumbs` go after the page's own name (an edited
/// ticket type, an order).
pub fn event_frame(
    l: Locale,
    ctx: &EventContext,
    active: EventPage,
    crumbs: &[(String, Option<String>)],
    content: &Markup,
) -> Markup {
    let id = ctx.id();
    let organize = l.t("nav-organize");
    let org_href = OrgPage::Events.href(&ctx.organization.id.to_string());
    let label = active.label(l);
    let mut trail: Vec<(&str, Option<String>)> = vec![
        (&organize, Some("/organize".to_owned())),
        (&ctx.organization.name, Some(org_href)),
    ];
    let overview = EventPage::Overview.href(&id);
    if active == EventPage::Overview && crumbs.is_empty() {
        trail.push((&ctx.detail.event.title, None));
    } else {
        trail.push((&ctx.detail.event.title, Some(overview)));
        if active != EventPage::Overview {
            let here = (!crumbs.is_empty()).then(|| active.href(&id));
            trail.push((&label, here));
        }
    }
    trail.extend(
        crumbs
            .iter()
            .map(|(label, href)| (label.as_str(), href.clone())),
    );
    let links = html! {
        (org_links(l, &ctx.organization, None))
        (event_links(l, ctx, active))
    };
    html! {
        (breadcrumbs(l, &trail))
        div.console {
            (navigation(l, &label, &links))
            div.console-main { (content) }
        }
    }
}
