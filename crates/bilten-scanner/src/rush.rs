//! The rush path: a batch's plain entry scans decided with set-based statements.
//!
//! At a gate rush nearly every scan is the same: a code, an entry, a ticket no other scan of
//! the batch names. [`crate::scan::redeem_in`] spends five statements on each (claim, ticket,
//! admission, answer, and the savepoint around them). Here the whole group takes four, however
//! many scans it holds ([`bilten_store::scan_batch`]): the nonces claimed, the tickets read,
//! the admissions written, the answers stored. The rules do not change, only their grain:
//! the claim's and the admission's `RETURNING` say which scans the database let through, and
//! [`bilten_domain::checkin::decide`] rules on each scan as before.
//!
//! What is not plain (a scan by ticket id, an exit, a second scan of a ticket in the batch)
//! stays on the savepoint path, after this group and in the same transaction. If any
//! statement here fails, the caller rolls the whole transaction back and decides the batch
//! again scan by scan, so one bad scan still cannot take the others' answers with it.

use std::collections::HashMap;

use bilten_domain::checkin::decide;
use bilten_domain::ticket_code::{self, TicketClaims};
use bilten_domain::{CheckinId, CheckinReason, ScanDirection};
use bilten_http::ApiError;
use bilten_store::checkin::{self, ScanClaim, ScannedTicket};
use bilten_store::scan_batch::{self, Entry, Finished};
use chrono::{DateTime, Utc};

use crate::auth::db;
use crate::batch::Job;
use crate::scan::{self, answer_of, facts_for, rejected, Decision, ScanOutcome, Scanned};

/// Whether each job can take the rush path: a code scanned for entry, the first scan of its
/// ticket in the batch (the jobs are sorted by ticket, so a repeat follows its first).
pub(crate) fn eligible(jobs: &[Job]) -> Vec<bool> {
    let mut previous: Option<&str> = None;
    jobs.iter()
        .map(|job| {
            let Scanned::Code(code) = &job.scanned else {
                return false;
            };
            let first = previous != Some(code.as_str());
            previous = Some(code.as_str());
            first && job.direction == ScanDirection::Entry
        })
        .collect()
}

/// One scan of the group while it is being decided.
struct Scan<'j> {
    index: usize,
    job: &'j Job,
    /// What was scanned (every scan of the group is a code, see [`eligible`]).
    code: &'j str,
    id: CheckinId,
    /// The code's verdict on the event's keys.
    claims: Result<TicketClaims, ticket_code::CodeRejection>,
}

/// Decides the jobs at `picks` (all [`eligible`]) on `tx` and puts each answer at its index
/// in `outcomes`. An `Err` means a statement failed and `tx` must be rolled back.
pub(crate) async fn decide_group(
    tx: &mut bilten_store::Conn,
    jobs: &[Job],
    picks: &[usize],
    now: DateTime<Utc>,
    outcomes: &mut [Option<Result<ScanOutcome, ApiError>>],
) -> Result<(), ApiError> {
    let scans: Vec<Scan<'_>> = picks
        .iter()
        .filter_map(|&index| {
            let job = &jobs[index];
            let Scanned::Code(code) = &job.scanned else {
                return None;
            };
            Some(Scan {
                index,
                job,
                code,
                id: CheckinId::new(),
                claims: ticket_code::verify(code, &job.keys),
            })
        })
        .collect();

    // 1. The nonces: a scan whose claim is not written is a retry (answered at the end).
    let claims: Vec<ScanClaim<'_>> = scans
        .iter()
        .map(|s| ScanClaim {
            id: s.id,
            event_id: s.job.list.event_id,
            list_id: s.job.list.id,
            nonce: &s.job.nonce,
            device_id: s.job.caller.device().map(|d| d.id),
            user_id: s.job.caller.user(),
            gate: s.job.caller.device().and_then(|d| d.gate.as_deref()),
            direction: s.job.direction,
            offline: s.job.offline_result.is_some(),
            scanned_at: s.job.scanned_at,
            recorded_at: now,
        })
        .collect();
    let claimed = scan_batch::claim_nonces(tx, &claims).await.map_err(db)?;
    let (fresh, retries): (Vec<&Scan<'_>>, Vec<&Scan<'_>>) =
        scans.iter().partition(|s| claimed.contains(&s.id));

    // 2. The tickets of the genuine codes.
    let codes: Vec<&str> = fresh
        .iter()
        .filter(|s| s.claims.is_ok())
        .map(|s| s.code)
        .collect();
    let tickets: HashMap<String, ScannedTicket> = scan_batch::tickets_by_codes(tx, &codes)
        .await
        .map_err(db)?
        .into_iter()
        .map(|t| (t.code.clone(), t))
        .collect();

    // 3. Each scan's decision; those that may enter are admitted together below.
    let mut decisions = Vec::with_capacity(fresh.len());
    for scan in &fresh {
        decisions.push(decision_before_entry(tx, scan, &tickets).await?);
    }
    admit(tx, &fresh, &mut decisions).await?;

    // 4. The answers, stored with the claims in one statement.
    let mut answered = Vec::with_capacity(fresh.len());
    for (scan, decision) in fresh.iter().zip(&decisions) {
        let (answer, conflict) = answer_of(&scan.job.request(), decision, scan.id)?;
        let stored = serde_json::to_string(&answer).map_err(|e| ApiError::internal(&e))?;
        answered.push((answer, conflict, stored));
    }
    let finished: Vec<Finished<'_>> = fresh
        .iter()
        .zip(&decisions)
        .zip(&answered)
        .map(|((scan, decision), (_, conflict, stored))| Finished {
            id: scan.id,
            result: decision.reason,
            ticket: decision.ticket.as_ref().map(|t| t.id),
            detail: decision.detail,
            conflict: *conflict,
            response: stored,
        })
        .collect();
    scan_batch::finish_scans(tx, &finished).await.map_err(db)?;
    for ((scan, decision), (answer, conflict, _)) in fresh.iter().zip(&decisions).zip(answered) {
        outcomes[scan.index] = Some(Ok(ScanOutcome {
            answer,
            replayed: false,
            reason: Some(decision.reason),
            conflict,
        }));
    }

    // 5. Retries get the first answer (a retry within this batch reads the one just stored).
    for scan in retries {
        outcomes[scan.index] = Some(scan::replayed(tx, &scan.job.request()).await);
    }
    Ok(())
}

/// Writes the entries of the scans decided `ok`, together (one statement per re-entry rule);
/// a scan whose ticket the database did not let in becomes `already_redeemed`, the last step
/// of `decide`'s precedence: someone was faster.
async fn admit(
    tx: &mut bilten_store::Conn,
    fresh: &[&Scan<'_>],
    decisions: &mut [Decision],
) -> Result<(), ApiError> {
    let mut entries: [Vec<Entry<'_>>; 2] = [Vec::new(), Vec::new()];
    for (scan, decision) in fresh.iter().zip(decisions.iter()) {
        if let (true, Some(ticket)) = (decision.reason.is_ok(), &decision.ticket) {
            entries[usize::from(scan.job.list.reentry_allowed)].push(Entry {
                list: scan.job.list.id,
                ticket: ticket.id,
                gate: scan.job.caller.device().and_then(|d| d.gate.as_deref()),
                device: scan.job.caller.device().map(|d| d.id),
                at: scan.job.scanned_at,
            });
        }
    }
    let mut admitted = scan_batch::admit_entries(tx, &entries[0], false)
        .await
        .map_err(db)?;
    admitted.extend(
        scan_batch::admit_entries(tx, &entries[1], true)
            .await
            .map_err(db)?,
    );
    for (scan, decision) in fresh.iter().zip(decisions.iter_mut()) {
        let Some(ticket) = decision.ticket.as_ref().filter(|_| decision.reason.is_ok()) else {
            continue;
        };
        if !admitted.contains(&(scan.job.list.id, ticket.id)) {
            decision.reason = CheckinReason::AlreadyRedeemed;
            decision.first = checkin::state_of(&mut *tx, scan.job.list.id, ticket.id)
                .await
                .map_err(db)?;
        }
    }

    Ok(())
}

/// A scan's decision before admission: a rejection, or `ok` with its ticket (then admitted
/// or not by the database).
async fn decision_before_entry(
    tx: &mut bilten_store::Conn,
    scan: &Scan<'_>,
    tickets: &HashMap<String, ScannedTicket>,
) -> Result<Decision, ApiError> {
    let claims = match &scan.claims {
        Ok(claims) => claims,
        Err(rejection) => {
            return Ok(rejected(
                CheckinReason::from(*rejection),
                rejection.as_str(),
                None,
            ))
        }
    };
    let event = scan.job.list.event_id;
    let ticket = match tickets.get(scan.code).filter(|t| t.event_id == event) {
        Some(ticket) if ticket.id == claims.ticket_id => ticket.clone(),
        Some(_) => return Ok(rejected(CheckinReason::Invalid, "ticket_mismatch", None)),
        None => {
            // A genuine code that is no longer a ticket's current code: revoked.
            let old = checkin::ticket_of_revoked_code(&mut *tx, event, scan.code)
                .await
                .map_err(db)?;
            return Ok(match old {
                Some(ticket) => rejected(CheckinReason::Revoked, "revoked_code", Some(ticket)),
                None => rejected(CheckinReason::Invalid, "unknown_ticket", None),
            });
        }
    };
    let request = scan.job.request();
    let reason = decide(&facts_for(&ticket, Some(claims), &request));
    Ok(Decision {
        reason,
        detail: None,
        ticket: Some(ticket),
        first: None,
    })
}
