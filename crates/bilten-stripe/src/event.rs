//! <https://docs.stripe.com/api/events/object>: what a webhook delivers.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::ids::EventId;
use crate::objects::{Charge, CheckoutSession};

pub const CHECKOUT_SESSION_COMPLETED: &str = "checkout.session.completed";
pub const CHECKOUT_SESSION_EXPIRED: &str = "checkout.session.expired";
pub const CHARGE_REFUNDED: &str = "charge.refunded";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds.
    pub created: i64,
    pub data: EventData,
    #[serde(default)]
    pub livemode: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventData {
    /// The object the event is about, as it was when the event happened.
    pub object: serde_json::Value,
}

impl Event {
    fn object_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.data.object)
    }

    /// The session of a `checkout.session.*` event.
    pub fn checkout_session(&self) -> Result<CheckoutSession, serde_json::Error> {
        self.object_as()
    }

    /// The charge of a `charge.*` event.
    pub fn charge(&self) -> Result<Charge, serde_json::Error> {
        self.object_as()
    }
}
