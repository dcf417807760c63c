-- `shynet import shynet`: how far each imported service's sessions and hits were copied from the
-- original Shynet's database. Written in the same transaction as each chunk of rows, so an
-- interrupted import resumes exactly where it stopped and a re-run copies nothing twice.
-- Deleted with its service (nothing about a deleted service stays behind).
CREATE TABLE import_cursors (
    service_id          UUID PRIMARY KEY REFERENCES services (id) ON DELETE CASCADE,
    -- The last source session copied, in (start_time, uuid) order.
    sessions_after_time TIMESTAMPTZ,
    sessions_after_id   UUID,
    -- The last source hit copied, by the source's hit id.
    hits_after_id       BIGINT NOT NULL DEFAULT 0,
    sessions            BIGINT NOT NULL DEFAULT 0,
    hits                BIGINT NOT NULL DEFAULT 0,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
