# What every page shares: the layout, common words, form fields, error pages, flash messages
# and the words inside formatted figures.

## Layout
layout-skip = Skip to content
layout-nav-main = Main
layout-menu = Menu
layout-services = Services
layout-archived-suffix = (archived)
layout-create = + Create
layout-collaborations = Collaborations
layout-account = Account
layout-admin = Admin
layout-emails = Emails
layout-security = Security & API token
layout-preferences = Preferences
layout-sign-out = Sign out
layout-log-in = Log in
layout-sign-up = Sign up
layout-version = Shynet { $version }
message-back = Back to the dashboard

## Common words
common-active = Active
common-add = Add
common-archived = Archived
common-back-to-service = ← Back to the service
common-cancel = Cancel
common-cannot-undo = This cannot be undone.
common-close = Close
common-col-duration = Duration
common-col-status = Status
common-compared = compared with the equal period before
common-delete = Delete
common-yes = Yes
common-no = No
common-yes-lower = yes
common-no-lower = no
common-on = On
common-off = Off
common-online = Online
common-remove = Remove
common-save = Save
common-unknown = Unknown

## Form fields
field-email = Email
field-password = Password
field-password-again = Password again
field-current-password = Current password
field-new-password = New password
field-new-password-again = New password again
field-your-password = Your password
field-name = Name

## Lists and pickers
pager-previous = Previous
pager-next = Next
range-from = From
range-to = to
range-to-label = To
range-apply = Apply
range-zone = Times in { $zone }
rows-show = Show { $what }
rows-filter-by = Filter by { $label }
rows-filter = filter
rows-open-tab = Open in a new tab
rows-nothing = Nothing in this period.
filters-active = Active filters
filters-remove-label = Remove filter: { $field } { $op } { $value }
filters-remove-title = Remove this filter
filters-clear = Clear filters
segments-name = Segment name
segments-save = Save as segment
segments-label = Segments:
segments-delete-label = Delete segment { $name }
segments-delete-title = Delete this segment

## Error pages
error-not-found = Not found
error-not-found-text = There is nothing here, or you do not have access to it.
error-forbidden = Not allowed
error-bad-request = Bad request
error-csrf = Form expired
error-csrf-text = The form was missing its security token or it did not match. Go back, reload the page and try again.
error-login = Log in
error-login-text = Please log in.
error-busy = Busy
error-busy-text = The dashboard is handling too many requests right now. Try again in a moment.
error-too-slow = Taking too long
error-too-slow-text = These figures took longer than a minute to compute, so the request was stopped. A window that ends now reads its most recent hour or so from raw rows, which takes long on a very busy site; a window that ends before today is faster.
error-unavailable = Temporarily unavailable
error-unavailable-text = The database did not answer. Try again in a moment.

## Flash messages (after a form was saved)
flash-saved = Settings saved.
flash-created = Service created.
flash-deleted = Service deleted.
flash-archived = Service archived: it accepts no new data.
flash-unarchived = Service active again.
flash-password = Password changed.
flash-reset = Password set. You can log in now.
flash-loggedout = You are logged out.
flash-account-deleted = Your account and everything it owned are deleted.
flash-verify = We sent a verification link to your address.
flash-verified = Address verified.
flash-email = Email settings saved.
flash-preferences = Preferences saved.
flash-signedup = Welcome! Your account is ready.
flash-user = User updated.
flash-instance = Instance name saved.
flash-2fa-off = Two-factor login is off.
flash-2fa-required = This instance requires two-factor login: set it up to go on.
flash-2fa-policy = Two-factor policy saved.
flash-goal-added = Goal added. Its conversions are counted from the data still kept.
flash-goal-deleted = Goal deleted.
flash-share-revoked = Share link revoked.

## Inside figures
format-not-applicable = N/A
format-badge-new = new
format-badge-not-applicable = n/a

## Page titles
title-delete-service = Delete { $name }
title-manage = Manage { $name }
title-security = Security

## Handler messages
error-instance-name-long = The instance name can have 100 characters at most.
error-say-on-off = Say on or off.
error-which-user = Which user?
error-own-account = You cannot change your own account here.
error-user-no-2fa = That user has no two-factor login.
error-no-such-user = No such user.
error-admins-only = Only admins can open this page.
error-create-admins-only = Only admins can create services on this instance.
error-which-goal = Say which goal to delete.
error-action-add-delete = Say action=add or action=delete.
error-archived-yes-no = Say archived=yes or archived=no.
title-new-service = New service
form-create = Create
session-anonymous = Anonymous
session-tracker-pixel = Pixel (noscript)
fact-browser = Browser
fact-device = Device
fact-device-type = Device type
fact-os = OS
fact-network = Network
fact-country = Country
fact-ip = IP
fact-not-collected = Not collected
error-owner-only = Only the owner of this service can do that.
error-page-number = The page number must be a positive whole number.
notice-raw-kept-one = raw data is kept 1 day
notice-raw-kept = raw data is kept { $days } days
notice-raw-deleted-earlier = older raw data was deleted by an earlier retention setting
notice-no-sessions-before = Session details are not available before { $date }: { $kept }; totals, charts and tables still come from hourly rollups.
notice-no-figures-before = No figures are kept before { $date }: hourly rollups are kept { $days } days.
error-not-a-number = The { $label } must be a number.
error-alerts-owner-only = Only the owner of this service can change its alerts.
error-action-optins-alerts = Say action=optins or action=alerts.
error-which-link = Say which link to revoke.
error-action-create-revoke = Say action=create or action=revoke.
error-segment-name = Give the segment a name.
error-segment-name-long = A segment name is at most { $max } characters, without control characters.
error-segment-no-filter = Add at least one filter before saving a segment.
error-segment-duplicate = There is already a segment named “{ $name }”.
error-which-segment = Say which segment to delete.
error-action-save-delete = Say action=save or action=delete.
page-erase-rows = { $sessions } sessions, { $hits } page views, { $events } events and { $live } live-state rows
page-erase-dry = Nothing deleted yet
page-erase-dry-text = This would delete { $rows }.
page-erase-done = Data deleted
page-erase-done-text = Deleted { $rows }; the totals of the affected hours were recomputed.
error-share-busy = Too many shared pages are being computed right now. Try again in a moment.
error-share-no-password = This shared page has no password to submit.
error-share-password-wrong = That password is not right.
error-share-throttled = Too many attempts. Try again in { $seconds } seconds.
error-retention-days = Enter a whole number of days from 1 to { $max }, or leave it empty to keep the data for ever.
error-rollup-forever = Rollups must be kept at least as long as raw data, which is kept for ever: set a raw retention too, or leave this empty.
error-rollup-shorter = Rollups must be kept at least as long as raw data: { $days } days or more (or empty for ever).
error-service-name = Give the service a name of 1 to 64 characters.
error-link = Enter a URL starting with http:// or https:// (at most { $max } characters).
error-origins = List at least one origin, or * for any.
error-script-long = The script is too long (64 KiB at most).
error-collaborator-unknown = Email '{ $email }' is not registered (or not verified).
error-collaborator-owner = '{ $email }' is the owner's address.
error-collaborator-twice = '{ $email }' belongs to a user listed twice.
error-password-short = The password must have at least { $min } characters.
error-password-long = The password must have at most { $max } bytes.

## Filter chips
filter-field-path = Path
filter-field-event = Event
filter-op-is = is
filter-op-is-not = is not
filter-op-contains = contains
filter-op-not-contains = does not contain
filter-op-starts-with = starts with
filter-op-not-starts-with = does not start with
