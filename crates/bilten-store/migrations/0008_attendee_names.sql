-- Names for the tickets of an order line, given at checkout: a JSON array of strings, the
-- n-th name for the n-th ticket issued for the line. Tickets without a name carry the buyer's.
ALTER TABLE order_lines ADD COLUMN attendee_names TEXT NOT NULL DEFAULT '[]';
