//! The Fluent catalogs, compiled in, and [`t`], which formats one of their messages.
//!
//! A catalog is one `FluentBundle` per locale, built on first use from the locale's `.ftl`
//! files. The bundles are the `concurrent` kind (their memoizer is `Sync`), so every request
//! shares them.
//!
//! Unicode isolation marks around interpolated values are on for right-to-left locales only:
//! there they keep an English name or a number from reordering the sentence around it; in
//! left-to-right text they do nothing but get in the way of mail subjects and tests.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use crate::{Arg, Direction, Locale};

/// The catalog files of each locale, in the order they are added to its bundle. Each file
/// groups one area's messages; a key is defined in exactly one of them.
pub(crate) const FILES: [&str; 5] = ["common", "buyer", "account", "organizer", "mail"];

macro_rules! locale_files {
    ($code:literal) => {
        [
            include_str!(concat!("../locales/", $code, "/common.ftl")),
            include_str!(concat!("../locales/", $code, "/buyer.ftl")),
            include_str!(concat!("../locales/", $code, "/account.ftl")),
            include_str!(concat!("../locales/", $code, "/organizer.ftl")),
            include_str!(concat!("../locales/", $code, "/mail.ftl")),
        ]
    };
}

/// The text of each of `locale`'s catalog files, in [`FILES`] order.
pub(crate) fn sources(locale: Locale) -> [&'static str; FILES.len()] {
    match locale {
        Locale::En => locale_files!("en"),
        Locale::De => locale_files!("de"),
        Locale::Es => locale_files!("es"),
    }
}

type Bundle = FluentBundle<FluentResource>;

static BUNDLES: LazyLock<[Bundle; 3]> =
    LazyLock::new(|| [bundle(Locale::En), bundle(Locale::De), bundle(Locale::Es)]);

fn bundle_of(locale: Locale) -> &'static Bundle {
    let bundles = &*BUNDLES;
    match locale {
        Locale::En => &bundles[0],
        Locale::De => &bundles[1],
        Locale::Es => &bundles[2],
    }
}

fn bundle(locale: Locale) -> Bundle {
    let language = locale
        .code()
        .parse()
        .unwrap_or_else(|_| unic_langid::LanguageIdentifier::default());
    let mut bundle = FluentBundle::new_concurrent(vec![language]);
    bundle.set_use_isolating(locale.direction() == Direction::Rtl);
    bundle.set_formatter(Some(match locale {
        Locale::En => format_value::<En, _>,
        Locale::De => format_value::<De, _>,
        Locale::Es => format_value::<Es, _>,
    }));
    for (file, source) in FILES.iter().zip(sources(locale)) {
        // The completeness test parses every file strictly; here a broken entry is logged
        // and skipped rather than taking the site down.
        let resource = match FluentResource::try_new(source.to_owned()) {
            Ok(resource) => resource,
            Err((resource, errors)) => {
                tracing::error!(%locale, file, ?errors, "Fluent syntax errors");
                resource
            }
        };
        if let Err(errors) = bundle.add_resource(resource) {
            tracing::error!(%locale, file, ?errors, "Fluent messages defined twice");
        }
    }
    bundle
}

/// Picks a locale for [`format_value`], which has to be a plain `fn`.
trait Which {
    const LOCALE: Locale;
}
struct En;
struct De;
struct Es;
impl Which for En {
    const LOCALE: Locale = Locale::En;
}
impl Which for De {
    const LOCALE: Locale = Locale::De;
}
impl Which for Es {
    const LOCALE: Locale = Locale::Es;
}

/// Numbers in messages are written by ICU4X with the locale's separators (`1.234` in German);
/// everything else as Fluent would.
fn format_value<W: Which, M>(value: &FluentValue<'_>, _: &M) -> Option<String> {
    match value {
        FluentValue::Number(number) => Some(crate::format::number(
            W::LOCALE,
            number.value.round() as i64,
        )),
        _ => None,
    }
}

/// Whether `locale`'s catalog has a message `key`.
pub fn has_message(locale: Locale, key: &str) -> bool {
    bundle_of(locale).has_message(key)
}

/// The message `key` of `locale`'s catalog with `args` filled in: `t(locale, "order-total",
/// &[("total", total.into())])`. A message the catalog lacks comes from the English one (and
/// is logged); one no catalog has shows its key, so a page never fails for a missing text.
pub fn t(locale: Locale, key: &str, args: &[(&str, Arg<'_>)]) -> String {
    if let Some(text) = format_message(bundle_of(locale), key, args) {
        return text;
    }
    tracing::warn!(%locale, key, "message missing from the catalog");
    if locale != Locale::En {
        if let Some(text) = format_message(bundle_of(Locale::En), key, args) {
            return text;
        }
    }
    key.to_owned()
}

fn format_message(bundle: &Bundle, key: &str, args: &[(&str, Arg<'_>)]) -> Option<String> {
    let pattern = bundle.get_message(key)?.value()?;
    let mut fluent_args = FluentArgs::with_capacity(args.len());
    for (name, value) in args {
        let value = match value {
            Arg::Text(text) => FluentValue::from(text.as_ref()),
            Arg::Number(number) => FluentValue::from(*number),
        };
        fluent_args.set(*name, value);
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
    if !errors.is_empty() {
        tracing::warn!(key, ?errors, "message formatted with errors");
    }
    Some(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_take_arguments_and_plurals() {
        assert_eq!(
            t(Locale::En, "tickets-left", &[("count", 1.into())]),
            "Only 1 left"
        );
        assert_eq!(
            t(Locale::De, "tickets-left", &[("count", 3.into())]),
            "Nur noch 3 übrig"
        );
        assert_eq!(
            t(Locale::Es, "tickets-available", &[("count", 1200.into())]),
            "1200 disponibles"
        );
        assert_eq!(
            t(Locale::De, "tickets-available", &[("count", 12_000.into())]),
            "12.000 verfügbar"
        );
    }

    #[test]
    fn an_unknown_key_shows_itself() {
        assert_eq!(t(Locale::De, "no-such-key", &[]), "no-such-key");
        assert!(!has_message(Locale::De, "no-such-key"));
        assert!(has_message(Locale::De, "nav-events"));
    }
}
