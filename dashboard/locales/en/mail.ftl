# Mail: account mail, alerts and reports.

## Account mail
mail-refused-no-site-url = This instance cannot send mail with links yet: its administrator has to set SHYNET_DASHBOARD_URL.
mail-refused-quota = Too many mails were sent for this address or account recently. Try again in an hour.
mail-verify-subject = [{ $name }] Please confirm your email address
mail-verify-body =
    Hello,

    please confirm that { $address } is your address by opening this link:

    { $url }

    The link works for { $hours } hours. If you did not ask for this, ignore this mail.

    — { $name }
mail-reset-subject = [{ $name }] Password reset
mail-reset-body =
    Hello,

    someone (hopefully you) asked to reset the password of your { $name } account. Choose a new one here:

    { $url }

    The link works once, for { $hours } hours. If you did not ask for this, ignore this mail.

    — { $name }

## Alerts (the webhook's text stays English)
mail-unsubscribe = Unsubscribe
mail-alert-drop = page views dropped
mail-alert-spike = page views spiked
mail-alert-outage = no page views at all (tracking broken or site down?)
mail-alert-recovered = { $name }: back to normal ({ $kind } ended)
mail-kind-drop = drop
mail-kind-spike = spike
mail-kind-outage = outage
mail-alert-detail = Hour starting { $hour } UTC: { $observed } page views, usually { $expected } at this hour of the week.
mail-alert-started = Episode started at { $since } UTC.
mail-alert-footer = { $instance }: you receive this because you turned on alerts for this service on its manage page.

## Weekly and monthly reports
mail-report-title-weekly = Weekly report for { $service }: { $period }
mail-report-title-monthly = Monthly report for { $service }: { $period }
mail-report-vs-previous = { $change } vs. previous period: { $previous }
mail-report-previous = { $change } (previous: { $previous })
mail-report-none = (none)
mail-report-footer = { $instance }: you receive this because you asked for it on the service's manage page.
mail-figure-page-views = Page views
mail-figure-sessions = Sessions
mail-figure-visitors = Visitors
mail-figure-bounce-rate = Bounce rate %
mail-table-top-pages = Top pages
mail-table-top-referrers = Top referrers
mail-table-top-campaigns = Top campaigns

## Unsubscribing and shared pages
unsubscribe-invalid = Invalid link
unsubscribe-invalid-text = This unsubscribe link is incomplete or was changed. Use the link from the mail, or change your mail settings on the service's manage page.
unsubscribe-unavailable = Try again later
unsubscribe-unavailable-text = The database is not available.
unsubscribe-what-alerts = anomaly alerts
unsubscribe-what-weekly = the weekly report
unsubscribe-what-monthly = the monthly report
unsubscribe-ask = Stop receiving { $what } for this service?
unsubscribe-done = Unsubscribed
unsubscribe-done-text = You will no longer receive { $what }.
share-withheld = withheld
