//! `/api/v1/checkin/…`: pairing, lists, redeem, offline sync and uploads, search, counts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use bilten_domain::{CheckinReason, EventId, ScanDirection, TicketId};
use bilten_http::extract::JsonAllowingNul;
use bilten_http::{ApiError, Json, Query};
use bilten_store::checkin::{self, ListRecord, SyncTicket};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{check_event, db, list_for, new_device_token, token_hash, Caller};
use crate::scan::{self, check_code, check_nonce, ScanRequest, Scanned};
use crate::ScannerState;

/// Most scans accepted in one upload.
const UPLOAD_MAX: usize = 500;
/// Overlap of sync windows: rows committed late with an earlier timestamp are sent again
/// rather than missed (entries are keyed, so a device simply replaces them).
const SYNC_OVERLAP_MS: i64 = 5_000;
/// How far ahead of the server's clock an offline scan time may be (a device's clock drift).
const FUTURE_TOLERANCE_SECS: i64 = 300;

pub fn routes() -> Router<ScannerState> {
    Router::new()
        .route("/pair", post(pair))
        .route("/lists", get(lists))
        .route("/redeem", post(redeem))
        .route("/sync", get(sync))
        .route("/uploads", post(uploads))
        .route("/search", get(search))
        .route("/counts", get(counts))
}

fn list_view(list: &ListRecord) -> Value {
    json!({
        "id": list.id.to_string(),
        "name": list.name,
        "all_ticket_types": list.all_ticket_types,
        "ticket_type_ids": list.ticket_type_ids.iter().map(ToString::to_string).collect::<Vec<_>>(),
        // The same ids as plain UUIDs, as they appear inside ticket codes (offline checks).
        "ticket_type_uuids": list.ticket_type_ids.iter().map(|t| t.as_uuid().to_string()).collect::<Vec<_>>(),
        "not_before": list.not_before.map(|t| t.to_rfc3339()),
        "not_after": list.not_after.map(|t| t.to_rfc3339()),
        "reentry_allowed": list.reentry_allowed,
    })
}

async fn event_json(state: &ScannerState, event: EventId) -> Result<Value, ApiError> {
    let title = bilten_store::events::find_event(state.store.primary(), event)
        .await
        .map_err(db)?
        .map(|e| e.fields.title)
        .unwrap_or_default();
    Ok(json!({ "id": event.to_string(), "title": title }))
}

// ---------------------------------------------------------------------------------------
// Pairing and lists

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PairInput {
    pairing_code: String,
    gate: Option<String>,
}

/// `POST /pair {pairing_code, gate?}` → a device token, once per pairing code.
async fn pair(
    State(state): State<ScannerState>,
    Json(body): Json<PairInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    // People type codes in lower case, with spaces, or without the dash.
    let typed: String = body
        .pairing_code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .take(64)
        .collect();
    let code = if typed.len() == 10 {
        format!("{}-{}", &typed[..5], &typed[5..])
    } else {
        typed
    };
    let gate = body
        .gate
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(|g| {
            g.chars()
                .filter(|c| !c.is_control())
                .take(60)
                .collect::<String>()
        });
    let token = new_device_token();
    let device = checkin::pair_device(
        state.store.primary(),
        &code,
        &token_hash(&token),
        gate.as_deref(),
        Utc::now(),
    )
    .await
    .map_err(db)?
    .ok_or_else(|| {
        ApiError::bad_request(
            bilten_http::ErrorCode::InvalidPairingCode,
            "This pairing code is unknown, used or expired. Ask for a new one.",
        )
        .with_field(
            "pairing_code",
            "invalid_pairing_code",
            "Unknown, used or expired.",
        )
    })?;
    let lists = checkin::lists_of_event(
        state.store.primary(),
        state.store.dialect(),
        device.event_id,
    )
    .await
    .map_err(db)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "device_token": token,
            "device": { "id": device.id.to_string(), "name": device.name, "gate": device.gate },
            "event": event_json(&state, device.event_id).await?,
            "lists": lists.iter().map(list_view).collect::<Vec<_>>(),
        })),
    ))
}

#[derive(Deserialize)]
struct ListsQuery {
    event_id: Option<String>,
}

/// `GET /lists` — the lists of the device's event (staff: `?event_id=`).
async fn lists(
    State(state): State<ScannerState>,
    caller: Caller,
    Query(query): Query<ListsQuery>,
) -> Result<Json<Value>, ApiError> {
    let event = match (&caller, query.event_id.as_deref()) {
        (Caller::Device(device), _) => device.event_id,
        (Caller::Staff(_), Some(id)) => id
            .parse::<EventId>()
            .map_err(|_| ApiError::not_found("No such event."))?,
        (Caller::Staff(_), None) => {
            return Err(ApiError::bad_request(
                bilten_http::ErrorCode::EventRequired,
                "Staff name the event: ?event_id=evt_…",
            ))
        }
    };
    check_event(&state, &caller, event).await?;
    let lists = checkin::lists_of_event(state.store.primary(), state.store.dialect(), event)
        .await
        .map_err(db)?;
    Ok(Json(json!({
        "event": event_json(&state, event).await?,
        "device": caller.device().map(|d| json!({ "id": d.id.to_string(), "name": d.name, "gate": d.gate })),
        "items": lists.iter().map(list_view).collect::<Vec<_>>(),
    })))
}

// ---------------------------------------------------------------------------------------
// Redeem

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedeemInput {
    code: Option<String>,
    /// Instead of a code: a ticket found with the name search.
    ticket_id: Option<String>,
    list_id: String,
    nonce: String,
    direction: Option<ScanDirection>,
}

fn scanned_of(code: Option<&str>, ticket_id: Option<&str>) -> Result<Scanned, ApiError> {
    match (code, ticket_id) {
        (Some(code), None) => {
            check_code(code)?;
            Ok(Scanned::Code(code.trim().to_owned()))
        }
        (None, Some(id)) => Ok(Scanned::Ticket(id.trim().parse::<TicketId>().map_err(
            |_| {
                ApiError::bad_request(bilten_http::ErrorCode::InvalidTicketId, "No such ticket.")
                    .with_field("ticket_id", "invalid", "Use a ticket id from the search.")
            },
        )?)),
        _ => Err(ApiError::bad_request(
            bilten_http::ErrorCode::CodeRequired,
            "Send either a code or a ticket_id.",
        )
        .with_field("code", "required", "Send the scanned code.")),
    }
}

/// `POST /redeem {code | ticket_id, list_id, nonce, direction?}`.
async fn redeem(
    State(state): State<ScannerState>,
    caller: Caller,
    // A NUL in a scanned code is an invalid scan, answered like any other (see the type).
    JsonAllowingNul(body): JsonAllowingNul<RedeemInput>,
) -> Result<Json<Value>, ApiError> {
    let scanned = scanned_of(body.code.as_deref(), body.ticket_id.as_deref())?;
    check_nonce(&body.nonce)?;
    let list = list_for(&state, &caller, &body.list_id).await?;
    let keys = scan::event_keys(&state, list.event_id, body.code.as_deref()).await?;
    let request = ScanRequest {
        scanned,
        list: &list,
        nonce: &body.nonce,
        direction: body.direction.unwrap_or(ScanDirection::Entry),
        scanned_at: Utc::now(),
        offline_result: None,
    };
    let (mut answer, replayed) = scan::redeem(&state, &caller, &request, &keys).await?;
    answer["replayed"] = Value::Bool(replayed);
    Ok(Json(answer))
}

// ---------------------------------------------------------------------------------------
// Offline: sync and uploads

#[derive(Deserialize)]
struct SyncQuery {
    list_id: String,
    since: Option<String>,
}

fn sealed_entry(item: &SyncTicket) -> bilten_domain::offline::SealedEntry {
    let t = &item.ticket;
    let plain = json!({
        "ticket_id": t.id.to_string(),
        "type": t.ticket_type_name,
        "type_uuid": t.ticket_type_id.as_uuid().to_string(),
        "holder_name": t.holder_name,
        "ticket_status": t.status,
        "order_status": t.order_status,
        "checked_in_at": item.state.as_ref().map(|s| s.first_at.to_rfc3339()),
        "first_gate": item.state.as_ref().and_then(|s| s.first_gate.clone()),
        "inside": item.state.as_ref().is_some_and(|s| s.inside),
    });
    bilten_domain::offline::seal(&t.code, plain.to_string().as_bytes())
}

/// `GET /sync?list_id=&since=` — everything a device needs to decide alone.
async fn sync(
    State(state): State<ScannerState>,
    caller: Caller,
    Query(query): Query<SyncQuery>,
) -> Result<Json<Value>, ApiError> {
    let list = list_for(&state, &caller, &query.list_id).await?;
    let since = match query.since.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|m| *m >= 0)
                .map(bilten_store::from_millis)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        bilten_http::ErrorCode::InvalidCursor,
                        "Use the cursor of the last sync.",
                    )
                    .with_field(
                        "since",
                        "invalid_cursor",
                        "Use the cursor we returned.",
                    )
                })?,
        ),
    };
    let now = Utc::now();
    let cursor = now.timestamp_millis() - SYNC_OVERLAP_MS;
    let from = since.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let keys = checkin::active_public_keys(state.store.primary(), list.event_id)
        .await
        .map_err(db)?;
    let revoked = checkin::revoked_codes_since(state.store.primary(), list.event_id, from)
        .await
        .map_err(db)?;
    let tickets = checkin::tickets_for_sync(state.store.primary(), list.event_id, list.id, from)
        .await
        .map_err(db)?;
    let entries: Vec<_> = tickets.iter().map(sealed_entry).collect();
    Ok(Json(json!({
        "event": event_json(&state, list.event_id).await?,
        "list": list_view(&list),
        "public_keys": keys.iter().map(|(id, key)| json!({ "key_id": id, "public_key": key })).collect::<Vec<_>>(),
        // Only the one-way lookup of each revoked code: a lost device holds no codes.
        "revoked": revoked.iter().map(|c| bilten_domain::offline::lookup_key(c)).collect::<Vec<_>>(),
        "entries": entries,
        "full": since.is_none(),
        "cursor": cursor.to_string(),
        "server_time": now.to_rfc3339(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadItem {
    code: Option<String>,
    ticket_id: Option<String>,
    list_id: String,
    nonce: String,
    scanned_at: String,
    direction: Option<ScanDirection>,
    /// What the device answered offline (`ok`, …); used to spot double admissions.
    offline_result: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadInput {
    scans: Vec<UploadItem>,
}

fn item_error(nonce: &str, error: &ApiError) -> Value {
    json!({ "nonce": nonce, "error": { "code": error.code, "message": error.message } })
}

async fn upload_one(
    state: &ScannerState,
    caller: &Caller,
    at: Result<DateTime<Utc>, ApiError>,
    item: &UploadItem,
) -> Result<(Value, bool), ApiError> {
    let at = at?;
    check_nonce(&item.nonce)?;
    let scanned = scanned_of(item.code.as_deref(), item.ticket_id.as_deref())?;
    // Both kept in memory after the first read (crate::gate_cache).
    let list = list_for(state, caller, &item.list_id).await?;
    let keys = scan::event_keys(state, list.event_id, item.code.as_deref()).await?;
    let request = ScanRequest {
        scanned,
        list: &list,
        nonce: &item.nonce,
        direction: item.direction.unwrap_or(ScanDirection::Entry),
        scanned_at: at,
        offline_result: Some(
            item.offline_result
                .as_deref()
                .and_then(CheckinReason::parse)
                .unwrap_or(CheckinReason::Ok),
        ),
    };
    scan::redeem(state, caller, &request, &keys).await
}

/// `POST /uploads {scans: [...]}` — offline scans applied in scan-time order, one result each.
async fn uploads(
    State(state): State<ScannerState>,
    caller: Caller,
    JsonAllowingNul(body): JsonAllowingNul<UploadInput>,
) -> Result<Json<Value>, ApiError> {
    if body.scans.len() > UPLOAD_MAX {
        return Err(ApiError::bad_request(
            bilten_http::ErrorCode::TooManyScans,
            format!("Upload at most {UPLOAD_MAX} scans at a time."),
        ));
    }
    let now = Utc::now();
    let mut items: Vec<(usize, Result<DateTime<Utc>, ApiError>, UploadItem)> = body
        .scans
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let at = DateTime::parse_from_rfc3339(&item.scanned_at)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::bad_request(
                        bilten_http::ErrorCode::InvalidTime,
                        "scanned_at must be RFC 3339.",
                    )
                })
                .and_then(|t| {
                    if t > now + Duration::seconds(FUTURE_TOLERANCE_SECS) {
                        Err(ApiError::bad_request(
                            bilten_http::ErrorCode::InvalidTime,
                            "scanned_at is in the future; check the device clock.",
                        ))
                    } else {
                        Ok(t.min(now))
                    }
                });
            (i, at, item)
        })
        .collect();
    // Scan-time order, so the first person through the gate is the one admitted; the stable
    // sort keeps the device's order for equal times.
    items.sort_by_key(|(i, at, _)| (at.as_ref().ok().copied(), *i));
    let mut results = vec![Value::Null; items.len()];
    let (mut admitted, mut rejected, mut conflicts) = (0, 0, 0);
    for (index, at, item) in items {
        let outcome = upload_one(&state, &caller, at, &item).await;
        results[index] = match outcome {
            Ok((mut answer, replayed)) => {
                answer["replayed"] = Value::Bool(replayed);
                if answer["status"] == "ok" {
                    admitted += 1;
                } else {
                    rejected += 1;
                }
                if answer["conflict"] == true {
                    conflicts += 1;
                }
                answer
            }
            Err(error) if error.status.is_server_error() => return Err(error),
            Err(error) => {
                rejected += 1;
                item_error(&item.nonce, &error)
            }
        };
    }
    Ok(Json(json!({
        "results": results,
        "admitted": admitted,
        "rejected": rejected,
        "conflicts": conflicts,
    })))
}

// ---------------------------------------------------------------------------------------
// Search and counts

#[derive(Deserialize)]
struct SearchQuery {
    list_id: String,
    q: String,
}

/// `GET /search?list_id=&q=` — tickets by holder or buyer name, email or order id.
async fn search(
    State(state): State<ScannerState>,
    caller: Caller,
    Query(query): Query<SearchQuery>,
) -> Result<Json<Value>, ApiError> {
    let list = list_for(&state, &caller, &query.list_id).await?;
    let q = query.q.trim();
    if q.chars().count() < 2 || q.len() > 200 || q.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            bilten_http::ErrorCode::QueryTooShort,
            "Type at least 2 characters.",
        )
        .with_field("q", "length", "2 to 200 characters."));
    }
    // An order id as shown to buyers (ord_…) is stored as a plain UUID.
    let needle = q
        .parse::<bilten_domain::OrderId>()
        .map_or_else(|_| q.to_owned(), |o| o.to_db());
    let hits = checkin::search_tickets(state.store.primary(), list.event_id, list.id, &needle, 25)
        .await
        .map_err(db)?;
    Ok(Json(json!({
        "items": hits.iter().map(|h| json!({
            "ticket_id": h.ticket.id.to_string(),
            "holder_name": h.ticket.holder_name,
            "type": h.ticket.ticket_type_name,
            "order_id": bilten_domain::OrderId::from_db(&h.ticket.order_id).map(|o| o.to_string()).unwrap_or_default(),
            "ticket_status": h.ticket.status,
            "order_status": h.ticket.order_status,
            "admitted_on_list": list.admits(h.ticket.ticket_type_id),
            "checked_in_at": h.state.as_ref().map(|s| s.first_at.to_rfc3339()),
            "inside": h.state.as_ref().is_some_and(|s| s.inside),
        })).collect::<Vec<_>>()
    })))
}

#[derive(Deserialize)]
struct CountsQuery {
    list_id: String,
}

/// `GET /counts?list_id=` — checked in / inside / expected on one list.
async fn counts(
    State(state): State<ScannerState>,
    caller: Caller,
    Query(query): Query<CountsQuery>,
) -> Result<Json<Value>, ApiError> {
    let list = list_for(&state, &caller, &query.list_id).await?;
    let (checked_in, inside, expected) = checkin::list_counts(state.store.primary(), &list)
        .await
        .map_err(db)?;
    Ok(Json(json!({
        "list_id": list.id.to_string(),
        "checked_in": checked_in,
        "inside": inside,
        "expected": expected,
    })))
}
