-- Signed tickets, the per-event signing keys that verify them, and the revocation list that
-- scanners sync.
--
-- Private keys are never stored: an event's Ed25519 seed is derived from the server's ticket
-- root secret and the key version (bilten_domain::ticket_code::derive_event_seed). This table
-- publishes the public halves. Rotating a key adds a version; codes signed under an older
-- version stay verifiable until that key is retired.

CREATE TABLE event_keys (
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    key_version BIGINT NOT NULL CHECK (key_version >= 1),
    -- hex of the 4-byte key id carried in every code (KeyId::to_hex)
    key_id TEXT NOT NULL,
    -- standard base64 of the 32-byte Ed25519 public key
    public_key TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    created_at BIGINT NOT NULL,
    retired_at BIGINT,
    PRIMARY KEY (event_id, key_version),
    CONSTRAINT event_keys_key_id UNIQUE (event_id, key_id)
);

-- One row per admission. `code` is the signed QR payload currently valid for the ticket;
-- re-issuing (an attendee name change) replaces it and records the old code in
-- ticket_revocations, so a code is never reused and never silently forgotten.
CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    event_id TEXT NOT NULL REFERENCES events (id),
    ticket_type_id TEXT NOT NULL REFERENCES ticket_types (id),
    attendee_name TEXT NOT NULL,
    code TEXT NOT NULL,
    key_version BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'revoked', 'canceled')),
    issued_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT tickets_code_key UNIQUE (code)
);
CREATE INDEX tickets_order_idx ON tickets (order_id);
CREATE INDEX tickets_event_type_idx ON tickets (event_id, ticket_type_id);

-- Every code that stopped being valid: re-issued, refunded, canceled with its order or its
-- event. Scanners fetch this list since a cursor (revoked_at, id) to reject codes offline.
CREATE TABLE ticket_revocations (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    code TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('reissued', 'refunded', 'order_canceled', 'event_canceled')),
    revoked_at BIGINT NOT NULL,
    CONSTRAINT ticket_revocations_code_key UNIQUE (code)
);
CREATE INDEX ticket_revocations_event_idx ON ticket_revocations (event_id, revoked_at, id);
