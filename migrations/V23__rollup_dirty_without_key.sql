-- rollup_dirty loses its primary key. With the key, a writer marking an hour dirty had to wait
-- for any transaction that had inserted or deleted the same (service, hour) to end: for the
-- rollup pass, which takes the dirty hours at its start and commits only after rolling the
-- newly closed hours (minutes on a very busy site), that stalled every batch that continued a
-- long session for the whole pass; concurrent batches also waited on each other. Without the
-- key a mark is a plain insert that never waits; the pass takes the distinct hours of the rows
-- it sees and deletes exactly those rows, and rows added meanwhile wait for the next pass.
ALTER TABLE rollup_dirty DROP CONSTRAINT rollup_dirty_pkey;
