//! Delivering the outbox when things go wrong: a resend after a crash is the same message
//! (same `Message-ID`), a slow send holds only its own mail, and a worker whose lease ran out
//! cannot unlock a mail that another worker is sending.

use std::sync::Arc;
use std::time::Duration;

use bilten_mail::{OutboxWorker, SmtpSettings, Transport, WorkerMetrics};
use bilten_store::outbox;
use bilten_test_support::TestApp;
use chrono::Utc;
use tokio::sync::Notify;

use crate::smtp::{delivered, real_smtp};

fn from() -> bilten_mail::Mailbox {
    "Bilten <tickets@bilten.test>".parse().unwrap()
}

/// The `Message-ID` header of a raw mail.
fn message_id(raw: &str) -> String {
    raw.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("message-id")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no Message-ID in {raw}"))
}

/// A backend killed between the SMTP server's "OK" and recording the send: the mail goes out
/// again after the lease, and the receiver sees the same `Message-ID` both times.
#[tokio::test]
#[ignore = "needs aiosmtpd (pip install aiosmtpd)"]
async fn a_mail_resent_after_a_crash_carries_the_message_id_of_the_first_send() {
    let (_server, transport, maildir) = real_smtp().await;
    let app = TestApp::spawn_with_transport(transport.clone()).await;
    let user = app.signed_up_user("Resent").await;
    app.wait_for_mail(&user.email, "Confirm").await;

    // The "crashed" worker: claims with a lease that runs out at once, sends, never records.
    let claimed = outbox::claim_due(&app.store, 1, chrono::Duration::milliseconds(1), Utc::now())
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let mail = bilten_mail::Outgoing::stored(&claimed[0]).unwrap();
    transport.send(&from(), mail).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;

    // The next worker finds the lease expired and sends it again (at-least-once).
    assert_eq!(app.deliver_mail().await, 1);
    let mails = delivered(&maildir.join("new"), 2).await;
    assert_eq!(mails.len(), 2, "sent twice: {}", maildir.display());
    let first = message_id(&mails[0]);
    assert_eq!(message_id(&mails[1]), first, "a resend is the same message");
    assert_eq!(first, format!("<{}@bilten.test>", claimed[0].id));
    assert_eq!(app.deliver_mail().await, 0, "recorded as sent now");
    let _ = std::fs::remove_dir_all(&maildir);
}

/// An SMTP server that accepts connections and never answers (a hung relay); `accepted` is
/// notified on each connection.
async fn silent_smtp_server() -> (u16, Arc<Notify>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(Notify::new());
    let notify = accepted.clone();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
            notify.notify_one();
        }
    });
    (port, accepted, task)
}

#[tokio::test]
async fn a_mail_stuck_in_a_slow_send_does_not_hold_back_the_others() {
    let app = TestApp::spawn().await;
    for name in ["One", "Two", "Three"] {
        let user = app.signed_up_user(name).await;
        app.wait_for_mail(&user.email, "Confirm").await;
    }
    let (port, accepted, server) = silent_smtp_server().await;
    let stuck = OutboxWorker::new(
        app.store.clone(),
        Transport::smtp(&SmtpSettings {
            host: "127.0.0.1",
            port,
            user: None,
            pass: None,
        })
        .unwrap(),
        from(),
        WorkerMetrics::new(&prometheus::Registry::new()),
    );
    let stuck = tokio::spawn(async move { stuck.run_once().await });
    // The stuck worker has claimed a mail and is waiting for the relay's greeting.
    tokio::time::timeout(Duration::from_secs(10), accepted.notified())
        .await
        .expect("the stuck worker connects to its relay");

    // Another replica's worker delivers the other two now, not after the stuck one's lease.
    assert_eq!(app.deliver_mail().await, 2);
    assert_eq!(outbox::pending_count(app.store.primary()).await.unwrap(), 1);
    stuck.abort();
    server.abort();
}

#[tokio::test]
async fn a_worker_whose_lease_ran_out_cannot_unlock_a_mail_another_worker_is_sending() {
    let app = TestApp::spawn().await;
    let user = app.signed_up_user("Fenced").await;
    app.wait_for_mail(&user.email, "Confirm").await;
    let lease_gone = chrono::Duration::milliseconds(1);
    let stale = outbox::claim_due(&app.store, 1, lease_gone, Utc::now())
        .await
        .unwrap();
    assert_eq!(stale.len(), 1);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let current = outbox::claim_due(&app.store, 1, chrono::Duration::seconds(120), Utc::now())
        .await
        .unwrap();
    assert_eq!(
        current.len(),
        1,
        "the lease ran out, so another worker claims it"
    );
    assert_eq!(current[0].id, stale[0].id);

    // The first worker's send fails late and asks for an immediate retry: ignored, the row
    // stays with the worker that holds it now.
    let recorded = outbox::mark_attempt_failed(
        app.store.primary(),
        &stale[0].id,
        stale[0].attempts,
        "temporary: timed out",
        Some(Utc::now()),
    )
    .await
    .unwrap();
    assert!(!recorded);
    let third = outbox::claim_due(&app.store, 1, chrono::Duration::seconds(120), Utc::now())
        .await
        .unwrap();
    assert!(
        third.is_empty(),
        "a mail being sent is not handed to a third worker"
    );

    // The current holder's own result counts.
    assert!(outbox::mark_attempt_failed(
        app.store.primary(),
        &current[0].id,
        current[0].attempts,
        "temporary: timed out",
        Some(Utc::now()),
    )
    .await
    .unwrap());
}
