-- Promo codes: a discount an event's organizer hands out, limited in uses and time, maybe
-- restricted to some ticket types, maybe revealing hidden ticket types.
--
-- A use is taken in the purchase transaction with a conditional update
-- (`uses = uses + 1 WHERE active = 1 AND uses < max_uses`); the CHECK below makes an over-use
-- impossible even for a buggy caller. Ending a hold (expiry, cancel) gives the use back in the
-- same transaction that gives back the tickets, so `uses` always equals the number of live
-- orders carrying the code.

CREATE TABLE promo_codes (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    -- upper-case (bilten_domain::promo::PromoCode), so the unique key is case-insensitive
    code TEXT NOT NULL,
    discount_kind TEXT NOT NULL CHECK (discount_kind IN ('percent', 'fixed')),
    -- basis points for 'percent' (1..=10000), minor units of the event currency for 'fixed'
    discount_value BIGINT NOT NULL CHECK (discount_value > 0),
    -- NULL: no limit
    max_uses BIGINT CHECK (max_uses IS NULL OR max_uses >= 0),
    uses BIGINT NOT NULL DEFAULT 0 CHECK (uses >= 0),
    valid_from BIGINT,
    valid_until BIGINT,
    reveals_hidden BIGINT NOT NULL DEFAULT 0 CHECK (reveals_hidden IN (0, 1)),
    active BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT promo_codes_event_code_key UNIQUE (event_id, code),
    CONSTRAINT promo_codes_within_limit CHECK (max_uses IS NULL OR uses <= max_uses),
    CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until > valid_from)
);

-- The ticket types a promo code applies to; none listed: every ticket type of the event.
CREATE TABLE promo_code_ticket_types (
    promo_code_id TEXT NOT NULL REFERENCES promo_codes (id) ON DELETE CASCADE,
    ticket_type_id TEXT NOT NULL REFERENCES ticket_types (id) ON DELETE CASCADE,
    PRIMARY KEY (promo_code_id, ticket_type_id)
);

ALTER TABLE orders ADD COLUMN promo_code_id TEXT REFERENCES promo_codes (id);
ALTER TABLE orders ADD COLUMN discount_minor BIGINT NOT NULL DEFAULT 0 CHECK (discount_minor >= 0);
ALTER TABLE order_lines ADD COLUMN discount_minor BIGINT NOT NULL DEFAULT 0 CHECK (discount_minor >= 0);
CREATE INDEX orders_promo_idx ON orders (promo_code_id);
