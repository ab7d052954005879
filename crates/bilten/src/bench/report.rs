//! A run's results: printed as a table, written as a section of docs/BENCHMARKS.md (replacing
//! the section of the same scenario and setup, keeping the rest of the file), and as JSON.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::load::LatencySummary;
use super::measure::Usage;

#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    /// "PostgreSQL + Redis, 3 backends, through the gateway", …
    pub setup: String,
    pub concurrency: u32,
    /// The command line, secrets-free (URLs are shown without credentials).
    pub command: String,
    pub started_at: DateTime<Utc>,
    pub cores: usize,
    pub load_average_before: Option<[f64; 3]>,
    pub load_average_after: Option<[f64; 3]>,
    pub phases: Vec<Phase>,
    pub checks: Vec<Check>,
    pub processes: Vec<ProcessUse>,
    pub notes: Vec<String>,
}

/// One measured stretch of the run: what was done, how fast, and what it cost.
#[derive(Debug, Serialize)]
pub struct Phase {
    /// "sale", "mail drain", "sold-out answers", "redeem", "API listing", …
    pub name: String,
    /// What `count` counts: "purchase", "mail", "answer", "scan", "request".
    pub unit: &'static str,
    pub count: u64,
    pub errors: u64,
    /// `503 Service Unavailable` answers that were retried (and then succeeded or failed).
    pub retried_503: u64,
    /// The time the work took (from the first request to the last answer).
    pub seconds: f64,
    pub latency: Option<LatencySummary>,
    /// The counters over the phase's window (which may be a little longer: see `measure`).
    pub usage: Usage,
}

impl Phase {
    pub fn per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.count as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// `total` per unit of work.
    fn per_unit(&self, total: f64) -> Option<f64> {
        (self.count > 0).then(|| total / self.count as f64)
    }
}

/// A correctness check read back from the database.
#[derive(Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub expected: String,
    pub actual: String,
    pub ok: bool,
}

/// A server process: CPU over the measured phases, peak memory over its life.
#[derive(Debug, Serialize)]
pub struct ProcessUse {
    pub name: String,
    pub cpu_ms: f64,
    pub peak_rss_mib: Option<f64>,
}

impl Report {
    /// The line that marks this result's section in a Markdown file.
    fn marker(&self) -> String {
        format!(
            "<!-- bench: {} | {} | C={} -->",
            self.scenario, self.setup, self.concurrency
        )
    }

    fn title(&self) -> String {
        format!(
            "{} · {} · C={}",
            self.scenario, self.setup, self.concurrency
        )
    }

    pub fn failed_checks(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| !c.ok).collect()
    }
}

fn fmt_opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.decimals$}"))
}

fn load(average: Option<[f64; 3]>) -> String {
    average.map_or_else(
        || "?".to_owned(),
        |[one, five, fifteen]| format!("{one:.2} / {five:.2} / {fifteen:.2}"),
    )
}

/// The phase table (Markdown; also readable as plain text).
fn phase_table(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(
        "| phase | count | errors | 503s retried | per s | p50 ms | p99 ms | server CPU ms | PostgreSQL CPU ms | statements | commits | counter-row updates |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for phase in &report.phases {
        let usage = &phase.usage;
        let pg = usage.postgres.as_ref();
        let _ = writeln!(
            out,
            "| {} ({}s) | {} | {} | {} | {:.1} | {} | {} | {} | {} | {} | {} | {} |",
            phase.name,
            phase.unit,
            phase.count,
            phase.errors,
            phase.retried_503,
            phase.per_second(),
            fmt_opt(phase.latency.map(|l| l.p50_ms), 1),
            fmt_opt(phase.latency.map(|l| l.p99_ms), 1),
            fmt_opt(phase.per_unit(usage.server_cpu_ms), 2),
            fmt_opt(pg.and_then(|p| phase.per_unit(p.backend_cpu_ms)), 2),
            fmt_opt(usage.statements.and_then(|s| phase.per_unit(s as f64)), 1),
            fmt_opt(pg.and_then(|p| phase.per_unit(p.commits as f64)), 2),
            fmt_opt(
                pg.and_then(|p| phase.per_unit(p.counter_row_updates as f64)),
                2
            ),
        );
    }
    out
}

fn process_table(report: &Report) -> String {
    let mut out =
        String::from("| process | CPU s (measured phases) | peak RSS MiB |\n|---|---:|---:|\n");
    for process in &report.processes {
        let _ = writeln!(
            out,
            "| {} | {:.2} | {} |",
            process.name,
            process.cpu_ms / 1000.0,
            fmt_opt(process.peak_rss_mib, 0)
        );
    }
    out
}

/// Everything but the phase and process tables, as bullet points.
fn details(report: &Report) -> String {
    let mut out = String::new();
    for check in &report.checks {
        let _ = writeln!(
            out,
            "- {} {}: {} (expected {}).",
            if check.ok { "✓" } else { "✗ FAILED" },
            check.name,
            check.actual,
            check.expected
        );
    }
    let shared: f64 = report
        .phases
        .iter()
        .filter_map(|p| p.usage.postgres.as_ref().map(|pg| pg.shared_cpu_ms))
        .sum();
    if report.phases.iter().any(|p| p.usage.postgres.is_some()) {
        let _ = writeln!(
            out,
            "- PostgreSQL's shared processes (WAL writer, checkpointer, background writer, \
             autovacuum launcher) used {:.2} s of CPU during the phases; they serve every \
             database on the server, so they are not in the per-unit columns.",
            shared / 1000.0
        );
    }
    for phase in &report.phases {
        let Some(pg) = &phase.usage.postgres else {
            continue;
        };
        let t = &pg.backend_time;
        let per = |ms: f64| phase.per_unit(ms).unwrap_or_default();
        if phase.count > 0 {
            let _ = writeln!(
                out,
                "- {}: PostgreSQL backends per {} (sampled every 200 ms): {:.2} ms running, \
                 {:.2} ms waiting for locks, {:.2} ms waiting for WAL flushes, {:.2} ms idle \
                 in a transaction (locks held while the application works), {:.2} ms other \
                 waits.",
                phase.name,
                phase.unit,
                per(t.running_ms),
                per(t.lock_wait_ms),
                per(t.wal_wait_ms),
                per(t.idle_in_transaction_ms),
                per(t.other_wait_ms),
            );
        }
    }
    for phase in &report.phases {
        let batches = phase.usage.batches;
        if batches.batches > 0 {
            let _ = writeln!(
                out,
                "- {}: the purchase engine took {} purchases in {} transactions ({:.1} per \
                 batch).",
                phase.name,
                batches.purchases,
                batches.batches,
                batches.purchases as f64 / batches.batches as f64
            );
        }
    }
    for phase in &report.phases {
        let control = phase.usage.transaction_statements;
        if let Some(per) = control.and_then(|t| phase.per_unit(t as f64)) {
            let _ = writeln!(
                out,
                "- {}: besides the statements, {per:.1} COMMIT/ROLLBACK per {} (the \
                 application's explicit transactions).",
                phase.name, phase.unit
            );
        }
    }
    // Phases without requests (the mail drain) cost the load generator nothing worth a line.
    for phase in report.phases.iter().filter(|p| p.latency.is_some()) {
        if let Some(per) = phase.per_unit(phase.usage.load_generator_cpu_ms) {
            let _ = writeln!(
                out,
                "- Load generator (this process), {}: {per:.2} ms CPU per {}.",
                phase.name, phase.unit
            );
        }
    }
    for note in &report.notes {
        let _ = writeln!(out, "- {note}");
    }
    out
}

fn section(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", report.marker());
    let _ = writeln!(out, "### {}\n", report.title());
    let _ = writeln!(
        out,
        "`{}` — {} UTC, {} cores, load average (1/5/15 min) {} before, {} after.\n",
        report.command,
        report.started_at.format("%Y-%m-%d %H:%M"),
        report.cores,
        load(report.load_average_before),
        load(report.load_average_after),
    );
    out.push_str(
        "Per-unit columns: CPU, statements, commits and counter-row updates divided by the \
         phase's count.\n\n",
    );
    out.push_str(&phase_table(report));
    out.push('\n');
    out.push_str(&process_table(report));
    out.push('\n');
    out.push_str(&details(report));
    out.push_str("<!-- /bench -->\n");
    out
}

pub fn print(report: &Report) {
    println!("\n{}\n", report.title());
    println!(
        "load average before {}, after {}",
        load(report.load_average_before),
        load(report.load_average_after)
    );
    println!("\n{}", phase_table(report));
    println!("{}", process_table(report));
    print!("{}", details(report));
}

/// Where results go when the file has no results block yet.
const RESULTS_START: &str = "<!-- bench-results:start -->";
const RESULTS_END: &str = "<!-- bench-results:end -->";

/// Puts `report`'s section into `text`: in place of the section with the same marker, else at
/// the end of the results block (created at the end of the file when missing).
fn merge(text: &str, report: &Report) -> String {
    let marker = report.marker();
    let new = section(report);
    if let Some(start) = text.find(&format!("{marker}\n")) {
        if let Some(len) = text[start..].find("<!-- /bench -->\n") {
            let end = start + len + "<!-- /bench -->\n".len();
            return format!("{}{new}{}", &text[..start], &text[end..]);
        }
    }
    if let Some(end) = text.find(RESULTS_END) {
        let before = text[..end].trim_end_matches('\n');
        return format!("{before}\n\n{new}\n{}", &text[end..]);
    }
    let mut out = text.trim_end().to_owned();
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    let _ = write!(
        out,
        "## Results of `bilten bench`\n\n{RESULTS_START}\n\n{new}\n{RESULTS_END}\n"
    );
    out
}

pub fn write_markdown(path: &Path, report: &Report) -> std::io::Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error),
    };
    std::fs::write(path, merge(&text, report))
}

#[cfg(test)]
mod tests {
    use super::{merge, Report, RESULTS_END, RESULTS_START};

    fn report(setup: &str, count: u64) -> Report {
        Report {
            scenario: "flash",
            setup: setup.to_owned(),
            concurrency: 50,
            command: "bilten bench flash".to_owned(),
            started_at: chrono::DateTime::UNIX_EPOCH,
            cores: 2,
            load_average_before: Some([1.0, 2.0, 3.0]),
            load_average_after: None,
            phases: vec![super::Phase {
                name: "sale".to_owned(),
                unit: "purchase",
                count,
                errors: 0,
                retried_503: 0,
                seconds: 2.0,
                latency: None,
                usage: super::Usage::default(),
            }],
            checks: Vec::new(),
            processes: Vec::new(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn a_section_replaces_the_one_of_the_same_scenario_and_setup_and_keeps_the_rest() {
        let intro = "# Benchmarks\n\n## Gateway overhead\n\nKept as it is.\n";
        let once = merge(intro, &report("embedded default (SQLite)", 10));
        assert!(once.starts_with(intro.trim_end()));
        assert!(once.contains(RESULTS_START) && once.contains(RESULTS_END));
        assert!(once.contains("| sale (purchases) | 10 |"));

        let two = merge(&once, &report("PostgreSQL, 1 backend", 20));
        let three = merge(&two, &report("embedded default (SQLite)", 30));
        assert!(three.starts_with(intro.trim_end()));
        assert!(!three.contains("| sale (purchases) | 10 |"), "{three}");
        assert!(three.contains("| sale (purchases) | 20 |"));
        assert!(three.contains("| sale (purchases) | 30 |"));
        assert_eq!(three.matches("<!-- bench: flash |").count(), 2);
        // The replaced section stays where it was: first, before the PostgreSQL one.
        assert!(three.find("| 30 |").unwrap() < three.find("| 20 |").unwrap());
        assert!(three.find("| 20 |").unwrap() < three.find(RESULTS_END).unwrap());
        // Text after the results block survives too.
        let with_tail = format!("{three}\n## Model\n\nKept.\n");
        let again = merge(&with_tail, &report("PostgreSQL, 1 backend", 40));
        assert!(again.ends_with("## Model\n\nKept.\n"));
        assert!(again.contains("| 40 |") && !again.contains("| 20 |"));
    }
}
