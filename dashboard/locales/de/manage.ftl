# Einen Dienst verwalten: Einstellungen, Ziele, Löschanfragen, Freigabelinks, verworfene
# Daten, Benachrichtigungen.

## Einstellungsformular
form-installation = Einbindung
form-settings = Einstellungen
form-fix-fields = Bitte korrigieren Sie die unten markierten Felder.
form-name-help = Wie der Dienst heißen soll.
form-link = Link
form-link-help = Die Haupt-URL der Website (optional).
form-collaborators = Mitarbeiter
form-collaborators-help = Durch Kommas getrennte, bestätigte E-Mail-Adressen von Benutzern, die diesen Dienst ansehen (nicht ändern) dürfen.
form-retention = Aufbewahrung
form-raw-retention = Rohdaten aufbewahren (Tage)
form-for-ever = für immer
form-raw-retention-help = Aufrufe und Sitzungen, die älter sind, werden mit ihren Sitzungsdetails gelöscht. Summen, Diagramme und Tabellen für diese Tage bleiben aus den stündlichen Rollups erhalten. Leer = für immer aufbewahren.
form-rollup-retention = Stündliche Rollups aufbewahren (Tage)
form-rollup-retention-help = Ältere Kennzahlen sind endgültig weg. Mindestens so lange wie die Rohdaten; leer = für immer aufbewahren.
form-advanced = Erweiterte Einstellungen
form-dnt = Do Not Track und Global Privacy Control respektieren
form-collect-ips = IP-Adressen erfassen
form-collect-ips-blocked = Deaktiviert: Diese Instanz speichert nie IP-Adressen (BLOCK_ALL_IPS).
form-collect-ips-help = Speichert auch den unveränderten User-Agent. Standort und Netzwerk werden in jedem Fall abgeleitet.
form-ignored-ips = Ignorierte IP-Adressen
form-ignored-ips-help = Durch Kommas getrennte Adressen oder CIDR-Netze, deren Besuche verworfen werden.
form-ignore-robots = Bots ignorieren
form-hide-referrers = Bestimmte Verweise ausblenden
form-hide-referrers-help = Regulärer Ausdruck, der am Anfang von Verweisen geprüft wird, die in der Verweistabelle ausgeblendet werden sollen; die Erfassung bleibt unberührt.
form-tracking-params = Tracking-Parameter
form-tracking-params-help-html = Abfrageparameter, die aus Seiten-URLs entfernt werden, bevor Seiten gruppiert werden (Namen oder ein Präfix, das auf * endet), sodass <code>/pricing?utm_source=newsletter</code> als <code>/pricing</code> zählt. Die vollständige URL wird weiterhin gespeichert. Eine Änderung gilt für Seitenaufrufe ab diesem Zeitpunkt. Leer lassen, um nach der vollständigen URL zu gruppieren.
form-time-zone = Zeitzone
form-time-zone-help = IANA-Name (Europe/Berlin, Asia/Kolkata), der die Tage, Diagramme und das „Heute“ dieses Dienstes bestimmt. Leer lassen für die Zeitzone der Instanz ({ $zone }). Kennzahlen werden aus stündlichen Rollups und Rohdaten neu berechnet, eine Änderung gilt also sofort für alle früheren Daten.
form-origins = Erlaubte Origins
form-origins-help = Durch Kommas getrennte Origins (https://example.com), die Daten senden dürfen, oder * für alle.
form-script = Zusätzliches eingebundenes JavaScript
form-script-help = Wird an das Tracking-Skript angehängt. Läuft auf den Seiten Ihrer Besucher: Fügen Sie hier nur Code ein, dem Sie vertrauen.
form-notifications-link = Benachrichtigungen: Anomalie-Warnungen, Webhook und Berichte →
form-goals-help = Eine Sitzung konvertiert, wenn sie ein Ereignis sendet (optional mit einer bestimmten Eigenschaft) oder eine Seite aufruft, die zu einem Muster passt. Die Seite des Dienstes zeigt Conversions und ihre Quote; ein neues Ziel wird über die noch vorhandenen Daten gezählt, nicht erst ab jetzt.
form-goals-col-reached = Erreicht durch
form-goals-full = Dieser Dienst hat { $limit } Ziele, die Höchstzahl: Löschen Sie eines, um ein weiteres hinzuzufügen.
form-goal-add-heading = Ziel hinzufügen
form-goal-event = Ereignis
form-goal-event-help-html = Der Name des Ereignisses, genau wie mit <code>Shynet.event(name, props)</code> gesendet. Für ein Seitenziel leer lassen.
form-goal-prop = Eigenschaft des Ereignisses (optional)
form-goal-prop-help = Nur Ereignisse mit diesem Schlüssel und diesem Wert zählen.
form-goal-page-help-html = Ein Pfad ohne Domain: <code>/pricing</code> ist genau diese Seite, <code>/blog/*</code> jede Seite eine Ebene unter /blog, <code>/docs/**</code> /docs und alles darunter. Abfragezeichenketten und ein abschließender Schrägstrich werden ignoriert. Geben Sie entweder ein Ereignis oder eine Seite an.
form-goal-add = Ziel hinzufügen
form-archived-text = Archiviert: Der Dienst nimmt keine neuen Daten an; seine Historie bleibt erhalten.
form-unarchive = Wiederherstellen
form-active-text = Aktiv. Archivieren beendet die Datenerfassung, behält aber die Historie.
form-archive = Archivieren
form-delete-link = Löschen …
form-api-heading = API
form-api-intro-html = Rufen Sie die Kennzahlen dieses Dienstes mit Ihrem <a href="/accounts/password/change/">API-Token</a> als JSON ab:
form-api-your-token = Ihr Token
form-api-help-html = <code>startDate</code> und <code>endDate</code> (JJJJ-MM-TT) sind optional; ohne sie gelten die letzten 30 Tage. Die Antwort enthält eigene <code>events</code> und <code>goals</code>; fügen Sie <code>event=NAME</code> hinzu, um die <code>event_properties</code> dieses Ereignisses zu erhalten. <a href="/api/v1/openapi.json">OpenAPI-Beschreibung</a>.
service-delete-heading = { $name } löschen?
service-delete-text = Alle Analysedaten des Dienstes werden endgültig gelöscht.

## Löschanfragen
erase-heading = Daten eines Besuchers löschen
erase-intro = Beantwortet eine Löschanfrage: Löscht die Besuche (mit ihren Seitenaufrufen, Ereignissen und Live-Daten) einer Kennung, IP-Adresse oder Sitzung oder alle Besuche, die in einem Zeitraum begonnen haben, und berechnet die Summen neu. Geben Sie genau eines davon an; probieren Sie es zuerst mit „Nur zählen“.
erase-identifier = Kennung
erase-ip = IP-Adresse
erase-session = Sitzungs-ID
erase-from = Von (Zeitraum)
erase-count-only = Nur zählen

## Freigabelinks
shares-heading = Freigabelinks
shares-help = Ein Freigabelink zeigt die Kennzahlen dieses Dienstes schreibgeschützt jedem, der den Link hat, ohne Anmeldung: keine Sitzungen, keine Besucherkennungen, keine IP-Adressen. Mit gesetztem ε wird jede Zahl verrauscht (Differential Privacy), und kleine Zahlen werden zurückgehalten. Widerrufene und abgelaufene Links antworten mit „nicht gefunden“.
shares-col-link = Link
shares-col-privacy = Datenschutz
shares-col-expires = Läuft ab
shares-noised = verrauscht, ε = { $epsilon }
shares-exact = exakt
shares-never = nie
shares-revoke = Widerrufen
shares-none = Noch keine Freigabelinks.
shares-create-heading = Freigabelink erstellen
shares-epsilon = Datenschutz-ε (optional)
shares-epsilon-help = Leer lassen für exakte Zahlen. Zwischen 0,01 und 10: Kleiner bedeutet mehr Rauschen und mehr Datenschutz; 1 ist eine übliche Wahl.
shares-last-day = Letzter Tag (optional)
shares-password = Passwort (optional)
shares-create = Freigabelink erstellen
share-read-only = Geteilt, schreibgeschützt
share-noised = Diese Zahlen sind zum Schutz der Privatsphäre verrauscht (Differential Privacy, ε = { $epsilon }): Jede Zahl enthält zufälliges Rauschen, Zahlen unter { $below } werden zurückgehalten, Durchschnitte von Dauer und Ladezeit werden nicht gezeigt, und nur vollständige Tage (bis gestern) werden gezählt. Kleine Unterschiede sind nicht aussagekräftig.
share-json-html = Dieselben Zahlen als JSON: <a href="{ $api }">{ $api }</a>
share-created-heading = Freigabelink erstellt
share-created-copy = Kopieren Sie den Link jetzt: Er wird nur dieses eine Mal angezeigt (gespeichert wird nur sein Hash).
share-created-label = Der Freigabelink
share-created-open = Die geteilte Seite öffnen
share-created-back = Zurück zur Verwaltung von { $name }
share-password-heading = Geteilte Seite
share-password-intro = Diese Seite ist durch ein Passwort geschützt.
share-password-open = Öffnen

## Verworfene Daten
dropped-heading = Verworfene Daten (letzte 30 Tage)
dropped-help = Beacons, die dieser Dienst nicht gespeichert hat, und warum: was seine Datenschutzeinstellungen und Filter kosten. Nur Zählungen; über die Besucher wird nichts aufbewahrt.
dropped-col-reason = Grund
dropped-col-beacons = Beacons
dropped-none = Nichts verworfen.

## Benachrichtigungen
notifications-heading = Benachrichtigungen · { $name }
notifications-your-mail = Ihre E-Mails
notifications-optin-alerts = Anomalie-Warnungen (wenn der Eigentümer sie eingeschaltet hat)
notifications-optin-weekly = Wochenbericht (montags)
notifications-optin-monthly = Monatsbericht (am 1.)
notifications-mail-help = E-Mails gehen an Ihre Anmeldeadresse. Jeder Bericht enthält einen Link zum Abbestellen mit einem Klick.
notifications-alerts = Anomalie-Warnungen
notifications-open-episode = Offene Episode: { $since }
notifications-enabled = Bei Einbrüchen, Spitzen und Ausfällen der Seitenaufrufe pro Stunde warnen
notifications-threshold = Schwelle (robuster z-Wert)
notifications-threshold-help = Wie weit eine Stunde vom üblichen Wert abweichen muss (in robusten Standardabweichungen). Höher bedeutet weniger Warnungen.
notifications-min-volume = Mindestvolumen (Seitenaufrufe pro Stunde)
notifications-min-volume-help = Stunden, die üblicherweise weniger Seitenaufrufe haben, werden nicht auf Einbrüche und Spitzen geprüft (Ausfälle brauchen mindestens 10 in jeder Vergleichswoche).
notifications-weeks = Vergleichswochen
notifications-webhook-url = Webhook-URL (optional, https)
notifications-slack-html = Slack-kompatibler Inhalt (<code>{"{"}"text": …{"}"}</code>)
notifications-secret = Signaturgeheimnis des Webhooks:
notifications-signature-help-html = Jeder Aufruf trägt <code>X-Shynet-Timestamp</code> und <code>X-Shynet-Signature: sha256=HMAC-SHA256(secret, timestamp + "." + body)</code>; lehnen Sie Aufrufe ab, deren Zeitstempel älter als 5 Minuten ist.
