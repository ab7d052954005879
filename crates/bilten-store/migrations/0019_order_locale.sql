-- The language an order was placed in (`en`, `de`, `es`): its confirmation mail and printed
-- tickets are written in it, whatever language the site is later shown in. Orders from before
-- Bilten spoke other languages were placed in English.
ALTER TABLE orders ADD COLUMN locale TEXT NOT NULL DEFAULT 'en'
    CONSTRAINT orders_locale_check CHECK (locale IN ('en', 'de', 'es'));
