//! Differential test against Stripe's official Python SDK (`pip install stripe`): headers the
//! SDK signs must verify with our code, and headers we sign must pass the SDK's own
//! `stripe.Webhook.construct_event`. A fresh machine lacks the SDK, so the tests are ignored by
//! plain `cargo test`; `.ci/run` installs it and runs them (`-- --include-ignored`). Run
//! without it they fail, they never pass vacuously.
#![allow(clippy::unwrap_used, clippy::items_after_statements)]
#![expect(
    clippy::expect_used,
    reason = "test support: a failed setup is a failed test, with its message"
)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use bilten_stripe::{signature_header, verify_webhook, SignatureError, DEFAULT_TOLERANCE_SECS};

const SECRET: &str = "whsec_differential_test_secret_3f9a";

/// A realistic event body, with non-ASCII text so the raw-bytes handling is exercised.
const BODY: &str = r#"{"id":"evt_1QdIff","object":"event","api_version":"2025-04-30.basil","created":1732590000,"data":{"object":{"id":"cs_test_a1","object":"checkout.session","amount_total":4200,"currency":"eur","metadata":{"order_id":"ord_01","note":"Zürich — Привет"},"payment_status":"paid","status":"complete","expires_at":1732593600,"payment_intent":"pi_1"}},"livemode":false,"type":"checkout.session.completed"}"#;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Runs a Python snippet with the body on stdin; returns (success, stdout, stderr).
fn python(script: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("this test needs python3 with the stripe package (.ci/run installs both)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("No module named 'stripe'"),
        "this test needs the official Stripe SDK: python3 -m pip install stripe (.ci/run installs it)"
    );
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        stderr,
    )
}

/// The SDK's header for the body read from stdin: `generate_signature_header`, cross-checked
/// against `_compute_signature` over `"{t}.{payload}"`.
fn sdk_sign(secret: &str, timestamp: i64, body: &str) -> String {
    let script = r"
import sys, stripe
secret, t = sys.argv[1], int(sys.argv[2])
payload = sys.stdin.buffer.read().decode('utf-8')
header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=t)
manual = 't=%d,v1=%s' % (t, stripe.WebhookSignature._compute_signature('%d.%s' % (t, payload), secret))
assert header == manual, (header, manual)
print(header)
";
    let (ok, out, err) = python(script, &[secret, &timestamp.to_string()], body);
    assert!(ok, "SDK signing failed: {err}");
    out
}

/// Whether the SDK's `construct_event` accepts the delivery (default tolerance, 300 s).
fn sdk_accepts(secret: &str, header: &str, body: &str) -> bool {
    let script = r"
import sys, stripe
payload = sys.stdin.buffer.read()
try:
    event = stripe.Webhook.construct_event(payload, sys.argv[2], sys.argv[1])
except stripe.SignatureVerificationError as e:
    print('rejected:', e, file=sys.stderr)
    sys.exit(3)
print(event['id'])
";
    let (ok, out, err) = python(script, &[secret, header], body);
    if ok {
        assert_eq!(out, "evt_1QdIff");
    } else {
        assert!(
            err.contains("rejected:"),
            "the SDK failed for another reason: {err}"
        );
    }
    ok
}

fn verify(header: &str, body: &str, now: i64) -> Result<bilten_stripe::Event, SignatureError> {
    verify_webhook(
        SECRET,
        Some(header),
        body.as_bytes(),
        now,
        DEFAULT_TOLERANCE_SECS,
    )
}

#[test]
#[ignore = "needs Python's stripe package (python3 -m pip install stripe)"]
fn headers_signed_by_the_official_sdk_verify_with_our_code() {
    let t = now();
    let header = sdk_sign(SECRET, t, BODY);
    let event = verify(&header, BODY, t).expect("our verifier must accept the SDK's signature");
    assert_eq!(event.id.as_str(), "evt_1QdIff");
    assert_eq!(
        event.checkout_session().unwrap().metadata["order_id"],
        "ord_01"
    );
    // And our signer produces the very same header.
    assert_eq!(signature_header(SECRET, t, BODY.as_bytes()), header);
}

#[test]
#[ignore = "needs Python's stripe package (python3 -m pip install stripe)"]
fn sdk_signed_headers_are_rejected_for_tampered_bodies_wrong_secrets_and_stale_times() {
    let t = now();
    let header = sdk_sign(SECRET, t, BODY);
    let tampered = BODY.replace("4200", "1");
    assert_eq!(
        verify(&header, &tampered, t).unwrap_err(),
        SignatureError::NoMatchingSignature
    );

    let other_secret = sdk_sign("whsec_someone_else", t, BODY);
    assert_eq!(
        verify(&other_secret, BODY, t).unwrap_err(),
        SignatureError::NoMatchingSignature
    );

    let stale = sdk_sign(SECRET, t - 301, BODY);
    assert_eq!(
        verify(&stale, BODY, t).unwrap_err(),
        SignatureError::TimestampOutsideTolerance
    );
    let almost_stale = sdk_sign(SECRET, t - 290, BODY);
    assert!(verify(&almost_stale, BODY, t).is_ok());
}

#[test]
#[ignore = "needs Python's stripe package (python3 -m pip install stripe)"]
fn headers_signed_by_our_code_pass_the_official_sdk() {
    let header = signature_header(SECRET, now(), BODY.as_bytes());
    assert!(sdk_accepts(SECRET, &header, BODY));
}

#[test]
#[ignore = "needs Python's stripe package (python3 -m pip install stripe)"]
fn the_official_sdk_rejects_what_we_must_reject_too() {
    let t = now();
    let tampered = BODY.replace("4200", "1");
    let header = signature_header(SECRET, t, BODY.as_bytes());
    assert!(!sdk_accepts(SECRET, &header, &tampered));
    assert!(verify(&header, &tampered, t).is_err());

    let wrong_secret = signature_header("whsec_someone_else", t, BODY.as_bytes());
    assert!(!sdk_accepts(SECRET, &wrong_secret, BODY));
    assert!(verify(&wrong_secret, BODY, t).is_err());

    let stale = signature_header(SECRET, t - 1000, BODY.as_bytes());
    assert!(!sdk_accepts(SECRET, &stale, BODY));
    assert!(verify(&stale, BODY, t).is_err());
}
