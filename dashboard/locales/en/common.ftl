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
