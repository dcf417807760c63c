-- The rollup job advances the watermark over a closed hour in several short transactions
-- instead of one (a busy hour's single transaction stayed open for over ten minutes, and while
-- it did, vacuum could not reclaim the live-state tables' dead rows). Between those
-- transactions no row lock holds the pass together, so:
--   lease_holder, lease_until: the pass that owns the watermark for now (renewed by each of its
--     transactions; another replica may take over once it expired, e.g. after a crash). Not a
--     session advisory lock: behind a transaction-mode pooler a session is not a connection.
--   generation: bumped by anything that changes raw rows the pass may already have read
--     (a rewind after a demo or an import, an erasure); a pass that sees it move starts over
--     instead of moving the watermark over figures that are out of date.
ALTER TABLE rollup_state
    ADD COLUMN lease_holder UUID,
    ADD COLUMN lease_until  TIMESTAMPTZ,
    ADD COLUMN generation   BIGINT NOT NULL DEFAULT 0;
