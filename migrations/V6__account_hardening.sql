-- Account hardening.
--
-- Login throttling moves from a count of failures per submitted address (a hard lock anyone could
-- trigger, checked and recorded in separate statements) to one row per key, for the client
-- address and for the account, claimed atomically before a password is checked; the delay grows
-- exponentially with the failures.
DROP TABLE login_failures;
CREATE TABLE login_throttle (
    key      TEXT PRIMARY KEY CHECK (length(key) <= 400),
    failures INT NOT NULL,
    last_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_throttle_last_idx ON login_throttle (last_at);

-- Account mail sent (reset and verification links), for rate limits per address and per user.
CREATE TABLE account_mail_log (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX account_mail_log_user_idx ON account_mail_log (user_id, sent_at);
CREATE INDEX account_mail_log_address_idx ON account_mail_log (lower(address), sent_at);

-- An unverified claim no longer reserves an address: only verified addresses are unique across
-- users (the owner who verifies wins; other users' unverified claims are then dropped), and each
-- user holds an address once.
DROP INDEX user_emails_email_key;
CREATE UNIQUE INDEX user_emails_verified_key ON user_emails (lower(email)) WHERE verified;
CREATE UNIQUE INDEX user_emails_user_email_key ON user_emails (user_id, lower(email));
