-- Two-factor login (TOTP, RFC 6238).

-- One TOTP secret per user. `enabled` is false between "start enrolment" and the confirming
-- code; `last_step` is the newest 30-second step whose code was accepted, so a code cannot be
-- used twice (replay) and no older code is accepted after a newer one.
CREATE TABLE user_totp (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     BYTEA NOT NULL CHECK (length(secret) BETWEEN 16 AND 64),
    enabled    BOOLEAN NOT NULL DEFAULT false,
    last_step  BIGINT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Single-use recovery codes, stored as SHA-256 of an 80-bit random code.
CREATE TABLE user_recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BYTEA NOT NULL,
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

-- A login whose password was right and which now waits for a second factor: not a session.
CREATE TABLE pending_logins (
    token_hash BYTEA PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    next       TEXT NOT NULL,
    attempts   INT NOT NULL DEFAULT 0,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX pending_logins_expires_idx ON pending_logins (expires_at);
CREATE INDEX pending_logins_user_idx ON pending_logins (user_id);
