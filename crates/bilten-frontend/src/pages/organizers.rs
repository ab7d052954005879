//! An organizer's public page, `GET /o/{id}`: the organization's name and its published events
//! that have not ended, soonest first (the backend's `GET /organizers/{id}`).

use axum::extract::{Path, State};
use axum::response::Response;
use bilten_i18n::t;
use maud::html;

use super::events::event_card;
use crate::session::Visit;
use crate::Frontend;

pub async fn show(State(app): State<Frontend>, visit: Visit, Path(id): Path<String>) -> Response {
    let outcome = async {
        let page = app.api.organizer(&visit.forwarded, &id).await?;
        let l = visit.locale;
        let name = page.organizer.name.as_str();
        let description = t(l, "organizer-page-description", &[("name", name.into())]);
        let content = html! {
            header.organizer-header {
                p.muted { (l.t("organizer-page-kicker")) }
                h1 { (name) }
            }
            section aria-labelledby="upcoming" {
                h2 #upcoming { (l.t("organizer-upcoming")) }
                @if page.events.is_empty() {
                    p { (l.t("organizer-no-events")) }
                } @else {
                    ul.event-list aria-labelledby="upcoming" {
                        @for event in &page.events { (event_card(l, event)) }
                    }
                }
            }
        };
        Ok(visit.page(name, &description, &content))
    }
    .await;
    visit.respond(outcome)
}
