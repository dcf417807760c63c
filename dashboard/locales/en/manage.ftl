# Managing a service: its settings, goals, erasure, share links, dropped traffic, notifications.

## Settings form
form-installation = Installation
form-settings = Settings
form-fix-fields = Please fix the fields marked below.
form-name-help = What to call the service.
form-link = Link
form-link-help = The site's main URL (optional).
form-collaborators = Collaborators
form-collaborators-help = Comma-separated verified email addresses of users who may view (not change) this service.
form-retention = Data retention
form-raw-retention = Keep raw data (days)
form-for-ever = for ever
form-raw-retention-help = Hits and sessions older than this are deleted, with their session details. Totals, charts and tables for those days stay, from hourly rollups. Empty = keep for ever.
form-rollup-retention = Keep hourly rollups (days)
form-rollup-retention-help = Figures older than this are gone for good. At least as long as the raw data; empty = keep for ever.
form-advanced = Advanced settings
form-dnt = Respect Do Not Track and Global Privacy Control
form-collect-ips = Collect IP addresses
form-collect-ips-blocked = Disabled: this instance never stores IP addresses (BLOCK_ALL_IPS).
form-collect-ips-help = Also stores the raw User-Agent. Location and network are derived either way.
form-ignored-ips = Ignored IP addresses
form-ignored-ips-help = Comma-separated addresses or CIDR networks whose visits are dropped.
form-ignore-robots = Ignore robots
form-hide-referrers = Hide specific referrers
form-hide-referrers-help = Regular expression matched at the start of referrers to hide from the referrer table; tracking is unaffected.
form-tracking-params = Tracking parameters
form-tracking-params-help-html = Query parameters removed from page URLs before pages are grouped (names, or a prefix ending in *), so <code>/pricing?utm_source=newsletter</code> counts as <code>/pricing</code>. The full URL is still stored. A change applies to page views from then on. Leave empty to group by the full URL.
form-time-zone = Time zone
form-time-zone-help = IANA name (Europe/Berlin, Asia/Kolkata) deciding this service's days, charts and "today". Leave empty for the instance's zone ({ $zone }). Figures are recomputed from hourly rollups and raw rows, so a change applies to all past data at once.
form-origins = Allowed origins
form-origins-help = Comma-separated origins (https://example.com) allowed to send data, or * for any.
form-script = Additional injected JavaScript
form-script-help = Appended to the tracking script. Runs on your visitors' pages: only put code you trust here.
form-notifications-link = Notifications: anomaly alerts, webhook and reports →
form-goals-help = A session converts when it sends an event (optionally carrying one property) or views a page matching a pattern. The service page shows conversions and their rate; a new goal is counted over the data still kept, not only from now on.
form-goals-col-reached = Reached by
form-goals-full = This service has { $limit } goals, the most it can have: delete one to add another.
form-goal-add-heading = Add a goal
form-goal-event = Event
form-goal-event-help-html = The event name as sent with <code>Shynet.event(name, props)</code>, exactly. Leave it empty for a page goal.
form-goal-prop = Event property (optional)
form-goal-prop-help = Only events carrying this key with this value count.
form-goal-page-help-html = A path, without the domain: <code>/pricing</code> is that page, <code>/blog/*</code> any page one level below /blog, <code>/docs/**</code> /docs and everything below it. Query strings and a trailing slash are ignored. Give either an event or a page.
form-goal-add = Add goal
form-archived-text = Archived: the service accepts no new data; its history stays.
form-unarchive = Unarchive
form-active-text = Active. Archiving stops data collection but keeps the history.
form-archive = Archive
form-delete-link = Delete…
form-api-heading = API
form-api-intro-html = Fetch this service's figures as JSON with your <a href="/accounts/password/change/">API token</a>:
form-api-your-token = your token
form-api-help-html = <code>startDate</code> and <code>endDate</code> (YYYY-MM-DD) are optional; the default is the last 30 days. The answer includes custom <code>events</code> and <code>goals</code>; add <code>event=NAME</code> for that event's <code>event_properties</code>. <a href="/api/v1/openapi.json">OpenAPI description</a>.
service-delete-heading = Delete { $name }?
service-delete-text = All its analytics data will be deleted permanently.

## Erasure
erase-heading = Delete a visitor's data
erase-intro = Answers an erasure request: deletes the visits (with their page views, events and live state) of one identifier, IP address or session, or every visit that started in a date range, and recomputes the totals. Give one of them; try it with “Count only” first.
erase-identifier = Identifier
erase-ip = IP address
erase-session = Session id
erase-from = From (date range)
erase-count-only = Count only

## Share links
shares-heading = Share links
shares-help = A share link shows this service's figures read-only to anyone who has the link, without logging in: no sessions, no visitor identifiers, no IP addresses. With ε set, every count is noised (differential privacy) and small counts are withheld. Revoked and expired links answer “not found”.
shares-col-link = Link
shares-col-privacy = Privacy
shares-col-expires = Expires
shares-noised = noised, ε = { $epsilon }
shares-exact = exact
shares-never = never
shares-revoke = Revoke
shares-none = No share links yet.
shares-create-heading = Create a share link
shares-epsilon = Privacy ε (optional)
shares-epsilon-help = Leave empty for exact figures. Between 0.01 and 10: smaller means more noise and more privacy; 1 is a common choice.
shares-last-day = Last day (optional)
shares-password = Password (optional)
shares-create = Create share link
share-read-only = Shared, read-only
share-noised = These figures are noised for privacy (differential privacy, ε = { $epsilon }): each count has random noise added, counts below { $below } are withheld, averages of durations and load times are not shown, and only complete days (up to yesterday) are counted. Small differences are not meaningful.
share-json-html = The same figures as JSON: <a href="{ $api }">{ $api }</a>
share-created-heading = Share link created
share-created-copy = Copy the link now: it is shown only this once (only its hash is stored).
share-created-label = The share link
share-created-open = Open the shared page
share-created-back = Back to managing { $name }
share-password-heading = Shared page
share-password-intro = This page is protected by a password.
share-password-open = Open

## Dropped traffic
dropped-heading = Dropped traffic (last 30 days)
dropped-help = Beacons this service did not store, and why: what its privacy settings and filters cost. Counts only; nothing about the visitors is kept.
dropped-col-reason = Reason
dropped-col-beacons = Beacons
dropped-none = Nothing dropped.

## Notifications
notifications-heading = Notifications · { $name }
notifications-your-mail = Your mail
notifications-optin-alerts = Anomaly alerts (when the owner turned them on)
notifications-optin-weekly = Weekly report (Mondays)
notifications-optin-monthly = Monthly report (on the 1st)
notifications-mail-help = Mail goes to your login address. Every report has a one-click unsubscribe link.
notifications-alerts = Anomaly alerts
notifications-open-episode = Open episode: { $since }
notifications-enabled = Alert on drops, spikes and outages of page views per hour
notifications-threshold = Threshold (robust z-score)
notifications-threshold-help = How far from the usual count (in robust standard deviations) an hour must be. Higher means fewer alerts.
notifications-min-volume = Minimum volume (page views per hour)
notifications-min-volume-help = Hours that usually see fewer page views are not judged for drops and spikes (outages need at least 10 in every baseline week).
notifications-weeks = Baseline weeks
notifications-webhook-url = Webhook URL (optional, https)
notifications-slack-html = Slack-compatible body (<code>{"{"}"text": …{"}"}</code>)
notifications-secret = Webhook signing secret:
notifications-signature-help-html = Each call carries <code>X-Shynet-Timestamp</code> and <code>X-Shynet-Signature: sha256=HMAC-SHA256(secret, timestamp + "." + body)</code>; refuse calls whose timestamp is more than 5 minutes old.
