-- Public share links and the dropped-traffic report.

-- A read-only link to one service's figures. The token in the URL is stored only as its SHA-256
-- (lookup by hash); the password, when set, as an argon2id hash. noise_key is the link's own
-- random secret: differentially private links derive each figure's noise from a keyed hash of it,
-- so reloading shows the same noise and a viewer (who knows the token, not this key) cannot
-- recompute and subtract it. epsilon NULL = exact figures.
CREATE TABLE share_links (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id    UUID NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    token_hash    BYTEA NOT NULL UNIQUE,
    noise_key     BYTEA NOT NULL,
    password_hash TEXT,
    epsilon       DOUBLE PRECISION,
    expires_at    TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    created_by    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (epsilon IS NULL OR (epsilon > 0 AND epsilon <= 10)),
    CHECK (octet_length(token_hash) = 32),
    CHECK (octet_length(noise_key) = 32)
);
CREATE INDEX share_links_service_idx ON share_links (service_id);

-- Beacons a service did not store, per UTC day and reason: counts only, no visitor data.
-- Written by the aggregator's periodic flush (one set-based upsert per pass), never per beacon.
CREATE TABLE dropped_beacons (
    service_id UUID NOT NULL,
    day        DATE NOT NULL,
    reason     TEXT NOT NULL CHECK (reason IN
        ('dnt', 'gpc', 'bot', 'ignored_ip', 'origin', 'archived', 'invalid', 'overload')),
    count      BIGINT NOT NULL CHECK (count >= 0),
    PRIMARY KEY (service_id, day, reason)
);
