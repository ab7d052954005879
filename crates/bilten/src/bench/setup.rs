//! The organizer's side of a run, through the public API: sign in, an organization, a
//! published event with one ticket type; for `checkin` also a list and a paired scanner.

use reqwest::Method;

use super::api::{
    Api, CreatedDevice, CreatedEvent, CreatedList, CreatedOrganization, CreatedTicketType, Empty,
    Login, Named, NewEvent, NewOrganization, NewTicketType, PairedDevice, Pairing, SaleTarget,
    Tokens,
};
use super::platform::Platform;

/// The signed-in organizer and their organization.
pub struct Organizer {
    api: Api,
    base: String,
    token: String,
    organization: String,
}

/// A scanner paired to an event's list.
pub struct Gate {
    pub list_id: String,
    pub device_token: String,
}

impl Organizer {
    pub async fn sign_in(api: &Api, platform: &Platform) -> anyhow::Result<Self> {
        let base = platform.endpoints.api[0].clone();
        let tokens: Tokens = api
            .json(
                Method::POST,
                &format!("{base}/api/v1/auth/login"),
                None,
                Some(&Login {
                    email: &platform.organizer.email,
                    password: &platform.organizer.password,
                }),
            )
            .await?;
        let created: CreatedOrganization = api
            .json(
                Method::POST,
                &format!("{base}/api/v1/organizations"),
                Some(&tokens.access_token),
                Some(&NewOrganization { name: "Bench Hall" }),
            )
            .await?;
        Ok(Self {
            api: api.clone(),
            base,
            token: tokens.access_token,
            organization: created.organization.id,
        })
    }

    async fn post<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> anyhow::Result<T> {
        self.api
            .json(
                Method::POST,
                &format!("{}/api/v1{path}", self.base),
                Some(&self.token),
                Some(body),
            )
            .await
    }

    /// A published event with one ticket type of `capacity`, at 25.00 EUR.
    pub async fn event_on_sale(&self, title: &str, capacity: u32) -> anyhow::Result<SaleTarget> {
        let event: CreatedEvent = self
            .post(
                &format!("/organizations/{}/events", self.organization),
                &NewEvent {
                    title,
                    description: "A concert for the benchmark: one ticket type, sold out fast.",
                    starts_at: "2031-06-01T19:00:00Z",
                    ends_at: "2031-06-01T23:00:00Z",
                    timezone: "Europe/Sarajevo",
                    venue_name: "Zetra",
                    city: "Sarajevo",
                    country: "BA",
                    currency: "EUR",
                    category: "music",
                },
            )
            .await?;
        let ticket_type: CreatedTicketType = self
            .post(
                &format!("/events/{}/ticket-types", event.event.id),
                &NewTicketType {
                    name: "Standing",
                    price: 2500,
                    capacity,
                },
            )
            .await?;
        let _: serde::de::IgnoredAny = self
            .post(&format!("/events/{}/publish", event.event.id), &Empty {})
            .await?;
        Ok(SaleTarget {
            event_id: event.event.id,
            ticket_type_id: ticket_type.ticket_type.id,
        })
    }

    /// A check-in list for the event and a scanner device paired to it at `scanner_base`.
    pub async fn gate(&self, event_id: &str, scanner_base: &str) -> anyhow::Result<Gate> {
        let list: CreatedList = self
            .post(
                &format!("/events/{event_id}/checkin-lists"),
                &Named { name: "Main gate" },
            )
            .await?;
        let device: CreatedDevice = self
            .post(
                &format!("/events/{event_id}/devices"),
                &Named {
                    name: "Bench scanner",
                },
            )
            .await?;
        let paired: PairedDevice = self
            .api
            .json(
                Method::POST,
                &format!("{scanner_base}/api/v1/checkin/pair"),
                None,
                Some(&Pairing {
                    pairing_code: &device.pairing_code,
                    gate: "North",
                }),
            )
            .await?;
        Ok(Gate {
            list_id: list.checkin_list.id,
            device_token: paired.device_token,
        })
    }
}
