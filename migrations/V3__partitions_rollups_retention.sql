-- Scale: hits and sessions range-partitioned by month, hourly rollups with a watermark, and
-- per-service retention. An existing install is moved here in this one migration, without data
-- loss: the old tables are renamed, partitioned copies are created, rows are moved, the old
-- tables are dropped. Primary keys include the partition key (start_time) because Postgres
-- requires it; the writer passes start_time in its lookups so they stay index-only and pruned.

-- 1. Move the old tables aside (their indexes too, so the new ones can take the names).
ALTER TABLE hits RENAME TO hits_unpartitioned;
ALTER INDEX hits_pkey RENAME TO hits_unpartitioned_pkey;
ALTER INDEX hits_service_start_idx RENAME TO hits_unpartitioned_service_start_idx;
ALTER INDEX hits_session_idx RENAME TO hits_unpartitioned_session_idx;
-- The id sequence survives the old table: new ids continue where the old ones stopped.
ALTER SEQUENCE hits_id_seq OWNED BY NONE;

ALTER TABLE sessions RENAME TO sessions_unpartitioned;
ALTER INDEX sessions_pkey RENAME TO sessions_unpartitioned_pkey;
ALTER INDEX sessions_service_start_idx RENAME TO sessions_unpartitioned_service_start_idx;
ALTER INDEX sessions_service_last_seen_idx RENAME TO sessions_unpartitioned_service_last_seen_idx;

-- 2. The partitioned tables: same columns, keys extended by start_time.
CREATE TABLE sessions (
    id              UUID NOT NULL,
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
    is_bounce       BOOLEAN NOT NULL DEFAULT true,
    PRIMARY KEY (id, start_time)
) PARTITION BY RANGE (start_time);
CREATE INDEX sessions_service_start_idx ON sessions (service_id, start_time DESC);
CREATE INDEX sessions_service_last_seen_idx ON sessions (service_id, last_seen DESC);

CREATE TABLE hits (
    id         BIGINT NOT NULL DEFAULT nextval('hits_id_seq'),
    session_id UUID NOT NULL,
    service_id UUID NOT NULL,
    initial    BOOLEAN NOT NULL,
    start_time TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL,
    heartbeats INTEGER NOT NULL DEFAULT 0,
    tracker    TEXT NOT NULL CHECK (tracker IN ('JS', 'PIXEL')),
    location   TEXT NOT NULL DEFAULT '',
    referrer   TEXT NOT NULL DEFAULT '',
    load_time  DOUBLE PRECISION,
    PRIMARY KEY (id, start_time)
) PARTITION BY RANGE (start_time);
CREATE INDEX hits_service_start_idx ON hits (service_id, start_time DESC);
CREATE INDEX hits_session_idx ON hits (session_id, start_time);
ALTER SEQUENCE hits_id_seq OWNED BY hits.id;

-- A default partition catches rows outside every monthly range (clock-skewed or replayed
-- beacons), so nothing is ever refused for its date; the maintenance job moves them into a
-- proper month when it creates one.
CREATE TABLE hits_default PARTITION OF hits DEFAULT;
CREATE TABLE sessions_default PARTITION OF sessions DEFAULT;

-- 3. Monthly partitions (UTC months), named <table>_yYYYYmMM. Creates the months from
--    `from_ts` up to `months_ahead` months after now, plus every month that has rows in the
--    default partition (those rows are moved into it). Safe to call from several replicas at
--    once: an advisory transaction lock serialises callers, and existing months are skipped.
CREATE FUNCTION shynet_ensure_partitions(from_ts TIMESTAMPTZ, months_ahead INTEGER)
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    tbl TEXT;
    m TIMESTAMP;
    lo TIMESTAMPTZ;
    hi TIMESTAMPTZ;
    part TEXT;
    created INTEGER := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(5348594, 1);
    FOREACH tbl IN ARRAY ARRAY['hits', 'sessions'] LOOP
        FOR m IN
            SELECT g FROM generate_series(
                date_trunc('month', from_ts AT TIME ZONE 'UTC'),
                date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => months_ahead),
                interval '1 month') AS g
            UNION
            SELECT DISTINCT date_trunc('month', d.start_time AT TIME ZONE 'UTC')
            FROM (SELECT start_time FROM hits_default WHERE tbl = 'hits'
                  UNION ALL
                  SELECT start_time FROM sessions_default WHERE tbl = 'sessions') d
        LOOP
            part := format('%s_y%sm%s', tbl, to_char(m, 'YYYY'), to_char(m, 'MM'));
            CONTINUE WHEN to_regclass(part) IS NOT NULL;
            lo := m AT TIME ZONE 'UTC';
            hi := (m + interval '1 month') AT TIME ZONE 'UTC';
            -- Rows already in the default partition for this month move into the new one.
            EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, tbl);
            EXECUTE format('WITH moved AS (DELETE FROM %I WHERE start_time >= $1 AND start_time < $2 RETURNING *)
                            INSERT INTO %I SELECT * FROM moved', tbl || '_default', part) USING lo, hi;
            EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', tbl, part, lo, hi);
            created := created + 1;
        END LOOP;
    END LOOP;
    RETURN created;
END $$;

-- 4. Partitions for every month of existing data (and the next three), then the rows.
SELECT shynet_ensure_partitions(
    LEAST(now(),
          (SELECT min(start_time) FROM hits_unpartitioned),
          (SELECT min(start_time) FROM sessions_unpartitioned)),
    3);
-- Months between the oldest row and now that have no rows are created too (generate_series);
-- that keeps the range contiguous, so a late replayed beacon always finds its month.
INSERT INTO sessions SELECT * FROM sessions_unpartitioned;
INSERT INTO hits SELECT * FROM hits_unpartitioned;
DROP TABLE hits_unpartitioned;
DROP TABLE sessions_unpartitioned;

-- 5. Rollups. Per service and UTC hour: the scalar sums of every dashboard figure, windowed like
--    the raw rows (sessions by start, hits by their own time).
CREATE TABLE rollup_hours (
    service_id      UUID NOT NULL,
    hour            TIMESTAMPTZ NOT NULL,
    sessions        BIGINT NOT NULL,
    bounces         BIGINT NOT NULL,
    -- Sum of last_seen - start_time over the hour's sessions, in microseconds (exact).
    duration_us     BIGINT NOT NULL,
    hits            BIGINT NOT NULL,
    load_time_sum   DOUBLE PRECISION NOT NULL,
    load_time_count BIGINT NOT NULL,
    PRIMARY KEY (service_id, hour)
);
CREATE INDEX rollup_hours_hour_idx ON rollup_hours (hour);

-- Per-dimension counts per hour, and the same summed per UTC day (so a year reads 365 rows per
-- key, not 8760). dim: 0 page (hits), 1 entry referrer (initial hits), 2 country, 3 network,
-- 4 OS, 5 browser, 6 device type, 7 device (sessions). Keys can be 4 KB URLs, too long for a
-- btree key, so the tables are indexed by time only; the job replaces whole hours under a lock.
CREATE TABLE rollup_dims_hourly (
    service_id UUID NOT NULL,
    hour       TIMESTAMPTZ NOT NULL,
    dim        SMALLINT NOT NULL,
    key        TEXT NOT NULL,
    count      BIGINT NOT NULL
);
CREATE INDEX rollup_dims_hourly_idx ON rollup_dims_hourly (service_id, hour);
-- The job replaces hour ranges of every service at once.
CREATE INDEX rollup_dims_hourly_hour_idx ON rollup_dims_hourly (hour);

CREATE TABLE rollup_dims_daily (
    service_id UUID NOT NULL,
    day        DATE NOT NULL,
    dim        SMALLINT NOT NULL,
    key        TEXT NOT NULL,
    count      BIGINT NOT NULL
);
CREATE INDEX rollup_dims_daily_idx ON rollup_dims_daily (service_id, day);
CREATE INDEX rollup_dims_daily_day_idx ON rollup_dims_daily (day);

-- The watermark: every hour before it is rolled up. One row; the job locks it (SKIP LOCKED), so
-- with several replicas exactly one rolls up at a time. NULL until the first pass.
CREATE TABLE rollup_state (
    id         BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    watermark  TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO rollup_state (id, watermark) VALUES (true, NULL);

-- Hours before the watermark whose raw rows changed after they were rolled up (a long session's
-- duration grew, a replayed batch arrived late). The writer adds them; the job re-rolls them.
CREATE TABLE rollup_dirty (
    service_id UUID NOT NULL,
    hour       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (service_id, hour)
);

-- 6. Retention per service: raw hits and sessions for N days, rollups for M days (NULL = for
--    ever). raw_purged_before records how far raw rows were actually deleted, so the dashboard
--    can say where drill-down stops.
ALTER TABLE services
    ADD COLUMN raw_retention_days INTEGER
        CHECK (raw_retention_days IS NULL OR raw_retention_days BETWEEN 1 AND 36500),
    ADD COLUMN rollup_retention_days INTEGER
        CHECK (rollup_retention_days IS NULL OR rollup_retention_days BETWEEN 1 AND 36500),
    ADD COLUMN raw_purged_before TIMESTAMPTZ,
    ADD CONSTRAINT services_rollups_outlive_raw CHECK (
        rollup_retention_days IS NULL
        OR (raw_retention_days IS NOT NULL AND rollup_retention_days >= raw_retention_days));
