//! Mails give way to a flash sale.
//!
//! A confirmation costs several times what the purchase that queued it costs (its QR codes
//! and PDFs are rendered when it is sent, and it is claimed and recorded in two commits). When
//! buyers arrive faster than the worker can send, sending at full speed only takes CPU from the
//! purchases still waiting — the mails get further behind either way. So while this process is
//! selling faster than [`BUSY_SALES_PER_SECOND`], the worker sends one mail per
//! [`TRICKLE`] and sends the rest once the rush is over. Nothing is skipped: every mail stays
//! in the outbox until it is sent, and the buyer already holds the tickets (the purchase
//! answer and the order page carry them).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Purchases per second (in this process) above which mails give way.
pub const BUSY_SALES_PER_SECOND: u64 = 100;

/// While sales are busy the worker sends one mail, then waits this long.
pub const TRICKLE: Duration = Duration::from_millis(100);

/// Counts this process's purchases per second, so the outbox worker can tell a rush.
#[derive(Debug)]
pub struct Pacing {
    origin: Instant,
    window: Mutex<Window>,
}

/// Purchases counted in the current second and in the one before it.
#[derive(Debug, Default, Clone, Copy)]
struct Window {
    second: u64,
    current: u64,
    previous: u64,
}

impl Default for Pacing {
    fn default() -> Self {
        Self::new()
    }
}

impl Pacing {
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
            window: Mutex::new(Window::default()),
        }
    }

    /// Records `purchases` taken now (the purchase engine calls this once per batch).
    pub fn record_sales(&self, purchases: u64) {
        self.record_sales_at(Instant::now(), purchases);
    }

    /// Whether sales in this process are busy now: more than [`BUSY_SALES_PER_SECOND`] in the
    /// current second or in the one before it.
    pub fn sales_busy(&self) -> bool {
        self.sales_busy_at(Instant::now())
    }

    fn second_of(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.origin).as_secs()
    }

    fn record_sales_at(&self, at: Instant, purchases: u64) {
        let second = self.second_of(at);
        let mut window = self.lock();
        window.roll_to(second);
        window.current += purchases;
    }

    fn sales_busy_at(&self, at: Instant) -> bool {
        let second = self.second_of(at);
        let mut window = self.lock();
        window.roll_to(second);
        window.current.max(window.previous) > BUSY_SALES_PER_SECOND
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        // The window is two counters: a panic elsewhere cannot leave it inconsistent.
        self.window
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Window {
    fn roll_to(&mut self, second: u64) {
        if second == self.second {
            return;
        }
        self.previous = if second == self.second + 1 {
            self.current
        } else {
            0
        };
        self.current = 0;
        self.second = second;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_process_is_not_busy() {
        let pacing = Pacing::new();
        let start = pacing.origin;
        assert!(!pacing.sales_busy_at(start));
        pacing.record_sales_at(start, BUSY_SALES_PER_SECOND);
        assert!(
            !pacing.sales_busy_at(start),
            "exactly the threshold is not a rush"
        );
    }

    #[test]
    fn a_rush_is_busy_for_its_second_and_the_next_then_ends() {
        let pacing = Pacing::new();
        let start = pacing.origin;
        for _ in 0..=BUSY_SALES_PER_SECOND {
            pacing.record_sales_at(start + Duration::from_millis(300), 1);
        }
        assert!(pacing.sales_busy_at(start + Duration::from_millis(900)));
        assert!(
            pacing.sales_busy_at(start + Duration::from_millis(1_500)),
            "the second after a rush still counts it"
        );
        assert!(!pacing.sales_busy_at(start + Duration::from_millis(2_100)));
    }

    #[test]
    fn a_gap_of_seconds_forgets_the_rush() {
        let pacing = Pacing::new();
        let start = pacing.origin;
        pacing.record_sales_at(start, BUSY_SALES_PER_SECOND + 1);
        pacing.record_sales_at(start + Duration::from_secs(5), 1);
        assert!(!pacing.sales_busy_at(start + Duration::from_millis(5_500)));
    }
}
