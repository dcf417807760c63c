-- Each service's own time zone (an IANA name such as `Asia/Kolkata`), deciding its day
-- boundaries, chart buckets and "today". NULL means the instance's TIME_ZONE. Names are
-- validated by the application (the manage page and `shynet service create`); rollups stay hourly
-- in UTC, so nothing else changes when a zone does.
ALTER TABLE services ADD COLUMN time_zone TEXT
    CHECK (time_zone IS NULL OR (length(time_zone) BETWEEN 1 AND 64));
