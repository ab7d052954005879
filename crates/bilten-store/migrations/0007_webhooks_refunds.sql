-- Provider webhooks and refunds.
--
-- `webhook_events` is the deduplication ledger: a provider delivers an event at least once,
-- possibly twice and in any order, so the handler inserts the event id in the SAME
-- transaction as the event's effect. A second delivery finds the row and does nothing; a
-- delivery whose effect rolled back left no row and is applied when the provider retries.
CREATE TABLE webhook_events (
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    -- What the delivery did (`order_completed`, `hold_released`, `ignored`, …), for support.
    outcome TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (provider, event_id)
);

-- Money given back on an order so far. Refunds reserve their amount here with a conditional
-- update before the provider is asked, and the CHECK makes "refunded more than was paid"
-- impossible whatever the caller does, including two refunds at the same moment.
ALTER TABLE orders ADD COLUMN refunded_minor BIGINT NOT NULL DEFAULT 0
    CHECK (refunded_minor >= 0 AND refunded_minor <= total_minor);

-- The provider's id of the captured money that refunds go against (Stripe: the
-- PaymentIntent), learned when the payment succeeds.
ALTER TABLE payments ADD COLUMN provider_payment_reference TEXT;

-- One refund of an order: requested by an organizer, caused by the event being canceled, or
-- a late payment that found the stock gone. `pending` from the moment its amount and tickets
-- are taken until the provider confirms; the provider call carries the refund id as its
-- idempotency key, so retrying a pending refund never gives money back twice.
CREATE TABLE refunds (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    -- NULL for free orders: nothing to give back, but tickets are still canceled.
    payment_id TEXT REFERENCES payments (id),
    provider TEXT,
    provider_reference TEXT,
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    currency TEXT NOT NULL,
    -- `external`: made at the provider (e.g. Stripe's dashboard) and learned from its webhook.
    reason TEXT NOT NULL CHECK (reason IN ('requested', 'event_canceled', 'external')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    failure_code TEXT,
    requested_by TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX refunds_order_idx ON refunds (order_id, created_at);
CREATE INDEX refunds_status_idx ON refunds (status, created_at);
CREATE UNIQUE INDEX refunds_provider_reference_key ON refunds (provider, provider_reference);

-- The tickets a refund canceled. A ticket is refunded at most once.
CREATE TABLE refund_tickets (
    refund_id TEXT NOT NULL REFERENCES refunds (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (refund_id, ticket_id),
    CONSTRAINT refund_tickets_ticket_key UNIQUE (ticket_id)
);
