-- Check-in: lists (which ticket types a gate admits, when, with or without re-entry), the
-- scanner devices paired to an event, the per (list, ticket) admission state and the log of
-- every scan.
--
-- Exactly-once admission lives in checkin_states: its primary key (list_id, ticket_id) lets
-- one entry win; a second device's conditional insert/update affects no row and is answered
-- `already_redeemed`. checkins is the append-only scan log; its (event_id, nonce) key makes
-- a retried scan return the first answer instead of being applied twice.

CREATE TABLE checkin_lists (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- 1: every ticket type of the event, now and later; 0: only those in checkin_list_ticket_types
    all_ticket_types BIGINT NOT NULL DEFAULT 1 CHECK (all_ticket_types IN (0, 1)),
    not_before BIGINT,
    not_after BIGINT,
    reentry_allowed BIGINT NOT NULL DEFAULT 0 CHECK (reentry_allowed IN (0, 1)),
    created_at BIGINT NOT NULL,
    CHECK (not_before IS NULL OR not_after IS NULL OR not_before < not_after)
);
CREATE INDEX checkin_lists_event_idx ON checkin_lists (event_id, created_at);

CREATE TABLE checkin_list_ticket_types (
    list_id TEXT NOT NULL REFERENCES checkin_lists (id) ON DELETE CASCADE,
    ticket_type_id TEXT NOT NULL REFERENCES ticket_types (id) ON DELETE CASCADE,
    PRIMARY KEY (list_id, ticket_type_id)
);

-- A scanner. The pairing code is kept (in clear, so its QR can be shown again) only until it
-- is used or expires; the device token it is exchanged for is stored as a SHA-256 hash.
CREATE TABLE checkin_devices (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    pairing_code TEXT,
    pairing_expires_at BIGINT NOT NULL,
    token_hash TEXT,
    gate TEXT,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    paired_at BIGINT,
    revoked_at BIGINT,
    last_seen_at BIGINT,
    CONSTRAINT checkin_devices_pairing_code_key UNIQUE (pairing_code),
    CONSTRAINT checkin_devices_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX checkin_devices_event_idx ON checkin_devices (event_id, created_at);

-- One row per ticket that has entered on a list: the first entry (shown on a duplicate scan)
-- and whether the holder is inside now (re-entry lists flip it with exit scans).
CREATE TABLE checkin_states (
    list_id TEXT NOT NULL REFERENCES checkin_lists (id) ON DELETE CASCADE,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    first_at BIGINT NOT NULL,
    first_gate TEXT,
    first_device_id TEXT,
    inside BIGINT NOT NULL CHECK (inside IN (0, 1)),
    entries BIGINT NOT NULL DEFAULT 1,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (list_id, ticket_id)
);
CREATE INDEX checkin_states_list_last_idx ON checkin_states (list_id, last_at);

-- Every scan and its answer. `response` is the JSON first returned, replayed for a retry
-- with the same nonce. `conflict` = 1: a device admitted the ticket while offline although
-- it had already entered (the server answered already_redeemed when the scan was uploaded).
CREATE TABLE checkins (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    list_id TEXT NOT NULL REFERENCES checkin_lists (id) ON DELETE CASCADE,
    nonce TEXT NOT NULL,
    device_id TEXT,
    user_id TEXT,
    gate TEXT,
    ticket_id TEXT,
    direction TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
    result TEXT NOT NULL,
    detail TEXT,
    offline BIGINT NOT NULL DEFAULT 0 CHECK (offline IN (0, 1)),
    conflict BIGINT NOT NULL DEFAULT 0 CHECK (conflict IN (0, 1)),
    scanned_at BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    response TEXT,
    CONSTRAINT checkins_nonce_key UNIQUE (event_id, nonce)
);
CREATE INDEX checkins_event_idx ON checkins (event_id, recorded_at);
CREATE INDEX checkins_list_idx ON checkins (list_id, recorded_at);
