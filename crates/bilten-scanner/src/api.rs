//! `/api/v1/checkin/…`: pairing, lists, redeem, offline sync and uploads, search, counts.
//!
//! The answers are the contract's types (`bilten_api::checkin`), and each handler carries its
//! `#[utoipa::path]`: [`routes`] builds the router and the OpenAPI document from the same
//! `routes!` calls (see [`crate::openapi`]), so the two cannot disagree.

use axum::extract::State;
use axum::http::StatusCode;
use bilten_api::checkin::{
    ListCounts, PairRequest, Paired, RedeemRequest, ScanAnswer, ScanStatus, ScannerDevice,
    ScannerEvent, ScannerKey, ScannerList, ScannerLists, SearchAnswer, SearchHit, SyncAnswer,
    UploadAnswer, UploadError, UploadRefusal, UploadRequest, UploadResult, UploadScan,
};
use bilten_domain::{CheckinReason, EventId, ScanDirection, TicketId};
use bilten_http::extract::JsonAllowingNul;
use bilten_http::{ApiError, Json, Query};
use bilten_store::checkin::{self, ListRecord, SyncTicket};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{check_event, db, list_for, new_device_token, token_hash, Caller, ScanCaller};
use crate::scan::{self, check_code, check_nonce, ScanRequest, Scanned};
use crate::ScannerState;

/// Most scans accepted in one upload.
const UPLOAD_MAX: usize = 500;
/// Overlap of sync windows: rows committed late with an earlier timestamp are sent again
/// rather than missed (entries are keyed, so a device simply replaces them).
const SYNC_OVERLAP_MS: i64 = 5_000;
/// How far ahead of the server's clock an offline scan time may be (a device's clock drift).
const FUTURE_TOLERANCE_SECS: i64 = 300;

/// Every route of the check-in API (paths relative to `/api/v1/checkin`). The router and
/// the document both come from here.
pub fn routes() -> OpenApiRouter<ScannerState> {
    OpenApiRouter::new()
        .routes(routes!(pair))
        .routes(routes!(lists))
        .routes(routes!(redeem))
        .routes(routes!(sync))
        .routes(routes!(uploads))
        .routes(routes!(search))
        .routes(routes!(counts))
}

fn list_view(list: &ListRecord) -> ScannerList {
    ScannerList {
        id: list.id,
        name: list.name.clone(),
        all_ticket_types: list.all_ticket_types,
        ticket_type_ids: list.ticket_type_ids.clone(),
        ticket_type_uuids: list
            .ticket_type_ids
            .iter()
            .map(|t| t.as_uuid().to_string())
            .collect(),
        not_before: list.not_before,
        not_after: list.not_after,
        reentry_allowed: list.reentry_allowed,
    }
}

fn device_view(device: &bilten_store::checkin::DeviceRecord) -> ScannerDevice {
    ScannerDevice {
        id: device.id,
        name: device.name.clone(),
        gate: device.gate.clone(),
    }
}

async fn event_view(state: &ScannerState, event: EventId) -> Result<ScannerEvent, ApiError> {
    let title = bilten_store::events::find_event(state.store.primary(), event)
        .await
        .map_err(db)?
        .map(|e| e.fields.title)
        .unwrap_or_default();
    Ok(ScannerEvent { id: event, title })
}

// ---------------------------------------------------------------------------------------
// Pairing and lists

/// `POST /pair {pairing_code, gate?}` → a device token, once per pairing code.
#[utoipa::path(
    post,
    path = "/pair",
    tag = "check-in",
    operation_id = "pair_device",
    summary = "Pair a scanner device with its one-time code",
    request_body = PairRequest,
    responses(
        (status = 201, description = "The device's token (shown once) and what it scans for.", body = Paired),
    )
)]
async fn pair(
    State(state): State<ScannerState>,
    Json(body): Json<PairRequest>,
) -> Result<(StatusCode, Json<Paired>), ApiError> {
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
    let lists = checkin::lists_of_event(&state.store, device.event_id)
        .await
        .map_err(db)?;
    Ok((
        StatusCode::CREATED,
        Json(Paired {
            device_token: token,
            device: device_view(&device),
            event: event_view(&state, device.event_id).await?,
            lists: lists.iter().map(list_view).collect(),
        }),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListsQuery {
    /// Staff only: the event (`evt_…`); a device scans its own event.
    event_id: Option<String>,
}

/// `GET /lists` — the lists of the device's event (staff: `?event_id=`).
#[utoipa::path(
    get,
    path = "/lists",
    tag = "check-in",
    operation_id = "list_scanner_lists",
    summary = "The check-in lists of the caller's event",
    params(ListsQuery),
    responses(
        (status = 200, description = "The event, the calling device and its lists.", body = ScannerLists),
    )
)]
async fn lists(
    State(state): State<ScannerState>,
    caller: Caller,
    Query(query): Query<ListsQuery>,
) -> Result<Json<ScannerLists>, ApiError> {
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
    let lists = checkin::lists_of_event(&state.store, event)
        .await
        .map_err(db)?;
    Ok(Json(ScannerLists {
        event: event_view(&state, event).await?,
        device: caller.device().map(device_view),
        items: lists.iter().map(list_view).collect(),
    }))
}

// ---------------------------------------------------------------------------------------
// Redeem

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
#[utoipa::path(
    post,
    path = "/redeem",
    tag = "check-in",
    operation_id = "redeem",
    summary = "Scan a ticket (admit or refuse)",
    request_body = RedeemRequest,
    responses(
        (status = 200, description = "The decision, green (`ok`) or red with its reason; the same nonce gets the same answer (`replayed: true`).", body = ScanAnswer),
    )
)]
async fn redeem(
    State(state): State<ScannerState>,
    ScanCaller(caller): ScanCaller,
    // A NUL in a scanned code is an invalid scan, answered like any other (see the type).
    JsonAllowingNul(body): JsonAllowingNul<RedeemRequest>,
) -> Result<Json<ScanAnswer>, ApiError> {
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
    answer.replayed = replayed;
    Ok(Json(answer))
}

// ---------------------------------------------------------------------------------------
// Offline: sync and uploads

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SyncQuery {
    /// The list (`cll_…`).
    list_id: String,
    /// The `cursor` of the last sync; absent: everything.
    since: Option<String>,
}

fn sealed_entry(item: &SyncTicket) -> bilten_domain::offline::SealedEntry {
    let t = &item.ticket;
    // The sealed plaintext is read by the scanner app after decryption, not by API clients:
    // it is not part of the HTTP contract, so it stays a private shape here.
    let plain = serde_json::json!({
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
#[utoipa::path(
    get,
    path = "/sync",
    tag = "check-in",
    operation_id = "sync",
    summary = "Everything a device needs to scan offline",
    params(SyncQuery),
    responses(
        (status = 200, description = "Keys, revocations and sealed entries (all, or changed since `since`).", body = SyncAnswer),
    )
)]
async fn sync(
    State(state): State<ScannerState>,
    caller: Caller,
    Query(query): Query<SyncQuery>,
) -> Result<Json<SyncAnswer>, ApiError> {
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
    Ok(Json(SyncAnswer {
        event: event_view(&state, list.event_id).await?,
        list: list_view(&list),
        public_keys: keys
            .into_iter()
            .map(|(key_id, public_key)| ScannerKey { key_id, public_key })
            .collect(),
        // Only the one-way lookup of each revoked code: a lost device holds no codes.
        revoked: revoked
            .iter()
            .map(|c| bilten_domain::offline::lookup_key(c))
            .collect(),
        entries,
        full: since.is_none(),
        cursor: cursor.to_string(),
        server_time: now,
    }))
}

fn item_error(nonce: &str, error: &ApiError) -> UploadResult {
    UploadResult::Refused(UploadRefusal {
        nonce: nonce.to_owned(),
        error: UploadError {
            code: error.code,
            message: error.message.clone(),
        },
    })
}

async fn upload_one(
    state: &ScannerState,
    caller: &Caller,
    at: Result<DateTime<Utc>, ApiError>,
    item: &UploadScan,
) -> Result<(ScanAnswer, bool), ApiError> {
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
#[utoipa::path(
    post,
    path = "/uploads",
    tag = "check-in",
    operation_id = "upload_scans",
    summary = "Upload scans made offline (at most 500)",
    request_body = UploadRequest,
    responses(
        (status = 200, description = "One result per scan, in upload order: the decision, or why the scan was refused.", body = UploadAnswer),
    )
)]
async fn uploads(
    State(state): State<ScannerState>,
    caller: Caller,
    JsonAllowingNul(body): JsonAllowingNul<UploadRequest>,
) -> Result<Json<UploadAnswer>, ApiError> {
    if body.scans.len() > UPLOAD_MAX {
        return Err(ApiError::bad_request(
            bilten_http::ErrorCode::TooManyScans,
            format!("Upload at most {UPLOAD_MAX} scans at a time."),
        ));
    }
    let now = Utc::now();
    let mut items: Vec<(usize, Result<DateTime<Utc>, ApiError>, UploadScan)> = body
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
    let mut results: Vec<Option<UploadResult>> = vec![None; items.len()];
    let (mut admitted, mut rejected, mut conflicts) = (0, 0, 0);
    for (index, at, item) in items {
        let outcome = upload_one(&state, &caller, at, &item).await;
        results[index] = Some(match outcome {
            Ok((mut answer, replayed)) => {
                answer.replayed = replayed;
                if answer.status == ScanStatus::Ok {
                    admitted += 1;
                } else {
                    rejected += 1;
                }
                if answer.conflict {
                    conflicts += 1;
                }
                UploadResult::Scanned(answer)
            }
            Err(error) if error.status.is_server_error() => return Err(error),
            Err(error) => {
                rejected += 1;
                item_error(&item.nonce, &error)
            }
        });
    }
    Ok(Json(UploadAnswer {
        // Every index was filled above (each item is answered once).
        results: results.into_iter().flatten().collect(),
        admitted,
        rejected,
        conflicts,
    }))
}

// ---------------------------------------------------------------------------------------
// Search and counts

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// The list (`cll_…`).
    list_id: String,
    /// 2–200 characters: part of a holder's or buyer's name or email, or an order id.
    q: String,
}

/// `GET /search?list_id=&q=` — tickets by holder or buyer name, email or order id.
#[utoipa::path(
    get,
    path = "/search",
    tag = "check-in",
    operation_id = "search_tickets",
    summary = "Find tickets by name, email or order id",
    params(SearchQuery),
    responses(
        (status = 200, description = "At most 25 tickets.", body = SearchAnswer),
    )
)]
async fn search(
    State(state): State<ScannerState>,
    caller: Caller,
    Query(query): Query<SearchQuery>,
) -> Result<Json<SearchAnswer>, ApiError> {
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
    let items = hits
        .iter()
        .map(|h| {
            let corrupt = |what: &str| {
                ApiError::internal(&format_args!("ticket {}: stored {what}", h.ticket.id))
            };
            Ok(SearchHit {
                ticket_id: h.ticket.id,
                holder_name: h.ticket.holder_name.clone(),
                type_name: h.ticket.ticket_type_name.clone(),
                order_id: bilten_domain::OrderId::from_db(&h.ticket.order_id)
                    .map_err(|_| corrupt("order id"))?,
                ticket_status: h.ticket.status,
                order_status: h.ticket.order_status,
                admitted_on_list: list.admits(h.ticket.ticket_type_id),
                checked_in_at: h.state.as_ref().map(|s| s.first_at),
                inside: h.state.as_ref().is_some_and(|s| s.inside),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Json(SearchAnswer { items }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CountsQuery {
    /// The list (`cll_…`).
    list_id: String,
}

/// `GET /counts?list_id=` — checked in / inside / expected on one list.
#[utoipa::path(
    get,
    path = "/counts",
    tag = "check-in",
    operation_id = "list_counts",
    summary = "Checked in, inside and expected on one list",
    params(CountsQuery),
    responses(
        (status = 200, description = "The list's counts.", body = ListCounts),
    )
)]
async fn counts(
    State(state): State<ScannerState>,
    caller: Caller,
    Query(query): Query<CountsQuery>,
) -> Result<Json<ListCounts>, ApiError> {
    let list = list_for(&state, &caller, &query.list_id).await?;
    let (checked_in, inside, expected) = checkin::list_counts(state.store.primary(), &list)
        .await
        .map_err(db)?;
    Ok(Json(ListCounts {
        list_id: list.id,
        checked_in,
        inside,
        expected,
    }))
}
