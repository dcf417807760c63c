# Accounts: logging in, signing up, passwords, addresses, two-factor login, preferences,
# deleting an account, and the admin page.

## Log in and sign up
login-heading = Log in
login-submit = Log in
login-forgot = Forgot your password?
login-create-account = Create an account
login-code-label = Code from your authenticator app, or a recovery code
login-code-expires-html = This step expires after a few minutes; then <a href="/accounts/login/">log in again</a>.
signup-heading = Sign up
signup-submit = Create account

## Passwords
reset-heading = Reset password
reset-intro = Enter your address and we will mail you a link to choose a new password.
reset-submit = Send the link
reset-key-heading = Choose a new password
reset-key-submit = Set password
password-change-heading = Change password
password-change-help = A new password signs out your other browsers, revokes your API token and cancels open reset links.
password-change-two-factor-link = Set up or change two-factor login…
password-change-delete-heading = Delete account
password-change-delete-text = Remove your account and every service you own, with all their data.
password-change-delete-link = Delete my account…

## API token
token-heading = API token
token-new = Your new token (shown only now; store it somewhere safe):
token-set = A token is set. It is stored hashed, so it cannot be shown again; generate a new one if you lost it (the old one stops working).
token-none = Token not generated.
token-generate-new = Generate a new token
token-generate = Generate token
token-usage-html = Use it as <code>Authorization: Token &lt;token&gt;</code> with <code>GET /api/v1/dashboard/</code> (<a href="/api/v1/openapi.json">OpenAPI description</a>).

## Email addresses
email-confirm-heading = Confirm address
email-confirm-text-html = Confirm that <strong>{ $email }</strong> is your address.
email-confirm-submit = Confirm
emails-heading = Email addresses
emails-help = You log in with your primary address. Collaborators are added by any verified address.
emails-col-address = Address
emails-verified = Verified
emails-unverified = Unverified
emails-primary = Primary
emails-make-primary = Make primary
emails-send-verification = Send verification
emails-add-label = Add an address

## Deleting an account
account-delete-heading = Delete your account
account-delete-intro = This deletes your account, your email addresses, your API token and every login session, and ends your access to services others share with you.
account-delete-owned = It also deletes the services you own, with all their analytics data:
account-delete-none-owned = You own no services.
account-delete-submit = Delete my account

## Two-factor login
two-factor-heading = Two-factor login
two-factor-required = This instance requires two-factor login for every account.
two-factor-codes-intro = Two-factor login is on. Your recovery codes (shown only now: print them or store them somewhere safe; each works once if you lose your authenticator):
two-factor-continue = Continue
two-factor-is-on-html = Two-factor login is <strong>on</strong>.
two-factor-codes-left = Unused recovery codes:
two-factor-or-code = or a current code
two-factor-new-codes = New recovery codes
two-factor-turn-off = Turn two-factor login off
two-factor-scan = Scan this code with an authenticator app, or type the key by hand, then enter the code the app shows.
two-factor-qr-label = QR code of the key below
two-factor-key = Key:
two-factor-code-from-app = Code from the app
two-factor-turn-on = Turn two-factor login on
two-factor-is-off-html = Two-factor login is <strong>off</strong>. With it on, logging in needs a code from an authenticator app after your password.
two-factor-set-up = Set up two-factor login

## Preferences
preferences-heading = Preferences
preferences-dates = Dates
preferences-dates-help = How the dashboard writes dates for you. Date fields, links, the API and exports always use ISO dates.
preferences-language = Language
preferences-language-help = The language of the dashboard and of the mail it sends you. Automatic follows your browser's language on the dashboard and writes mail in English. Numbers and dates are written the language's way.
preferences-language-auto = Automatic (from the browser)
preferences-error-date-style = Choose one of the date styles offered.
preferences-error-language = Choose one of the languages offered.
date-style-iso = ISO: { $example }
date-style-day-month = Day first: { $example }
date-style-month-day = Month first: { $example }

## Admin
admin-heading = Admin
admin-no-site-url = SHYNET_DASHBOARD_URL is not set, so password-reset and verification mail is not sent. Set it to this dashboard's public URL (e.g. https://stats.example.com).
admin-instance-name = Instance name
admin-2fa-required = Required for every user: users without it are sent to set it up after logging in.
admin-2fa-optional = Optional: each user decides.
admin-2fa-make-optional = Make it optional
admin-2fa-require = Require it for everyone
admin-users = Users
admin-col-role = Role
admin-col-two-factor = Two-factor
admin-col-joined = Joined
admin-col-last-login = Last login
admin-col-owner = Owner
admin-role-admin = Admin
admin-role-user = User
admin-deactivated = Deactivated
admin-deactivate = Deactivate
admin-reactivate = Reactivate
admin-revoke-admin = Revoke admin
admin-make-admin = Make admin
admin-reset-2fa = Reset two-factor
admin-new-admins-html = New admins: <code>shynet createadmin EMAIL</code>.
admin-all-services = All services

## Account form errors and notices
error-throttled = Too many login attempts. Try again in { $seconds } seconds.
error-login-wrong = The email address or the password is wrong.
error-login-inactive = This account is deactivated. Ask an admin.
page-login-unverified = This instance needs a verified address before you log in. We sent you a new verification link.
page-verify-heading = Verify your email address
error-login-code-expired = This login expired or had too many wrong codes. Log in again.
error-login-code-wrong = That code is wrong, expired or already used.
page-signup-closed = Sign-up closed
page-signup-closed-text = This instance does not take new accounts. Ask an admin for one.
error-invalid-email = Enter a valid email address.
error-passwords-differ = The two passwords differ.
error-account-exists = An account with this address exists already. Log in or reset its password.
page-signup-verify = We sent you a link to verify your address. Open it, then log in.
page-check-mail = Check your mail
page-mail-unavailable = Mail unavailable
page-reset-sent = If an account uses this address, we sent it a link to choose a new password.
page-link-invalid = Link invalid
page-reset-link-invalid = This reset link is invalid, used or expired. Ask for a new one.
error-no-such-address = No such address.
error-address-added-unsent = Address added, but no verification mail was sent.
error-address-in-use = This address is in use already.
error-address-other-login = Another account logs in with this address; ask an admin.
error-verify-before-primary = Verify an address before making it primary.
error-address-verified-already = This address is verified already.
error-primary-not-removable = The primary address cannot be removed; make another one primary first.
error-unknown-action = Unknown action.
page-verify-link-invalid = This verification link is invalid, used or expired.
page-verified-elsewhere = Another account has verified this address already.
error-2fa-already-on = Two-factor login is already on.
error-2fa-start-first = Start the setup first.
error-2fa-code-wrong = That code is wrong or expired: enter the code the app shows now.
error-2fa-not-on = Two-factor login is not on.
error-2fa-need-proof = Give your current password or a current code.
error-new-passwords-differ = The two new passwords differ.
error-password-wrong = The password is wrong.
error-only-admin = You are the only admin: make another user admin first.
error-wrong-current-password = The current password is wrong.
