-- Segment rollups for pairs of fields: a view filtered by two `is` filters on two different
-- low-cardinality session fields ("country is DE and browser is Firefox") is now pre-counted
-- too (fdim is both fields' codes, the first in the hundreds; fval both values, the first
-- prefixed with its length; stats/src/segment.rs). Two filters over a year read 26 s of raw
-- rows at 10M demo hits a year before.
--
-- The existing segment rows hold no pairs, so they are dropped and rebuilt the way V24 built
-- them on an upgrade: coverage restarts the day after the watermark's, and the rollup job fills
-- the earlier days from raw rows, a week per pass. Until then filtered views read raw rows,
-- with the same figures.
TRUNCATE rollup_segment_hours, rollup_segment_dims_daily, rollup_segment_dims_hourly,
         rollup_segment_events_hourly;
UPDATE rollup_state SET segments_from = (watermark AT TIME ZONE 'UTC')::date + 1
WHERE watermark IS NOT NULL;
