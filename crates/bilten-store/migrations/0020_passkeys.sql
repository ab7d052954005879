-- Passkeys (WebAuthn): sign-in without a password, and a strong sign-in.
--
-- `credential_id` is the authenticator's id of the credential (base64url): UNIQUE, since a
-- sign-in finds its account by it alone (discoverable credentials, no email typed).
-- `public_key` is the key's raw bytes (base64url) for its COSE `algorithm` (-7 ES256: a SEC1
-- point; -8 EdDSA: 32 bytes). `sign_count` only moves forward (a conditional update), so a
-- cloned authenticator's older counter is refused.
CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL,
    public_key TEXT NOT NULL,
    algorithm BIGINT NOT NULL CHECK (algorithm IN (-7, -8)),
    sign_count BIGINT NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    CONSTRAINT passkeys_credential_id_key UNIQUE (credential_id)
);
CREATE INDEX passkeys_user_idx ON passkeys (user_id);

-- The challenge of one ceremony: registration (bound to the account that asked) or sign-in
-- (nobody yet). Spent by the one conditional update that finds it unused and unexpired, so a
-- replayed answer finds it spent.
CREATE TABLE passkey_challenges (
    challenge TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('register', 'sign_in')),
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX passkey_challenges_expiry_idx ON passkey_challenges (expires_at);

-- The passkey a session was started with (NULL: a password, with or without a code). Such a
-- session counts as a strong sign-in for organizations that require a second factor.
ALTER TABLE sessions ADD COLUMN passkey_id TEXT;
