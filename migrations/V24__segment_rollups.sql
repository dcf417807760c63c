-- Segment rollups: the figures of one-filter views ("country is DE", "browser is Firefox") for
-- the low-cardinality session fields listed in stats/src/segment.rs, so such a view reads a few
-- hundred pre-counted rows per day instead of exploding every raw row of its window (2.9 s for a
-- 30-day window at 10M demo hits a year). `fdim` is the filtered field's dimension code, `fval`
-- its value; a hit belongs to the segment of its session.

-- Per service, UTC hour and segment: the sums behind the scalar figures and the chart (the
-- counterpart of rollup_hours).
CREATE TABLE rollup_segment_hours (
    service_id      UUID NOT NULL,
    hour            TIMESTAMPTZ NOT NULL,
    fdim            SMALLINT NOT NULL,
    fval            TEXT NOT NULL,
    sessions        BIGINT NOT NULL,
    bounces         BIGINT NOT NULL,
    duration_us     BIGINT NOT NULL,
    hits            BIGINT NOT NULL,
    load_time_sum   DOUBLE PRECISION NOT NULL,
    load_time_count BIGINT NOT NULL
);
CREATE INDEX rollup_segment_hours_idx ON rollup_segment_hours (service_id, fdim, fval, hour);
-- The job replaces hour ranges of every service at once.
CREATE INDEX rollup_segment_hours_hour_idx ON rollup_segment_hours (hour);

-- Per service, UTC day and segment: every dimension's counts (the tables), and the day's
-- distinct visitors under the reserved code 1000. Only days that are complete (before the
-- watermark's day); a dimension crossed with a segment is too many rows to keep per hour.
CREATE TABLE rollup_segment_dims_daily (
    service_id UUID NOT NULL,
    day        DATE NOT NULL,
    fdim       SMALLINT NOT NULL,
    fval       TEXT NOT NULL,
    dim        SMALLINT NOT NULL,
    key        TEXT NOT NULL,
    count      BIGINT NOT NULL
);
CREATE INDEX rollup_segment_dims_daily_idx ON rollup_segment_dims_daily (service_id, fdim, fval, day);
CREATE INDEX rollup_segment_dims_daily_day_idx ON rollup_segment_dims_daily (day);

-- The same per hour, only for the rolled hours of the day the watermark is in: when that day
-- is complete its hours are summed into rollup_segment_dims_daily and deleted here.
CREATE TABLE rollup_segment_dims_hourly (
    service_id UUID NOT NULL,
    hour       TIMESTAMPTZ NOT NULL,
    fdim       SMALLINT NOT NULL,
    fval       TEXT NOT NULL,
    dim        SMALLINT NOT NULL,
    key        TEXT NOT NULL,
    count      BIGINT NOT NULL
);
CREATE INDEX rollup_segment_dims_hourly_idx ON rollup_segment_dims_hourly (service_id, fdim, fval, hour);
CREATE INDEX rollup_segment_dims_hourly_hour_idx ON rollup_segment_dims_hourly (hour);

-- Per service, UTC hour of session start and segment: each custom event name's events and
-- distinct sessions (the event table of a segment; events are windowed by their session's start).
CREATE TABLE rollup_segment_events_hourly (
    service_id UUID NOT NULL,
    hour       TIMESTAMPTZ NOT NULL,
    fdim       SMALLINT NOT NULL,
    fval       TEXT NOT NULL,
    name       TEXT NOT NULL,
    events     BIGINT NOT NULL,
    sessions   BIGINT NOT NULL
);
CREATE INDEX rollup_segment_events_hourly_idx ON rollup_segment_events_hourly (service_id, fdim, fval, hour);
CREATE INDEX rollup_segment_events_hourly_hour_idx ON rollup_segment_events_hourly (hour);

-- The first UTC day the segment rollups cover: its hours and the days from it on are rolled
-- like the other rollups (NULL: nothing yet; the first pass sets it). An upgraded install starts
-- with the day after the watermark's (whose earlier hours were rolled before these tables
-- existed); the job then fills the earlier days from raw rows, a week per pass, moving this
-- back until no older raw row remains.
ALTER TABLE rollup_state ADD COLUMN segments_from DATE;
UPDATE rollup_state SET segments_from = (watermark AT TIME ZONE 'UTC')::date + 1
WHERE watermark IS NOT NULL;
