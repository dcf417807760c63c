-- When each dirty mark was made. A session that stays live for hours (a tab left open, or a
-- visitor who keeps coming back within the session timeout) changes its start hour with every
-- beacon, so that hour was marked dirty in every batch and re-rolled in every maintenance run:
-- on a busy site a re-roll of an hour takes minutes, and back to back they kept a transaction
-- open almost all the time, during which vacuum could not reclaim the live-state tables' dead
-- rows (the one-hour soak saw them grow by 40 % in ten minutes). The maintenance job now lets an
-- hour's marks settle before re-rolling it (stats::rollup::REROLL_SETTLE_SECS).
ALTER TABLE rollup_dirty ADD COLUMN marked_at TIMESTAMPTZ NOT NULL DEFAULT now();
