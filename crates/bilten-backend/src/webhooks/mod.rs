//! Room **webhooks**: what payment providers tell us (`POST /webhooks/stripe`). A paid
//! session completes its order through the checkout room; a refund made outside Bilten is
//! recorded through the refunds room.

pub(crate) mod stripe;

use crate::routing::{route, Route};

/// The room's routes and who may call each; the handlers' `#[utoipa::path]` give method and
/// path (see [`crate::routing`]).
pub(crate) const ROUTES: &[Route] = &[
    // Called by Stripe; the Stripe-Signature header is the credential.
    route!(Public, stripe::stripe),
];
