-- Partition upkeep must never make a dashboard query or the writer wait (or deadlock with them):
-- attaching a partition needs strong locks, so the upkeep gives up after a short wait and the
-- maintenance job simply tries again on its next pass.
ALTER FUNCTION shynet_ensure_partitions(TIMESTAMPTZ, INTEGER) SET lock_timeout = '500ms';

-- Create the partitions the maintenance job keeps (last month to three ahead) now, while nothing
-- else runs, so the first pass after start-up has nothing to attach.
SELECT shynet_ensure_partitions(now() - interval '1 month', 3);
