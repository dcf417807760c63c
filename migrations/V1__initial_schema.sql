-- Shynet (Rust edition) initial schema.
-- Hits and sessions carry no foreign keys so that bulk writes stay cheap and the tables can be
-- range-partitioned by time later; service deletion removes their rows explicitly.

CREATE TABLE users (
    id             BIGSERIAL PRIMARY KEY,
    email          TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    password_hash  TEXT NOT NULL,
    is_admin       BOOLEAN NOT NULL DEFAULT false,
    is_active      BOOLEAN NOT NULL DEFAULT true,
    api_token_hash BYTEA UNIQUE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login     TIMESTAMPTZ
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE services (
    id                  UUID PRIMARY KEY,
    name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    owner_id            BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    link                TEXT NOT NULL DEFAULT '',
    origins             TEXT NOT NULL DEFAULT '*',
    status              TEXT NOT NULL DEFAULT 'AC' CHECK (status IN ('AC', 'AR')),
    respect_dnt         BOOLEAN NOT NULL DEFAULT true,
    ignore_robots       BOOLEAN NOT NULL DEFAULT false,
    collect_ips         BOOLEAN NOT NULL DEFAULT false,
    ignored_ips         TEXT NOT NULL DEFAULT '',
    hide_referrer_regex TEXT NOT NULL DEFAULT '',
    script_inject       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX services_owner_idx ON services (owner_id);

CREATE TABLE collaborators (
    service_id UUID NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (service_id, user_id)
);
CREATE INDEX collaborators_user_idx ON collaborators (user_id);

CREATE TABLE sessions (
    id              UUID PRIMARY KEY,
    service_id      UUID NOT NULL,
    start_time      TIMESTAMPTZ NOT NULL,
    last_seen       TIMESTAMPTZ NOT NULL,
    identifier      TEXT NOT NULL DEFAULT '',
    user_agent      TEXT NOT NULL DEFAULT '',
    browser         TEXT NOT NULL DEFAULT '',
    browser_version TEXT NOT NULL DEFAULT '',
    os              TEXT NOT NULL DEFAULT '',
    os_version      TEXT NOT NULL DEFAULT '',
    device          TEXT NOT NULL DEFAULT '',
    device_type     TEXT NOT NULL DEFAULT 'OTHER',
    ip              INET,
    asn             INTEGER,
    as_org          TEXT NOT NULL DEFAULT '',
    country         TEXT NOT NULL DEFAULT '',
    region          TEXT NOT NULL DEFAULT '',
    city            TEXT NOT NULL DEFAULT '',
    latitude        DOUBLE PRECISION,
    longitude       DOUBLE PRECISION,
    time_zone       TEXT NOT NULL DEFAULT '',
    hit_count       INTEGER NOT NULL DEFAULT 0,
    is_bounce       BOOLEAN NOT NULL DEFAULT true
);
CREATE INDEX sessions_service_start_idx ON sessions (service_id, start_time DESC);
CREATE INDEX sessions_service_last_seen_idx ON sessions (service_id, last_seen DESC);

CREATE TABLE hits (
    id         BIGSERIAL PRIMARY KEY,
    session_id UUID NOT NULL,
    service_id UUID NOT NULL,
    initial    BOOLEAN NOT NULL,
    start_time TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL,
    heartbeats INTEGER NOT NULL DEFAULT 0,
    tracker    TEXT NOT NULL CHECK (tracker IN ('JS', 'PIXEL')),
    location   TEXT NOT NULL DEFAULT '',
    referrer   TEXT NOT NULL DEFAULT '',
    load_time  DOUBLE PRECISION
);
CREATE INDEX hits_service_start_idx ON hits (service_id, start_time DESC);
CREATE INDEX hits_session_idx ON hits (session_id, start_time);

-- Live sessionizer state, shared by every aggregator process. Rows expire after the session
-- timeout and are pruned by a background job, so visitor hashes never outlive their use.
CREATE TABLE active_sessions (
    service_id    UUID NOT NULL,
    visitor       BYTEA NOT NULL,
    session_id    UUID NOT NULL,
    session_start TIMESTAMPTZ NOT NULL,
    last_seen     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (service_id, visitor)
);
CREATE INDEX active_sessions_last_seen_idx ON active_sessions (last_seen);

-- Page-view tokens of the JS tracker, so heartbeats find their hit from any process.
CREATE TABLE active_hits (
    service_id  UUID NOT NULL,
    idempotency TEXT NOT NULL,
    hit_id      BIGINT NOT NULL,
    session_id  UUID NOT NULL,
    hit_start   TIMESTAMPTZ NOT NULL,
    last_seen   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (service_id, idempotency)
);
CREATE INDEX active_hits_last_seen_idx ON active_hits (last_seen);

-- Daily random salts for visitor hashes; deleted shortly after their day ends.
CREATE TABLE salts (
    day        DATE PRIMARY KEY,
    salt       BYTEA NOT NULL CHECK (length(salt) = 32),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Ids of applied edge batches, so a redelivered batch is acknowledged but not applied twice.
CREATE TABLE ingest_batches (
    batch_id   TEXT PRIMARY KEY,
    beacons    INTEGER NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ingest_batches_applied_idx ON ingest_batches (applied_at);
