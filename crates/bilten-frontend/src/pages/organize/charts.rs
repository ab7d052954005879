//! The console's charts, drawn here as SVG (no script, no chart library): axes with tick
//! labels, a legend, text at least 12 px on a 390 px phone (the drawing is 340 units wide
//! and never shown narrower than about 340 px), and the same numbers as an HTML table for
//! screen readers and anyone who prefers to read them. Three of them: tickets sold per day,
//! revenue per ticket type, and entries per hour.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bilten_domain::Money;
use bilten_i18n::{t, Locale};
use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use maud::{html, Markup, PreEscaped};

use crate::api::ticketing::{CheckinLogEntry, DaySales, SalesSummary};
use crate::format;

/// Width and height of the drawing, in SVG units.
const WIDTH: i64 = 340;
const HEIGHT: i64 = 220;
/// Room for the y axis's labels and the x axis's labels.
const LEFT: i64 = 44;
const BOTTOM: i64 = 36;
const TOP: i64 = 12;
/// Days the sales chart shows, ending at the last day with sales.
const DAYS: i64 = 14;
/// Hours the check-in chart shows, ending at the last entry.
const HOURS: i64 = 12;

/// A round step for about four ticks up to `max`: 1, 2 or 5 times a power of ten.
fn tick_step(max: i64) -> i64 {
    let rough = (max / 4).max(1);
    let mut power = 1;
    while power * 10 <= rough {
        power *= 10;
    }
    [1, 2, 5, 10]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= rough)
        .unwrap_or(power * 10)
}

fn escape(text: &str) -> String {
    html! { (text) }.into_string()
}

/// One bar of a chart: the short label under it, the long one for its tooltip and table,
/// its value, and the value as text.
struct Bar {
    short: String,
    long: String,
    value: i64,
    text: String,
}

/// A vertical bar chart with a y axis (ticks from 0 to a round top), x labels (every
/// `label_every`-th bar), a legend, and the table of its numbers.
fn bar_chart(
    l: Locale,
    id: &str,
    caption: &str,
    series: &str,
    bars: &[Bar],
    label_every: usize,
    tick_text: &dyn Fn(i64) -> String,
) -> Markup {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let step = tick_step(max);
    let top = (max + step - 1) / step * step;
    let plot_w = WIDTH - LEFT - 4;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let count = i64::try_from(bars.len()).unwrap_or(1).max(1);
    let slot = plot_w / count;
    let bar_w = (slot * 3 / 4).max(2);
    let y_of = |value: i64| TOP + plot_h - value * plot_h / top;
    let mut svg = String::new();
    // Grid lines and y tick labels.
    let mut tick = 0;
    while tick <= top {
        let y = y_of(tick);
        let _ = write!(
            svg,
            r#"<line x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" class="grid"/><text x="{}" y="{}" class="tick" text-anchor="end">{}</text>"#,
            WIDTH - 4,
            LEFT - 4,
            y + 4,
            escape(&tick_text(tick))
        );
        tick += step;
    }
    for (i, bar) in bars.iter().enumerate() {
        let x = LEFT + i64::try_from(i).unwrap_or(0) * slot + (slot - bar_w) / 2;
        let y = y_of(bar.value);
        let h = TOP + plot_h - y;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{y}" width="{bar_w}" height="{h}" class="bar"><title>{}: {}</title></rect>"#,
            escape(&bar.long),
            escape(&bar.text)
        );
        if i % label_every.max(1) == 0 {
            let _ = write!(
                svg,
                r#"<text x="{}" y="{}" class="tick" text-anchor="middle">{}</text>"#,
                x + bar_w / 2,
                TOP + plot_h + 16,
                escape(&bar.short)
            );
        }
    }
    let _ = write!(
        svg,
        r#"<line x1="{LEFT}" y1="{}" x2="{}" y2="{}" class="axis"/><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{}" class="axis"/>"#,
        TOP + plot_h,
        WIDTH - 4,
        TOP + plot_h,
        TOP + plot_h
    );
    let caption_id = format!("{id}-caption");
    html! {
        figure.chart #(id) {
            figcaption #(caption_id) { (caption) }
            p.legend aria-hidden="true" { span.swatch {} (series) }
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-labelledby=(caption_id) xmlns="http://www.w3.org/2000/svg" {
                (PreEscaped(svg))
            }
            details {
                summary { (l.t("chart-numbers")) }
                div.table-wrap tabindex="0" role="region" aria-label=(caption) {
                    table {
                        caption.visually-hidden { (caption) }
                        thead { tr { th scope="col" { (l.t("console-chart-when")) } th.number scope="col" { (series) } } }
                        tbody {
                            @for bar in bars { tr { th scope="row" { (bar.long) } td.number { (bar.text) } } }
                        }
                    }
                }
            }
        }
    }
}

/// Tickets sold per day over the last days up to the last sale, with the all-time total.
pub fn sales_per_day(l: Locale, per_day: &[DaySales]) -> Markup {
    let sold: BTreeMap<NaiveDate, i64> = per_day.iter().map(|d| (d.date, d.tickets)).collect();
    let total: i64 = sold.values().sum();
    let Some((&last, _)) = sold.iter().rev().find(|(_, n)| **n > 0) else {
        return html! {
            figure.chart #sales-chart {
                figcaption { (l.t("chart-caption-short")) }
                p.muted { (l.t("chart-none")) }
            }
        };
    };
    let days: Vec<NaiveDate> = (0..DAYS)
        .rev()
        .filter_map(|back| last.checked_sub_signed(Duration::days(back)))
        .collect();
    let first_shown = days.first().copied().unwrap_or(last);
    let earlier: i64 = sold.range(..first_shown).map(|(_, n)| n).sum();
    let number = |n: i64| bilten_i18n::format::number(l, n);
    let bars: Vec<Bar> = days
        .iter()
        .map(|day| {
            let value = sold.get(day).copied().unwrap_or(0);
            Bar {
                short: bilten_i18n::format::day_month(l, *day),
                long: bilten_i18n::format::day(l, *day),
                value,
                text: number(value),
            }
        })
        .collect();
    html! {
        (bar_chart(l, "sales-chart", &l.t("chart-caption"), &l.t("console-series-tickets"), &bars, 4, &number))
        p.chart-total #chart-total {
            @if earlier > 0 {
                (t(l, "chart-total-earlier", &[("total", total.into()), ("earlier", earlier.into()), ("date", bilten_i18n::format::day_month_year(l, first_shown).into())]))
            } @else {
                (t(l, "chart-total", &[("total", total.into())]))
            }
        }
    }
}

/// What paid orders brought in, per ticket type (after discounts).
pub fn revenue_by_type(l: Locale, summary: &SalesSummary) -> Markup {
    let currency = summary.currency;
    if summary.ticket_types.iter().all(|t| t.revenue.is_zero()) {
        return html! {
            figure.chart #revenue-chart {
                figcaption { (l.t("console-revenue-caption")) }
                p.muted { (l.t("console-revenue-none")) }
            }
        };
    }
    let money = |minor: i64| format::money(l, Money::new(minor, currency));
    let whole = |minor: i64| {
        let per = currency.minor_per_major().max(1);
        bilten_i18n::format::number(l, minor / per)
    };
    let bars: Vec<Bar> = summary
        .ticket_types
        .iter()
        .map(|tt| Bar {
            short: tt.name.chars().take(10).collect(),
            long: tt.name.clone(),
            value: tt.revenue.minor(),
            text: money(tt.revenue.minor()),
        })
        .collect();
    let series = t(
        l,
        "console-series-revenue",
        &[("currency", currency.code().into())],
    );
    bar_chart(
        l,
        "revenue-chart",
        &l.t("console-revenue-caption"),
        &series,
        &bars,
        1,
        &whole,
    )
}

/// Entries (admitted scans) per hour on the event's clocks, over the hours up to the last.
pub fn entries_per_hour(l: Locale, scans: &[CheckinLogEntry], tz: Tz) -> Markup {
    let hour_of = |at: DateTime<Utc>| {
        let local = at.with_timezone(&tz);
        local
            .with_minute(0)
            .and_then(|t| t.with_second(0))
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(local)
    };
    let mut per_hour: BTreeMap<DateTime<Tz>, i64> = BTreeMap::new();
    for scan in scans.iter().filter(|s| {
        s.result == bilten_domain::CheckinReason::Ok
            && s.direction == bilten_domain::ScanDirection::Entry
    }) {
        *per_hour.entry(hour_of(scan.scanned_at)).or_default() += 1;
    }
    let Some((&last, _)) = per_hour.iter().next_back() else {
        return html! {
            figure.chart #checkin-chart {
                figcaption { (l.t("console-entries-caption")) }
                p.muted { (l.t("console-entries-none")) }
            }
        };
    };
    let number = |n: i64| bilten_i18n::format::number(l, n);
    let bars: Vec<Bar> = (0..HOURS)
        .rev()
        .map(|back| last - Duration::hours(back))
        .map(|hour| {
            let value = per_hour.get(&hour).copied().unwrap_or(0);
            let at = hour.with_timezone(&Utc);
            Bar {
                short: bilten_i18n::format::time(l, at, tz),
                long: format::local_datetime(l, at, tz),
                value,
                text: number(value),
            }
        })
        .collect();
    bar_chart(
        l,
        "checkin-chart",
        &l.t("console-entries-caption"),
        &l.t("console-series-entries"),
        &bars,
        3,
        &number,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(day: u32, tickets: i64) -> DaySales {
        DaySales {
            date: NaiveDate::from_ymd_opt(2030, 1, day).unwrap(),
            tickets,
        }
    }

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(tick_step(1), 1);
        assert_eq!(tick_step(7), 1);
        assert_eq!(tick_step(9), 2);
        assert_eq!(tick_step(37), 10);
        assert_eq!(tick_step(1234), 500);
    }

    #[test]
    fn the_sales_chart_has_axes_ticks_a_legend_and_a_table_of_every_day() {
        let chart = sales_per_day(Locale::En, &[day(10, 4), day(12, 1)]).into_string();
        assert_eq!(chart.matches("<rect").count(), 14, "{chart}");
        assert_eq!(chart.matches(r#"class="axis""#).count(), 2);
        // Ticks 0..4 in steps of 1, each with its label.
        for tick in 0..=4 {
            assert!(
                chart.contains(&format!(r#"text-anchor="end">{tick}</text>"#)),
                "{chart}"
            );
        }
        assert!(chart.contains(r#"class="legend""#));
        assert!(!chart.contains(r#"text-anchor="end">5</text>"#), "{chart}");
        assert!(
            chart.contains("<title>Thu, 10 Jan 2030: 4</title>"),
            "{chart}"
        );
        assert_eq!(chart.matches("<tr><th scope=\"row\">").count(), 14);
        // The busiest day reaches the top tick.
        assert!(
            chart.contains(r#"y="12" width="15" height="172" class="bar"><title>Thu, 10 Jan 2030"#),
            "{chart}"
        );
        let earlier = sales_per_day(Locale::En, &[day(1, 7), day(20, 2), day(25, 3)]).into_string();
        assert!(
            earlier.contains("12 tickets sold in all, 7 of them before 12 Jan 2030."),
            "{earlier}"
        );
        assert!(sales_per_day(Locale::En, &[])
            .into_string()
            .contains("No tickets sold yet."));
    }
}
