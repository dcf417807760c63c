-- Regions (16), cities (17) and networks (3) are no longer counted per hour and segment: a busy
-- hour had tens of thousands of them in each segment, nine in ten of the hourly segment rows.
-- The open day reads them from raw sessions and the day's close counts them into
-- rollup_segment_dims_daily, so hourly rows left from before would be counted twice.
DELETE FROM rollup_segment_dims_hourly WHERE dim IN (3, 16, 17);
