use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{event_of, verified_user, Gate};

#[tokio::test]
async fn ten_scanners_on_a_hundred_tickets_admit_each_exactly_once() {
    let gate = Gate::new().await;
    let list = gate.list(json!({ "name": "Main gate" })).await;
    let tickets = gate.tickets(100, "paid").await;
    let mut devices = Vec::new();
    for i in 0..10 {
        devices.push(
            gate.device(&format!("Scanner {i}"), &format!("Gate {i}"))
                .await,
        );
    }
    let scanners = devices.iter().enumerate().map(|(i, token)| {
        let tickets = &tickets;
        let gate = &gate;
        let list = &list;
        async move {
            let mut answers = Vec::new();
            // Each device walks the tickets from a different starting point, so every ticket
            // is scanned by several devices at nearly the same moment.
            for k in 0..tickets.len() {
                let (_, code) = &tickets[(k + i * 3) % tickets.len()];
                answers.push(gate.scanner.scan(token, list, code).await);
            }
            answers
        }
    });
    let answers: Vec<Value> = join_all(scanners).await.into_iter().flatten().collect();
    let count = |reason: &str| answers.iter().filter(|a| a["reason"] == reason).count();
    assert_eq!(answers.len(), 1000);
    assert_eq!(count("ok"), 100, "exactly one admission per ticket");
    assert_eq!(count("already_redeemed"), 900);
    for answer in answers.iter().filter(|a| a["reason"] == "already_redeemed") {
        assert!(answer["first_scanned_at"].is_string(), "{answer}");
        assert!(answer["first_gate"].as_str().unwrap().starts_with("Gate "));
    }
    let mut admitted: Vec<&str> = answers
        .iter()
        .filter(|a| a["reason"] == "ok")
        .map(|a| a["ticket"]["id"].as_str().unwrap())
        .collect();
    admitted.sort_unstable();
    admitted.dedup();
    assert_eq!(
        admitted.len(),
        100,
        "every ticket admitted once, none twice"
    );

    let (code, stats) = gate
        .app
        .get(
            &format!("/api/v1/events/{}/checkin-stats", gate.event),
            Some(&gate.organizer.access_token),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let main = &stats["lists"][0];
    assert_eq!(
        (
            main["expected"].as_i64(),
            main["checked_in"].as_i64(),
            main["inside"].as_i64()
        ),
        (Some(100), Some(100), Some(100)),
        "{stats}"
    );
    assert!(main["scans_per_minute"].as_f64().unwrap() >= 200.0);

    let (_, metrics) = gate
        .scanner
        .request(Method::GET, "/metrics", None, None)
        .await;
    let metrics = metrics.as_str().unwrap().to_owned();
    assert!(
        metrics.contains("bilten_checkins_total{result=\"ok\"} 100"),
        "{metrics}"
    );
    assert!(metrics.contains("bilten_checkins_total{result=\"already_redeemed\"} 900"));
    // The scans that arrived together shared transactions (group commit): all 1000 were
    // decided, in fewer commits than scans.
    assert!(
        metrics
            .lines()
            .any(|l| l == "bilten_checkin_batch_size_sum 1000"),
        "{metrics}"
    );
    let transactions: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("bilten_checkin_batch_size_count "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no batch count in {metrics}"));
    assert!(
        transactions < 1000,
        "{transactions} transactions for 1000 concurrent scans"
    );
}

/// One nonce sent at once with different codes (a client reusing its nonce): the first scan
/// decided is the only one; every other gets its answer back, whether it shared its batch
/// (the rush path's claim was not written) or came in a later one.
#[tokio::test]
async fn one_nonce_with_different_codes_at_once_is_decided_once() {
    let gate = Gate::new().await;
    let list = gate.list(json!({ "name": "Main gate" })).await;
    let token = gate.device("Phone", "North").await;
    let tickets = gate.tickets(6, "paid").await;
    let answers = join_all(tickets.iter().map(|(_, code)| {
        let body = json!({ "code": code, "list_id": list, "nonce": "shared-nonce-0001" });
        gate.scanner.redeem(&token, body)
    }))
    .await;
    let first: Vec<&Value> = answers
        .iter()
        .map(|(status, answer)| {
            assert_eq!(*status, StatusCode::OK, "{answer}");
            answer
        })
        .filter(|a| a["replayed"] == false)
        .collect();
    assert_eq!(first.len(), 1, "one scan decided: {answers:?}");
    for (_, answer) in &answers {
        assert_eq!(answer["checkin_id"], first[0]["checkin_id"], "{answer}");
        assert_eq!(answer["reason"], "ok", "{answer}");
    }
    let (_, stats) = gate
        .app
        .get(
            &format!("/api/v1/events/{}/checkin-stats", gate.event),
            Some(&gate.organizer.access_token),
        )
        .await;
    assert_eq!(stats["lists"][0]["checked_in"].as_i64(), Some(1), "{stats}");
}

#[tokio::test]
async fn a_retry_with_the_same_nonce_returns_the_first_answer() {
    let gate = Gate::new().await;
    let list = gate.list(json!({ "name": "Main gate" })).await;
    let token = gate.device("Phone", "North").await;
    let (_, code) = gate.tickets(1, "paid").await.remove(0);
    let body = json!({ "code": code, "list_id": list, "nonce": "retry-nonce-0001" });
    let (status, first) = gate.scanner.redeem(&token, body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (first["status"].as_str(), first["reason"].as_str()),
        (Some("ok"), Some("ok"))
    );
    assert_eq!(first["ticket"]["holder_name"], "Guest 0");
    assert_eq!(first["ticket"]["type"], "Standing");
    assert_eq!(first["replayed"], false);
    // Concurrent retries of the same scan: all get the first answer.
    let retries = join_all((0..5).map(|_| gate.scanner.redeem(&token, body.clone()))).await;
    for (status, again) in retries {
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            again["reason"], "ok",
            "a retry is not a second scan: {again}"
        );
        assert_eq!(again["checkin_id"], first["checkin_id"]);
        assert_eq!(again["replayed"], true);
    }
    // A new scan of the same ticket is a second scan.
    let second = gate.scanner.scan(&token, &list, &code).await;
    assert_eq!(second["status"], "error");
    assert_eq!(second["reason"], "already_redeemed");
    assert_eq!(second["first_gate"], "North");
    assert_eq!(second["ticket"]["holder_name"], "Guest 0");
}

#[tokio::test]
async fn each_problem_has_its_reason() {
    let gate = Gate::new().await;
    let vip_type = crate::helpers::created(
        &gate.app,
        &format!("/api/v1/events/{}/ticket-types", gate.event),
        &gate.organizer.access_token,
        json!({ "name": "VIP", "price": 0, "capacity": 10 }),
    )
    .await["ticket_type"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lounge = gate
        .list(json!({ "name": "VIP lounge", "ticket_type_ids": [vip_type] }))
        .await;
    let closed = gate
        .list(json!({ "name": "Yesterday", "not_after": "2020-01-01T00:00:00Z" }))
        .await;
    let main = gate.list(json!({ "name": "Main" })).await;
    let token = gate.device("Phone", "North").await;
    let (_, standing) = gate.tickets(1, "paid").await.remove(0);
    let (_, unpaid) = gate.tickets(1, "pending").await.remove(0);
    let (_, refunded) = gate.tickets(1, "refunded").await.remove(0);
    let (old_ticket, old_code) = gate.tickets(1, "paid").await.remove(0);
    let new_code =
        crate::helpers::reissue(&gate.app, &gate.signer, &old_ticket, &gate.ticket_type).await;

    let reason = |v: Value| v["reason"].as_str().unwrap().to_owned();
    let s = &gate.scanner;
    assert_eq!(reason(s.scan(&token, &lounge, &standing).await), "product");
    assert_eq!(
        reason(s.scan(&token, &closed, &standing).await),
        "invalid_time"
    );
    assert_eq!(reason(s.scan(&token, &main, &unpaid).await), "unpaid");
    assert_eq!(reason(s.scan(&token, &main, &refunded).await), "canceled");
    let revoked = s.scan(&token, &main, &old_code).await;
    assert_eq!(reason(revoked.clone()), "revoked");
    assert_eq!(revoked["ticket"]["holder_name"], "Guest 0");
    assert_eq!(reason(s.scan(&token, &main, &new_code).await), "ok");
    assert_eq!(
        reason(s.scan(&token, &main, "hello world").await),
        "invalid"
    );
    assert_eq!(reason(s.scan(&token, &main, "").await), "invalid");
    assert_eq!(reason(s.scan(&token, &main, &standing).await), "ok");
    // Exits are always fine; without re-entry the way back in stays closed.
    let (status, exit) = s
        .redeem(
            &token,
            json!({ "code": standing, "list_id": main, "nonce": "exit-nonce-01", "direction": "exit" }),
        )
        .await;
    assert_eq!((status, reason(exit)), (StatusCode::OK, "ok".to_owned()));
    assert_eq!(
        reason(s.scan(&token, &main, &standing).await),
        "already_redeemed"
    );
    // Absurd input: a clear 4xx, never a 500.
    let (status, body) = s
        .redeem(
            &token,
            json!({ "code": "x".repeat(5000), "list_id": main, "nonce": "long-code-1" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "code_too_long");
    let (status, body) = s
        .redeem(
            &token,
            json!({ "code": standing, "list_id": main, "nonce": "x" }),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_nonce"))
    );
    let (status, _) = s
        .redeem(
            &token,
            json!({ "code": standing, "list_id": "cll_nope", "nonce": "nonce-123456" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reentry_lists_admit_again_after_an_exit() {
    let gate = Gate::new().await;
    let list = gate
        .list(json!({ "name": "Festival", "reentry_allowed": true }))
        .await;
    let token = gate.device("Phone", "North").await;
    let (_, code) = gate.tickets(1, "paid").await.remove(0);
    let scan = |direction: &'static str, nonce: &'static str| {
        let body = json!({ "code": code, "list_id": list, "nonce": nonce, "direction": direction });
        let token = token.clone();
        let scanner = &gate.scanner;
        async move {
            scanner.redeem(&token, body).await.1["reason"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(scan("entry", "nonce-a-0001").await, "ok");
    assert_eq!(scan("entry", "nonce-a-0002").await, "already_redeemed");
    assert_eq!(scan("exit", "nonce-a-0003").await, "ok");
    let (_, counts) = gate
        .scanner
        .request(
            Method::GET,
            &format!("/api/v1/checkin/counts?list_id={list}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        (counts["checked_in"].as_i64(), counts["inside"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(scan("entry", "nonce-a-0004").await, "ok");
    assert_eq!(scan("entry", "nonce-a-0005").await, "already_redeemed");
}

#[tokio::test]
async fn an_offline_batch_with_a_double_admission_is_reconciled_and_reported() {
    let gate = Gate::new().await;
    let list = gate.list(json!({ "name": "Main gate" })).await;
    let north = gate.device("North phone", "North").await;
    let south = gate.device("South phone", "South").await;
    let tickets = gate.tickets(2, "paid").await;
    let (a, b) = (&tickets[0].1, &tickets[1].1);
    // Both phones were offline; each admitted ticket A. South's scan came later but uploads
    // first, in an order that is not scan-time order.
    let (status, south_report) = gate
        .scanner
        .request(
            Method::POST,
            "/api/v1/checkin/uploads",
            Some(&south),
            Some(json!({ "scans": [
                { "code": b, "list_id": list, "nonce": "south-0002", "scanned_at": "2026-01-01T19:05:00Z", "offline_result": "ok" },
                { "code": a, "list_id": list, "nonce": "south-0001", "scanned_at": "2026-01-01T19:01:00Z", "offline_result": "ok" },
                { "code": "garbage", "list_id": list, "nonce": "south-0003", "scanned_at": "2026-01-01T19:06:00Z", "offline_result": "invalid" },
                { "code": a, "list_id": list, "nonce": "south-0004", "scanned_at": "not a time" }
            ]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{south_report}");
    let results = south_report["results"].as_array().unwrap();
    assert_eq!(results[0]["reason"], "ok");
    assert_eq!(results[1]["reason"], "ok");
    assert_eq!(results[2]["reason"], "invalid");
    assert_eq!(
        results[2]["conflict"], false,
        "a rejection offline is no conflict"
    );
    assert_eq!(results[3]["error"]["code"], "invalid_time");
    assert_eq!(south_report["conflicts"], 0);

    let upload = json!({ "scans": [
        { "code": a, "list_id": list, "nonce": "north-0001", "scanned_at": "2026-01-01T19:03:00Z", "offline_result": "ok" }
    ]});
    let (status, north_report) = gate
        .scanner
        .request(
            Method::POST,
            "/api/v1/checkin/uploads",
            Some(&north),
            Some(upload.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let result = &north_report["results"][0];
    assert_eq!(result["reason"], "already_redeemed");
    assert_eq!(result["conflict"], true);
    assert_eq!(result["first_gate"], "South");
    assert_eq!(north_report["conflicts"], 1);
    // Uploading the same batch again (the answer was lost) changes nothing.
    let (_, again) = gate
        .scanner
        .request(
            Method::POST,
            "/api/v1/checkin/uploads",
            Some(&north),
            Some(upload),
        )
        .await;
    assert_eq!(again["results"][0]["replayed"], true);
    assert_eq!(again["results"][0]["checkin_id"], result["checkin_id"]);

    let (status, log) = gate
        .app
        .get(
            &format!("/api/v1/events/{}/checkin-log?conflicts=true", gate.event),
            Some(&gate.organizer.access_token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{log}");
    assert_eq!(items[0]["device_name"], "North phone");
    assert_eq!(items[0]["gate"], "North");
    assert_eq!(items[0]["result"], "already_redeemed");
    assert_eq!(items[0]["offline"], true);
    assert_eq!(items[0]["holder_name"], "Guest 0");
    let (_, all) = gate
        .app
        .get(
            &format!("/api/v1/events/{}/checkin-log?limit=2", gate.event),
            Some(&gate.organizer.access_token),
        )
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let cursor = all["next_cursor"].as_str().unwrap();
    let (_, rest) = gate
        .app
        .get(
            &format!("/api/v1/events/{}/checkin-log?cursor={cursor}", gate.event),
            Some(&gate.organizer.access_token),
        )
        .await;
    assert_eq!(
        rest["items"].as_array().unwrap().len(),
        2,
        "4 decided scans in all"
    );
}

#[tokio::test]
async fn only_devices_of_the_event_and_its_staff_may_scan() {
    let gate = Gate::new().await;
    let list = gate.list(json!({ "name": "Main gate" })).await;
    let (_, code) = gate.tickets(1, "paid").await.remove(0);
    let own = gate.device("Phone", "North").await;

    // A device of another event (another organizer's) cannot see this list.
    let rival = verified_user(&gate.app, "Rival").await;
    let (_, other_event, _, _) = event_of(&gate.app, &rival, 9).await;
    let body = crate::helpers::created(
        &gate.app,
        &format!("/api/v1/events/{other_event}/devices"),
        &rival.access_token,
        json!({ "name": "Rival phone" }),
    )
    .await;
    let (_, paired) = gate
        .scanner
        .request(
            Method::POST,
            "/api/v1/checkin/pair",
            None,
            Some(json!({ "pairing_code": body["pairing_code"] })),
        )
        .await;
    let rival_device = paired["device_token"].as_str().unwrap().to_owned();
    let scan = json!({ "code": code, "list_id": list, "nonce": "authz-nonce-1" });
    let (status, answer) = gate.scanner.redeem(&rival_device, scan.clone()).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, _) = gate
        .scanner
        .request(
            Method::GET,
            &format!("/api/v1/checkin/sync?list_id={list}"),
            Some(&rival_device),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An attendee's login: 404 too. No token, or a made-up one: 401.
    let attendee = gate.app.signed_up_user("Attendee").await;
    let (status, _) = gate
        .scanner
        .redeem(&attendee.access_token, scan.clone())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = gate
        .scanner
        .request(
            Method::POST,
            "/api/v1/checkin/redeem",
            None,
            Some(scan.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = gate
        .scanner
        .redeem("bdt_0123456789abcdef", scan.clone())
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("device_revoked"))
    );

    // Staff of the organization may scan with their login.
    let (status, answer) = gate
        .scanner
        .redeem(&gate.organizer.access_token, scan)
        .await;
    assert_eq!(
        (status, answer["reason"].as_str()),
        (StatusCode::OK, Some("ok"))
    );

    // The device scans (so this scanner now remembers its token, see `auth::ScanCaller`).
    let (_, other) = gate.tickets(1, "paid").await.remove(0);
    let (status, answer) = gate
        .scanner
        .redeem(
            &own,
            json!({ "code": other, "list_id": list, "nonce": "authz-nonce-2" }),
        )
        .await;
    assert_eq!(
        (status, answer["reason"].as_str()),
        (StatusCode::OK, Some("ok"))
    );

    // A revoked device stops at once.
    let (_, devices) = gate
        .app
        .get(
            &format!("/api/v1/events/{}/devices", gate.event),
            Some(&gate.organizer.access_token),
        )
        .await;
    let device_id = devices["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(devices["items"][0]["status"], "paired");
    assert!(devices["items"][0]["pairing_code"].is_null());
    let (status, _) = gate
        .app
        .request(
            Method::DELETE,
            &format!("/api/v1/devices/{device_id}"),
            Some(&gate.organizer.access_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = gate
        .scanner
        .request(Method::GET, "/api/v1/checkin/lists", Some(&own), None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("device_revoked"))
    );
    // Its scans too, although the scanner still remembers the token: the scan's transaction
    // reads the device's pairing. Nothing of the refused scan is recorded.
    let log_path = format!("/api/v1/events/{}/checkin-log?limit=200", gate.event);
    let (_, before) = gate
        .app
        .get(&log_path, Some(&gate.organizer.access_token))
        .await;
    let (status, body) = gate
        .scanner
        .redeem(
            &own,
            json!({ "code": code, "list_id": list, "nonce": "authz-nonce-3" }),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("device_revoked"))
    );
    let (_, after) = gate
        .app
        .get(&log_path, Some(&gate.organizer.access_token))
        .await;
    assert_eq!(
        after["items"].as_array().map(Vec::len),
        before["items"].as_array().map(Vec::len),
        "a revoked device's scan left a trace: {after}"
    );
}

#[tokio::test]
async fn a_pairing_code_works_once() {
    let gate = Gate::new().await;
    gate.list(json!({ "name": "Main gate" })).await;
    let body = crate::helpers::created(
        &gate.app,
        &format!("/api/v1/events/{}/devices", gate.event),
        &gate.organizer.access_token,
        json!({ "name": "Tablet" }),
    )
    .await;
    let code = body["pairing_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 11);
    let (status, svg) = gate
        .app
        .get(
            &format!(
                "/api/v1/devices/{}/pairing.svg",
                body["device"]["id"].as_str().unwrap()
            ),
            Some(&gate.organizer.access_token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(svg.as_str().unwrap().contains("<svg"));
    // Typed sloppily: lower case, no dash.
    let typed = code.replace('-', " ").to_lowercase();
    let pairs = join_all((0..4).map(|_| {
        gate.scanner.request(
            Method::POST,
            "/api/v1/checkin/pair",
            None,
            Some(json!({ "pairing_code": typed })),
        )
    }))
    .await;
    let winners: Vec<&Value> = pairs
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(winners.len(), 1, "{pairs:?}");
    assert_eq!(winners[0]["lists"][0]["name"], "Main gate");
    assert_eq!(winners[0]["event"]["title"], "Summer Jazz");
    for (status, body) in pairs.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(
            (*status, body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_pairing_code"))
        );
    }
}

#[tokio::test]
async fn search_finds_people_without_their_code_and_admits_by_ticket() {
    let gate = Gate::new().await;
    let list = gate.list(json!({ "name": "Main gate" })).await;
    let token = gate.device("Phone", "North").await;
    gate.tickets_of(&gate.ticket_type.clone(), 2, "paid", "Ada Lovelace")
        .await;
    gate.tickets_of(&gate.ticket_type.clone(), 1, "paid", "Grace Hopper")
        .await;
    let (status, found) = gate
        .scanner
        .request(
            Method::GET,
            &format!("/api/v1/checkin/search?list_id={list}&q=lovelace"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let ticket = items[0]["ticket_id"].as_str().unwrap();
    let (status, answer) = gate
        .scanner
        .redeem(
            &token,
            json!({ "ticket_id": ticket, "list_id": list, "nonce": "by-ticket-01" }),
        )
        .await;
    assert_eq!(
        (status, answer["reason"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (_, found) = gate
        .scanner
        .request(
            Method::GET,
            &format!("/api/v1/checkin/search?list_id={list}&q=100%25"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 0, "% is literal");
    let (status, _) = gate
        .scanner
        .request(
            Method::GET,
            &format!("/api/v1/checkin/search?list_id={list}&q=a"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = gate
        .scanner
        .request(
            Method::GET,
            &format!("/api/v1/checkin/search?list_id={list}&q=ab%00cd"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a NUL byte is refused, not a 500"
    );
    // By the shared query extractor, with the same code as everywhere.
    assert_eq!(body["error"]["code"], "invalid_characters", "{body}");
    assert_eq!(body["error"]["fields"]["q"]["code"], "invalid_characters");
}

#[tokio::test]
async fn the_sync_carries_keys_revocations_and_entries_only_a_code_opens() {
    let gate = Gate::new().await;
    let list = gate.list(json!({ "name": "Main gate" })).await;
    let token = gate.device("Phone", "North").await;
    let tickets = gate.tickets(3, "paid").await;
    let old =
        crate::helpers::reissue(&gate.app, &gate.signer, &tickets[0].0, &gate.ticket_type).await;
    let _ = old;
    gate.scanner.scan(&token, &list, &tickets[1].1).await;
    // Times are milliseconds: keep the changes above apart from the sync's cursor.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (status, sync) = gate
        .scanner
        .request(
            Method::GET,
            &format!("/api/v1/checkin/sync?list_id={list}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sync}");
    assert_eq!(sync["full"], true);
    assert_eq!(
        sync["public_keys"][0]["key_id"],
        gate.signer.key_id().to_hex()
    );
    assert_eq!(sync["revoked"].as_array().unwrap().len(), 1);
    assert_eq!(
        sync["revoked"][0],
        bilten_domain::offline::lookup_key(&tickets[0].1),
        "revoked codes travel as lookups only"
    );
    let entries: Vec<bilten_domain::offline::SealedEntry> =
        serde_json::from_value(sync["entries"].clone()).unwrap();
    assert_eq!(entries.len(), 3);
    let text = sync.to_string();
    assert!(!text.contains("Guest"), "no holder name in clear");
    let code = &tickets[1].1;
    let entry = entries
        .iter()
        .find(|e| e.lookup == bilten_domain::offline::lookup_key(code))
        .unwrap();
    let plain: Value =
        serde_json::from_slice(&bilten_domain::offline::open(code, entry).unwrap()).unwrap();
    assert_eq!(plain["holder_name"], "Guest 1");
    assert!(plain["checked_in_at"].is_string());
    assert_eq!(plain["first_gate"], "North");
    // An incremental sync from the cursor carries only what changed since.
    let cursor = sync["cursor"].as_str().unwrap().parse::<i64>().unwrap() + 5_000;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    gate.scanner.scan(&token, &list, &tickets[2].1).await;
    let (_, delta) = gate
        .scanner
        .request(
            Method::GET,
            &format!("/api/v1/checkin/sync?list_id={list}&since={cursor}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(delta["full"], false);
    assert_eq!(delta["entries"].as_array().unwrap().len(), 1, "{delta}");
    let (status, _) = gate
        .scanner
        .request(
            Method::GET,
            &format!("/api/v1/checkin/sync?list_id={list}&since=yesterday"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_scanner_serves_health_ready_metrics_and_its_app() {
    let gate = Gate::new().await;
    for path in ["/health", "/ready"] {
        let (status, _) = gate.scanner.request(Method::GET, path, None, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let (status, metrics) = gate
        .scanner
        .request(Method::GET, "/metrics", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(metrics
        .as_str()
        .unwrap()
        .contains("bilten_checkins_total{result=\"invalid\"} 0"));
    let (status, page) = gate.scanner.request(Method::GET, "/", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("app.js"));
}

/// The whole way: a free ticket bought in the shop (order → checkout → tickets signed by the
/// backend with the event's derived key) is admitted once at the gate, and its re-issued
/// replacement makes the old code `revoked`.
#[tokio::test]
async fn a_ticket_from_a_real_free_order_is_admitted_once_at_the_gate() {
    let shop = crate::helpers::Shop::new().await;
    let (buyer, tickets) = shop.buy(2, "Ada Buyer").await;
    let list = shop.list("Entrance").await;
    let pairing_code = shop.pairing_code("Phone").await;
    let (_, paired) = shop
        .scanner
        .request(
            Method::POST,
            "/api/v1/checkin/pair",
            None,
            Some(json!({ "pairing_code": pairing_code })),
        )
        .await;
    let token = paired["device_token"].as_str().unwrap().to_owned();
    let scanner = &shop.scanner;

    let first = scanner.scan(&token, &list, &tickets[0].1).await;
    assert_eq!(first["reason"], "ok", "{first}");
    assert_eq!(first["ticket"]["type"], "Free entry");
    assert_eq!(
        scanner.scan(&token, &list, &tickets[0].1).await["reason"],
        "already_redeemed"
    );
    // The other ticket of the order, re-issued: its old code is revoked, the new one admits.
    let (ticket_id, old) = &tickets[1];
    let (status, reissued) = shop
        .app
        .request(
            Method::PATCH,
            &format!("/api/v1/tickets/{ticket_id}"),
            Some(&buyer.access_token),
            Some(json!({ "attendee_name": "Grace Guest" })),
        )
        .await;
    assert!(status.is_success(), "{reissued}");
    let new_code = reissued["ticket"]["code"].as_str().unwrap().to_owned();
    assert_eq!(scanner.scan(&token, &list, old).await["reason"], "revoked");
    let admitted = scanner.scan(&token, &list, &new_code).await;
    assert_eq!(admitted["reason"], "ok", "{admitted}");
    assert_eq!(admitted["ticket"]["holder_name"], "Grace Guest");
    let (_, numbers) = shop
        .app
        .get(
            &format!("/api/v1/events/{}/checkin-stats", shop.event),
            Some(&shop.organizer.access_token),
        )
        .await;
    assert_eq!(numbers["lists"][0]["expected"], 2, "{numbers}");
    assert_eq!(numbers["lists"][0]["checked_in"], 2);
}

/// POSTs a 2 MB JSON body with `Content-Length` on a raw TCP connection as many clients do
/// (Python's `requests`, for one): the whole body first, then the answer. Returns what came
/// back, with any error on the way: a server that answers early and closes with unread bytes
/// makes the kernel reset the connection, and the client's write fails before it reads.
async fn post_two_megabytes(address: &str, path: &str, token: Option<&str>) -> String {
    use std::fmt::Write as _;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let body = format!("{{\"code\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{auth}\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    let mut notes = String::new();
    let mut request = head.into_bytes();
    request.extend_from_slice(body.as_bytes());
    // In small pieces with pauses, as over a real network, so the server answers mid-upload.
    for piece in request.chunks(64 * 1024) {
        if let Err(error) = stream.write_all(piece).await {
            let _ = write!(notes, "<write: {error}>");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let mut response = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        stream.read_to_end(&mut response),
    )
    .await
    .expect("the scanner answers within 20 s");
    if let Err(error) = read {
        let _ = write!(notes, "<read: {error}>");
    }
    format!("{}{notes}", String::from_utf8_lossy(&response))
}

/// Issue #12 item 12b: a 2 MB body to the scanner reset the connection instead of being
/// answered. It gets `413 payload_too_large` in the JSON error body, whether or not the
/// caller is authenticated and whatever the route.
#[tokio::test]
async fn a_two_megabyte_body_is_answered_413_in_the_json_error_body() {
    let gate = Gate::new().await;
    let device = gate.device("Big", "Gate 1").await;
    for (path, token) in [
        ("/api/v1/checkin/redeem", Some(device.as_str())),
        ("/api/v1/checkin/uploads", Some(device.as_str())),
        ("/api/v1/checkin/pair", None),
        ("/api/v1/checkin/redeem", None),
    ] {
        let response = post_two_megabytes(&gate.scanner.address, path, token).await;
        assert!(
            response.starts_with("HTTP/1.1 413"),
            "{path}: {}",
            &response[..response.len().min(300)]
        );
        assert!(
            response.ends_with(
                "\"code\":\"payload_too_large\",\"message\":\"The request body is too large.\"}}"
            ),
            "{path}: the whole body was sent and the whole answer read: {response}"
        );
    }
    // The same through an ordinary HTTP client.
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/checkin/redeem", gate.scanner.address))
        .bearer_auth(&device)
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .expect("an answer, not a reset connection");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
}

/// A scan whose write fails inside a batch (here: a trigger refusing one ticket's check-in
/// state, standing in for any database error on one row) is rolled back to its savepoint and
/// answered with its error; the scans batched with it are still admitted and committed.
#[tokio::test]
async fn one_failing_scan_in_a_batch_does_not_undo_the_others() {
    let gate = Gate::new().await;
    let list = gate.list(json!({ "name": "Main gate" })).await;
    let token = gate.device("Phone", "North").await;
    let tickets = gate.tickets(60, "paid").await;
    let poisoned = tickets[17].0.clone();
    poison_checkin_state_of(&gate.app.store, &poisoned).await;

    let answers = join_all(tickets.iter().map(|(_, code)| {
        let body =
            json!({ "code": code, "list_id": list, "nonce": uuid::Uuid::new_v4().to_string() });
        gate.scanner.redeem(&token, body)
    }))
    .await;
    for ((id, _), (status, answer)) in tickets.iter().zip(&answers) {
        if *id == poisoned {
            assert_eq!(*status, StatusCode::INTERNAL_SERVER_ERROR, "{answer}");
            assert_eq!(answer["error"]["code"], "internal_error", "{answer}");
        } else {
            assert_eq!(*status, StatusCode::OK, "{answer}");
            assert_eq!(answer["reason"], "ok", "{answer}");
        }
    }

    let (_, stats) = gate
        .app
        .get(
            &format!("/api/v1/events/{}/checkin-stats", gate.event),
            Some(&gate.organizer.access_token),
        )
        .await;
    assert_eq!(
        stats["lists"][0]["checked_in"].as_i64(),
        Some(59),
        "{stats}"
    );
    let (_, metrics) = gate
        .scanner
        .request(Method::GET, "/metrics", None, None)
        .await;
    let metrics = metrics.as_str().unwrap().to_owned();
    let transactions: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("bilten_checkin_batch_size_count "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no batch count in {metrics}"));
    assert!(
        transactions < 60,
        "the 60 concurrent scans shared transactions ({transactions})"
    );

    // Once the fault is gone the ticket scans normally: nothing of the failed attempt stayed.
    unpoison(&gate.app.store).await;
    let code = &tickets[17].1;
    assert_eq!(gate.scanner.scan(&token, &list, code).await["reason"], "ok");
}

async fn poison_checkin_state_of(store: &bilten_store::Store, ticket: &str) {
    // As the store writes it: the bare UUID, without the `tkt_` prefix of the API.
    let ticket = ticket.parse::<bilten_domain::TicketId>().unwrap().to_db();
    let statements = match store.dialect() {
        bilten_store::Dialect::Sqlite => vec![format!(
            "CREATE TRIGGER poison BEFORE INSERT ON checkin_states WHEN NEW.ticket_id = '{ticket}' \
             BEGIN SELECT RAISE(ABORT, 'poisoned for the test'); END"
        )],
        bilten_store::Dialect::Postgres => vec![
            format!(
                "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.ticket_id = '{ticket}' THEN RAISE EXCEPTION 'poisoned for the test'; END IF; \
                 RETURN NEW; END $$"
            ),
            "CREATE TRIGGER poison BEFORE INSERT ON checkin_states FOR EACH ROW EXECUTE FUNCTION poison()"
                .to_owned(),
        ],
    };
    for statement in statements {
        sqlx::raw_sql(&statement)
            .execute(store.primary())
            .await
            .unwrap();
    }
}

async fn unpoison(store: &bilten_store::Store) {
    let statement = match store.dialect() {
        bilten_store::Dialect::Sqlite => "DROP TRIGGER poison",
        bilten_store::Dialect::Postgres => "DROP TRIGGER poison ON checkin_states",
    };
    sqlx::raw_sql(statement)
        .execute(store.primary())
        .await
        .unwrap();
}

/// The scanner keeps an event's keys after its first scan (`crate::gate_cache`). A key added
/// afterwards (a rotation) must not make tickets signed with it look forged: a code naming a
/// key id the scanner does not keep makes it read the keys again.
#[tokio::test]
async fn a_ticket_signed_after_a_key_rotation_is_admitted_by_a_scanner_that_kept_the_old_keys() {
    let shop = crate::helpers::Shop::new().await;
    let list = shop.list("Entrance").await;
    let pairing_code = shop.pairing_code("Phone").await;
    let (_, paired) = shop
        .scanner
        .request(
            Method::POST,
            "/api/v1/checkin/pair",
            None,
            Some(json!({ "pairing_code": pairing_code })),
        )
        .await;
    let token = paired["device_token"].as_str().unwrap().to_owned();
    let (_, before) = shop.buy(1, "Early Buyer").await;
    let first = shop.scanner.scan(&token, &list, &before[0].1).await;
    assert_eq!(first["reason"], "ok", "{first}");

    let (status, rotated) = shop
        .app
        .post(
            &format!("/api/v1/events/{}/ticket-keys/rotate", shop.event),
            Some(&shop.organizer.access_token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    let (_, after) = shop.buy(1, "Late Buyer").await;
    let second = shop.scanner.scan(&token, &list, &after[0].1).await;
    assert_eq!(second["reason"], "ok", "a ticket of the new key: {second}");
    // A forged code with the new key id's shape is still refused (the keys were re-read,
    // not trusted blindly).
    let mut forged = after[0].1.clone().into_bytes();
    let end = forged.len() - 1;
    forged[end] = if forged[end] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let third = shop.scanner.scan(&token, &list, &forged).await;
    assert_eq!(third["reason"], "invalid", "{third}");
}
