//! The in-process store: a map with expiry, swept as it grows.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::WindowCount;

/// Sweep expired entries every this many writes, so abandoned keys cannot grow without bound.
const SWEEP_EVERY: u64 = 1024;

#[derive(Default)]
pub(crate) struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    values: HashMap<String, (String, Instant)>,
    counters: HashMap<String, (u64, Instant)>,
    writes: u64,
}

impl State {
    fn wrote(&mut self, now: Instant) {
        self.writes += 1;
        if self.writes.is_multiple_of(SWEEP_EVERY) {
            self.values.retain(|_, (_, expires)| *expires > now);
            self.counters.retain(|_, (_, resets)| *resets > now);
        }
    }
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the maps inconsistent (each operation
        // is a single insert/remove), so a poisoned lock is still safe to use.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn get(&self, key: &str) -> Option<String> {
        let now = Instant::now();
        let state = self.lock();
        state
            .values
            .get(key)
            .filter(|(_, expires)| *expires > now)
            .map(|(v, _)| v.clone())
    }

    pub(crate) fn set(&self, key: &str, value: &str, ttl: Duration) {
        let now = Instant::now();
        let mut state = self.lock();
        state
            .values
            .insert(key.to_owned(), (value.to_owned(), now + ttl));
        state.wrote(now);
    }

    /// Removes the key whatever it holds, a value or a window counter (as Redis `DEL` does).
    pub(crate) fn delete(&self, key: &str) {
        let mut state = self.lock();
        state.values.remove(key);
        state.counters.remove(key);
    }

    pub(crate) fn add(&self, key: &str, amount: u64, window: Duration) -> WindowCount {
        let now = Instant::now();
        let mut state = self.lock();
        let entry = state
            .counters
            .entry(key.to_owned())
            .or_insert((0, now + window));
        if entry.1 <= now {
            *entry = (0, now + window);
        }
        entry.0 += amount;
        let reading = WindowCount {
            count: entry.0,
            resets_in: entry.1 - now,
        };
        state.wrote(now);
        reading
    }

    pub(crate) fn release(&self, key: &str) {
        let now = Instant::now();
        let mut state = self.lock();
        if let Some(entry) = state.counters.get_mut(key) {
            if entry.1 > now {
                entry.0 = entry.0.saturating_sub(1);
            }
        }
    }

    pub(crate) fn claim(&self, key: &str, ttl: Duration) -> Result<(), Duration> {
        let now = Instant::now();
        let mut state = self.lock();
        if let Some((_, expires)) = state.values.get(key) {
            if *expires > now {
                return Err(*expires - now);
            }
        }
        state
            .values
            .insert(key.to_owned(), ("1".to_owned(), now + ttl));
        state.wrote(now);
        Ok(())
    }
}
