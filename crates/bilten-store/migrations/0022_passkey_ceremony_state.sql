-- Passkeys verified by the `webauthn_rp` crate (docs/ARCHITECTURE.md, "Passkeys").
--
-- `passkey_challenges.server_state`: the crate's state of the ceremony the challenge started
-- (base64url of its encoding: expiry, user verification, algorithms, the account's user
-- handle), so whichever backend replica gets the answer finishes the ceremony. NULL on a
-- challenge issued by an older release: such an answer is refused and the browser starts again.
--
-- `passkeys.static_state` and `passkeys.dynamic_state`: the crate's encoding of the credential
-- (base64url): the key and the extensions' outputs, which never change; the backup flags, user
-- verification and counter, which a sign-in may move. NULL on a passkey registered by an older
-- release: its state is rebuilt from `public_key` and `algorithm`, which stay filled for every
-- passkey, and `dynamic_state` is written at its next sign-in. `sign_count` stays the column
-- the conditional update moves.
ALTER TABLE passkey_challenges ADD COLUMN server_state TEXT;
ALTER TABLE passkeys ADD COLUMN static_state TEXT;
ALTER TABLE passkeys ADD COLUMN dynamic_state TEXT;
