-- Campaigns, channels, clean page URLs, exit pages and unique visitors. Every column is added
-- with a constant default (or none), so the ALTERs are instant on a large install: no table
-- rewrite, no backfill. Rows written before this migration have empty values and are counted
-- under "unknown"/"none"; the new tables fill from the deploy on.

-- Per session, from the entry page view (the writer fills them once, when the session starts):
--   utm_*     the entry URL's campaign tags (utm_source falls back to `ref` / `source`),
--             normalised and cut to 200 bytes by the writer;
--   channel   Direct, Organic Search, Paid Search, Social, … (beacon::channels);
--   exit_page the clean URL of the session's latest page view, moved forward by the writer as
--             the session continues (the rollup of the session's start hour is re-rolled then);
--   visitor   the daily-salted visitor hash of the session's first beacon, for distinct
--             visitors per UTC day. It cannot be recomputed or tied to an IP once that day's salt
--             is deleted (at most 48 h later); it only links sessions of the same day. NULL on
--             sessions from before this migration.
ALTER TABLE sessions
    ADD COLUMN utm_source   TEXT NOT NULL DEFAULT '',
    ADD COLUMN utm_medium   TEXT NOT NULL DEFAULT '',
    ADD COLUMN utm_campaign TEXT NOT NULL DEFAULT '',
    ADD COLUMN utm_term     TEXT NOT NULL DEFAULT '',
    ADD COLUMN utm_content  TEXT NOT NULL DEFAULT '',
    ADD COLUMN channel      TEXT NOT NULL DEFAULT '',
    ADD COLUMN exit_page    TEXT NOT NULL DEFAULT '',
    ADD COLUMN visitor      BYTEA;

-- The page URL without the service's tracking parameters, which page tables group by. NULL when
-- cleaning changed nothing (most hits), so the clean URL is coalesce(location_clean, location)
-- and no URL is stored twice; rows from before this migration read as their raw location.
ALTER TABLE hits ADD COLUMN location_clean TEXT;

-- The query parameters removed from page URLs before grouping, edited on the service's manage
-- page (names, or prefixes ending in *). A changed list applies to page views written from then
-- on; stored rows keep the clean URL they were written with. The default is
-- beacon::tracking_params::DEFAULT_TRACKING_PARAMS (a test keeps the two equal).
ALTER TABLE services ADD COLUMN tracking_params TEXT NOT NULL
    DEFAULT 'utm_*, fbclid, gclid, gbraid, wbraid, dclid, msclkid, yclid, twclid, ttclid, li_fat_id, igshid, mc_cid, mc_eid, _ga, _gl, _hsenc, _hsmi, mkt_tok'
    CHECK (length(tracking_params) <= 5000);
