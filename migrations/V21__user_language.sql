-- Each user's dashboard and mail language: 'auto' (the browser's Accept-Language on pages,
-- English in mail, which has no browser to ask) or a language code the dashboard has a
-- message catalogue for.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'auto'
    CHECK (language IN ('auto', 'en', 'de'));
