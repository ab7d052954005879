//! Mail through a real SMTP server (aiosmtpd), as production sends it. A fresh machine lacks
//! aiosmtpd, so these tests are ignored by plain `cargo test` and run by `.ci/run`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bilten_mail::{SmtpSettings, Transport};
use bilten_test_support::{needs, TestApp};

pub struct SmtpServer(Child);

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts aiosmtpd with its Maildir handler on a free port.
fn start_aiosmtpd(port: u16, maildir: &std::path::Path) -> SmtpServer {
    let python = needs::python_module("aiosmtpd", "python3 -m pip install aiosmtpd");
    let child = Command::new(python)
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
        .expect("aiosmtpd starts");
    SmtpServer(child)
}

/// A running aiosmtpd on a free port with its Maildir, and a transport to it. Panics when
/// aiosmtpd is not installed: tests using it are `#[ignore = "needs … aiosmtpd …"]`.
pub async fn real_smtp() -> (SmtpServer, Transport, std::path::PathBuf) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = std::env::temp_dir()
        .join("bilten-tests")
        .join(format!("maildir-{port}"));
    // A run that failed may have left mails under the same port's name.
    let _ = std::fs::remove_dir_all(&maildir);
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let server = start_aiosmtpd(port, &maildir);
    wait_listening(port).await;
    let transport = Transport::smtp(&SmtpSettings {
        host: "127.0.0.1",
        port,
        user: None,
        pass: None,
    })
    .unwrap();
    (server, transport, maildir)
}

/// Waits (up to 5 s) until something accepts connections on `port`.
async fn wait_listening(port: u16) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("aiosmtpd did not listen on {port} within 5 s");
}

/// The mails delivered as files into `dir` (a Maildir's `new/`, or the file transport's
/// directory); waits up to 5 s for `count` of them.
pub async fn delivered(dir: &std::path::Path, count: usize) -> Vec<String> {
    let mut found = Vec::new();
    for _ in 0..100 {
        found = std::fs::read_dir(dir)
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
#[ignore = "needs Python's aiosmtpd package (python3 -m pip install aiosmtpd)"]
async fn the_verification_mail_reaches_a_real_smtp_server() {
    let (_server, transport, maildir) = real_smtp().await;
    let app = TestApp::spawn_with_transport(transport).await;
    let user = app.signed_up_user("Smtp").await;
    app.wait_for_mail(&user.email, "Confirm").await;
    assert_eq!(app.deliver_mail().await, 1);

    let new_dir = maildir.join("new");
    let delivered = delivered(&new_dir, 1).await;
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
