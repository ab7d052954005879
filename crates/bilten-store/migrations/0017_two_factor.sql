-- Two-factor sign-in with TOTP (RFC 6238) and recovery codes; organizations that require it.
--
-- `two_factor.secret_sealed` is the shared secret sealed with AES-256-GCM under a key derived
-- from JWT_REFRESH_SECRET: the database alone does not yield codes. `confirmed_at` NULL means
-- the enrolment waits for its first code. `last_step` is the newest 30 s step a code was
-- accepted for; the conditional update that raises it makes every code single use, also
-- under concurrent sign-ins.
CREATE TABLE two_factor (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    confirmed_at BIGINT,
    last_step BIGINT,
    created_at BIGINT NOT NULL
);

-- Ten single-use codes per account, stored as keyed hashes.
CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

-- The step between a correct password and the code: a short-lived token (not a session), as a
-- keyed hash, that allows a few code attempts and is spent by the sign-in it completes.
CREATE TABLE login_challenges (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent TEXT,
    ip TEXT,
    failures BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX login_challenges_user_idx ON login_challenges (user_id);

-- An organization whose members must sign in with a second factor to act in it.
ALTER TABLE organizations ADD COLUMN require_two_factor BIGINT NOT NULL DEFAULT 0
    CHECK (require_two_factor IN (0, 1));
