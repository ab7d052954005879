-- The answers given under each `Idempotency-Key` to the unsafe operations other than
-- `POST /orders` and `POST /purchases` (whose key lives on the order they create): checkout,
-- refunds, event cancellation, creating organizations, events and ticket types. One table
-- for all of them, keyed by the operation (`scope`) and the key; the same key and request
-- get the same answer, the same key with another request is refused. `response_status` is
-- NULL while the first request is being answered. Rows older than 24 hours are forgotten
-- (the key may then be used again) and swept by the hold-expiry worker.
CREATE TABLE idempotency_requests (
    scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status BIGINT,
    response_body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);

CREATE INDEX idempotency_requests_created_at ON idempotency_requests (created_at);
