//! Forged and damaged codes: 10,000 at the function level (the exact verification the
//! scanner runs), a few hundred through HTTP (every answer a 200 with the right reason).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bilten_domain::ticket_code::{self, CodeRejection, TicketClaims, TicketSigner};
use bilten_domain::{CheckinReason, TicketId, TicketTypeId};
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::helpers::Gate;

/// The expected rejection of a mutated code, worked out independently of the verifier:
/// undecodable or wrong version → malformed; a key id we do not hold → unknown key;
/// otherwise the signature cannot match → bad signature.
fn expected(code: &str, known_key_id: [u8; 4]) -> CodeRejection {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(code) else {
        return CodeRejection::Malformed;
    };
    if bytes.len() != ticket_code::CODE_BYTES
        || URL_SAFE_NO_PAD.encode(&bytes) != code
        || bytes[0] != 1
    {
        return CodeRejection::Malformed;
    }
    if bytes[1..5] != known_key_id {
        return CodeRejection::UnknownKey;
    }
    CodeRejection::BadSignature
}

/// `count` mutations of `genuine`, each different from it.
fn mutations(
    genuine: &str,
    other_event: &TicketSigner,
    wrong_key: &TicketSigner,
    count: usize,
) -> Vec<(String, &'static str)> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    let bytes = URL_SAFE_NO_PAD.decode(genuine).unwrap();
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let kind = out.len() % 5;
        let (code, label) = match kind {
            0 => {
                // One or more bit flips in the decoded bytes.
                let mut b = bytes.clone();
                for _ in 0..rng.gen_range(1..=3) {
                    let i = rng.gen_range(0..b.len());
                    b[i] ^= 1 << rng.gen_range(0..8);
                }
                (URL_SAFE_NO_PAD.encode(&b), "bit flip")
            }
            1 => {
                // A character changed in the text (may break decoding or the padding bits).
                let mut chars: Vec<char> = genuine.chars().collect();
                let i = rng.gen_range(0..chars.len());
                let alphabet =
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .";
                chars[i] = char::from(alphabet[rng.gen_range(0..alphabet.len())]);
                (chars.into_iter().collect(), "character")
            }
            2 => {
                // Truncated or extended.
                let cut = rng.gen_range(0..genuine.len());
                if rng.gen_bool(0.5) {
                    (genuine[..cut].to_owned(), "truncated")
                } else {
                    (format!("{genuine}{}", &genuine[..cut.min(8)]), "extended")
                }
            }
            3 => {
                // A real code of another event (its own key).
                let claims = TicketClaims::new(TicketId::new(), TicketTypeId::new());
                (other_event.sign(&claims), "other event")
            }
            _ => {
                // This ticket's payload with a signature by a wrong key.
                let claims_payload = &bytes[..45];
                let forged = URL_SAFE_NO_PAD
                    .decode(
                        wrong_key.sign(&TicketClaims::new(TicketId::new(), TicketTypeId::new())),
                    )
                    .unwrap();
                let mut b = claims_payload.to_vec();
                b.extend_from_slice(&forged[45..]);
                (URL_SAFE_NO_PAD.encode(&b), "wrong key")
            }
        };
        if code != genuine {
            out.push((code, label));
        }
    }
    out
}

#[test]
fn ten_thousand_mutated_codes_are_all_rejected_with_the_right_reason() {
    let signer = TicketSigner::from_seed([7; 32]);
    let other_event = TicketSigner::from_seed([8; 32]);
    let wrong_key = TicketSigner::from_seed([9; 32]);
    let keys = [signer.public_key_entry()];
    let genuine = signer.sign(&TicketClaims::new(TicketId::new(), TicketTypeId::new()));
    assert!(ticket_code::verify(&genuine, &keys).is_ok());
    let mut seen = std::collections::HashMap::new();
    for (code, label) in mutations(&genuine, &other_event, &wrong_key, 10_000) {
        let rejection = ticket_code::verify(&code, &keys)
            .expect_err(&format!("{label} mutation verified: {code}"));
        assert_eq!(
            rejection,
            expected(&code, signer.key_id().as_bytes()),
            "{label}: {code}"
        );
        assert_eq!(CheckinReason::from(rejection), CheckinReason::Invalid);
        *seen.entry(rejection).or_insert(0) += 1;
    }
    // Every kind of rejection was exercised.
    for kind in [
        CodeRejection::Malformed,
        CodeRejection::UnknownKey,
        CodeRejection::BadSignature,
    ] {
        assert!(seen.get(&kind).copied().unwrap_or(0) > 500, "{seen:?}");
    }
}

#[tokio::test]
async fn mutated_and_revoked_codes_over_http_are_rejected_and_never_a_server_error() {
    let gate = Gate::new().await;
    let list = gate.list(json!({ "name": "Main gate" })).await;
    let token = gate.device("Phone", "North").await;
    let tickets = gate.tickets(3, "paid").await;
    let other_event = TicketSigner::from_seed([8; 32]);
    let wrong_key = TicketSigner::from_seed([9; 32]);
    let (ticket, genuine) = &tickets[0];
    let mut cases: Vec<(String, &str)> = mutations(genuine, &other_event, &wrong_key, 300)
        .into_iter()
        .map(|(code, _)| (code, "invalid"))
        .collect();
    // Control characters, unicode, JSON-ish junk.
    for junk in ["\u{0}\u{1}", "🎫🎫🎫", "' OR 1=1 --", "{\"a\":1}", "   "] {
        cases.push((junk.to_owned(), "invalid"));
    }
    let _new = crate::helpers::reissue(&gate.app, &gate.signer, ticket, &gate.ticket_type).await;
    cases.push((genuine.clone(), "revoked"));
    for (i, (code, reason)) in cases.iter().enumerate() {
        let (status, answer) = gate
            .scanner
            .redeem(
                &token,
                json!({ "code": code, "list_id": list, "nonce": format!("mutation-{i:05}") }),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{code}: {answer}");
        assert_eq!(answer["reason"], *reason, "{code}: {answer}");
        assert_eq!(answer["status"], "error");
    }
    // The genuine, untouched codes still work.
    assert_eq!(
        gate.scanner.scan(&token, &list, &tickets[1].1).await["reason"],
        "ok"
    );
}

/// A NUL in offline scans is one invalid scan each, never a refused batch: the app would
/// otherwise retry that batch forever and upload nothing after it (issue #12, item 7).
#[tokio::test]
async fn an_upload_with_nul_in_some_scans_answers_every_scan() {
    let gate = Gate::new().await;
    let list = gate.list(json!({ "name": "Main gate" })).await;
    let token = gate.device("Phone", "North").await;
    let tickets = gate.tickets(1, "paid").await;
    let (status, report) = gate
        .scanner
        .request(
            reqwest::Method::POST,
            "/api/v1/checkin/uploads",
            Some(&token),
            Some(json!({ "scans": [
                { "code": "ab\u{0}cd", "list_id": list, "nonce": "nul-scan-0001", "scanned_at": "2026-01-01T19:01:00Z", "offline_result": "invalid" },
                { "code": tickets[0].1, "list_id": list, "nonce": "nul-scan\u{0}02", "scanned_at": "2026-01-01T19:02:00Z" },
                { "code": tickets[0].1, "list_id": format!("{list}\u{0}"), "nonce": "nul-scan-0003", "scanned_at": "2026-01-01T19:03:00Z" },
                { "code": tickets[0].1, "list_id": list, "nonce": "nul-scan-0004", "scanned_at": "2026-01-01T19:04:00Z\u{0}" },
                { "code": tickets[0].1, "list_id": list, "nonce": "nul-scan-0005", "scanned_at": "2026-01-01T19:05:00Z", "offline_result": "o\u{0}k" }
            ]})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{report}");
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 5, "{report}");
    assert_eq!(results[0]["reason"], "invalid", "{report}");
    assert_eq!(results[1]["error"]["code"], "invalid_nonce", "{report}");
    assert!(results[2]["error"]["code"].is_string(), "{report}");
    assert_eq!(results[3]["error"]["code"], "invalid_time", "{report}");
    // The genuine scan among them is admitted.
    assert_eq!(results[4]["reason"], "ok", "{report}");
}
