-- Payments: one row per attempt to pay an order with a provider (`test`, `stripe`, …).
--
-- A payment starts `pending` when checkout begins and ends `succeeded`, `failed` or
-- `canceled`; a succeeded payment whose order could not be completed (the hold expired and
-- the stock is gone, or another payment completed the order first) is refunded and ends
-- `refunded`. Card data never reaches this table (or any other): the provider's hosted page
-- takes it, we keep only the provider's reference.
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    provider TEXT NOT NULL,
    -- The provider's id for the payment (test: the payment id; Stripe: the Checkout Session).
    provider_reference TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled', 'refunded')),
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    currency TEXT NOT NULL,
    -- The provider's decline code of the last failed attempt (`card_declined`, …).
    failure_code TEXT,
    succeeded_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX payments_order_idx ON payments (order_id);
-- Both engines allow several NULLs in a unique index, so references can be set late.
CREATE UNIQUE INDEX payments_provider_reference_key ON payments (provider, provider_reference);
-- At most one payment completes an order; a second success is refunded, never kept.
CREATE UNIQUE INDEX payments_one_success_per_order ON payments (order_id) WHERE status = 'succeeded';
