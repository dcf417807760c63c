# Reading figures: the overview, the service page and its cards, session lists, the live view.

## Overview
overview-heading = Dashboard
overview-new-service = + New service
overview-empty = You have no services yet.
overview-empty-create-html = <a href="/dashboard/service/new/">Create one</a> to start collecting data.
overview-empty-ask = Ask an admin to create one, or to add you as a collaborator.
overview-collaborator = Collaborator

## Service page
service-online = { $count } online
service-live-view = Live view
service-notifications = Notifications
service-manage = Manage →
service-install = Install
service-no-data = This service has not received any data yet.
service-legend-hits = Hits
service-legend-sessions = Sessions
service-by-country = Sessions by country
service-by-country-help = Open a country for its regions and their top cities.
service-recent-sessions = Recent sessions
service-more-sessions = View more sessions →
service-export = Export
service-export-text-html = The raw sessions, page views and events of this window (at most a year): <a href="{ $csv }">CSV files (zip)</a> · <a href="{ $ndjson }">NDJSON</a>.
snippet-intro-html = Place this snippet at the end of the <code>&lt;body&gt;</code> of every page you want to track:
table-more-locations = View more locations →

## Events and goals
events-heading = Events
events-col-event = Event
events-none = No events in this period.
events-help = Events of the sessions that started in the period. Choose an event to see its properties.
events-help-filtered = Filtered: the events of the sessions in the segment.
events-properties-of = Properties of “{ $name }”
events-properties-of-plain = Properties of { $name }
events-col-property = Property
events-col-value = Value
events-no-properties = No properties in this period.
goals-heading = Goals
goals-col-goal = Goal
goals-col-conversions = Conversions
goals-col-rate = Rate
goals-col-change = Change
goals-change-title = conversions compared with the equal period before
goals-none = No goals yet.
goals-none-manage-html = No goals yet: add them on the <a href="/dashboard/service/{ $service_id }/manage/#goals">manage page</a>.
goals-help = Sessions that started in the period and reached the goal; the rate is their share of all sessions.
goals-help-filtered = Filtered: conversions of the sessions in the segment, as a share of them.

## Sessions
sessions-heading = Sessions of { $name }
sessions-total = { $total } sessions in this period.
session-table-start = Session start
session-table-identity = Identity
session-table-network = Network
session-table-none = No sessions in this period.
session-all = ← All sessions
session-span = { $start } to { $end }
session-location = Location
session-open-map = Open in maps
session-hit-total = { $total } hits in this session.
session-col-time = Time
session-col-page = Page
session-col-load = Load
session-col-tracker = Tracker
session-via = via { $referrer }
locations-heading = Pages of { $name }

## Live view
live-heading = Live: { $name }
live-resume = Resume auto-refresh
live-pause = Pause auto-refresh
live-updated = Updated at { $time } ({ $zone })
live-paused = ; auto-refresh paused.
live-refreshes = ; this page refreshes itself every { $seconds } seconds.
live-online-now = Online now
live-online-hint = seen in the last { $seconds } s
live-page-views = Page views
live-last-minutes = last { $minutes } minutes
live-per-minute = Page views per minute
live-per-minute-table = Page views per minute as a table
live-minutes-caption = Newest minute first; the first one is still running.
live-col-minute = Minute
live-current-pages = Current pages
live-no-page-views = No page views in the last { $minutes } minutes.
live-pages-help = Pages viewed in the last { $minutes } minutes; "online now" counts the visitors whose latest page it is.
live-referrers = Referrers
live-col-referrer = Referrer
live-no-sessions = No new sessions in the last { $minutes } minutes.
live-referrers-help = Where the sessions that began in the last { $minutes } minutes came from.

## Dimension tables (the registry's words, as the pages say them)
dim-location-title = Pages
dim-location-heading = Page
dim-location-tab = Pages
dim-entry-page-title = Entry pages
dim-entry-page-heading = Page
dim-entry-page-tab = Entry pages
dim-exit-page-title = Exit pages
dim-exit-page-heading = Page
dim-exit-page-tab = Exit pages
dim-referrer-title = Referrers
dim-referrer-heading = Referrer
dim-referrer-tab = Referrers
dim-channel-title = Channels
dim-channel-heading = Channel
dim-channel-tab = Channels
dim-utm-source-title = Campaign sources
dim-utm-source-heading = Source
dim-utm-source-tab = Sources
dim-utm-medium-title = Campaign mediums
dim-utm-medium-heading = Medium
dim-utm-medium-tab = Mediums
dim-utm-campaign-title = Campaign names
dim-utm-campaign-heading = Campaign
dim-utm-campaign-tab = Campaigns
dim-utm-term-title = Campaign terms
dim-utm-term-heading = Term
dim-utm-term-tab = Terms
dim-utm-content-title = Campaign contents
dim-utm-content-heading = Content
dim-utm-content-tab = Contents
dim-country-title = Countries
dim-country-heading = Country
dim-country-tab = Countries
dim-region-title = Regions
dim-region-heading = Region
dim-region-tab = Regions
dim-city-title = Cities
dim-city-heading = City
dim-city-tab = Cities
dim-network-title = Networks
dim-network-heading = Network
dim-network-tab = Networks
dim-os-title = Operating systems
dim-os-heading = OS
dim-os-tab = Operating systems
dim-os-version-title = OS versions
dim-os-version-heading = Version
dim-os-version-tab = OS versions
dim-browser-title = Browsers
dim-browser-heading = Browser
dim-browser-tab = Browsers
dim-browser-version-title = Browser versions
dim-browser-version-heading = Version
dim-browser-version-tab = Browser versions
dim-device-type-title = Device types
dim-device-type-heading = Type
dim-device-type-tab = Device types
dim-device-title = Devices
dim-device-heading = Device
dim-device-tab = Devices
dim-empty-unknown = Unknown
dim-empty-direct = Direct
dim-empty-none = None
dim-unit-sessions = Sessions
dim-unit-hits = Hits
dim-unit-entries = Entries
dim-tab-campaigns = Campaigns

## The figures strip
figure-visitors = Visitors
figure-visitors-note = Visitors are counted without cookies: a visitor is one browser on one IP address within one UTC day (the key that recognises it changes daily and cannot be recomputed afterwards). Someone who comes back on another day counts again, so over several days this is the sum of daily unique visitors.
figure-visitors-hint = per UTC day, no cookies
figure-sessions = Sessions
figure-hits = Hits
figure-load-time = Load time
figure-bounce-rate = Bounce rate
figure-duration = Duration
figure-hits-per-session = Hits / session
figure-avg-duration = Avg. duration

## Date ranges
range-last-3-days = Last 3 days
range-last-30-days = Last 30 days
range-last-90-days = Last 90 days
range-this-month = This month
range-last-month = Last month
range-this-year = This year

## Chart and map
chart-label = Hits and sessions over time
chart-point = { $label }: { $hits } hits, { $sessions } sessions
chart-as-table = The chart as a table
chart-col-period = Period
map-label = Map of sessions by country (the table below lists them)
map-country = { $country }: { $sessions } sessions
