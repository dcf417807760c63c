-- Goals, and the rollups behind event statistics and goal conversions.
--
-- Event figures and conversions are counted by the hour the session started (events carry
-- session_start for this), like every session figure: a session falls in exactly one hour, so
-- per-hour counts of distinct sessions add up over any window.

-- A goal: an event name (optionally with one property key=value), or a page glob. The glob's
-- anchored regular expression is stored beside it so the rollup job can match in SQL.
--   rolled_from  page goals only: hours before it (and before the rollup watermark) are not yet
--                in rollup_goals_*; the rollup job fills them backwards from raw rows and sets
--                it to NULL when done. Readers answer a goal from raw rows until then.
CREATE TABLE goals (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id  UUID NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    event_name  TEXT,
    prop_key    TEXT,
    prop_value  TEXT,
    page_glob   TEXT,
    page_regex  TEXT,
    rolled_from TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (service_id, name),
    CHECK ((event_name IS NULL) <> (page_glob IS NULL)),
    CHECK ((page_glob IS NULL) = (page_regex IS NULL)),
    CHECK ((prop_key IS NULL) = (prop_value IS NULL)),
    CHECK (prop_key IS NULL OR event_name IS NOT NULL),
    CHECK (rolled_from IS NULL OR page_glob IS NOT NULL)
);
CREATE INDEX goals_pending_idx ON goals (rolled_from) WHERE rolled_from IS NOT NULL;

-- Raw event reads and rollups select by the session's start.
CREATE INDEX events_service_session_start_idx ON events (service_id, session_start);

-- Per service and UTC hour of session start: for each event name (prop_key NULL) and each
-- (name, property key, value), the events and the distinct sessions that sent them. Event goals
-- are answered from these rows, so a goal defined after the data still has its history, for as
-- long as the rollups are kept.
CREATE TABLE rollup_events_hourly (
    service_id UUID NOT NULL,
    hour       TIMESTAMPTZ NOT NULL,
    name       TEXT NOT NULL,
    prop_key   TEXT,
    prop_value TEXT,
    events     BIGINT NOT NULL,
    sessions   BIGINT NOT NULL
);
CREATE INDEX rollup_events_hourly_idx ON rollup_events_hourly (service_id, hour);
CREATE INDEX rollup_events_hourly_hour_idx ON rollup_events_hourly (hour);

CREATE TABLE rollup_events_daily (
    service_id UUID NOT NULL,
    day        DATE NOT NULL,
    name       TEXT NOT NULL,
    prop_key   TEXT,
    prop_value TEXT,
    events     BIGINT NOT NULL,
    sessions   BIGINT NOT NULL
);
CREATE INDEX rollup_events_daily_idx ON rollup_events_daily (service_id, day);
CREATE INDEX rollup_events_daily_day_idx ON rollup_events_daily (day);

-- Per page goal and UTC hour (day) of session start: the sessions that viewed a matching page.
-- A glob cannot be answered from per-page counts (a session viewing two matching pages must
-- count once), hence one row per goal.
CREATE TABLE rollup_goals_hourly (
    service_id UUID NOT NULL,
    goal_id    BIGINT NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
    hour       TIMESTAMPTZ NOT NULL,
    sessions   BIGINT NOT NULL,
    PRIMARY KEY (goal_id, hour)
);
CREATE INDEX rollup_goals_hourly_hour_idx ON rollup_goals_hourly (hour);

CREATE TABLE rollup_goals_daily (
    service_id UUID NOT NULL,
    goal_id    BIGINT NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
    day        DATE NOT NULL,
    sessions   BIGINT NOT NULL,
    PRIMARY KEY (goal_id, day)
);
CREATE INDEX rollup_goals_daily_day_idx ON rollup_goals_daily (day);
