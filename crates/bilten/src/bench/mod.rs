//! `bilten bench`: measures the platform under load on this machine.
//!
//! A run starts the platform itself as child processes of this executable (the embedded
//! default, or `--replicas` backends on a fresh PostgreSQL database), sets an event up through
//! the public API, drives keep-alive HTTP load from tasks in this process, and reports what it
//! cost: throughput and latency as the client saw them, CPU of the server processes and of
//! PostgreSQL from `/proc`, statements (the application's own count), commits and counter-row
//! updates (PostgreSQL's statistics), peak memory, and the ledger read back from the database.
//!
//! Rooms: [`platform`] starts and stops the processes, [`api`] speaks the public API (with
//! [`api::Api::purchase`], the one place that knows what "a purchase" is), [`setup`] creates
//! the organizer and the event, [`load`] runs concurrent workers and [`phases`] gives them
//! their work, [`measure`] reads the counters, [`run`] keeps the snapshots, phases and checks
//! of a run, [`scenarios`] puts them together, [`report`] prints and writes the results; [`render`]
//! measures rendering a ticket's files in this process.
//!
//! Everything is bounded: each phase has a request count and a deadline, the children are
//! killed and the scratch database dropped on success, error and Ctrl-C alike, and all traffic
//! goes to 127.0.0.1.

mod api;
mod load;
mod measure;
mod phases;
mod platform;
mod render;
mod report;
mod run;
mod scenarios;
mod setup;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};

/// `bilten bench …`
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(value_enum)]
    pub scenario: Scenario,
    /// A PostgreSQL server whose user may `CREATE DATABASE`: the run creates a scratch
    /// database there and drops it at the end. Without it, the embedded default (`bilten
    /// serve`: SQLite, in-process cache) runs in a temporary directory.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Redis for the backends (with `--database-url`); without it each process caches alone.
    #[arg(long, value_name = "URL", requires = "database_url")]
    pub redis_url: Option<String>,
    /// Backend processes on the database (scanners too, for `checkin`).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub replicas: u16,
    /// `DATABASE_POOL_MAX` of each process on the database (production's setting by default).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub pool_max: u32,
    /// Send every request through a `bilten gateway` (the embedded default's own gateway
    /// port without `--database-url`).
    #[arg(long)]
    pub gateway: bool,
    /// Concurrent clients (buyers, scanners, readers), each on a keep-alive connection.
    #[arg(long, short = 'c', default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,
    /// Tickets on sale (`flash`), or tickets issued and then scanned (`checkin`).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub quota: u32,
    /// How a buyer purchases.
    #[arg(long, value_enum, default_value_t = Flow::TwoStep)]
    pub flow: Flow,
    /// Requests per page (`reads`).
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub requests: u32,
    /// How long to measure sold-out answers after the sale (`flash`).
    #[arg(long, value_name = "SECONDS", default_value_t = 3)]
    pub sold_out_seconds: u64,
    /// Deadline of each load phase; a phase that has not finished by then fails the run.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub max_seconds: u64,
    /// Write the results into this Markdown file (docs/BENCHMARKS.md), replacing the section
    /// of the same scenario and setup.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write the results as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// A flash sale: buyers, one ticket each, until sold out; then sold-out answers.
    Flash,
    /// Gate scanning: tickets issued by purchases, then redeemed by a paired scanner.
    Checkin,
    /// Public reads: the event listing and an event page, from the API and the web app.
    Reads,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Self::Flash => "flash",
            Self::Checkin => "checkin",
            Self::Reads => "reads",
        }
    }
}

/// What one purchase is on the wire. New purchase APIs become a variant here and an arm in
/// [`api::Api::purchase`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Flow {
    /// `POST /orders` (with an `Idempotency-Key`), then `POST /orders/{id}/checkout` with the
    /// test card: a hold, then the payment that issues the tickets.
    TwoStep,
    /// `POST /purchases` with the test card: order, payment and tickets in one request (and
    /// one transaction, shared with the other buyers of its batch).
    OneStep,
}

impl Flow {
    fn name(self) -> &'static str {
        match self {
            Self::TwoStep => "two-step",
            Self::OneStep => "one-step",
        }
    }
}

impl BenchArgs {
    fn phase_deadline(&self) -> Duration {
        Duration::from_secs(self.max_seconds.max(1))
    }
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.database_url.is_some() || args.replicas == 1,
        "--replicas needs --database-url: the embedded default is one process"
    );
    let started_at = chrono::Utc::now();
    let load_before = measure::load_average();
    let mut platform = platform::Platform::new(&args)?;
    println!("bench: starting the platform ({})", platform.describe());
    // Whatever happens (success, error, Ctrl-C), the children die and the database goes.
    let outcome = tokio::select! {
        result = run_started(&args, &mut platform) => result,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    platform.shutdown().await;
    let mut report = outcome?;
    report.started_at = started_at;
    report.load_average_before = load_before;
    report::print(&report);
    if let Some(path) = &args.out {
        report::write_markdown(path, &report)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("bench: results written to {}", path.display());
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let failed = report.failed_checks();
    anyhow::ensure!(
        failed.is_empty(),
        "{} check(s) failed: {}",
        failed.len(),
        failed
            .iter()
            .map(|c| format!("{} is {}, expected {}", c.name, c.actual, c.expected))
            .collect::<Vec<_>>()
            .join("; ")
    );
    Ok(())
}

async fn run_started(
    args: &BenchArgs,
    platform: &mut platform::Platform,
) -> anyhow::Result<report::Report> {
    let result = match platform.start(args).await {
        Err(error) => Err(error),
        Ok(()) => match args.scenario {
            Scenario::Flash => scenarios::flash(args, platform).await,
            Scenario::Checkin => scenarios::checkin(args, platform).await,
            Scenario::Reads => scenarios::reads(args, platform).await,
        },
    };
    if result.is_err() {
        platform.print_log_tails();
    }
    result
}
