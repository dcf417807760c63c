-- Visitors of partial UTC days from rollups. Visitors are distinct per UTC day (the daily salt),
-- so a day's count cannot be added up from its hours; these two counts can. Per service and UTC
-- hour: how many of that day's visitors started their first session of the day in the hour
-- (`firsts`), and how many their last (`lasts`). The visitors of a day from hour h to its end are
-- the sum of `lasts` from h on; those of the day before hour h the sum of `firsts` before h.
-- The rollup job rewrites every day it touches (stats/src/rollup_visitors.rs); hours without
-- either have no row.
CREATE TABLE rollup_visitor_hours (
    service_id UUID NOT NULL,
    hour       TIMESTAMPTZ NOT NULL,
    firsts     BIGINT NOT NULL,
    lasts      BIGINT NOT NULL,
    PRIMARY KEY (service_id, hour)
);
-- The job replaces day ranges of every service at once.
CREATE INDEX rollup_visitor_hours_hour_idx ON rollup_visitor_hours (hour);

-- Whole days' visitors are `rollup_dims_daily` rows under the reserved code 1000; without this
-- index a window's 30 of them were found among every dimension's rows of those days (16k rows
-- at 10M demo hits, 5-9 ms).
CREATE INDEX rollup_dims_daily_visitors_idx ON rollup_dims_daily (service_id, day) WHERE dim = 1000;

-- Every day already rolled up (sessions before the watermark; none before the first pass, which
-- writes them itself). The watermark's own day is rewritten by the next pass.
INSERT INTO rollup_visitor_hours (service_id, hour, firsts, lasts)
SELECT service_id, hour, sum(f), sum(l)
FROM (SELECT service_id, date_trunc('hour', min(start_time), 'UTC') AS fh,
             date_trunc('hour', max(start_time), 'UTC') AS lh
      FROM sessions
      WHERE visitor IS NOT NULL
        AND start_time < (SELECT watermark FROM rollup_state WHERE id)
      GROUP BY service_id, (start_time AT TIME ZONE 'UTC')::date, visitor) v
CROSS JOIN LATERAL (VALUES (v.fh, 1, 0), (v.lh, 0, 1)) AS x(hour, f, l)
GROUP BY 1, 2;
