//! Check-in: the organizer's side in the backend (`/events/{id}/checkin-lists`, `/devices`,
//! `/checkin-stats`, `/checkin-log`) and the gate's side in the scanner role
//! (`/api/v1/checkin/…`: pairing, lists, redeem, offline sync and uploads, search, counts).
//!
//! Timestamps here keep the `+00:00` form the check-in API always had (see
//! [`crate::wire::offset_time`]): scanner apps in the field read them.

use bilten_domain::offline::SealedEntry;
use bilten_domain::{
    CheckinId, CheckinListId, DeviceId, EventId, OrderId, TicketId, TicketTypeId, UserId,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use bilten_domain::{CheckinReason, ScanDirection};

use crate::orders::OrderStatus;
use crate::tickets::TicketStatus;
use crate::wire::{offset_time, wire_enum};

// ---------------------------------------------------------------------------------------
// Organizer side (backend)

/// `POST /events/{id}/checkin-lists`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Main entrance", "reentry_allowed": true}))]
pub struct CreateCheckinListRequest {
    /// Required: 1–100 characters.
    pub name: Option<String>,
    /// Absent or null: every ticket type of the event (including ones added later).
    pub ticket_type_ids: Option<Vec<String>>,
    /// RFC 3339; scans before it are `invalid_time`.
    pub not_before: Option<String>,
    /// RFC 3339; scans after it are `invalid_time`.
    pub not_after: Option<String>,
    /// Whether a person who left may enter again (default false).
    pub reentry_allowed: Option<bool>,
}

/// A check-in list: which tickets one gate (or a group of gates) admits, and when.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckinList {
    pub id: CheckinListId,
    pub event_id: EventId,
    pub name: String,
    /// True: every ticket type of the event, including ones added later.
    pub all_ticket_types: bool,
    /// Empty when `all_ticket_types`.
    pub ticket_type_ids: Vec<TicketTypeId>,
    #[serde(with = "offset_time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub not_before: Option<DateTime<Utc>>,
    #[serde(with = "offset_time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub not_after: Option<DateTime<Utc>>,
    pub reentry_allowed: bool,
    #[serde(with = "offset_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
}

/// `201` of `POST /events/{id}/checkin-lists`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckinListResponse {
    pub checkin_list: CheckinList,
}

/// `GET /events/{id}/checkin-lists`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckinListList {
    pub items: Vec<CheckinList>,
}

/// `POST /events/{id}/devices`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Gate A, left"}))]
pub struct CreateDeviceRequest {
    /// Required: 1–100 characters.
    pub name: Option<String>,
}

wire_enum! {
    /// Where a scanner device stands.
    pub enum DeviceStatus {
        /// Created; its pairing code is waiting to be used.
        Pending => "pending",
        /// Paired: it scans with its own token.
        Paired => "paired",
        /// Its pairing code ran out unused.
        Expired => "expired",
        /// Revoked: its token no longer works.
        Revoked => "revoked",
    }
}

/// A scanner device of an event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Device {
    pub id: DeviceId,
    pub event_id: EventId,
    pub name: String,
    pub status: DeviceStatus,
    /// The gate it said it stands at when paired.
    pub gate: Option<String>,
    /// Only while `pending`: the one-time code the scanner app pairs with.
    pub pairing_code: Option<String>,
    #[serde(with = "offset_time")]
    #[schema(value_type = String, format = DateTime)]
    pub pairing_expires_at: DateTime<Utc>,
    #[serde(with = "offset_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    #[serde(with = "offset_time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paired_at: Option<DateTime<Utc>>,
    #[serde(with = "offset_time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<DateTime<Utc>>,
    /// To the minute.
    #[serde(with = "offset_time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// `201` of `POST /events/{id}/devices`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedDevice {
    pub device: Device,
    pub pairing_code: Option<String>,
    /// The pairing code as a QR image (SVG), for the scanner app's camera.
    pub pairing_qr_url: String,
}

/// `GET /events/{id}/devices`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviceList {
    pub items: Vec<Device>,
}

/// Check-in counts of one ticket type on one list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketTypeCheckins {
    pub ticket_type_id: TicketTypeId,
    pub name: String,
    /// Valid tickets of paid orders.
    pub expected: i64,
    pub checked_in: i64,
    pub inside: i64,
}

/// Check-in counts of one list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ListCheckins {
    pub list_id: CheckinListId,
    pub name: String,
    pub expected: i64,
    pub checked_in: i64,
    pub inside: i64,
    /// Over the last five minutes.
    pub scans_per_minute: f64,
    pub ticket_types: Vec<TicketTypeCheckins>,
}

/// `GET /events/{id}/checkin-stats`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckinStats {
    pub event_id: EventId,
    pub lists: Vec<ListCheckins>,
    #[serde(with = "offset_time")]
    #[schema(value_type = String, format = DateTime)]
    pub generated_at: DateTime<Utc>,
}

/// One scan in the log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckinLogEntry {
    pub id: CheckinId,
    pub list_id: CheckinListId,
    pub list_name: String,
    /// The device that scanned, or `null` for a staff member's own login.
    pub device_id: Option<DeviceId>,
    pub device_name: Option<String>,
    /// The staff member who scanned without a device.
    pub user_id: Option<UserId>,
    pub gate: Option<String>,
    /// `null` when the code matched no ticket.
    pub ticket_id: Option<TicketId>,
    pub holder_name: Option<String>,
    pub direction: ScanDirection,
    pub result: CheckinReason,
    pub detail: Option<String>,
    /// Scanned offline and uploaded later.
    pub offline: bool,
    /// Admitted offline although the ticket had already entered.
    pub conflict: bool,
    #[serde(with = "offset_time")]
    #[schema(value_type = String, format = DateTime)]
    pub scanned_at: DateTime<Utc>,
    #[serde(with = "offset_time")]
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: DateTime<Utc>,
}

// ---------------------------------------------------------------------------------------
// Gate side (scanner role, `/api/v1/checkin/…`)

/// `POST /checkin/pair`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"pairing_code": "ABCDE-FGHJK", "gate": "North"}))]
pub struct PairRequest {
    /// The code shown by the organizer (case, spaces and the dash do not matter).
    pub pairing_code: String,
    /// Where the device stands (up to 60 characters).
    pub gate: Option<String>,
}

/// A device as the scanner shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScannerDevice {
    pub id: DeviceId,
    pub name: String,
    pub gate: Option<String>,
}

/// The event a device scans for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScannerEvent {
    pub id: EventId,
    pub title: String,
}

/// A check-in list as a device needs it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScannerList {
    pub id: CheckinListId,
    pub name: String,
    pub all_ticket_types: bool,
    pub ticket_type_ids: Vec<TicketTypeId>,
    /// The same ids as plain UUIDs, as they appear inside ticket codes (offline checks).
    pub ticket_type_uuids: Vec<String>,
    #[serde(with = "offset_time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub not_before: Option<DateTime<Utc>>,
    #[serde(with = "offset_time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub not_after: Option<DateTime<Utc>>,
    pub reentry_allowed: bool,
}

/// `201` of `POST /checkin/pair`: the device's token (shown once) and what it scans for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Paired {
    /// Send as `Authorization: Bearer …` from now on.
    pub device_token: String,
    pub device: ScannerDevice,
    pub event: ScannerEvent,
    pub lists: Vec<ScannerList>,
}

/// `GET /checkin/lists`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScannerLists {
    pub event: ScannerEvent,
    /// The calling device; `null` for a staff member's login.
    pub device: Option<ScannerDevice>,
    pub items: Vec<ScannerList>,
}

/// `POST /checkin/redeem`: a scanned code, or a ticket found with the search.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "BT1.…", "list_id": "cll_0190f5d2a3b47c8e9d0a1b2c3d4e5f60",
    "nonce": "3f2b9c1e-5d7a-4b8e-9f01-23456789abcd"}))]
pub struct RedeemRequest {
    /// The QR code's text (either this or `ticket_id`).
    pub code: Option<String>,
    /// A ticket from `GET /checkin/search` (either this or `code`).
    pub ticket_id: Option<String>,
    pub list_id: String,
    /// Fresh per scan, 8–100 visible ASCII characters: a retry with the same nonce gets the
    /// first answer (`replayed: true`).
    pub nonce: String,
    /// Default `entry`.
    pub direction: Option<ScanDirection>,
}

wire_enum! {
    /// Green or red at the gate.
    pub enum ScanStatus {
        Ok => "ok",
        Error => "error",
    }
}

/// The ticket a scan found.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScannedTicket {
    pub id: TicketId,
    /// The ticket type's name.
    #[serde(rename = "type")]
    pub type_name: String,
    pub type_id: TicketTypeId,
    pub holder_name: String,
    pub order_id: OrderId,
}

/// The answer to one scan (`POST /checkin/redeem`, and each result of an upload).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScanAnswer {
    pub status: ScanStatus,
    pub reason: CheckinReason,
    /// What the person at the gate reads.
    pub message: String,
    pub direction: ScanDirection,
    pub ticket: Option<ScannedTicket>,
    /// When the ticket first entered (for `already_redeemed`).
    #[serde(with = "offset_time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_scanned_at: Option<DateTime<Utc>>,
    pub first_gate: Option<String>,
    /// Admitted offline although it had already entered.
    pub conflict: bool,
    pub nonce: String,
    pub checkin_id: CheckinId,
    /// True when this nonce was answered before and this is that answer again.
    #[serde(default)]
    pub replayed: bool,
}

/// `GET /checkin/sync`: everything a device needs to decide alone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SyncAnswer {
    pub event: ScannerEvent,
    pub list: ScannerList,
    pub public_keys: Vec<ScannerKey>,
    /// The one-way lookup key of each revoked code (a lost device holds no codes).
    pub revoked: Vec<String>,
    /// One sealed entry per admissible ticket, opened only with its code.
    #[schema(value_type = Vec<SealedTicket>)]
    pub entries: Vec<SealedEntry>,
    /// True when this is everything (no `since`), false for changes only.
    pub full: bool,
    /// Pass as `since` next time.
    pub cursor: String,
    #[serde(with = "offset_time")]
    #[schema(value_type = String, format = DateTime)]
    pub server_time: DateTime<Utc>,
}

/// The wire form of a sealed entry (`bilten_domain::offline::SealedEntry`): a ticket's
/// display data, encrypted under a key derived from its code.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SealedTicket {
    /// The lookup key of the ticket's code.
    pub lookup: String,
    pub nonce_b64: String,
    /// AES-GCM ciphertext with its tag.
    pub ciphertext_b64: String,
}

/// An event public key, as the scanner syncs it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScannerKey {
    pub key_id: String,
    /// Base64 of the 32-byte Ed25519 key.
    pub public_key: String,
}

/// One scan of `POST /checkin/uploads`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadScan {
    pub code: Option<String>,
    pub ticket_id: Option<String>,
    pub list_id: String,
    pub nonce: String,
    /// RFC 3339; at most five minutes ahead of the server.
    pub scanned_at: String,
    pub direction: Option<ScanDirection>,
    /// What the device answered offline (`ok`, …); used to spot double admissions.
    pub offline_result: Option<String>,
}

/// `POST /checkin/uploads`: scans made offline, at most 500.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    pub scans: Vec<UploadScan>,
}

/// Why one uploaded scan was refused.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadRefusal {
    pub nonce: String,
    pub error: UploadError,
}

/// The code and message of a refused upload item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadError {
    pub code: crate::ErrorCode,
    pub message: String,
}

/// The result of one uploaded scan, in upload order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum UploadResult {
    Scanned(ScanAnswer),
    Refused(UploadRefusal),
}

/// `200` of `POST /checkin/uploads`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadAnswer {
    pub results: Vec<UploadResult>,
    pub admitted: u64,
    pub rejected: u64,
    pub conflicts: u64,
}

/// A ticket found by `GET /checkin/search`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchHit {
    pub ticket_id: TicketId,
    pub holder_name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub order_id: OrderId,
    pub ticket_status: TicketStatus,
    pub order_status: OrderStatus,
    /// Whether this list admits its ticket type.
    pub admitted_on_list: bool,
    #[serde(with = "offset_time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub checked_in_at: Option<DateTime<Utc>>,
    pub inside: bool,
}

/// `GET /checkin/search`: at most 25.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchAnswer {
    pub items: Vec<SearchHit>,
}

/// `GET /checkin/counts`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ListCounts {
    pub list_id: CheckinListId,
    pub checked_in: i64,
    pub inside: i64,
    pub expected: i64,
}
