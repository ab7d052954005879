//! The newcomer's first minute: on the first start of the embedded default, a demo
//! organization with an organizer login and two published events (one free, one paid), so
//! the web app has something to show and to buy.
//!
//! Seeded only into a platform with no organization yet, in one transaction, so it happens
//! once: a restart finds the demo organizer and reports it again instead of seeding twice,
//! and a platform with real organizations is never touched.

use anyhow::Context;
use chrono::{DateTime, Duration, DurationRound, Utc};

use bilten_domain::{
    DisplayName, Email, EventId, OrgRole, OrganizationId, Password, PlatformRole, TicketTypeId,
    UserId,
};
use bilten_store::events::{self, EventFields, NewTicketType};
use bilten_store::organizations;
use bilten_store::users::{self, NewUser};
use bilten_store::{Store, StoreError};

use crate::passwords::PasswordHasher;

/// The demo organizer's login, printed in the start-up banner and the README.
pub const DEMO_EMAIL: &str = "organizer@demo.bilten.dev";
pub const DEMO_PASSWORD: &str = "bilten-demo-organizer";

/// What the demo consists of, for the banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demo {
    /// Seeded by this start (false: found from an earlier one).
    pub created: bool,
    pub events: Vec<(EventId, String)>,
}

/// Seeds the demo into an empty platform, or finds the one seeded before. `None` when the
/// platform has organizations but no demo (real data: left alone).
pub async fn ensure(store: &Store) -> anyhow::Result<Option<Demo>> {
    let email = Email::parse(DEMO_EMAIL).map_err(|e| anyhow::anyhow!("demo email: {e}"))?;
    if let Some(organizer) = users::find_by_email(store.primary(), &email).await? {
        return existing(store, organizer.id).await;
    }
    if organizations::any_exist(store.primary()).await? {
        return Ok(None);
    }
    let password =
        Password::parse(DEMO_PASSWORD).map_err(|e| anyhow::anyhow!("demo password: {e}"))?;
    let hasher = PasswordHasher::new(std::sync::Arc::new(tokio::sync::Semaphore::new(1)));
    let hash = hasher
        .hash(password.expose().to_owned())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let name = DisplayName::parse("Demo Organizer").map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = Utc::now();
    let user = UserId::new();
    let organization = OrganizationId::new();
    let mut tx = store.begin().await?;
    users::insert(
        &mut *tx,
        &NewUser {
            id: user,
            email: &email,
            name: &name,
            password_hash: &hash,
            platform_role: PlatformRole::User,
            verified: true,
            now,
        },
    )
    .await?;
    organizations::insert(&mut *tx, organization, "Bilten Demo Events", user, now).await?;
    organizations::add_member(&mut *tx, organization, user, OrgRole::Owner, now).await?;
    let mut seeded = Vec::new();
    for plan in plans(now) {
        let id = EventId::new();
        events::insert_event(&mut *tx, id, organization, &plan.fields, now).await?;
        for (name, price_minor, capacity) in plan.ticket_types {
            events::insert_ticket_type(
                &mut *tx,
                &NewTicketType {
                    id: TicketTypeId::new(),
                    event_id: id,
                    name: name.to_owned(),
                    description: String::new(),
                    price_minor,
                    capacity,
                    sales_start: None,
                    sales_end: None,
                    min_per_order: 1,
                    max_per_order: 10,
                    visibility: bilten_domain::Visibility::Public,
                },
                now,
            )
            .await?;
        }
        anyhow::ensure!(
            events::publish(&mut *tx, id, bilten_domain::EventStatus::publish(), now).await?,
            "the demo event could not be published"
        );
        seeded.push((id, plan.fields.title));
    }
    tx.commit()
        .await
        .map_err(StoreError::from)
        .context("saving the demo")?;
    Ok(Some(Demo {
        created: true,
        events: seeded,
    }))
}

async fn existing(store: &Store, organizer: UserId) -> anyhow::Result<Option<Demo>> {
    let Some(organization) = organizations::list_for_user(store.primary(), organizer)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let mut found: Vec<_> = events::events_of_organization(store.primary(), organization.0.id)
        .await?
        .into_iter()
        .filter(|e| e.status == bilten_domain::EventStatus::Published)
        .collect();
    found.sort_by_key(|e| e.fields.starts_at);
    Ok(Some(Demo {
        created: false,
        events: found.into_iter().map(|e| (e.id, e.fields.title)).collect(),
    }))
}

struct Plan {
    fields: EventFields,
    /// (name, price in cents, capacity)
    ticket_types: Vec<(&'static str, i64, i64)>,
}

/// Two events a few weeks ahead (relative to the first start, so they stay upcoming for a
/// while): a free meetup and a paid concert.
fn plans(now: DateTime<Utc>) -> Vec<Plan> {
    let day = now.duration_trunc(Duration::days(1)).unwrap_or(now);
    let at = |days: i64, hour: i64| day + Duration::days(days) + Duration::hours(hour);
    vec![
        Plan {
            fields: EventFields {
                title: "Open Source Meetup".to_owned(),
                description: "Lightning talks about open-source event software, then pizza.\n\nFree entry; register so we know how many chairs to put out.".to_owned(),
                starts_at: at(14, 16),
                ends_at: at(14, 19),
                timezone: "Europe/Berlin".to_owned(),
                venue_name: Some("c-base".to_owned()),
                venue_address: Some("Rungestraße 20".to_owned()),
                city: Some("Berlin".to_owned()),
                country: Some("DE".to_owned()),
                latitude: Some(52.512_940),
                longitude: Some(13.420_250),
                online_url: None,
                currency: "EUR".to_owned(),
                category: "conference".to_owned(),
                image_url: None,
                hold_minutes: 15,
                buyer_cap: 10,
            },
            ticket_types: vec![("Free admission", 0, 120)],
        },
        Plan {
            fields: EventFields {
                title: "Jazz by the River".to_owned(),
                description: "An evening of jazz on the riverside terrace: two sets and a late jam session.\n\nStanding tickets, or a seat at a table near the stage.".to_owned(),
                starts_at: at(30, 19),
                ends_at: at(30, 23),
                timezone: "Europe/Lisbon".to_owned(),
                venue_name: Some("Terraço do Rio".to_owned()),
                venue_address: Some("Cais do Sodré".to_owned()),
                city: Some("Lisbon".to_owned()),
                country: Some("PT".to_owned()),
                latitude: Some(38.705_830),
                longitude: Some(-9.144_410),
                online_url: None,
                currency: "EUR".to_owned(),
                category: "music".to_owned(),
                image_url: None,
                hold_minutes: 15,
                buyer_cap: 10,
            },
            ticket_types: vec![("Standing", 2500, 200), ("Table seat", 4500, 40)],
        },
    ]
}
