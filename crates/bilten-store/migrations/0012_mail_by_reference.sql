-- Mails composed when they are sent, not when they are caused.
--
-- A purchase used to render its confirmation (a QR code and a PDF per ticket, ~40 KB of
-- base64) inside the request and store it in the outbox row. Now the purchase transaction
-- writes a row naming a `template` and the `reference` it is about (the order id); the outbox
-- worker composes the mail from the database when it sends it. Subject and bodies stay empty
-- in such rows. Rows written before (with their content) are sent as they are.
ALTER TABLE outbox_emails ADD COLUMN template TEXT;
ALTER TABLE outbox_emails ADD COLUMN reference TEXT;
