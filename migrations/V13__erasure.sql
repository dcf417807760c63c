-- Right to erasure: one row per deletion an owner or operator ran (CLI, manage page or API),
-- and indexes so deleting one visitor does not scan a service's whole history.
--
-- The audit row says who, when, which kind of selector and how many rows went, never the
-- deleted value itself: `selector_hash` is an argon2id PHC string (random salt per row, slow
-- on purpose), so the value cannot be looked up in a table and testing one guess (an IP, an
-- identifier) against a row costs a full argon2 hash. A time range is not personal data and
-- is kept as it is (`range_from`, `range_to`). Rows are deleted with their service.
CREATE TABLE erasures (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id    UUID NOT NULL,
    user_id       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    via           TEXT NOT NULL CHECK (via IN ('cli', 'web', 'api')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    selector_kind TEXT NOT NULL CHECK (selector_kind IN ('identifier', 'ip', 'session', 'range')),
    selector_hash TEXT,
    range_from    TIMESTAMPTZ,
    range_to      TIMESTAMPTZ,
    sessions      BIGINT NOT NULL,
    hits          BIGINT NOT NULL,
    events        BIGINT NOT NULL,
    live_rows     BIGINT NOT NULL,
    CHECK ((selector_kind = 'range') = (selector_hash IS NULL)),
    CHECK ((selector_kind = 'range') = (range_from IS NOT NULL AND range_to IS NOT NULL))
);
CREATE INDEX erasures_service_idx ON erasures (service_id, created_at DESC);

-- Most sessions carry no identifier and no IP, so these partial indexes stay small and cost
-- ingestion next to nothing.
CREATE INDEX sessions_service_identifier_idx ON sessions (service_id, identifier)
    WHERE identifier <> '';
CREATE INDEX sessions_service_ip_idx ON sessions (service_id, ip) WHERE ip IS NOT NULL;
