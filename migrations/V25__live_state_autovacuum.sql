-- Autovacuum for the live-state tables. Both are rewritten on every beacon and lose a slice of
-- their rows to the expiry every 10 s, so in a busy hour most of their rows are replaced. At
-- the defaults (vacuum once a fifth of the rows are dead, throttled to 2 ms per 200 cost
-- units) the one-hour soak at half capacity saw up to 1.4 M dead rows between vacuums, and
-- inserts that found no free space extended the heap in steps: 1.49 → 1.65 GiB in an hour
-- after warm-up (+135 MiB/h) with no sign of levelling off. Vacuuming after a fiftieth of the
-- rows (plus a floor for small sites) at half the throttling returns the expired rows' space
-- before the next minutes of inserts need it; bench/soak.sh measures the size over time.
ALTER TABLE active_sessions SET (
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_threshold = 10000,
    autovacuum_vacuum_cost_delay = 1
);
ALTER TABLE active_hits SET (
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_threshold = 10000,
    autovacuum_vacuum_cost_delay = 1
);
