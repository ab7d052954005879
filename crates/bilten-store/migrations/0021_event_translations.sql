-- An event's title and description in other languages than the one the organizer wrote the
-- event in (`events.title`, `events.description`, shown when the visitor's language has no
-- translation). One row per event and language; the languages are the ones Bilten speaks
-- (`bilten_i18n::Locale`), like `orders.locale`. Adding a language widens this CHECK in a new
-- migration. The event's rows go with it.
CREATE TABLE event_translations (
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    locale TEXT NOT NULL CONSTRAINT event_translations_locale_check
        CHECK (locale IN ('en', 'de', 'es')),
    title TEXT NOT NULL CONSTRAINT event_translations_title_check CHECK (title <> ''),
    description TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, locale)
);
