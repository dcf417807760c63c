-- A year's tables summed about 222,000 daily dimension rows at 30M demo hits (70 ms of a 120 ms
-- page); each closed calendar month's sums of its daily rows answer eleven of a year's twelve
-- months from about 15,000 rows. Rows exist only for closed months (every day of the month
-- before the rollup watermark's day), and always equal the sum of the month's daily rows: the
-- rollup rebuilds a month whenever it rewrites daily rows of it, and rollup retention whenever it
-- purges some.
CREATE TABLE rollup_dims_monthly (
    service_id UUID NOT NULL,
    month      DATE NOT NULL,
    dim        SMALLINT NOT NULL,
    key        TEXT NOT NULL,
    count      BIGINT NOT NULL,
    CHECK (extract(day FROM month) = 1)
);
-- Readers sum one service's months: index-only with the summed columns.
CREATE INDEX rollup_dims_monthly_idx ON rollup_dims_monthly (service_id, month) INCLUDE (dim, key, count);
-- The rollup replaces months of every service at once.
CREATE INDEX rollup_dims_monthly_month_idx ON rollup_dims_monthly (month);

INSERT INTO rollup_dims_monthly (service_id, month, dim, key, count)
SELECT service_id, date_trunc('month', day)::date, dim, key, sum(count)::int8
FROM rollup_dims_daily
WHERE day < date_trunc('month', (SELECT (watermark AT TIME ZONE 'UTC')::date FROM rollup_state))::date
GROUP BY 1, 2, 3, 4;
