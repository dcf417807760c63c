-- Accounts for the dashboard: server-side web sessions, several email addresses per user,
-- single-use tokens (password reset, email verification), login throttling and instance settings.
-- Every secret is stored as a SHA-256 hash, so a database dump does not let anyone log in.

-- Email addresses. `users.email` stays the login and always equals the primary address.
CREATE TABLE user_emails (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    verified   BOOLEAN NOT NULL DEFAULT false,
    is_primary BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX user_emails_email_key ON user_emails (lower(email));
CREATE UNIQUE INDEX user_emails_one_primary ON user_emails (user_id) WHERE is_primary;
CREATE INDEX user_emails_user_idx ON user_emails (user_id);

-- Users created outside the dashboard (`shynet createadmin`, SQL) get their address as a
-- verified primary, so collaborators can be found by it at once.
INSERT INTO user_emails (user_id, email, verified, is_primary)
SELECT id, email, true, true FROM users
ON CONFLICT DO NOTHING;

CREATE FUNCTION users_primary_email() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_emails (user_id, email, verified, is_primary)
    VALUES (NEW.id, NEW.email, true, true)
    ON CONFLICT DO NOTHING;
    RETURN NEW;
END $$;
CREATE TRIGGER users_primary_email AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION users_primary_email();

-- Logged-in browsers. The cookie carries a random token; only its hash is stored.
CREATE TABLE web_sessions (
    token_hash BYTEA PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);

-- Single-use links: password reset and email verification.
CREATE TABLE one_time_tokens (
    token_hash BYTEA PRIMARY KEY,
    purpose    TEXT NOT NULL CHECK (purpose IN ('reset', 'verify')),
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email_id   BIGINT REFERENCES user_emails (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX one_time_tokens_user_idx ON one_time_tokens (user_id);
CREATE INDEX one_time_tokens_expires_idx ON one_time_tokens (expires_at);

-- Failed logins, for throttling by address.
CREATE TABLE login_failures (
    email      TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_idx ON login_failures (lower(email), at);

-- Instance-wide settings set from the admin page (e.g. the instance name).
CREATE TABLE instance_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

