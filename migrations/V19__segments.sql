-- Saved segments: a name and the filters of a view (each in the URL spelling, `country:DE`,
-- `page~:/blog/`), shown on the service page as quick links. Filters are validated by the
-- application when saved and again whenever a segment is opened. Deleting the service deletes
-- its segments.
CREATE TABLE segments (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id UUID NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    name       TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
    filters    TEXT[] NOT NULL CHECK (cardinality(filters) BETWEEN 1 AND 8),
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (service_id, name)
);
