//! The organizer side of check-in (served by the backend).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::Gate;

#[tokio::test]
async fn lists_are_validated_and_name_their_ticket_types() {
    let gate = Gate::new().await;
    let path = format!("/api/v1/events/{}/checkin-lists", gate.event);
    let token = Some(gate.organizer.access_token.as_str());
    let (status, body) = gate
        .app
        .post(
            &path,
            token,
            json!({ "name": " ", "ticket_type_ids": ["tty_nope"], "not_before": "2030-01-02T00:00:00Z", "not_after": "2030-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = &body["error"]["fields"];
    assert_eq!(fields["name"]["code"], "required");
    assert_eq!(fields["ticket_type_ids"]["code"], "unknown_ticket_type");
    assert_eq!(fields["not_after"]["code"], "invalid_window");
    let (status, body) = gate
        .app
        .post(
            &path,
            token,
            json!({ "name": "VIP", "ticket_type_ids": [gate.ticket_type], "reentry_allowed": true,
                    "not_before": "2030-06-01T17:00:00Z" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let list = &body["checkin_list"];
    assert_eq!(list["all_ticket_types"], false);
    assert_eq!(list["ticket_type_ids"][0], gate.ticket_type.as_str());
    assert_eq!(list["reentry_allowed"], true);
    assert_eq!(list["not_before"], "2030-06-01T17:00:00+00:00");
    let (status, lists) = gate.app.get(&path, token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(lists["items"].as_array().unwrap().len(), 1);
    let (status, body) = gate
        .app
        .post(
            &format!("/api/v1/events/{}/devices", gate.event),
            token,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["fields"]["name"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("required"))
    );
}
