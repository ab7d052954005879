//! The SMTP server down, then up: a backend sells while its mail server is unreachable, so
//! every confirmation fails its first delivery and waits in the outbox; once a real SMTP
//! server (aiosmtpd) listens on that port, every queued mail is delivered — none lost, none
//! given up.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bilten_test_support::needs;
use serde_json::json;

use super::ledger::assert_ledger_balanced;
use crate::processes::api::{guest_order, Api, Call, GOOD_CARD};
use crate::processes::{
    data_dir, free_port, fresh_database, psql, require_psql, spawn_role, wait_ready, Process,
};

const BUYERS: usize = 8;

/// aiosmtpd on `port`, storing what it receives in the Maildir `maildir`.
fn start_aiosmtpd(port: u16, maildir: &Path) -> Process {
    let python = needs::python_module("aiosmtpd", "python3 -m pip install aiosmtpd");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let child = Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Process(child)
}

/// The outbox as `(pending, sent, failed, pending that were tried at least once)`.
fn outbox(database: &str) -> [i64; 4] {
    let row = psql(
        database,
        "SELECT (SELECT COUNT(*) FROM outbox_emails WHERE status = 'pending'),
                (SELECT COUNT(*) FROM outbox_emails WHERE status = 'sent'),
                (SELECT COUNT(*) FROM outbox_emails WHERE status = 'failed'),
                (SELECT COUNT(*) FROM outbox_emails WHERE status = 'pending' AND attempts >= 1)",
    );
    [0, 1, 2, 3].map(|i| row[i].parse().unwrap())
}

fn delivered(maildir: &Path) -> Vec<String> {
    std::fs::read_dir(maildir.join("new"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (TEST_DATABASE_URL), Python's aiosmtpd package and psql"]
async fn mail_queued_while_smtp_is_down_is_all_delivered_when_it_comes_back() {
    let admin_url = needs::postgres();
    require_psql();
    needs::python_module("aiosmtpd", "python3 -m pip install aiosmtpd");
    let data = data_dir("smtp-outage");
    let maildir = data.join("maildir");
    let (database, _) = fresh_database(&admin_url, &data);
    let smtp_port = free_port(); // nothing listens there yet
    let port = free_port();
    let _backend = spawn_role(
        "backend",
        port,
        &[
            ("DATABASE_URL", database.clone()),
            ("BILTEN_DATA_DIR", data.display().to_string()),
            ("SMTP_HOST", "127.0.0.1".to_owned()),
            ("SMTP_PORT", smtp_port.to_string()),
        ],
    );
    let base = format!("http://127.0.0.1:{port}");
    let api = Arc::new(Api::new(vec![base.clone()], Duration::from_secs(30)));
    wait_ready(&api.client, &base).await;
    let sale = api
        .event_on_sale(&database, &[("Standing", 2500, 1000)], json!({}))
        .await;
    let mut buyers = Vec::new();
    for i in 0..BUYERS {
        let email = format!("smtp-buyer-{i}@example.com");
        let key = format!("smtp-order-{i}");
        let body = guest_order(&sale.event, &sale.ticket_types[0], 1, &email);
        let (status, order) = api
            .send(
                0,
                reqwest::Method::POST,
                "/orders",
                Call {
                    idempotency_key: Some(&key),
                    body: Some(&body),
                    ..Call::default()
                },
            )
            .await;
        assert_eq!(status, 201, "{order}");
        let (id, access_key) = (
            order["order"]["id"].as_str().unwrap(),
            order["access_key"].as_str().unwrap(),
        );
        let (status, paid) = api
            .send(
                0,
                reqwest::Method::POST,
                &format!("/orders/{id}/checkout"),
                Call {
                    order_key: Some(access_key),
                    body: Some(&json!({ "test_card": GOOD_CARD })),
                    ..Call::default()
                },
            )
            .await;
        assert_eq!(status, 200, "{paid}");
        buyers.push(email);
    }

    // Every mail (the organizer's verification and the confirmations) failed once and waits.
    let deadline = Instant::now() + Duration::from_secs(20);
    let queued = loop {
        let [pending, sent, failed, tried] = outbox(&database);
        assert_eq!(
            (sent, failed),
            (0, 0),
            "nothing can be sent or given up yet"
        );
        if pending > BUYERS as i64 && tried == pending {
            break pending;
        }
        assert!(
            Instant::now() < deadline,
            "mails were not tried: {:?}",
            outbox(&database)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    // The server comes up; the worker's retries deliver everything.
    let _smtp = start_aiosmtpd(smtp_port, &maildir);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let [pending, sent, failed, _] = outbox(&database);
        assert_eq!(failed, 0, "a mail was given up");
        if pending == 0 && sent == queued {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not delivered after the SMTP server came back: {:?}",
            outbox(&database)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mails = delivered(&maildir);
    assert!(mails.len() >= queued as usize, "{} mails", mails.len());
    for email in &buyers {
        assert!(
            mails.iter().any(|m| m.contains(&format!("To: {email}"))
                && m.contains("Subject: Your tickets")),
            "no confirmation reached {email}"
        );
    }
    assert_ledger_balanced(&database);
    let _ = std::fs::remove_dir_all(&data);
}
