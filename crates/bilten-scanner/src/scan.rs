//! Deciding and recording one scan.
//!
//! 1. The code is verified against the event's public keys before any database work (any
//!    string is fine input; wrong ones are `invalid`, never an error).
//! 2. In one transaction: the nonce is claimed (a retry gets the first answer back), the
//!    ticket's facts are read, [`bilten_domain::checkin::decide`] says what the answer would be
//!    for a ticket not yet inside, and only if that is `ok` does the conditional write in
//!    [`checkin::admit_entry`] try to let it in. If the database says someone was faster, the
//!    answer is `already_redeemed` — the last step of `decide`'s precedence, so the two agree.
//! 3. The answer is stored with the log row and returned.
//!
//! Scans that arrive together share a commit (group commit, [`crate::batch`]): each is still
//! decided on its own, inside a savepoint of the batch's transaction, so one scan's error
//! never touches another's result.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bilten_api::checkin::{ScanAnswer, ScanStatus, ScannedTicket as TicketView};
use bilten_domain::checkin::{decide, CheckinFacts};
use bilten_domain::ticket_code::{self, PublicKeyEntry, TicketClaims};
use bilten_domain::{CheckinId, CheckinReason, ScanDirection, TicketId, TimeWindow};
use bilten_http::ApiError;
use bilten_store::checkin::{self, ListRecord, ScanClaim, ScannedTicket};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::auth::{db, Caller};
use crate::gate_cache::Keys;
use crate::ScannerState;

/// Longest code string looked at; a real code is 146 characters. Longer input is refused
/// with a 422 before any work.
pub const MAX_CODE_LEN: usize = 2048;
/// Client nonces: 8 to 100 printable ASCII characters (a UUID is typical).
const NONCE_LEN: std::ops::RangeInclusive<usize> = 8..=100;

/// What was scanned: a code, or (from the name search) a ticket id.
#[derive(Debug, Clone)]
pub enum Scanned {
    Code(String),
    Ticket(TicketId),
}

/// One scan to decide.
#[derive(Debug, Clone)]
pub struct ScanRequest<'a> {
    pub scanned: Scanned,
    pub list: &'a Arc<ListRecord>,
    pub nonce: &'a str,
    pub direction: ScanDirection,
    /// When the scan happened (now, or the device's time for an offline upload).
    pub scanned_at: DateTime<Utc>,
    /// For uploads: what the device answered while offline.
    pub offline_result: Option<CheckinReason>,
}

pub fn check_nonce(nonce: &str) -> Result<(), ApiError> {
    if NONCE_LEN.contains(&nonce.len()) && nonce.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            bilten_http::ErrorCode::InvalidNonce,
            "Send a nonce of 8 to 100 printable ASCII characters (a fresh UUID per scan).",
        )
        .with_field(
            "nonce",
            "invalid_nonce",
            "8 to 100 printable ASCII characters.",
        ))
    }
}

pub fn check_code(code: &str) -> Result<(), ApiError> {
    if code.len() > MAX_CODE_LEN {
        return Err(ApiError::bad_request(
            bilten_http::ErrorCode::CodeTooLong,
            "That is not a ticket code.",
        )
        .with_field("code", "too_long", "At most 2048 characters."));
    }
    Ok(())
}

/// The event's trusted keys, parsed, able to judge `code` (when one was scanned): the kept
/// set, or a fresh read when none is kept or `code` names a key the kept set lacks (see
/// [`crate::gate_cache`]). A stored key that does not parse is skipped (and logged): one bad
/// row must not stop the gates.
pub async fn event_keys(
    state: &ScannerState,
    event: bilten_domain::EventId,
    code: Option<&str>,
) -> Result<Keys, ApiError> {
    if let Some(keys) = state.gate.keys_for(event, code) {
        return Ok(keys);
    }
    let rows = checkin::active_public_keys(state.store.primary(), event)
        .await
        .map_err(db)?;
    let keys = rows
        .iter()
        .filter_map(|(key_id, b64)| {
            let bytes: [u8; 32] = STANDARD.decode(b64).ok()?.try_into().ok()?;
            let entry = PublicKeyEntry::from_bytes(&bytes).ok();
            if entry.is_none() {
                tracing::error!(%event, key_id, "stored event key does not parse");
            }
            entry
        })
        .collect();
    Ok(state.gate.keep_keys(event, keys))
}

fn ticket_view(ticket: &ScannedTicket) -> Result<TicketView, ApiError> {
    Ok(TicketView {
        id: ticket.id,
        type_name: ticket.ticket_type_name.clone(),
        type_id: ticket.ticket_type_id,
        holder_name: ticket.holder_name.clone(),
        order_id: bilten_domain::OrderId::from_db(&ticket.order_id).map_err(|e| {
            ApiError::internal(&format_args!("ticket {}: stored order id: {e}", ticket.id))
        })?,
    })
}

/// Text a person at the gate reads next to the colour.
pub fn message(reason: CheckinReason) -> &'static str {
    match reason {
        CheckinReason::Ok => "Valid — let them in.",
        CheckinReason::AlreadyRedeemed => "Already checked in.",
        CheckinReason::Invalid => "Not a valid ticket for this event.",
        CheckinReason::Revoked => "This code was replaced by a newer ticket.",
        CheckinReason::Canceled => "Ticket canceled or refunded.",
        CheckinReason::Unpaid => "Order not paid.",
        CheckinReason::Product => "Ticket type not admitted on this list.",
        CheckinReason::InvalidTime => "Not valid at this time.",
    }
}

/// The decided scan, before it is written.
pub(crate) struct Decision {
    pub reason: CheckinReason,
    pub detail: Option<&'static str>,
    pub ticket: Option<ScannedTicket>,
    pub first: Option<checkin::StateRecord>,
}

pub(crate) fn facts_for(
    ticket: &ScannedTicket,
    claims: Option<&TicketClaims>,
    request: &ScanRequest<'_>,
) -> CheckinFacts {
    CheckinFacts {
        ticket_status: ticket.status,
        order_status: ticket.order_status,
        list_admits_type: request.list.admits(ticket.ticket_type_id),
        list_window: TimeWindow {
            not_before: request.list.not_before,
            not_after: request.list.not_after,
        },
        ticket_window: claims.map_or(TimeWindow::OPEN, TicketClaims::window),
        now: request.scanned_at,
        direction: request.direction,
        // The database decides this one (below); decide() only rules out everything else.
        already_checked_in: false,
        reentry_allowed: request.list.reentry_allowed,
        last_direction: None,
    }
}

pub(crate) fn rejected(
    reason: CheckinReason,
    detail: &'static str,
    ticket: Option<ScannedTicket>,
) -> Decision {
    Decision {
        reason,
        detail: Some(detail),
        ticket,
        first: None,
    }
}

/// The ticket a code names, with its claims; or the decision when there is none to admit
/// (forged, damaged, another event's, revoked).
async fn ticket_for_code(
    tx: &mut bilten_store::Conn,
    event: bilten_domain::EventId,
    code: &str,
    keys: &[PublicKeyEntry],
) -> Result<Result<(ScannedTicket, Option<TicketClaims>), Decision>, ApiError> {
    let claims = match ticket_code::verify(code, keys) {
        Ok(claims) => claims,
        Err(rejection) => {
            return Ok(Err(rejected(
                CheckinReason::from(rejection),
                rejection.as_str(),
                None,
            )))
        }
    };
    match checkin::ticket_by_code(&mut *tx, event, code)
        .await
        .map_err(db)?
    {
        Some(ticket) if ticket.id == claims.ticket_id => Ok(Ok((ticket, Some(claims)))),
        Some(_) => Ok(Err(rejected(
            CheckinReason::Invalid,
            "ticket_mismatch",
            None,
        ))),
        None => {
            // A genuine code that is no longer a ticket's current code: revoked.
            let old = checkin::ticket_of_revoked_code(&mut *tx, event, code)
                .await
                .map_err(db)?;
            Ok(Err(match old {
                Some(ticket) => rejected(CheckinReason::Revoked, "revoked_code", Some(ticket)),
                None => rejected(CheckinReason::Invalid, "unknown_ticket", None),
            }))
        }
    }
}

/// Decides a scan inside `tx` and applies its effect on the admission state.
async fn decide_in(
    tx: &mut bilten_store::Conn,
    request: &ScanRequest<'_>,
    keys: &[PublicKeyEntry],
    gate: Option<&str>,
    caller: &Caller,
) -> Result<Decision, ApiError> {
    let event = request.list.event_id;
    let (ticket, claims) = match &request.scanned {
        Scanned::Code(code) => match ticket_for_code(tx, event, code, keys).await? {
            Ok(found) => found,
            Err(decision) => return Ok(decision),
        },
        Scanned::Ticket(id) => {
            let Some(ticket) = checkin::ticket_by_id(&mut *tx, event, *id)
                .await
                .map_err(db)?
            else {
                return Ok(rejected(CheckinReason::Invalid, "unknown_ticket", None));
            };
            let claims = ticket_code::verify(&ticket.code, keys).ok();
            (ticket, claims)
        }
    };
    let facts = facts_for(&ticket, claims.as_ref(), request);
    let mut reason = decide(&facts);
    let mut first = None;
    if reason.is_ok() {
        match request.direction {
            ScanDirection::Entry => {
                let admitted = checkin::admit_entry(
                    &mut *tx,
                    request.list.id,
                    ticket.id,
                    request.list.reentry_allowed,
                    gate,
                    caller.device().map(|d| d.id),
                    request.scanned_at,
                )
                .await
                .map_err(db)?;
                if !admitted {
                    reason = CheckinReason::AlreadyRedeemed;
                    first = checkin::state_of(&mut *tx, request.list.id, ticket.id)
                        .await
                        .map_err(db)?;
                }
            }
            ScanDirection::Exit => {
                checkin::record_exit(&mut *tx, request.list.id, ticket.id, request.scanned_at)
                    .await
                    .map_err(db)?;
            }
        }
    }
    Ok(Decision {
        reason,
        detail: None,
        ticket: Some(ticket),
        first,
    })
}

/// Decides and records one scan; returns the JSON answer (the first answer for a reused
/// nonce) and whether it was a replay. The scan joins this process's next batch.
pub async fn redeem(
    state: &ScannerState,
    caller: &Caller,
    request: &ScanRequest<'_>,
    keys: &Keys,
) -> Result<(ScanAnswer, bool), ApiError> {
    state.redeems.redeem(state, caller, request, keys).await
}

/// What a scan decided, for the metrics once its batch has committed.
pub(crate) struct ScanOutcome {
    pub answer: ScanAnswer,
    pub replayed: bool,
    pub reason: Option<CheckinReason>,
    pub conflict: bool,
}

/// The answer first given for a scan whose nonce was claimed before (a retry).
pub(crate) async fn replayed(
    tx: &mut bilten_store::Conn,
    request: &ScanRequest<'_>,
) -> Result<ScanOutcome, ApiError> {
    let stored = checkin::response_for_nonce(&mut *tx, request.list.event_id, request.nonce)
        .await
        .map_err(db)?;
    let Some(stored) = stored.and_then(|text| serde_json::from_str::<ScanAnswer>(&text).ok())
    else {
        return Err(ApiError::conflict(
            bilten_http::ErrorCode::ScanInProgress,
            "A scan with this nonce is still being decided; retry in a moment.",
        ));
    };
    Ok(ScanOutcome {
        answer: stored,
        replayed: true,
        reason: None,
        conflict: false,
    })
}

/// What the gate is told about a decided scan, and whether it contradicts what the device
/// answered while offline (an offline `ok` for a ticket that had entered already).
pub(crate) fn answer_of(
    request: &ScanRequest<'_>,
    decision: &Decision,
    id: CheckinId,
) -> Result<(ScanAnswer, bool), ApiError> {
    let conflict = request.offline_result == Some(CheckinReason::Ok)
        && decision.reason == CheckinReason::AlreadyRedeemed;
    let answer = ScanAnswer {
        status: if decision.reason.is_ok() {
            ScanStatus::Ok
        } else {
            ScanStatus::Error
        },
        reason: decision.reason,
        message: message(decision.reason).to_owned(),
        direction: request.direction,
        ticket: decision.ticket.as_ref().map(ticket_view).transpose()?,
        first_scanned_at: decision.first.as_ref().map(|f| f.first_at),
        first_gate: decision.first.as_ref().and_then(|f| f.first_gate.clone()),
        conflict,
        nonce: request.nonce.to_owned(),
        checkin_id: id,
        replayed: false,
    };
    Ok((answer, conflict))
}

/// Decides and records one scan on `tx` (a savepoint of its batch's transaction).
pub(crate) async fn redeem_in(
    tx: &mut bilten_store::Conn,
    caller: &Caller,
    request: &ScanRequest<'_>,
    keys: &[PublicKeyEntry],
    now: DateTime<Utc>,
) -> Result<ScanOutcome, ApiError> {
    let gate = caller.device().and_then(|d| d.gate.clone());
    let direction = request.direction;
    let id = CheckinId::new();
    let claimed = checkin::claim_nonce(
        &mut *tx,
        &ScanClaim {
            id,
            event_id: request.list.event_id,
            list_id: request.list.id,
            nonce: request.nonce,
            device_id: caller.device().map(|d| d.id),
            user_id: caller.user(),
            gate: gate.as_deref(),
            direction,
            offline: request.offline_result.is_some(),
            scanned_at: request.scanned_at,
            recorded_at: now,
        },
    )
    .await
    .map_err(db)?;
    if !claimed {
        return replayed(tx, request).await;
    }
    let decision = decide_in(tx, request, keys, gate.as_deref(), caller).await?;
    let (answer, conflict) = answer_of(request, &decision, id)?;
    let stored_answer = serde_json::to_string(&answer).map_err(|e| ApiError::internal(&e))?;
    checkin::finish_scan(
        &mut *tx,
        id,
        decision.reason,
        decision.ticket.as_ref().map(|t| t.id),
        decision.detail,
        conflict,
        &stored_answer,
    )
    .await
    .map_err(db)?;
    Ok(ScanOutcome {
        answer,
        replayed: false,
        reason: Some(decision.reason),
        conflict,
    })
}
