//! The language a request asks for: its `Accept-Language` (the web app sends the language the
//! visitor reads the site in), else English. Mails a request causes are written in it; an
//! order's own mails use the language stored with the order instead.

use axum::http::{header, HeaderMap};
use bilten_i18n::Locale;

pub(crate) fn asked(headers: &HeaderMap) -> Locale {
    let values = headers.get_all(header::ACCEPT_LANGUAGE);
    Locale::negotiate_all(values.iter().filter_map(|v| v.to_str().ok())).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_language_we_speak_wins_else_english() {
        let mut headers = HeaderMap::new();
        assert_eq!(asked(&headers), Locale::En);
        headers.insert(header::ACCEPT_LANGUAGE, "fr, de;q=0.8".parse().unwrap());
        assert_eq!(asked(&headers), Locale::De);
    }
}
