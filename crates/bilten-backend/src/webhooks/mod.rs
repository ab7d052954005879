//! Room **webhooks**: what payment providers tell us (`POST /webhooks/stripe`). A paid
//! session completes its order through the checkout room; a refund made outside Bilten is
//! recorded through the refunds room.

pub(crate) mod stripe;
