-- Each user's date display preference on the dashboard: 'iso' (2026-12-05), 'day-month'
-- (5 Dec 2026) or 'month-day' (Dec 5, 2026). Display only: dates in URLs, forms, the API and
-- exports stay ISO.
ALTER TABLE users ADD COLUMN date_style TEXT NOT NULL DEFAULT 'iso'
    CHECK (date_style IN ('iso', 'day-month', 'month-day'));
