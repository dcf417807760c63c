# E-Mails: Konto-E-Mails, Warnungen und Berichte.

## Konto-E-Mails
mail-refused-no-site-url = Diese Instanz kann noch keine E-Mails mit Links senden: Ihr Administrator muss SHYNET_DASHBOARD_URL setzen.
mail-refused-quota = Für diese Adresse oder dieses Konto wurden zuletzt zu viele E-Mails gesendet. Versuchen Sie es in einer Stunde noch einmal.
mail-verify-subject = [{ $name }] Bitte bestätigen Sie Ihre E-Mail-Adresse
mail-verify-body =
    Hallo,

    bitte bestätigen Sie, dass { $address } Ihre Adresse ist, indem Sie diesen Link öffnen:

    { $url }

    Der Link gilt { $hours } Stunden. Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail.

    — { $name }
mail-reset-subject = [{ $name }] Passwort zurücksetzen
mail-reset-body =
    Hallo,

    jemand (hoffentlich Sie) hat angefordert, das Passwort Ihres Kontos bei { $name } zurückzusetzen. Wählen Sie hier ein neues:

    { $url }

    Der Link funktioniert einmal und gilt { $hours } Stunden. Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail.

    — { $name }

## Warnungen (der Text des Webhooks bleibt englisch)
mail-unsubscribe = Abbestellen
mail-alert-drop = Seitenaufrufe eingebrochen
mail-alert-spike = Seitenaufrufe sprunghaft gestiegen
mail-alert-outage = überhaupt keine Seitenaufrufe (Tracking defekt oder Website nicht erreichbar?)
mail-alert-recovered = { $name }: wieder normal ({ $kind } beendet)
mail-kind-drop = Einbruch
mail-kind-spike = Spitze
mail-kind-outage = Ausfall
mail-alert-detail = Stunde ab { $hour } UTC: { $observed } Seitenaufrufe, üblich sind { $expected } zu dieser Stunde der Woche.
mail-alert-started = Die Episode begann um { $since } UTC.
mail-alert-footer = { $instance }: Sie erhalten diese E-Mail, weil Sie auf der Verwaltungsseite dieses Dienstes Warnungen eingeschaltet haben.

## Wochen- und Monatsberichte
mail-report-title-weekly = Wochenbericht für { $service }: { $period }
mail-report-title-monthly = Monatsbericht für { $service }: { $period }
mail-report-vs-previous = { $change } gegenüber dem Vorzeitraum: { $previous }
mail-report-previous = { $change } (zuvor: { $previous })
mail-report-none = (keine)
mail-report-footer = { $instance }: Sie erhalten diese E-Mail, weil Sie sie auf der Verwaltungsseite des Dienstes angefordert haben.
mail-figure-page-views = Seitenaufrufe
mail-figure-sessions = Sitzungen
mail-figure-visitors = Besucher
mail-figure-bounce-rate = Absprungrate in %
mail-table-top-pages = Meistbesuchte Seiten
mail-table-top-referrers = Häufigste Verweise
mail-table-top-campaigns = Häufigste Kampagnen

## Abbestellen und geteilte Seiten
unsubscribe-invalid = Ungültiger Link
unsubscribe-invalid-text = Dieser Abbestell-Link ist unvollständig oder wurde verändert. Verwenden Sie den Link aus der E-Mail, oder ändern Sie Ihre E-Mail-Einstellungen auf der Verwaltungsseite des Dienstes.
unsubscribe-unavailable = Versuchen Sie es später noch einmal
unsubscribe-unavailable-text = Die Datenbank ist nicht erreichbar.
unsubscribe-what-alerts = die Anomalie-Warnungen
unsubscribe-what-weekly = den Wochenbericht
unsubscribe-what-monthly = den Monatsbericht
unsubscribe-ask = Möchten Sie { $what } für diesen Dienst abbestellen?
unsubscribe-done = Abbestellt
unsubscribe-done-text = Sie erhalten { $what } nicht mehr.
share-withheld = zurückgehalten
