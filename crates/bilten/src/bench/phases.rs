//! The load of each phase: `C` workers sharing a dispenser of work (buyers, tickets to scan,
//! requests), each returning its [`Tally`]. A phase ends when the work is done, the deadline
//! passes, or more requests failed than its budget allows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;

use super::api::{Api, Purchase, SaleTarget};
use super::load::{workers, Shared, Tally};
use super::platform::{Endpoints, Platform};
use super::setup::Gate;
use super::BenchArgs;

/// Buyer numbers of the sold-out phases start here, so their idempotency keys are new.
const SOLD_OUT_BUYERS: u64 = 1 << 40;
/// Clients of the second sold-out phase: few enough that an answer's latency is its own
/// cost, not its wait behind `C` others for the 2 cores (at `C` = 200 the p99 is mostly
/// queueing: Little's law puts the mean at `C` ÷ answers per second).
pub const SOLD_OUT_FEW: u32 = 4;

/// Failures a phase of `work` units tolerates before it stops: 1 %, at least 10.
fn error_budget(work: u32) -> u64 {
    u64::from(work / 100).max(10)
}

/// What every buyer-worker of a phase shares: where and what to buy, and how.
#[derive(Clone)]
struct Buyers {
    api: Api,
    bases: Arc<Vec<String>>,
    target: Arc<SaleTarget>,
    run_id: Arc<str>,
    flow: super::Flow,
}

impl Buyers {
    fn new(api: &Api, args: &BenchArgs, platform: &Platform, target: &Arc<SaleTarget>) -> Self {
        Self {
            api: api.clone(),
            bases: Arc::new(platform.endpoints.api.clone()),
            target: target.clone(),
            run_id: platform.run_id().into(),
            flow: args.flow,
        }
    }

    /// Buyer number `buyer` buys one ticket (round-robin over the API endpoints).
    async fn buy(&self, buyer: u64) -> anyhow::Result<Purchase> {
        let base = Endpoints::pick(&self.bases, buyer);
        self.api
            .purchase(self.flow, base, &self.target, &self.run_id, buyer)
            .await
    }
}

/// A sale: every purchase's latency in `tally`, plus what the buyers received.
pub struct Sale {
    pub tally: Tally,
    pub tickets: u64,
    pub codes: Vec<String>,
}

impl Sale {
    pub fn bought(&self) -> u64 {
        self.tally.latencies.len() as u64
    }
}

/// One buyer-worker's share of a sale.
#[derive(Default)]
struct SaleShare {
    tally: Tally,
    tickets: u64,
    codes: Vec<String>,
    last_at: Option<Instant>,
    saw_sold_out: bool,
}

/// Buyers, one ticket each, until every worker has been told "sold out". `keep_codes` keeps
/// the tickets' codes (to scan them later).
pub async fn sell(
    api: &Api,
    args: &BenchArgs,
    platform: &Platform,
    target: &Arc<SaleTarget>,
    keep_codes: bool,
) -> anyhow::Result<Sale> {
    let limit = u64::from(args.quota) * 2 + u64::from(args.concurrency) + 100;
    let shared = Shared::new(limit, args.phase_deadline(), error_budget(args.quota));
    let buyers = Buyers::new(api, args, platform, target);
    let retried_before = api.retried();
    let started = Instant::now();
    let portions = workers(args.concurrency, |_| {
        let (buyers, shared) = (buyers.clone(), shared.clone());
        async move {
            let mut share = SaleShare::default();
            while let Some(buyer) = shared.take() {
                let began = Instant::now();
                match buyers.buy(buyer).await {
                    Ok(Purchase::Bought(tickets)) => {
                        share.tally.latencies.record(began.elapsed());
                        share.last_at = Some(Instant::now());
                        share.tickets += tickets.len() as u64;
                        if keep_codes {
                            share.codes.extend(tickets.into_iter().map(|t| t.code));
                        }
                    }
                    Ok(Purchase::SoldOut) => {
                        share.saw_sold_out = true;
                        break;
                    }
                    Err(error) => {
                        share.tally.errors.add(&error);
                        shared.failed();
                    }
                }
            }
            share
        }
    })
    .await?;
    let mut sale = Sale {
        tally: Tally::default(),
        tickets: 0,
        codes: Vec::new(),
    };
    let mut last = started;
    let mut all_sold_out = true;
    for share in portions {
        sale.tally.merge(share.tally);
        sale.tickets += share.tickets;
        sale.codes.extend(share.codes);
        last = last.max(share.last_at.unwrap_or(started));
        all_sold_out &= share.saw_sold_out;
    }
    // Throughput counts up to the last purchase, not the sold-out answers after it.
    sale.tally.seconds = (last - started).as_secs_f64();
    sale.tally.retried = api.retried() - retried_before;
    let errors = &sale.tally.errors;
    if shared.over_budget() {
        bail!(
            "the sale stopped after {} failed purchases; the first: {:?}",
            errors.count,
            errors.samples
        );
    }
    if !all_sold_out {
        bail!(
            "the sale did not sell out within {} s: {} bought of {} (errors: {:?})",
            args.max_seconds,
            sale.bought(),
            args.quota,
            errors.samples
        );
    }
    Ok(sale)
}

/// Purchase attempts for `--sold-out-seconds` with the sale over, `concurrency` at a time:
/// the latency of `sold_out`. `round` keeps each round's idempotency keys apart.
pub async fn sold_out_answers(
    api: &Api,
    args: &BenchArgs,
    platform: &Platform,
    target: &Arc<SaleTarget>,
    (concurrency, round): (u32, u64),
) -> anyhow::Result<Tally> {
    let seconds = Duration::from_secs(args.sold_out_seconds.max(1));
    let shared = Shared::new(u64::MAX, seconds, 10);
    let buyers = Buyers::new(api, args, platform, target);
    let retried_before = api.retried();
    let started = Instant::now();
    let first = SOLD_OUT_BUYERS + (round << 32);
    let tallies = workers(concurrency, |_| {
        let (buyers, shared) = (buyers.clone(), shared.clone());
        async move {
            let mut tally = Tally::default();
            while let Some(i) = shared.take() {
                let began = Instant::now();
                match buyers.buy(first + i).await {
                    Ok(Purchase::SoldOut) => tally.latencies.record(began.elapsed()),
                    Ok(Purchase::Bought(_)) => {
                        tally
                            .errors
                            .add(&anyhow::anyhow!("a ticket was sold after the sell-out"));
                        shared.failed();
                    }
                    Err(error) => {
                        tally.errors.add(&error);
                        shared.failed();
                    }
                }
            }
            tally
        }
    })
    .await?;
    let mut tally = Tally::of(tallies, started);
    tally.retried = api.retried() - retried_before;
    Ok(tally)
}

/// Redeems every code once at the gate, `C` scans at a time; an answer other than `ok` is a
/// failure.
pub async fn redeem_all(
    api: &Api,
    args: &BenchArgs,
    platform: &Platform,
    gate: &Gate,
    codes: Arc<Vec<String>>,
) -> anyhow::Result<Tally> {
    let shared = Shared::new(
        codes.len() as u64,
        args.phase_deadline(),
        error_budget(args.quota),
    );
    let bases: Arc<Vec<String>> = Arc::new(platform.endpoints.scanner.clone());
    let run_id: Arc<str> = platform.run_id().into();
    let token: Arc<str> = gate.device_token.as_str().into();
    let list: Arc<str> = gate.list_id.as_str().into();
    let retried_before = api.retried();
    let started = Instant::now();
    let tallies = workers(args.concurrency, |_| {
        let (api, shared, bases, run_id, token, list, codes) = (
            api.clone(),
            shared.clone(),
            bases.clone(),
            run_id.clone(),
            token.clone(),
            list.clone(),
            codes.clone(),
        );
        async move {
            let mut tally = Tally::default();
            while let Some(i) = shared.take() {
                let nonce = format!("bench-{run_id}-{i}");
                let began = Instant::now();
                let base = Endpoints::pick(&bases, i);
                let code = &codes[i as usize];
                match api.redeem(base, &token, &list, code, &nonce).await {
                    Ok(answer) if answer.status == "ok" => tally.latencies.record(began.elapsed()),
                    Ok(answer) => {
                        let refused = anyhow::anyhow!("scan refused: {}", answer.reason);
                        tally.errors.add(&refused);
                        shared.failed();
                    }
                    Err(error) => {
                        tally.errors.add(&error);
                        shared.failed();
                    }
                }
            }
            tally
        }
    })
    .await?;
    let mut tally = Tally::of(tallies, started);
    tally.retried = api.retried() - retried_before;
    let done = tally.latencies.len() as u64 + tally.errors.count;
    if shared.timed_out() && done < codes.len() as u64 {
        bail!("the scans did not finish within {} s", args.max_seconds);
    }
    Ok(tally)
}

/// `--requests` GETs of `path`, spread over `bases`.
pub async fn read_page(
    api: &Api,
    args: &BenchArgs,
    bases: &[String],
    path: &str,
) -> anyhow::Result<Tally> {
    let shared = Shared::new(
        u64::from(args.requests),
        args.phase_deadline(),
        error_budget(args.requests),
    );
    let urls: Arc<Vec<String>> = Arc::new(bases.iter().map(|b| format!("{b}{path}")).collect());
    let retried_before = api.retried();
    let started = Instant::now();
    let tallies = workers(args.concurrency, |_| {
        let (api, shared, urls) = (api.clone(), shared.clone(), urls.clone());
        async move {
            let mut tally = Tally::default();
            while let Some(i) = shared.take() {
                let began = Instant::now();
                match api.get(Endpoints::pick(&urls, i)).await {
                    Ok(()) => tally.latencies.record(began.elapsed()),
                    Err(error) => {
                        tally.errors.add(&error);
                        shared.failed();
                    }
                }
            }
            tally
        }
    })
    .await?;
    let mut tally = Tally::of(tallies, started);
    tally.retried = api.retried() - retried_before;
    if shared.over_budget() {
        bail!(
            "GET {path}: too many errors; the first: {:?}",
            tally.errors.samples
        );
    }
    Ok(tally)
}
