-- Team invitations to people without an account: an owner invites an email with a role; the
-- mail's link (a token, stored as a keyed hash) lets the account with that email join once
-- it has signed up or logged in. One open invitation per organization and email: a new one
-- revokes the older in the same transaction.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'staff')),
    token_hash TEXT NOT NULL,
    invited_by TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT,
    accepted_by TEXT REFERENCES users (id),
    revoked_at BIGINT,
    CONSTRAINT invitations_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX invitations_org_idx ON invitations (organization_id, created_at);
CREATE UNIQUE INDEX invitations_one_open_per_email ON invitations (organization_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
CREATE INDEX invitations_email_idx ON invitations (email);
