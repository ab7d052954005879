//! Mail through a real SMTP server (aiosmtpd), as production sends it.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bilten_mail::{SmtpSettings, Transport};
use bilten_test_support::{require_services, TestApp};

pub struct SmtpServer(Child);

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts aiosmtpd with its Maildir handler on a free port; `None` when it is not installed.
fn start_aiosmtpd(port: u16, maildir: &std::path::Path) -> Option<SmtpServer> {
    let installed = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .ok()?
        .success();
    if !installed {
        return None;
    }
    let child = Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    Some(SmtpServer(child))
}

/// A running aiosmtpd on a free port with its Maildir, and a transport to it. `None` (the
/// test should skip) when aiosmtpd is not installed and services are not required.
pub async fn real_smtp() -> Option<(SmtpServer, Transport, std::path::PathBuf)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = std::env::temp_dir()
        .join("bilten-tests")
        .join(format!("maildir-{port}"));
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let Some(server) = start_aiosmtpd(port, &maildir) else {
        assert!(
            !require_services(),
            "aiosmtpd is required in CI (pip install aiosmtpd)"
        );
        eprintln!("skipped: aiosmtpd not installed");
        return None;
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let transport = Transport::smtp(&SmtpSettings {
        host: "127.0.0.1",
        port,
        user: None,
        pass: None,
    })
    .unwrap();
    Some((server, transport, maildir))
}

/// The mails delivered into a Maildir (waits up to 5 s for `count` of them).
pub async fn delivered(maildir: &std::path::Path, count: usize) -> Vec<String> {
    let new_dir = maildir.join("new");
    let mut found = Vec::new();
    for _ in 0..100 {
        found = std::fs::read_dir(&new_dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        if found.len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    found
}

#[tokio::test]
async fn the_verification_mail_reaches_a_real_smtp_server() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = std::env::temp_dir()
        .join("bilten-tests")
        .join(format!("maildir-{port}"));
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let Some(_server) = start_aiosmtpd(port, &maildir) else {
        assert!(
            !require_services(),
            "aiosmtpd is required in CI (pip install aiosmtpd)"
        );
        eprintln!("skipped: aiosmtpd not installed");
        return;
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let transport = Transport::smtp(&SmtpSettings {
        host: "127.0.0.1",
        port,
        user: None,
        pass: None,
    })
    .unwrap();
    let app = TestApp::spawn_with_transport(transport).await;
    let user = app.signed_up_user("Smtp").await;
    app.wait_for_mail(&user.email, "Confirm").await;
    assert_eq!(app.deliver_mail().await, 1);

    let new_dir = maildir.join("new");
    let mut delivered = Vec::new();
    for _ in 0..100 {
        delivered = std::fs::read_dir(&new_dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        if !delivered.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(delivered.len(), 1, "one mail in {}", new_dir.display());
    let mail = &delivered[0];
    assert!(mail.contains(&format!("To: {}", user.email)), "{mail}");
    assert!(mail.contains("Subject: Confirm your email address"));
    // The body is quoted-printable, so `=` arrives as `=3D`.
    assert!(mail.contains("verify-email?token=3Dve_"), "{mail}");
    // Marked sent: a second pass sends nothing more.
    assert_eq!(app.deliver_mail().await, 0);
    let _ = std::fs::remove_dir_all(&maildir);
}
