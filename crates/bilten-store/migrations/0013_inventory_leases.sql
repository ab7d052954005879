-- Inventory leases: blocks of a ticket type's capacity that one backend process sells from.
--
-- With several backends on one database, every purchase used to lock the ticket type's
-- counter row, so the replicas queued behind each other on that one row. Now a process takes
-- a block of places at once (a lease: 1–5 % of what is left), moving them into `held` on the
-- ticket type and on each quota covering it, and then sells from the block by updating only
-- its own lease row. The database stays the single source of truth:
--
-- * the counters always count every leased place (as held), so nothing is sold twice;
-- * `remaining` is what the holder may still sell; `sold` what it sold that the counters
--   still count as held. Settling a lease (when it runs out, expires, or another process
--   needs its places) deletes the row and moves its `remaining` back to available and its
--   `sold` from held to sold, in one transaction;
-- * a lease expires (`expires_at`, seconds away): a process that dies leaves it to be
--   settled by any other process after that time.
--
-- `quota_ids` are the quotas the lease holds places on (space-separated), so settling moves
-- exactly the counters the grant moved even if quota memberships changed meanwhile.
CREATE TABLE inventory_leases (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    ticket_type_id TEXT NOT NULL REFERENCES ticket_types(id) ON DELETE CASCADE,
    quota_ids TEXT NOT NULL,
    holder TEXT NOT NULL,
    granted BIGINT NOT NULL CHECK (granted > 0),
    remaining BIGINT NOT NULL CHECK (remaining >= 0),
    sold BIGINT NOT NULL DEFAULT 0 CHECK (sold >= 0),
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT inventory_leases_within_grant CHECK (remaining + sold <= granted)
);
CREATE INDEX inventory_leases_by_event ON inventory_leases (event_id, expires_at);
CREATE INDEX inventory_leases_by_ticket_type ON inventory_leases (ticket_type_id);
CREATE INDEX inventory_leases_by_expiry ON inventory_leases (expires_at);
