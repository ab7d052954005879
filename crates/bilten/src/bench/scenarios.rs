//! The scenarios: `flash` (a sale until sold out, then sold-out answers), `checkin` (tickets
//! issued, then redeemed at the gate) and `reads` (public pages). Each is a sequence of
//! phases, each phase measured between two [`Snapshot`]s, and ends with checks read back from
//! the database.

use std::fmt::{Display, Write as _};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bilten_domain::{CheckinListId, TicketTypeId};

use super::api::{Api, Purchase, SaleTarget};
use super::load::{workers, Errors, Latencies, Shared};
use super::measure::{load_average, Meter, Snapshot};
use super::platform::{Endpoints, Platform};
use super::report::{Check, Phase, ProcessUse, Report};
use super::setup::Organizer;
use super::{BenchArgs, Scenario};

/// How long the mail worker may take to send what a sale queued.
const MAIL_DRAIN_LIMIT: Duration = Duration::from_secs(300);
/// Buyer numbers of the sold-out phase start here, so their idempotency keys are new.
const SOLD_OUT_BUYERS: u64 = 1 << 40;
/// Events in the listing of `reads`.
const READ_EVENTS: u32 = 10;

fn error_budget(work: u32) -> u64 {
    u64::from(work / 100).max(10)
}

/// What the buyers of one sale achieved.
#[derive(Default)]
struct Sale {
    bought: u64,
    tickets: u64,
    codes: Vec<String>,
    latencies: Latencies,
    errors: Errors,
    seconds: f64,
}

/// Per worker: its purchases until its first sold-out answer.
#[derive(Default)]
struct SaleTally {
    tickets: u64,
    codes: Vec<String>,
    latencies: Latencies,
    errors: Errors,
    last_at: Option<Instant>,
    saw_sold_out: bool,
}

/// Buyers, one ticket each, until every one of them has been told "sold out".
async fn sell(
    api: &Api,
    args: &BenchArgs,
    platform: &Platform,
    target: &Arc<SaleTarget>,
    keep_codes: bool,
) -> anyhow::Result<Sale> {
    let limit = u64::from(args.quota) * 2 + u64::from(args.concurrency) + 100;
    let shared = Shared::new(limit, args.phase_deadline(), error_budget(args.quota));
    let bases: Arc<Vec<String>> = Arc::new(platform.endpoints.api.clone());
    let run_id: Arc<str> = platform.run_id().into();
    let flow = args.flow;
    let started = Instant::now();
    let tallies = workers(args.concurrency, |_| {
        let (api, shared, bases, target, run_id) = (
            api.clone(),
            shared.clone(),
            bases.clone(),
            target.clone(),
            run_id.clone(),
        );
        async move {
            let mut tally = SaleTally::default();
            while let Some(buyer) = shared.take() {
                let began = Instant::now();
                let base = Endpoints::pick(&bases, buyer);
                match api.purchase(flow, base, &target, &run_id, buyer).await {
                    Ok(Purchase::Bought(tickets)) => {
                        tally.latencies.record(began.elapsed());
                        tally.last_at = Some(Instant::now());
                        tally.tickets += tickets.len() as u64;
                        if keep_codes {
                            tally.codes.extend(tickets.into_iter().map(|t| t.code));
                        }
                    }
                    Ok(Purchase::SoldOut) => {
                        tally.saw_sold_out = true;
                        break;
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
    let mut sale = Sale::default();
    let mut last = started;
    let mut all_sold_out = true;
    for tally in tallies {
        sale.tickets += tally.tickets;
        sale.codes.extend(tally.codes);
        sale.latencies.merge(tally.latencies);
        sale.errors.merge(tally.errors);
        last = last.max(tally.last_at.unwrap_or(started));
        all_sold_out &= tally.saw_sold_out;
    }
    sale.bought = sale.latencies.len() as u64;
    sale.seconds = (last - started).as_secs_f64();
    if shared.over_budget() {
        bail!(
            "the sale stopped after {} failed purchases; the first: {:?}",
            sale.errors.count,
            sale.errors.samples
        );
    }
    if !all_sold_out {
        bail!(
            "the sale did not sell out within {} s: {} bought of {} (errors: {:?})",
            args.max_seconds,
            sale.bought,
            args.quota,
            sale.errors.samples
        );
    }
    Ok(sale)
}

/// Latencies of sold-out answers for `seconds`, with the sale over.
async fn sold_out_answers(
    api: &Api,
    args: &BenchArgs,
    platform: &Platform,
    target: &Arc<SaleTarget>,
) -> anyhow::Result<(Latencies, Errors, f64)> {
    let shared = Shared::new(
        u64::MAX,
        Duration::from_secs(args.sold_out_seconds.max(1)),
        10,
    );
    let bases: Arc<Vec<String>> = Arc::new(platform.endpoints.api.clone());
    let run_id: Arc<str> = platform.run_id().into();
    let flow = args.flow;
    let started = Instant::now();
    let tallies = workers(args.concurrency, |_| {
        let (api, shared, bases, target, run_id) = (
            api.clone(),
            shared.clone(),
            bases.clone(),
            target.clone(),
            run_id.clone(),
        );
        async move {
            let (mut latencies, mut errors) = (Latencies::default(), Errors::default());
            while let Some(i) = shared.take() {
                let buyer = SOLD_OUT_BUYERS + i;
                let began = Instant::now();
                let base = Endpoints::pick(&bases, buyer);
                match api.purchase(flow, base, &target, &run_id, buyer).await {
                    Ok(Purchase::SoldOut) => latencies.record(began.elapsed()),
                    Ok(Purchase::Bought(_)) => {
                        errors.add(&anyhow::anyhow!("a ticket was sold after the sell-out"));
                        shared.failed();
                    }
                    Err(error) => {
                        errors.add(&error);
                        shared.failed();
                    }
                }
            }
            (latencies, errors)
        }
    })
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    let (mut latencies, mut errors) = (Latencies::default(), Errors::default());
    for (l, e) in tallies {
        latencies.merge(l);
        errors.merge(e);
    }
    Ok((latencies, errors, seconds))
}

/// Redeems every code once at the gate; `(ok answers, latencies, refusals and errors)`.
async fn redeem_all(
    api: &Api,
    args: &BenchArgs,
    platform: &Platform,
    gate: &super::setup::Gate,
    codes: Arc<Vec<String>>,
) -> anyhow::Result<(Latencies, Errors, f64)> {
    let shared = Shared::new(
        codes.len() as u64,
        args.phase_deadline(),
        error_budget(args.quota),
    );
    let bases: Arc<Vec<String>> = Arc::new(platform.endpoints.scanner.clone());
    let run_id: Arc<str> = platform.run_id().into();
    let token: Arc<str> = gate.device_token.as_str().into();
    let list: Arc<str> = gate.list_id.as_str().into();
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
            let (mut latencies, mut errors) = (Latencies::default(), Errors::default());
            while let Some(i) = shared.take() {
                let nonce = format!("bench-{run_id}-{i}");
                let began = Instant::now();
                let base = Endpoints::pick(&bases, i);
                match api
                    .redeem(base, &token, &list, &codes[i as usize], &nonce)
                    .await
                {
                    Ok(answer) if answer.status == "ok" => latencies.record(began.elapsed()),
                    Ok(answer) => {
                        errors.add(&anyhow::anyhow!("scan refused: {}", answer.reason));
                        shared.failed();
                    }
                    Err(error) => {
                        errors.add(&error);
                        shared.failed();
                    }
                }
            }
            (latencies, errors)
        }
    })
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    let (mut latencies, mut errors) = (Latencies::default(), Errors::default());
    for (l, e) in tallies {
        latencies.merge(l);
        errors.merge(e);
    }
    if shared.timed_out() && (latencies.len() as u64 + errors.count) < codes.len() as u64 {
        bail!("the scans did not finish within {} s", args.max_seconds);
    }
    Ok((latencies, errors, seconds))
}

/// `requests` GETs of `path` spread over `bases`.
async fn read_page(
    api: &Api,
    args: &BenchArgs,
    bases: &[String],
    path: &str,
) -> anyhow::Result<(Latencies, Errors, f64)> {
    let shared = Shared::new(
        u64::from(args.requests),
        args.phase_deadline(),
        error_budget(args.requests),
    );
    let urls: Arc<Vec<String>> = Arc::new(bases.iter().map(|b| format!("{b}{path}")).collect());
    let started = Instant::now();
    let tallies = workers(args.concurrency, |_| {
        let (api, shared, urls) = (api.clone(), shared.clone(), urls.clone());
        async move {
            let (mut latencies, mut errors) = (Latencies::default(), Errors::default());
            while let Some(i) = shared.take() {
                let began = Instant::now();
                match api.get(Endpoints::pick(&urls, i)).await {
                    Ok(()) => latencies.record(began.elapsed()),
                    Err(error) => {
                        errors.add(&error);
                        shared.failed();
                    }
                }
            }
            (latencies, errors)
        }
    })
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    let (mut latencies, mut errors) = (Latencies::default(), Errors::default());
    for (l, e) in tallies {
        latencies.merge(l);
        errors.merge(e);
    }
    if shared.over_budget() {
        bail!(
            "GET {path}: too many errors; the first: {:?}",
            errors.samples
        );
    }
    Ok((latencies, errors, seconds))
}

/// The measured phases of a run and the snapshots around them.
struct Run<'a> {
    args: &'a BenchArgs,
    platform: &'a Platform,
    meter: Meter,
    first: Option<Snapshot>,
    last: Option<Snapshot>,
    phases: Vec<Phase>,
    checks: Vec<Check>,
    notes: Vec<String>,
}

impl<'a> Run<'a> {
    async fn new(args: &'a BenchArgs, platform: &'a Platform) -> anyhow::Result<Self> {
        Ok(Self {
            args,
            platform,
            meter: Meter::new(platform).await?,
            first: None,
            last: None,
            phases: Vec::new(),
            checks: Vec::new(),
            notes: Vec::new(),
        })
    }

    /// A snapshot once PostgreSQL's counters have caught up.
    async fn mark(&mut self) -> anyhow::Result<Snapshot> {
        self.meter.settle().await;
        let snapshot = self.meter.snapshot().await?;
        self.first.get_or_insert_with(|| snapshot.clone());
        self.last = Some(snapshot.clone());
        Ok(snapshot)
    }

    #[allow(clippy::too_many_arguments)] // one phase's facts, each named at the call
    fn phase(
        &mut self,
        name: &str,
        unit: &'static str,
        from: &Snapshot,
        to: &Snapshot,
        latencies: Latencies,
        errors: &Errors,
        seconds: f64,
    ) {
        let count = latencies.len() as u64;
        self.phase_counted(name, unit, from, to, count, latencies, errors, seconds);
    }

    #[allow(clippy::too_many_arguments)] // as `phase`, with a count that has no latencies
    fn phase_counted(
        &mut self,
        name: &str,
        unit: &'static str,
        from: &Snapshot,
        to: &Snapshot,
        count: u64,
        latencies: Latencies,
        errors: &Errors,
        seconds: f64,
    ) {
        if errors.count > 0 {
            self.notes.push(format!(
                "{name}: {} errors, e.g. {}",
                errors.count,
                errors.samples.first().map_or("", String::as_str)
            ));
        }
        self.phases.push(Phase {
            name: name.to_owned(),
            unit,
            count,
            errors: errors.count,
            seconds,
            latency: latencies.summary(),
            usage: self.meter.usage(from, to),
        });
    }

    fn check(&mut self, name: &str, expected: &dyn Display, actual: &dyn Display) {
        let (expected, actual) = (expected.to_string(), actual.to_string());
        self.checks.push(Check {
            name: name.to_owned(),
            ok: expected == actual,
            expected,
            actual,
        });
    }

    /// The mail worker's backlog sent, as a phase of its own (skipped when there is none).
    async fn drain_mails(&mut self, after: &Snapshot) -> anyhow::Result<Snapshot> {
        let backlog = self.meter.unsent_mails().await?;
        if backlog == 0 {
            return Ok(after.clone());
        }
        println!("bench: waiting for the mail worker to send {backlog} queued mails…");
        let started = Instant::now();
        let left = self.meter.drain_mails(MAIL_DRAIN_LIMIT).await?;
        let seconds = started.elapsed().as_secs_f64();
        let drained = self.mark().await?;
        self.phase_counted(
            "mail drain",
            "mail",
            after,
            &drained,
            u64::try_from(backlog - left).unwrap_or_default(),
            Latencies::default(),
            &Errors::default(),
            seconds,
        );
        self.notes.push(format!(
            "{backlog} confirmation mails were still queued when the phase before ended; the \
             mail drain row is the mail worker sending them{}.",
            if left > 0 {
                format!(
                    " ({left} still unsent after {} s)",
                    MAIL_DRAIN_LIMIT.as_secs()
                )
            } else {
                String::new()
            }
        ));
        Ok(drained)
    }

    fn finish(self) -> Report {
        let processes = match (&self.first, &self.last) {
            (Some(first), Some(last)) => {
                let usage = self.meter.usage(first, last);
                let peaks = self.meter.peak_rss_mib();
                usage
                    .server_cpu_ms_by_process
                    .into_iter()
                    .zip(peaks)
                    .map(|((name, cpu_ms), (_, _, peak))| ProcessUse {
                        name,
                        cpu_ms,
                        peak_rss_mib: peak,
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let mut notes = self.notes;
        if self.platform.is_postgres() {
            notes.push(
                "Statements are the application's own count (`bilten_db_statements_total`, \
                 transaction control not included); commits and counter-row updates (`ticket_types`, \
                 `quotas`) are PostgreSQL's (`pg_stat_database`, `pg_stat_user_tables`). Idle \
                 backends publish those within 10 s, so every window ends 11 s after its \
                 phase (the background workers' few statements in that time are included)."
                    .to_owned(),
            );
        } else {
            notes.push(
                "Statements are the application's own count (`bilten_db_statements_total`); \
                 SQLite keeps no commit or row-update statistics."
                    .to_owned(),
            );
        }
        let meter = self.meter;
        tokio::spawn(meter.close());
        Report {
            scenario: self.args.scenario.name(),
            setup: self.platform.setup_label(),
            concurrency: self.args.concurrency,
            command: command_line(self.args),
            started_at: chrono::Utc::now(),
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            load_average_before: None,
            load_average_after: load_average(),
            phases: self.phases,
            checks: self.checks,
            processes,
            notes,
        }
    }
}

/// The command that reproduces the run (credentials left out of URLs).
fn command_line(args: &BenchArgs) -> String {
    let redact = |url: &str| match url.rsplit_once('@') {
        Some((before, host)) => {
            let scheme = before.split_once("://").map_or("", |(s, _)| s);
            format!("{scheme}://…@{host}")
        }
        None => url.to_owned(),
    };
    let mut line = format!("bilten bench {}", args.scenario.name());
    if let Some(url) = &args.database_url {
        let _ = write!(line, " --database-url {}", redact(url));
    }
    if let Some(url) = &args.redis_url {
        let _ = write!(line, " --redis-url {}", redact(url));
    }
    if args.replicas != 1 {
        let _ = write!(line, " --replicas {}", args.replicas);
    }
    if args.gateway {
        line.push_str(" --gateway");
    }
    let _ = write!(line, " --concurrency {}", args.concurrency);
    let _ = match args.scenario {
        Scenario::Flash | Scenario::Checkin => write!(line, " --quota {}", args.quota),
        Scenario::Reads => write!(line, " --requests {}", args.requests),
    };
    line
}

fn ticket_type_of(target: &SaleTarget) -> anyhow::Result<TicketTypeId> {
    target.ticket_type_id.parse().map_err(|_| {
        anyhow::anyhow!(
            "the API returned ticket type id {:?}",
            target.ticket_type_id
        )
    })
}

/// Reads the ledger of the sale back and records the checks.
async fn audit_sale(run: &mut Run<'_>, target: &SaleTarget, bought: u64) -> anyhow::Result<()> {
    let audit = run.meter.audit(ticket_type_of(target)?).await?;
    run.check(
        "oversold (tickets beyond capacity, from the database)",
        &0,
        &audit.oversold(),
    );
    run.check(
        "valid tickets in the database",
        &bought,
        &audit.valid_tickets,
    );
    run.check(
        "counters equal rows (sold = paid lines = valid tickets, held = live holds)",
        &true,
        &audit.counters_match_rows(),
    );
    run.notes.push(format!(
        "Ledger: capacity {}, sold {}, held {}; {} valid tickets, {} paid orders.",
        audit.capacity, audit.sold, audit.held, audit.valid_tickets, audit.paid_orders
    ));
    Ok(())
}

pub async fn flash(args: &BenchArgs, platform: &Platform) -> anyhow::Result<Report> {
    let api = Api::new(args.concurrency as usize)?;
    let organizer = Organizer::sign_in(&api, platform).await?;
    let target = Arc::new(
        organizer
            .event_on_sale("Flash Sale Night", args.quota)
            .await
            .context("setting the event up")?,
    );
    let mut run = Run::new(args, platform).await?;
    let start = run.mark().await?;
    println!(
        "bench: selling {} tickets to {} concurrent buyers ({} flow)…",
        args.quota,
        args.concurrency,
        args.flow.name()
    );
    let sale = sell(&api, args, platform, &target, false).await?;
    let sold = run.mark().await?;
    println!(
        "bench: sold out: {} purchases in {:.1} s",
        sale.bought, sale.seconds
    );
    run.phase(
        "sale",
        "purchase",
        &start,
        &sold,
        sale.latencies,
        &sale.errors,
        sale.seconds,
    );
    let drained = run.drain_mails(&sold).await?;
    println!(
        "bench: sold-out answers for {} s…",
        args.sold_out_seconds.max(1)
    );
    let (latencies, errors, seconds) = sold_out_answers(&api, args, platform, &target).await?;
    let end = run.mark().await?;
    run.phase(
        "sold-out answers",
        "answer",
        &drained,
        &end,
        latencies,
        &errors,
        seconds,
    );
    audit_sale(&mut run, &target, sale.bought).await?;
    run.check("purchases", &args.quota, &sale.bought);
    run.check("tickets received by buyers", &args.quota, &sale.tickets);
    Ok(run.finish())
}

pub async fn checkin(args: &BenchArgs, platform: &Platform) -> anyhow::Result<Report> {
    let api = Api::new(args.concurrency as usize)?;
    let organizer = Organizer::sign_in(&api, platform).await?;
    let target = Arc::new(
        organizer
            .event_on_sale("Gate Night", args.quota)
            .await
            .context("setting the event up")?,
    );
    let scanner = platform
        .endpoints
        .scanner
        .first()
        .context("no scanner is running")?;
    let gate = organizer
        .gate(&target.event_id, scanner)
        .await
        .context("pairing the scanner")?;
    let mut run = Run::new(args, platform).await?;
    let start = run.mark().await?;
    println!("bench: issuing {} tickets (purchases)…", args.quota);
    let sale = sell(&api, args, platform, &target, true).await?;
    let issued = run.mark().await?;
    let codes = Arc::new(sale.codes);
    run.phase(
        "issue",
        "purchase",
        &start,
        &issued,
        sale.latencies,
        &sale.errors,
        sale.seconds,
    );
    let drained = run.drain_mails(&issued).await?;
    println!(
        "bench: redeeming {} tickets, {} scans at a time…",
        codes.len(),
        args.concurrency
    );
    let (latencies, errors, seconds) =
        redeem_all(&api, args, platform, &gate, codes.clone()).await?;
    let admitted_answers = latencies.len();
    let end = run.mark().await?;
    run.phase(
        "redeem", "scan", &drained, &end, latencies, &errors, seconds,
    );
    let list: CheckinListId = gate
        .list_id
        .parse()
        .map_err(|_| anyhow::anyhow!("the API returned list id {:?}", gate.list_id))?;
    let (admitted, ok_scans) = run.meter.admissions(list).await?;
    run.check("tickets issued", &args.quota, &codes.len());
    run.check("scans answered ok", &codes.len(), &admitted_answers);
    run.check(
        "admissions in the database (one per ticket)",
        &codes.len(),
        &admitted,
    );
    run.check("scans recorded ok in the database", &codes.len(), &ok_scans);
    audit_sale(&mut run, &target, sale.bought).await?;
    Ok(run.finish())
}

pub async fn reads(args: &BenchArgs, platform: &Platform) -> anyhow::Result<Report> {
    let api = Api::new(args.concurrency as usize)?;
    let organizer = Organizer::sign_in(&api, platform).await?;
    let mut first_event = None;
    for i in 1..=READ_EVENTS {
        let target = organizer
            .event_on_sale(&format!("Reading Night {i}"), 100)
            .await
            .context("setting the events up")?;
        first_event.get_or_insert(target.event_id);
    }
    let event = first_event.context("no event was created")?;
    let endpoints = &platform.endpoints;
    let pages = [
        ("API listing", &endpoints.api, "/api/v1/events".to_owned()),
        (
            "API event",
            &endpoints.api,
            format!("/api/v1/events/{event}"),
        ),
        ("web listing", &endpoints.web, "/".to_owned()),
        ("web event page", &endpoints.web, format!("/events/{event}")),
    ];
    let mut run = Run::new(args, platform).await?;
    for (name, bases, path) in pages {
        if bases.is_empty() {
            continue;
        }
        let before = run.mark().await?;
        println!(
            "bench: {name}: {} × GET {path}, {} at a time…",
            args.requests, args.concurrency
        );
        let (latencies, errors, seconds) = read_page(&api, args, bases, &path).await?;
        let after = run.mark().await?;
        run.check(
            &format!("{name}: answers 2xx"),
            &args.requests,
            &latencies.len(),
        );
        run.phase(
            name, "request", &before, &after, latencies, &errors, seconds,
        );
    }
    Ok(run.finish())
}
