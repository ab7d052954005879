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

/// Mails queued before the rush in the test below.
const RUSH_MAILS: usize = 30;

/// While this process sells faster than `BUSY_SALES_PER_SECOND`, the worker sends one mail per
/// `TRICKLE` instead of taking CPU from the buyers; once the rush is over it sends every mail
/// that waited, each exactly once.
#[tokio::test]
async fn the_worker_gives_way_to_a_rush_of_sales_and_sends_every_mail_after_it() {
    let app = TestApp::spawn().await;
    let before = outbox::pending_count(app.store.primary()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("bilten-rush-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let worker = OutboxWorker::new(
        app.store.clone(),
        Transport::files(dir.clone()),
        from(),
        WorkerMetrics::new(&prometheus::Registry::new()),
    );
    let handle = worker.handle();
    for n in 0..RUSH_MAILS {
        let to = format!("rush{n}@example.test");
        let key = format!("rush:{n}");
        let mail = outbox::NewEmail {
            dedupe_key: Some(&key),
            to: &to,
            subject: "Your tickets",
            body_text: "See you there.",
            body_html: None,
            attachments_json: None,
        };
        outbox::enqueue(app.store.primary(), &mail, Utc::now())
            .await
            .unwrap();
    }

    // A rush: sales well above the threshold, recorded every 100 ms while it lasts.
    let rush = tokio_util::sync::CancellationToken::new();
    let pacing = handle.pacing.clone();
    let selling = {
        let rush = rush.clone();
        tokio::spawn(async move {
            while !rush.is_cancelled() {
                pacing.record_sales(bilten_mail::pacing::BUSY_SALES_PER_SECOND + 50);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(worker.run(shutdown.clone()));
    tokio::time::sleep(Duration::from_millis(600)).await;
    let sent_in_rush = std::fs::read_dir(&dir).unwrap().count();
    // One mail at once, then one per 100 ms: at most 7 in 600 ms (fewer on a slow machine).
    assert!(
        sent_in_rush <= 8,
        "{sent_in_rush} of {RUSH_MAILS} mails sent during the rush"
    );

    // The rush ends: within two seconds the worker is back to full speed and sends the rest.
    rush.cancel();
    selling.await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while outbox::pending_count(app.store.primary()).await.unwrap() > before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "mails still queued 30 s after the rush"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shutdown.cancel();
    running.await.unwrap();
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(files, RUSH_MAILS, "each mail sent exactly once");
    let _ = std::fs::remove_dir_all(&dir);
}
