//! The scenarios: `flash` (a sale until sold out, then sold-out answers), `checkin` (tickets
//! issued, then redeemed at the gate) and `reads` (public pages). Each is a sequence of
//! [`phases`](super::phases) measured between snapshots, and ends with checks read back from
//! the database.

use std::sync::Arc;

use anyhow::Context;
use bilten_domain::{CheckinListId, TicketTypeId};

use super::api::{Api, SaleTarget};
use super::phases::{read_page, redeem_all, sell, sold_out_answers, SOLD_OUT_FEW};
use super::platform::Platform;
use super::report::Report;
use super::run::Run;
use super::setup::Organizer;
use super::BenchArgs;

/// Events in the listing of `reads`.
const READ_EVENTS: u32 = 10;

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

/// The organizer signed in and an event on sale with `capacity` tickets.
async fn event_on_sale(
    api: &Api,
    platform: &Platform,
    title: &str,
    capacity: u32,
) -> anyhow::Result<(Organizer, Arc<SaleTarget>)> {
    let organizer = Organizer::sign_in(api, platform)
        .await
        .context("signing the organizer in")?;
    let target = organizer
        .event_on_sale(title, capacity)
        .await
        .context("setting the event up")?;
    Ok((organizer, Arc::new(target)))
}

pub async fn flash(args: &BenchArgs, platform: &Platform) -> anyhow::Result<Report> {
    let api = Api::new(args.concurrency as usize)?;
    let (_, target) = event_on_sale(&api, platform, "Flash Sale Night", args.quota).await?;
    let mut run = Run::new(args, platform).await?;
    let start = run.mark().await?;
    println!(
        "bench: selling {} tickets to {} concurrent buyers ({} flow)…",
        args.quota,
        args.concurrency,
        args.flow.name()
    );
    let sale = sell(&api, args, platform, &target, false).await?;
    let (bought, tickets) = (sale.bought(), sale.tickets);
    println!(
        "bench: sold out: {bought} purchases in {:.1} s",
        sale.tally.seconds
    );
    let sold = run.mark().await?;
    run.phase("sale", "purchase", (&start, &sold), sale.tally);
    let drained = run.drain_mails(&sold).await?;
    println!(
        "bench: sold-out answers for {} s…",
        args.sold_out_seconds.max(1)
    );
    let answers = sold_out_answers(&api, args, platform, &target, (args.concurrency, 0)).await?;
    let crowd = run.mark().await?;
    run.phase("sold-out answers", "answer", (&drained, &crowd), answers);
    let few = sold_out_answers(&api, args, platform, &target, (SOLD_OUT_FEW, 1)).await?;
    let end = run.mark().await?;
    let name = format!("sold-out answers, {SOLD_OUT_FEW} clients");
    run.phase(&name, "answer", (&crowd, &end), few);
    audit_sale(&mut run, &target, bought).await?;
    if let Some(ms) = super::render::ms_per_ticket().await {
        run.notes.push(format!(
            "Rendering a ticket's files (QR code as PNG, PDF ticket; this process, production \
             code): {ms:.2} ms CPU per ticket."
        ));
    }
    run.check("purchases", &args.quota, &bought);
    run.check("tickets received by buyers", &args.quota, &tickets);
    Ok(run.finish())
}

pub async fn checkin(args: &BenchArgs, platform: &Platform) -> anyhow::Result<Report> {
    let api = Api::new(args.concurrency as usize)?;
    let (organizer, target) = event_on_sale(&api, platform, "Gate Night", args.quota).await?;
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
    let bought = sale.bought();
    let codes = Arc::new(sale.codes);
    let issued = run.mark().await?;
    run.phase("issue", "purchase", (&start, &issued), sale.tally);
    // The scans are measured without the mail worker's backlog running beside them.
    let drained = run.drain_mails(&issued).await?;
    println!(
        "bench: redeeming {} tickets, {} scans at a time…",
        codes.len(),
        args.concurrency
    );
    let scans = redeem_all(&api, args, platform, &gate, codes.clone()).await?;
    let admitted_answers = scans.latencies.len();
    let end = run.mark().await?;
    run.phase("redeem", "scan", (&drained, &end), scans);
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
    audit_sale(&mut run, &target, bought).await?;
    Ok(run.finish())
}

pub async fn reads(args: &BenchArgs, platform: &Platform) -> anyhow::Result<Report> {
    let api = Api::new(args.concurrency as usize)?;
    let (organizer, first) = event_on_sale(&api, platform, "Reading Night 1", 100).await?;
    for i in 2..=READ_EVENTS {
        organizer
            .event_on_sale(&format!("Reading Night {i}"), 100)
            .await
            .context("setting the events up")?;
    }
    let event = &first.event_id;
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
        let tally = read_page(&api, args, bases, &path).await?;
        let answered = tally.latencies.len();
        let after = run.mark().await?;
        run.phase(name, "request", (&before, &after), tally);
        run.check(&format!("{name}: answers 2xx"), &args.requests, &answered);
    }
    Ok(run.finish())
}
