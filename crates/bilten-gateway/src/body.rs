//! Body wrappers for streaming in both directions without buffering.
//!
//! - [`GuardedBody`] wraps the client's request body: it enforces the size limit while
//!   streaming (a chunked upload has no `Content-Length` to check up front), cuts off a
//!   client that stops sending (slow-client protection), and records when it last moved so
//!   the upstream timeout does not count a slow upload against the upstream.
//! - [`Replayable`] hands the same body to successive attempts and knows whether an attempt
//!   ever started reading it: only an untouched body can be sent again to another replica.
//! - [`ResponseBody`] wraps the upstream's response body: it keeps the replica's in-flight
//!   count until the body is done and gives up on an upstream that stalls mid-body.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use tokio::time::Sleep;

use crate::upstream::InFlight;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a client's request body was cut off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum ClientBodyFailure {
    TooLarge = 1,
    Stalled = 2,
    /// The client's connection failed mid-body.
    Aborted = 3,
}

/// Shared between the body (inside hyper) and the code waiting for the response.
pub(crate) struct BodyState {
    failure: AtomicU8,
    /// Milliseconds after `start` the body last produced data or ended.
    last_activity: AtomicU64,
    start: Instant,
}

impl BodyState {
    fn new() -> Self {
        Self {
            failure: AtomicU8::new(0),
            last_activity: AtomicU64::new(0),
            start: Instant::now(),
        }
    }

    fn touch(&self) {
        self.last_activity
            .store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn fail(&self, failure: ClientBodyFailure) {
        let _ =
            self.failure
                .compare_exchange(0, failure as u8, Ordering::Relaxed, Ordering::Relaxed);
    }

    pub(crate) fn failure(&self) -> Option<ClientBodyFailure> {
        match self.failure.load(Ordering::Relaxed) {
            1 => Some(ClientBodyFailure::TooLarge),
            2 => Some(ClientBodyFailure::Stalled),
            3 => Some(ClientBodyFailure::Aborted),
            _ => None,
        }
    }

    /// When the client last sent part of its body (or the start, if it has sent none).
    pub(crate) fn last_activity(&self) -> Instant {
        self.start + Duration::from_millis(self.last_activity.load(Ordering::Relaxed))
    }
}

#[derive(Debug, thiserror::Error)]
enum BodyError {
    #[error("request body larger than {0} bytes")]
    TooLarge(usize),
    #[error("client sent nothing for {0:?}")]
    ClientStalled(Duration),
    #[error("upstream sent nothing for {0:?}")]
    UpstreamStalled(Duration),
    #[error("request body was already consumed by an earlier attempt")]
    Consumed,
}

/// An idle timer created on the first `Pending` (most bodies never need one) and pushed
/// back whenever data flows.
struct IdleTimer {
    idle: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl IdleTimer {
    fn new(idle: Duration) -> Self {
        Self { idle, sleep: None }
    }

    fn progressed(&mut self) {
        if let Some(sleep) = &mut self.sleep {
            sleep
                .as_mut()
                .reset(tokio::time::Instant::now() + self.idle);
        }
    }

    /// `true` once nothing happened for the idle duration.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        let idle = self.idle;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
        sleep.as_mut().poll(cx).is_ready()
    }
}

pub(crate) struct GuardedBody {
    inner: Body,
    limit: usize,
    seen: usize,
    timer: IdleTimer,
    state: Arc<BodyState>,
}

impl GuardedBody {
    pub(crate) fn new(inner: Body, limit: usize, idle: Duration) -> (Self, Arc<BodyState>) {
        let state = Arc::new(BodyState::new());
        let body = Self {
            inner,
            limit,
            seen: 0,
            timer: IdleTimer::new(idle),
            state: state.clone(),
        };
        (body, state)
    }
}

impl HttpBody for GuardedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.seen += data.len();
                    if this.seen > this.limit {
                        this.state.fail(ClientBodyFailure::TooLarge);
                        return Poll::Ready(Some(Err(BodyError::TooLarge(this.limit).into())));
                    }
                }
                this.state.touch();
                this.timer.progressed();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                this.state.fail(ClientBodyFailure::Aborted);
                Poll::Ready(Some(Err(error.into())))
            }
            Poll::Ready(None) => {
                this.state.touch();
                Poll::Ready(None)
            }
            Poll::Pending => {
                if this.timer.expired(cx) {
                    this.state.fail(ClientBodyFailure::Stalled);
                    let idle = this.timer.idle;
                    return Poll::Ready(Some(Err(BodyError::ClientStalled(idle).into())));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

type Slot = Arc<Mutex<Option<GuardedBody>>>;

fn lock(slot: &Slot) -> std::sync::MutexGuard<'_, Option<GuardedBody>> {
    // Only `take` and `is_some` run under this lock; a poisoned lock still holds a valid Option.
    slot.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The client's body, handed to one attempt after another until one starts reading it.
pub(crate) struct Replayable {
    slot: Slot,
    end_stream: bool,
    size_hint: SizeHint,
}

impl Replayable {
    pub(crate) fn new(body: GuardedBody) -> Self {
        Self {
            end_stream: body.is_end_stream(),
            size_hint: body.size_hint(),
            slot: Arc::new(Mutex::new(Some(body))),
        }
    }

    /// The body for the next attempt.
    pub(crate) fn attempt(&self) -> Body {
        Body::new(AttemptBody {
            slot: self.slot.clone(),
            inner: None,
            end_stream: self.end_stream,
            size_hint: self.size_hint,
        })
    }

    /// No attempt has read a byte of the body, so it can still go to another replica whole.
    /// (An empty body is never read, so requests without one are always replayable.)
    pub(crate) fn untouched(&self) -> bool {
        lock(&self.slot).is_some()
    }
}

struct AttemptBody {
    slot: Slot,
    inner: Option<GuardedBody>,
    end_stream: bool,
    size_hint: SizeHint,
}

impl HttpBody for AttemptBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.inner.is_none() {
            this.inner = lock(&this.slot).take();
        }
        match &mut this.inner {
            Some(inner) => Pin::new(inner).poll_frame(cx),
            None => Poll::Ready(Some(Err(BodyError::Consumed.into()))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner
            .as_ref()
            .map_or(self.end_stream, HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| self.size_hint, HttpBody::size_hint)
    }
}

/// The upstream's response body on its way to the client.
pub(crate) struct ResponseBody {
    inner: Incoming,
    timer: IdleTimer,
    in_flight: InFlight,
}

impl ResponseBody {
    pub(crate) fn new(inner: Incoming, idle: Duration, in_flight: InFlight) -> Self {
        Self {
            inner,
            timer: IdleTimer::new(idle),
            in_flight,
        }
    }
}

impl HttpBody for ResponseBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.timer.progressed();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                let upstream = this.in_flight.upstream();
                tracing::warn!(
                    group = %upstream.group,
                    upstream = upstream.url.label(),
                    %error,
                    "upstream response body failed; the client gets a truncated response"
                );
                Poll::Ready(Some(Err(error.into())))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                if this.timer.expired(cx) {
                    let upstream = this.in_flight.upstream();
                    tracing::warn!(
                        group = %upstream.group,
                        upstream = upstream.url.label(),
                        "upstream stalled mid-response; closing"
                    );
                    let idle = this.timer.idle;
                    return Poll::Ready(Some(Err(BodyError::UpstreamStalled(idle).into())));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
