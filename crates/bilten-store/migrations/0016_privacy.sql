-- Privacy (GDPR): account deletion, anonymization of orders, the retention job.
--
-- An order is money the organizer must account for (HGB §257 / AO §147 in Germany: ten years
-- for accounting records), so it is never deleted: anonymizing it replaces the buyer's name,
-- email, attendee names and everything derived from them, and keeps totals, payments, refunds
-- and tickets' counts as they were. `anonymized_at` makes it happen once; `anonymized_reason`
-- and `anonymized_by` (the organizer's user id for a request they acted on) are its record.
ALTER TABLE orders ADD COLUMN anonymized_at BIGINT;
ALTER TABLE orders ADD COLUMN anonymized_reason TEXT
    CHECK (anonymized_reason IN ('account_deleted', 'organizer_request', 'retention'));
ALTER TABLE orders ADD COLUMN anonymized_by TEXT;
-- The retention job looks for events that ended before a cutoff.
CREATE INDEX events_ends_at_idx ON events (ends_at);

-- A deleted account stays as a row without personal data (a tombstone): orders, refunds,
-- organizations and check-ins refer to users by id, and an accounting record keeps those
-- references. Its email is replaced by `deleted+<id>@invalid` so the address can sign up
-- again.
ALTER TABLE users ADD COLUMN deleted_at BIGINT;
