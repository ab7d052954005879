//! Sharing what is left of an inventory among a batch of purchases.
//!
//! The purchase engine gathers concurrent purchases of one event and takes them in one
//! transaction (group commit). Inside it, under the counter rows' locks, this decides who gets
//! their tickets: every request takes **all it asks for or nothing**, in arrival order, so each
//! buyer gets the answer they would have got had the requests run one after another. The
//! counters' conditional updates and `CHECK`s in the database still back the result up; this
//! only decides who is in the batch's one update.
//!
//! A request can also be refused for a reason outside the inventory (the per-buyer cap, a used-up
//! promo code). Refusing it frees what it took, and a request refused earlier for lack of stock
//! may then fit: [`Allocation::settle`] is run again with the new refusals until nothing changes.
//! Requests admitted in an earlier round keep their place (their buyer counter and promo use are
//! already taken), so a round only ever adds winners among the not yet admitted.

/// One request: how many it needs of each counter (by index into the counters).
pub type Demand = Vec<(usize, i64)>;

/// Where each request of a batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Not decided yet (or refused for lack of stock in the last round).
    Open,
    /// Gets its tickets.
    Admitted,
    /// Refused for a reason of its own (cap, promo, validation); never reconsidered.
    Refused,
}

/// The allocation of one batch.
#[derive(Debug, Clone)]
pub struct Allocation {
    available: Vec<i64>,
    demands: Vec<Demand>,
    standing: Vec<Standing>,
}

impl Allocation {
    /// `available[c]` is what counter `c` has left (capacity − sold − held); `demands[r]` what
    /// request `r` needs. A request whose demand names no counter (an empty demand) would be
    /// admitted without taking anything, so callers refuse such requests beforehand.
    pub fn new(available: Vec<i64>, demands: Vec<Demand>) -> Self {
        let standing = vec![Standing::Open; demands.len()];
        Self {
            available,
            demands,
            standing,
        }
    }

    /// Refuses request `r` for a reason of its own; its share goes back on the next
    /// [`settle`](Self::settle).
    pub fn refuse(&mut self, r: usize) {
        self.standing[r] = Standing::Refused;
    }

    pub fn standing(&self, r: usize) -> Standing {
        self.standing[r]
    }

    /// Admits open requests in arrival order while they fit, after the ones already admitted.
    /// Returns the requests admitted by this call (whose buyer counters and promo uses the
    /// caller must now take, refusing those that fail and settling again).
    pub fn settle(&mut self) -> Vec<usize> {
        let mut left = self.available.clone();
        for (r, demand) in self.demands.iter().enumerate() {
            if self.standing[r] == Standing::Admitted {
                take(&mut left, demand);
            }
        }
        let mut newly = Vec::new();
        for (r, demand) in self.demands.iter().enumerate() {
            if self.standing[r] == Standing::Open && fits(&left, demand) {
                take(&mut left, demand);
                self.standing[r] = Standing::Admitted;
                newly.push(r);
            }
        }
        newly
    }

    /// What each counter has left once every admitted request has taken its share.
    pub fn left(&self) -> Vec<i64> {
        let mut left = self.available.clone();
        for (r, demand) in self.demands.iter().enumerate() {
            if self.standing[r] == Standing::Admitted {
                take(&mut left, demand);
            }
        }
        left
    }

    /// How much every counter gives up in total: the batch's one update per counter.
    pub fn taken(&self) -> Vec<i64> {
        self.available
            .iter()
            .zip(self.left())
            .map(|(before, after)| before - after)
            .collect()
    }

    /// The first counter request `r` did not fit on, given what is left now: the one its
    /// "sold out" answer names.
    pub fn short_counter(&self, r: usize) -> Option<usize> {
        let left = self.left();
        self.demands[r]
            .iter()
            .find(|(c, n)| left[*c] < *n)
            .map(|(c, _)| *c)
    }
}

fn fits(left: &[i64], demand: &Demand) -> bool {
    // A request may name a counter twice (a ticket type in two quotas is two counters, but a
    // caller could also list one counter twice): sum per counter before comparing.
    demand.iter().all(|(c, _)| {
        let need: i64 = demand.iter().filter(|(o, _)| o == c).map(|(_, n)| n).sum();
        left[*c] >= need
    })
}

fn take(left: &mut [i64], demand: &Demand) {
    for (c, n) in demand {
        left[*c] -= n;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn requests_are_served_in_arrival_order_all_or_nothing() {
        let mut a = Allocation::new(vec![3], vec![vec![(0, 2)], vec![(0, 2)], vec![(0, 1)]]);
        assert_eq!(a.settle(), vec![0, 2]);
        assert_eq!(a.standing(1), Standing::Open);
        assert_eq!(a.left(), vec![0]);
        assert_eq!(a.taken(), vec![3]);
        assert_eq!(a.short_counter(1), Some(0));
    }

    #[test]
    fn a_refusal_frees_stock_for_an_earlier_loser_without_unseating_winners() {
        // Capacity 2: A(1) and C(1) win, B(2) loses; A is then refused (say, its buyer cap).
        let mut a = Allocation::new(vec![2], vec![vec![(0, 1)], vec![(0, 2)], vec![(0, 1)]]);
        assert_eq!(a.settle(), vec![0, 2]);
        a.refuse(0);
        // C keeps its place; only one ticket is free, so B still does not fit.
        assert!(a.settle().is_empty());
        assert_eq!(a.standing(2), Standing::Admitted);
        assert_eq!(a.standing(1), Standing::Open);
        assert_eq!(a.left(), vec![1]);
    }

    #[test]
    fn a_request_must_fit_every_counter_it_names() {
        // Ticket type 0 has room, the quota (counter 1) does not.
        let mut a = Allocation::new(
            vec![10, 1],
            vec![vec![(0, 2), (1, 2)], vec![(0, 1), (1, 1)]],
        );
        assert_eq!(a.settle(), vec![1]);
        assert_eq!(a.short_counter(0), Some(1));
    }

    proptest! {
        /// Whatever the batch, no counter goes below zero, and every open request really did
        /// not fit what was left.
        #[test]
        fn never_oversells(
            available in proptest::collection::vec(0i64..20, 1..4),
            raw in proptest::collection::vec(proptest::collection::vec((0usize..4, 1i64..6), 1..3), 0..30),
            refusals in proptest::collection::vec(any::<bool>(), 30),
        ) {
            let counters = available.len();
            let demands: Vec<Demand> = raw
                .into_iter()
                .map(|d| d.into_iter().map(|(c, n)| (c % counters, n)).collect())
                .collect();
            let mut a = Allocation::new(available.clone(), demands.clone());
            let first = a.settle();
            for r in first {
                if refusals[r] {
                    a.refuse(r);
                }
            }
            a.settle();
            let left = a.left();
            prop_assert!(left.iter().all(|l| *l >= 0));
            for (r, d) in demands.iter().enumerate() {
                if a.standing(r) == Standing::Open {
                    prop_assert!(!fits(&left, d));
                }
            }
            let taken: i64 = a.taken().iter().sum();
            let admitted: i64 = demands
                .iter()
                .enumerate()
                .filter(|(r, _)| a.standing(*r) == Standing::Admitted)
                .flat_map(|(_, d)| d.iter().map(|(_, n)| *n))
                .sum();
            prop_assert_eq!(taken, admitted);
        }
    }
}
