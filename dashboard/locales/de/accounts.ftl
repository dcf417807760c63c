# Konten: Anmelden, Registrieren, Passwörter, Adressen, Zwei-Faktor-Anmeldung, Einstellungen,
# Konto löschen und die Verwaltungsseite.

## Anmelden und Registrieren
login-heading = Anmelden
login-submit = Anmelden
login-forgot = Passwort vergessen?
login-create-account = Konto erstellen
login-code-label = Code aus Ihrer Authenticator-App oder ein Wiederherstellungscode
login-code-expires-html = Dieser Schritt läuft nach wenigen Minuten ab; danach <a href="/accounts/login/">melden Sie sich erneut an</a>.
signup-heading = Registrieren
signup-submit = Konto erstellen

## Passwörter
reset-heading = Passwort zurücksetzen
reset-intro = Geben Sie Ihre Adresse ein, und wir schicken Ihnen einen Link, mit dem Sie ein neues Passwort wählen können.
reset-submit = Link senden
reset-key-heading = Neues Passwort wählen
reset-key-submit = Passwort setzen
password-change-heading = Passwort ändern
password-change-help = Ein neues Passwort meldet Ihre anderen Browser ab, widerruft Ihr API-Token und macht offene Links zum Zurücksetzen ungültig.
password-change-two-factor-link = Zwei-Faktor-Anmeldung einrichten oder ändern …
password-change-delete-heading = Konto löschen
password-change-delete-text = Entfernt Ihr Konto und jeden Dienst, der Ihnen gehört, mit allen Daten.
password-change-delete-link = Mein Konto löschen …

## API-Token
token-heading = API-Token
token-new = Ihr neues Token (nur jetzt angezeigt; bewahren Sie es sicher auf):
token-set = Ein Token ist gesetzt. Es wird nur als Hash gespeichert und kann daher nicht noch einmal angezeigt werden; erzeugen Sie ein neues, wenn Sie es verloren haben (das alte funktioniert dann nicht mehr).
token-none = Kein Token erzeugt.
token-generate-new = Neues Token erzeugen
token-generate = Token erzeugen
token-usage-html = Verwenden Sie es als <code>Authorization: Token &lt;token&gt;</code> mit <code>GET /api/v1/dashboard/</code> (<a href="/api/v1/openapi.json">OpenAPI-Beschreibung</a>).

## E-Mail-Adressen
email-confirm-heading = Adresse bestätigen
email-confirm-text-html = Bestätigen Sie, dass <strong>{ $email }</strong> Ihre Adresse ist.
email-confirm-submit = Bestätigen
emails-heading = E-Mail-Adressen
emails-help = Sie melden sich mit Ihrer Hauptadresse an. Als Mitarbeiter können Sie über jede bestätigte Adresse hinzugefügt werden.
emails-col-address = Adresse
emails-verified = Bestätigt
emails-unverified = Nicht bestätigt
emails-primary = Hauptadresse
emails-make-primary = Zur Hauptadresse machen
emails-send-verification = Bestätigung senden
emails-add-label = Adresse hinzufügen

## Konto löschen
account-delete-heading = Ihr Konto löschen
account-delete-intro = Damit werden Ihr Konto, Ihre E-Mail-Adressen, Ihr API-Token und alle Anmeldesitzungen gelöscht, und Ihr Zugriff auf Dienste, die andere mit Ihnen teilen, endet.
account-delete-owned = Außerdem werden die Dienste gelöscht, die Ihnen gehören, mit allen ihren Analysedaten:
account-delete-none-owned = Ihnen gehören keine Dienste.
account-delete-submit = Mein Konto löschen

## Zwei-Faktor-Anmeldung
two-factor-heading = Zwei-Faktor-Anmeldung
two-factor-required = Diese Instanz verlangt die Zwei-Faktor-Anmeldung für jedes Konto.
two-factor-codes-intro = Die Zwei-Faktor-Anmeldung ist eingeschaltet. Ihre Wiederherstellungscodes (nur jetzt angezeigt: Drucken Sie sie aus oder bewahren Sie sie sicher auf; jeder funktioniert einmal, falls Sie Ihren Authenticator verlieren):
two-factor-continue = Weiter
two-factor-is-on-html = Die Zwei-Faktor-Anmeldung ist <strong>eingeschaltet</strong>.
two-factor-codes-left = Unbenutzte Wiederherstellungscodes:
two-factor-or-code = oder ein aktueller Code
two-factor-new-codes = Neue Wiederherstellungscodes
two-factor-turn-off = Zwei-Faktor-Anmeldung ausschalten
two-factor-scan = Scannen Sie diesen Code mit einer Authenticator-App oder tippen Sie den Schlüssel von Hand ein, und geben Sie dann den Code ein, den die App anzeigt.
two-factor-qr-label = QR-Code des Schlüssels unten
two-factor-key = Schlüssel:
two-factor-code-from-app = Code aus der App
two-factor-turn-on = Zwei-Faktor-Anmeldung einschalten
two-factor-is-off-html = Die Zwei-Faktor-Anmeldung ist <strong>ausgeschaltet</strong>. Ist sie eingeschaltet, braucht die Anmeldung nach dem Passwort einen Code aus einer Authenticator-App.
two-factor-set-up = Zwei-Faktor-Anmeldung einrichten

## Einstellungen
preferences-heading = Einstellungen
preferences-dates = Datumsangaben
preferences-dates-help = Wie das Dashboard Ihnen Datumsangaben anzeigt. Datumsfelder, Links, die API und Exporte verwenden immer das ISO-Format.
preferences-language = Sprache
preferences-language-help = Die Sprache des Dashboards und der E-Mails, die es Ihnen schickt. „Automatisch“ folgt im Dashboard der Sprache Ihres Browsers und schreibt E-Mails auf Englisch. Zahlen und Datumsangaben erscheinen so, wie es in der Sprache üblich ist.
preferences-language-auto = Automatisch (vom Browser)
preferences-error-date-style = Wählen Sie eine der angebotenen Datumsdarstellungen.
preferences-error-language = Wählen Sie eine der angebotenen Sprachen.
date-style-iso = ISO: { $example }
date-style-day-month = Tag zuerst: { $example }
date-style-month-day = Monat zuerst: { $example }

## Verwaltung
admin-heading = Verwaltung
admin-no-site-url = SHYNET_DASHBOARD_URL ist nicht gesetzt, daher werden keine E-Mails zum Zurücksetzen von Passwörtern und zur Bestätigung verschickt. Setzen Sie die Variable auf die öffentliche URL dieses Dashboards (z. B. https://stats.example.com).
admin-instance-name = Name der Instanz
admin-2fa-required = Für alle Benutzer verpflichtend: Wer sie nicht eingerichtet hat, wird nach der Anmeldung zur Einrichtung geschickt.
admin-2fa-optional = Freiwillig: Jeder Benutzer entscheidet selbst.
admin-2fa-make-optional = Freiwillig machen
admin-2fa-require = Für alle verlangen
admin-users = Benutzer
admin-col-role = Rolle
admin-col-two-factor = Zwei-Faktor
admin-col-joined = Registriert
admin-col-last-login = Letzte Anmeldung
admin-col-owner = Eigentümer
admin-role-admin = Administrator
admin-role-user = Benutzer
admin-deactivated = Deaktiviert
admin-deactivate = Deaktivieren
admin-reactivate = Reaktivieren
admin-revoke-admin = Administratorrechte entziehen
admin-make-admin = Zum Administrator machen
admin-reset-2fa = Zwei-Faktor zurücksetzen
admin-new-admins-html = Neue Administratoren: <code>shynet createadmin EMAIL</code>.
admin-all-services = Alle Dienste

## Fehler und Hinweise der Kontoformulare
error-throttled = Zu viele Anmeldeversuche. Versuchen Sie es in { $seconds } Sekunden noch einmal.
error-login-wrong = Die E-Mail-Adresse oder das Passwort ist falsch.
error-login-inactive = Dieses Konto ist deaktiviert. Wenden Sie sich an einen Administrator.
page-login-unverified = Diese Instanz verlangt vor der Anmeldung eine bestätigte Adresse. Wir haben Ihnen einen neuen Bestätigungslink geschickt.
page-verify-heading = Bestätigen Sie Ihre E-Mail-Adresse
error-login-code-expired = Diese Anmeldung ist abgelaufen oder hatte zu viele falsche Codes. Melden Sie sich erneut an.
error-login-code-wrong = Dieser Code ist falsch, abgelaufen oder schon benutzt.
page-signup-closed = Registrierung geschlossen
page-signup-closed-text = Diese Instanz nimmt keine neuen Konten an. Bitten Sie einen Administrator um eines.
error-invalid-email = Geben Sie eine gültige E-Mail-Adresse ein.
error-passwords-differ = Die beiden Passwörter stimmen nicht überein.
error-account-exists = Ein Konto mit dieser Adresse gibt es schon. Melden Sie sich an oder setzen Sie sein Passwort zurück.
page-signup-verify = Wir haben Ihnen einen Link zur Bestätigung Ihrer Adresse geschickt. Öffnen Sie ihn und melden Sie sich dann an.
page-check-mail = Bitte prüfen Sie Ihr Postfach
page-mail-unavailable = E-Mail nicht verfügbar
page-reset-sent = Falls ein Konto diese Adresse verwendet, haben wir ihm einen Link geschickt, mit dem sich ein neues Passwort wählen lässt.
page-link-invalid = Link ungültig
page-reset-link-invalid = Dieser Link zum Zurücksetzen ist ungültig, benutzt oder abgelaufen. Fordern Sie einen neuen an.
error-no-such-address = Diese Adresse gibt es nicht.
error-address-added-unsent = Adresse hinzugefügt, aber es wurde keine Bestätigungs-E-Mail gesendet.
error-address-in-use = Diese Adresse wird schon verwendet.
error-address-other-login = Ein anderes Konto meldet sich mit dieser Adresse an; wenden Sie sich an einen Administrator.
error-verify-before-primary = Bestätigen Sie eine Adresse, bevor Sie sie zur Hauptadresse machen.
error-address-verified-already = Diese Adresse ist schon bestätigt.
error-primary-not-removable = Die Hauptadresse lässt sich nicht entfernen; machen Sie zuerst eine andere zur Hauptadresse.
error-unknown-action = Unbekannte Aktion.
page-verify-link-invalid = Dieser Bestätigungslink ist ungültig, benutzt oder abgelaufen.
page-verified-elsewhere = Ein anderes Konto hat diese Adresse schon bestätigt.
error-2fa-already-on = Die Zwei-Faktor-Anmeldung ist schon eingeschaltet.
error-2fa-start-first = Beginnen Sie zuerst mit der Einrichtung.
error-2fa-code-wrong = Dieser Code ist falsch oder abgelaufen: Geben Sie den Code ein, den die App jetzt anzeigt.
error-2fa-not-on = Die Zwei-Faktor-Anmeldung ist nicht eingeschaltet.
error-2fa-need-proof = Geben Sie Ihr aktuelles Passwort oder einen aktuellen Code an.
error-new-passwords-differ = Die beiden neuen Passwörter stimmen nicht überein.
error-password-wrong = Das Passwort ist falsch.
error-only-admin = Sie sind der einzige Administrator: Machen Sie zuerst einen anderen Benutzer zum Administrator.
error-wrong-current-password = Das aktuelle Passwort ist falsch.
