-- Hardening of quotas, checkout and moderation (issue #12, items 5, 8 and 12c).

-- 1. A quota counts every ticket of its member types, whenever it was added. Quotas created
--    over types that had already sold started at zero, and refunding one of those sales
--    (`sold - n WHERE sold >= n`) was refused. Recount every quota from its members; a quota
--    whose capacity is below what its members already hold and sold is full, so its capacity
--    becomes exactly that (no further sales through it, as the organizer's limit meant).
UPDATE quotas SET
    capacity = CASE
        WHEN capacity < (SELECT CAST(COALESCE(SUM(t.held + t.sold), 0) AS BIGINT)
                         FROM ticket_types t JOIN quota_ticket_types m ON m.ticket_type_id = t.id
                         WHERE m.quota_id = quotas.id)
        THEN (SELECT CAST(COALESCE(SUM(t.held + t.sold), 0) AS BIGINT)
              FROM ticket_types t JOIN quota_ticket_types m ON m.ticket_type_id = t.id
              WHERE m.quota_id = quotas.id)
        ELSE capacity END,
    held = (SELECT CAST(COALESCE(SUM(t.held), 0) AS BIGINT)
            FROM ticket_types t JOIN quota_ticket_types m ON m.ticket_type_id = t.id
            WHERE m.quota_id = quotas.id),
    sold = (SELECT CAST(COALESCE(SUM(t.sold), 0) AS BIGINT)
            FROM ticket_types t JOIN quota_ticket_types m ON m.ticket_type_id = t.id
            WHERE m.quota_id = quotas.id);

-- 2. One open payment attempt per order. Checkout claims it (an INSERT this index lets
--    through once) before the provider is called, so concurrent checkouts of one order ask
--    the provider for one checkout and charge at most once. Older duplicates from before this
--    rule are closed; the newest stays open.
UPDATE payments SET status = 'canceled', failure_code = 'superseded'
WHERE status = 'pending'
  AND EXISTS (SELECT 1 FROM payments newer
              WHERE newer.order_id = payments.order_id AND newer.status = 'pending'
                AND (newer.created_at > payments.created_at
                     OR (newer.created_at = payments.created_at AND newer.id > payments.id)));
CREATE UNIQUE INDEX payments_one_open_per_order ON payments (order_id) WHERE status = 'pending';
CREATE INDEX payments_open_idx ON payments (status, created_at);

-- Where the buyer pays the attempt (the provider's hosted page), so a repeated checkout is
-- answered with the same page instead of a second checkout at the provider.
ALTER TABLE payments ADD COLUMN redirect_url TEXT;

-- The answer given to `POST /orders/{id}/checkout` under each `Idempotency-Key`: the same
-- key and request get the same answer; the same key with another request is refused.
-- `response_status` is NULL while the first request is being answered.
CREATE TABLE checkout_requests (
    idempotency_key TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    request_hash TEXT NOT NULL,
    response_status BIGINT,
    response_body TEXT,
    created_at BIGINT NOT NULL
);

-- 3. Moderation: an event a platform admin unpublished stays off sale until an admin
--    releases it; its organizer cannot publish it meanwhile.
ALTER TABLE events ADD COLUMN moderation_locked_at BIGINT;
ALTER TABLE events ADD COLUMN moderation_locked_by TEXT REFERENCES users (id);
