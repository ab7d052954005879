//! Bilten's domain: the types and rules of ticketing, with no I/O and no async.
//!
//! Everything that crosses the API boundary is parsed into one of these types once
//! ("parse, don't validate"); code past that point can rely on the invariants.

pub mod allocation;
pub mod checkin;
pub mod email;
pub mod event;
pub mod event_status;
pub mod id;
pub mod mail;
pub mod money;
pub mod offline;
#[cfg(feature = "openapi")]
mod openapi;
pub mod order;
pub mod password;
pub mod payment;
pub mod profile;
pub mod promo;
pub mod quantity;
pub mod refund;
pub mod role;
pub mod state;
pub mod ticket_code;
pub mod totp;
pub mod validation;
pub mod webauthn;

pub use checkin::{CheckinReason, ScanDirection, TimeWindow};
pub use email::Email;
pub use event::{Category, Coordinates, Country, EventTitle, SalesWindow, Slug, TimeZoneName};
pub use event_status::{EventStatus, Visibility};
pub use id::{
    CheckinId, CheckinListId, DeviceId, EventId, InvitationId, LeaseId, OrderId, OrganizationId,
    PasskeyId, PaymentId, PromoCodeId, QuotaId, RefundId, SessionId, TicketId, TicketTypeId,
    UserId,
};
pub use mail::MailStatus;
pub use money::{Currency, Money, MoneyError, Price};
pub use order::{KeyStatus, OrderStatus, RevocationReason, TicketStatus};
pub use password::Password;
pub use payment::{PaymentProvider, PaymentStatus};
pub use profile::DisplayName;
pub use promo::{Discount, DiscountKind, PromoCode};
pub use quantity::{Capacity, Quantity};
pub use refund::{RefundReason, RefundStatus};
pub use role::{OrgRole, PlatformRole};
pub use state::{IllegalTransition, StateMachine, TextEnum, Transition};
pub use validation::{FieldError, FieldErrors};
