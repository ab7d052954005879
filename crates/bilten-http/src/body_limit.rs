//! Refusing a declared body over the role's limit with `413 payload_too_large`, in a way the
//! client can read.
//!
//! Answering early is not enough: a server that closes the connection with bytes of the body
//! still unread makes the kernel reset it, and a client still sending (Python's `requests`,
//! a proxy forwarding the body) fails its write with "broken pipe" or "connection reset"
//! before it ever reads the 413. So when the client is already sending (no
//! `Expect: 100-continue`), the rest of the body is read and thrown away, up to
//! [`DRAIN_MAX`] bytes and [`DRAIN_TIME`], before the 413 goes out with `Connection: close`;
//! like nginx's lingering close. A client that asked `Expect: 100-continue` has not sent the
//! body and never will (it gets the 413 instead of `100 Continue`), so nothing is read.
//!
//! Bodies without `Content-Length` (chunked) are limited while they are read, by
//! `DefaultBodyLimit` in the extractors.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;

use crate::ApiError;
use bilten_api::ErrorCode;

/// Most bytes read and dropped to let a client finish sending; beyond it the connection is
/// simply closed (the gateway allows 11 MiB).
pub const DRAIN_MAX: usize = 16 * 1024 * 1024;

/// Longest a refused upload is read for, so a slow client cannot hold the connection.
pub const DRAIN_TIME: Duration = Duration::from_secs(10);

/// The 413 every role answers.
pub fn payload_too_large() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        "The request body is too large.",
    )
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
}

/// Reads and drops up to [`DRAIN_MAX`] bytes of `body`, for at most [`DRAIN_TIME`].
async fn drain(body: Body) {
    let mut stream = body.into_data_stream();
    let mut read = 0_usize;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(chunk)) = stream.next().await {
            read += chunk.len();
            if read > DRAIN_MAX {
                break;
            }
        }
    })
    .await;
}

/// Whether the request declares a body longer than `limit` (the role's largest body).
pub(crate) fn declares_over(request: &Request, limit: usize) -> bool {
    declared_length(request.headers()).is_some_and(|length| length > limit)
}

/// The 413 for a request that [`declares_over`] the limit: the body is read and dropped first
/// (unless the client waits for `100-continue`, or it is huge), so the client reads the answer
/// instead of a reset connection; then the connection is closed.
pub(crate) async fn refuse(request: Request) -> Response {
    let headers = request.headers();
    if !expects_continue(headers) && declared_length(headers).is_some_and(|n| n <= DRAIN_MAX) {
        drain(request.into_body()).await;
    }
    let mut response = payload_too_large().into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::routing::post;
    use axum::Router;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use crate::HttpMetrics;

    /// A role with a 1 KiB limit on a local port; the handler never reads the body.
    async fn serve() -> SocketAddr {
        let app = Router::new().route("/upload", post(|| async { "accepted" }));
        let app = crate::standard_layers(app, &HttpMetrics::new(), 1024);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(crate::serve(
            listener,
            app,
            tokio_util::sync::CancellationToken::new(),
        ));
        address
    }

    /// Sends `head`, then (unless `wait_first`) the body in pieces; reads the answer.
    async fn exchange(address: SocketAddr, head: &str, body: &[u8]) -> (String, Option<String>) {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut error = None;
        for piece in body.chunks(32 * 1024) {
            if let Err(e) = stream.write_all(piece).await {
                error = Some(e.to_string());
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(15),
            stream.read_to_end(&mut answer),
        )
        .await
        .unwrap();
        (String::from_utf8_lossy(&answer).into_owned(), error)
    }

    #[tokio::test]
    async fn a_client_sending_a_body_over_the_limit_sends_it_all_and_reads_the_413() {
        let address = serve().await;
        let body = vec![b'x'; 2 * 1024 * 1024];
        let head = format!(
            "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let (answer, error) = exchange(address, &head, &body).await;
        assert_eq!(error, None, "the upload was cut off: {answer}");
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("connection: close"), "{answer}");
        assert!(
            answer.ends_with(
                "\"code\":\"payload_too_large\",\"message\":\"The request body is too large.\"}}"
            ),
            "{answer}"
        );
    }

    #[tokio::test]
    async fn a_client_waiting_for_100_continue_gets_the_413_instead_and_sends_nothing() {
        let address = serve().await;
        let head = "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5000000\r\n\
                    Expect: 100-continue\r\n\r\n";
        let started = std::time::Instant::now();
        let (answer, _) = exchange(address, head, b"").await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Within the limit, the route answers.
        let (answer, _) = exchange(
            address,
            "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nConnection: close\r\n\r\n",
            b"abc",
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
}
