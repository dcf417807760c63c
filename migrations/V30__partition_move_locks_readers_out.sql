-- Partition upkeep moves rows that landed in a table's default partition (an import or a demo
-- writing months before the existing partitions) into a new monthly partition and attaches it,
-- in one transaction. ATTACH takes only a SHARE UPDATE EXCLUSIVE lock on the parent, so a
-- query planned while the move ran could use the partition list from before the attach with a
-- snapshot from after the commit: it read the default partition without the moved rows and did
-- not read the new one, and answered as if they did not exist (a live view missed its page
-- views that way). The parent is now locked ACCESS EXCLUSIVE before rows move, so such a query
-- waits for the commit and then plans with the new partition. Only when rows move: creating
-- the empty partitions of coming months keeps the weaker lock. lock_timeout still makes upkeep
-- give up at once rather than queue readers and the writer behind it; it retries next run.
CREATE OR REPLACE FUNCTION shynet_ensure_partitions(from_ts TIMESTAMPTZ, months_ahead INTEGER)
RETURNS INTEGER LANGUAGE plpgsql SET lock_timeout = '500ms' AS $$
DECLARE
    tbl TEXT;
    m TIMESTAMP;
    lo TIMESTAMPTZ;
    hi TIMESTAMPTZ;
    part TEXT;
    moving BOOLEAN;
    created INTEGER := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(5348594, 1);
    FOREACH tbl IN ARRAY ARRAY['hits', 'sessions', 'events'] LOOP
        FOR m IN
            SELECT g FROM generate_series(
                date_trunc('month', from_ts AT TIME ZONE 'UTC'),
                date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => months_ahead),
                interval '1 month') AS g
            UNION
            SELECT DISTINCT date_trunc('month', d.start_time AT TIME ZONE 'UTC')
            FROM (SELECT start_time FROM hits_default WHERE tbl = 'hits'
                  UNION ALL
                  SELECT start_time FROM sessions_default WHERE tbl = 'sessions'
                  UNION ALL
                  SELECT start_time FROM events_default WHERE tbl = 'events') d
        LOOP
            part := format('%s_y%sm%s', tbl, to_char(m, 'YYYY'), to_char(m, 'MM'));
            CONTINUE WHEN to_regclass(part) IS NOT NULL;
            lo := m AT TIME ZONE 'UTC';
            hi := (m + interval '1 month') AT TIME ZONE 'UTC';
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE start_time >= $1 AND start_time < $2)',
                           tbl || '_default') INTO moving USING lo, hi;
            IF moving THEN
                EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', tbl);
            END IF;
            EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, tbl);
            EXECUTE format('WITH moved AS (DELETE FROM %I WHERE start_time >= $1 AND start_time < $2 RETURNING *)
                            INSERT INTO %I SELECT * FROM moved', tbl || '_default', part) USING lo, hi;
            EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', tbl, part, lo, hi);
            created := created + 1;
        END LOOP;
    END LOOP;
    RETURN created;
END $$;
