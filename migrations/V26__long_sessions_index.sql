-- The sessions that lasted longer than a day, by when they were last seen. Filtered views find
-- the sessions of a window's hits as "started before the window ends and last seen after it
-- starts"; in the month the window starts in, "last seen after" alone matches every later
-- session of that month, so the lookup read up to a month of sessions to find a few hours'
-- worth. The readers add "started at most a day before the window, or lasted longer than a
-- day" (always true of such a session): the first part is a short range of the start-time
-- index, the second this index, which holds only the rare long sessions. The interval must stay
-- written exactly as the readers write it (stats::filter_sql::LONG_SESSION), since Postgres
-- matches a partial index by its predicate's text.
CREATE INDEX sessions_long_last_seen_idx ON sessions (service_id, last_seen)
    WHERE last_seen - start_time > interval '24 hours';
