//! Reading the console's form fields (whole numbers, local times, money) and the pickers
//! that replace free text: time zone (chrono-tz's IANA list), country (the domain's ISO 3166
//! list) and currency (the domain's ISO 4217 list).

use std::sync::LazyLock;

use axum::response::Response;
use bilten_domain::{Country, Currency};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use maud::Markup;

use crate::api::FieldProblem;
use crate::views::{select, FormState};

/// The label of field `name` among `labels` (the name itself for one not listed).
pub fn label_of<'a>(labels: &'a [(&'static str, String)], name: &'static str) -> &'a str {
    labels
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(name, |(_, label)| label.as_str())
}

/// Puts `message` under field `name`.
pub fn invalid(form: &mut FormState, name: &str, message: &str) {
    form.field_errors.insert(
        name.to_owned(),
        FieldProblem {
            code: "invalid".to_owned(),
            message: message.to_owned(),
        },
    );
}

/// A field that could not be read; its problem is already on the form.
pub struct Unreadable;

/// A whole number from a form field; empty is `None`.
pub fn whole(form: &mut FormState, name: &str, text: &str) -> Result<Option<i64>, Unreadable> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(n) = text.parse() {
        Ok(Some(n))
    } else {
        let message = form.locale.t("editor-whole-number");
        invalid(form, name, &message);
        Err(Unreadable)
    }
}

/// A `datetime-local` field read as the time on the clocks of `tz`, as RFC 3339; empty is
/// `None`.
pub fn local_time(
    form: &mut FormState,
    name: &str,
    text: &str,
    tz: chrono_tz::Tz,
) -> Result<Option<String>, Unreadable> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let parsed = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|local| tz.from_local_datetime(&local).earliest());
    if let Some(at) = parsed {
        Ok(Some(at.with_timezone(&Utc).to_rfc3339()))
    } else {
        let message = form.locale.t("editor-date-time-invalid");
        invalid(form, name, &message);
        Err(Unreadable)
    }
}

/// A time as a `datetime-local` value on the clocks of `tz`.
pub fn local_input(at: Option<DateTime<Utc>>, tz: chrono_tz::Tz) -> String {
    at.map(|t| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// The same page with status 422 (a form that could not be read).
pub fn unprocessable(mut page: Response) -> Response {
    *page.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    page
}

/// Every IANA time zone name chrono-tz knows, sorted.
static TIME_ZONES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
    names.sort_unstable();
    names
});

/// Every ISO 3166-1 alpha-2 code the domain accepts: each pair of letters that
/// `Country::parse` takes, so the picker and the backend agree by construction.
static COUNTRIES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut codes = Vec::new();
    for first in 'A'..='Z' {
        for second in 'A'..='Z' {
            if let Ok(country) = Country::parse(&format!("{first}{second}")) {
                codes.push(country.as_str());
            }
        }
    }
    codes
});

/// A country's flag (regional indicator letters), shown before its code.
fn flag(code: &str) -> String {
    code.chars()
        .filter_map(|c| char::from_u32(0x1F1E6 + (u32::from(c) - u32::from('A'))))
        .collect()
}

/// The time zone `<select>` (named `name`), `current` selected.
pub fn time_zone_picker(name: &str, label: &str, current: &str, form: &FormState) -> Markup {
    let mut options: Vec<(&str, String)> = TIME_ZONES
        .iter()
        .map(|zone| (*zone, zone.replace('_', " ")))
        .collect();
    if !current.is_empty() && !TIME_ZONES.contains(&current) {
        options.insert(0, (current, current.to_owned()));
    }
    select(name, label, &options, current, form)
}

/// The country `<select>`: none, or one of the ISO codes with its flag.
pub fn country_picker(name: &str, label: &str, current: &str, form: &FormState) -> Markup {
    let current = current.trim().to_uppercase();
    let mut options: Vec<(&str, String)> = vec![("", form.locale.t("console-no-country"))];
    options.extend(
        COUNTRIES
            .iter()
            .map(|code| (*code, format!("{} {code}", flag(code)))),
    );
    select(name, label, &options, &current, form)
}

/// The currency `<select>`: every ISO 4217 code the domain knows, with its symbol.
pub fn currency_picker(name: &str, label: &str, current: &str, form: &FormState) -> Markup {
    let current = current.trim().to_uppercase();
    let mut currencies: Vec<Currency> = Currency::all().collect();
    currencies.sort_by_key(|c| c.code());
    let options: Vec<(&str, String)> = currencies
        .iter()
        .map(|c| {
            let text = match c.symbol() {
                Some(symbol) if symbol != c.code() => format!("{} ({symbol})", c.code()),
                _ => c.code().to_owned(),
            };
            (c.code(), text)
        })
        .collect();
    select(name, label, &options, &current, form)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bilten_i18n::Locale;

    #[test]
    fn the_pickers_offer_the_domains_lists_with_the_current_value_selected() {
        let form = FormState::new(Locale::En);
        let zones =
            time_zone_picker("timezone", "Time zone", "Europe/Sarajevo", &form).into_string();
        assert!(
            zones.contains(r#"<option value="Europe/Sarajevo" selected>"#),
            "{zones}"
        );
        assert!(zones.matches("<option").count() > 400);
        let countries = country_picker("country", "Country", "ba", &form).into_string();
        assert!(
            countries.contains(r#"<option value="BA" selected>🇧🇦 BA</option>"#),
            "{countries}"
        );
        assert_eq!(countries.matches("<option").count(), COUNTRIES.len() + 1);
        assert!(!countries.contains(r#"value="UK""#));
        let currencies = currency_picker("currency", "Currency", "bam", &form).into_string();
        assert!(
            currencies.contains(r#"<option value="BAM" selected>"#),
            "{currencies}"
        );
        assert!(currencies.contains(r#"value="EUR""#));
    }
}
