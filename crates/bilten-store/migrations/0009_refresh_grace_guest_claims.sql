-- Refresh-token grace period (RFC 9700 §4.14.2): when a used refresh token is presented again
-- within a few seconds (two browser tabs refreshing at once), the same successor is returned
-- instead of ending the session. The successor is kept sealed (AES-256-GCM) under a key derived
-- from the presented token and JWT_REFRESH_SECRET; this table holds only the presented token's
-- hash, so the database alone (or with the secret) cannot open it.
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed TEXT;

-- Guest orders are claimed by the account that verifies their buyer email: find the
-- unowned orders of an email without scanning every order.
CREATE INDEX orders_guest_email_idx ON orders (buyer_email) WHERE buyer_user_id IS NULL;
