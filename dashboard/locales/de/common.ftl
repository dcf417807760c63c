# Was jede Seite teilt: das Layout, allgemeine Wörter, Formularfelder, Fehlerseiten,
# Hinweise nach dem Speichern und die Wörter in formatierten Kennzahlen.

## Layout
layout-skip = Zum Inhalt springen
layout-nav-main = Hauptnavigation
layout-menu = Menü
layout-services = Dienste
layout-archived-suffix = (archiviert)
layout-create = + Anlegen
layout-collaborations = Mit Ihnen geteilt
layout-account = Konto
layout-admin = Verwaltung
layout-emails = E-Mail-Adressen
layout-security = Sicherheit & API-Token
layout-preferences = Einstellungen
layout-sign-out = Abmelden
layout-log-in = Anmelden
layout-sign-up = Registrieren
layout-version = Shynet { $version }
message-back = Zurück zum Dashboard

## Allgemeine Wörter
common-active = Aktiv
common-add = Hinzufügen
common-archived = Archiviert
common-back-to-service = ← Zurück zum Dienst
common-cancel = Abbrechen
common-cannot-undo = Das lässt sich nicht rückgängig machen.
common-close = Schließen
common-col-duration = Dauer
common-col-status = Status
common-compared = verglichen mit dem gleich langen Zeitraum davor
common-delete = Löschen
common-yes = Ja
common-no = Nein
common-yes-lower = ja
common-no-lower = nein
common-on = An
common-off = Aus
common-online = Online
common-remove = Entfernen
common-save = Speichern
common-unknown = Unbekannt

## Formularfelder
field-email = E-Mail
field-password = Passwort
field-password-again = Passwort wiederholen
field-current-password = Aktuelles Passwort
field-new-password = Neues Passwort
field-new-password-again = Neues Passwort wiederholen
field-your-password = Ihr Passwort
field-name = Name

## Listen und Auswahl
pager-previous = Zurück
pager-next = Weiter
range-from = Von
range-to = bis
range-to-label = Bis
range-apply = Anwenden
range-zone = Zeiten in { $zone }
rows-show = { $what } anzeigen
rows-filter-by = Nach { $label } filtern
rows-filter = filtern
rows-open-tab = In neuem Tab öffnen
rows-nothing = Nichts in diesem Zeitraum.
filters-active = Aktive Filter
filters-remove-label = Filter entfernen: { $field } { $op } { $value }
filters-remove-title = Diesen Filter entfernen
filters-clear = Filter zurücksetzen
segments-name = Name des Segments
segments-save = Als Segment speichern
segments-label = Segmente:
segments-delete-label = Segment { $name } löschen
segments-delete-title = Dieses Segment löschen

## Fehlerseiten
error-not-found = Nicht gefunden
error-not-found-text = Hier gibt es nichts, oder Sie haben keinen Zugriff darauf.
error-forbidden = Nicht erlaubt
error-bad-request = Ungültige Anfrage
error-csrf = Formular abgelaufen
error-csrf-text = Dem Formular fehlte sein Sicherheitstoken, oder es stimmte nicht. Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.
error-login = Anmelden
error-login-text = Bitte melden Sie sich an.
error-busy = Ausgelastet
error-busy-text = Das Dashboard bearbeitet gerade zu viele Anfragen. Versuchen Sie es gleich noch einmal.
error-too-slow = Dauert zu lange
error-too-slow-text = Die Berechnung dieser Zahlen hat länger als eine Minute gedauert, deshalb wurde die Anfrage abgebrochen. Ein Zeitraum, der jetzt endet, liest etwa die letzte Stunde aus Rohdaten, was bei einer sehr stark besuchten Website lange dauert; ein Zeitraum, der vor heute endet, geht schneller.
error-unavailable = Vorübergehend nicht verfügbar
error-unavailable-text = Die Datenbank hat nicht geantwortet. Versuchen Sie es gleich noch einmal.

## Hinweise nach dem Speichern eines Formulars
flash-saved = Einstellungen gespeichert.
flash-created = Dienst angelegt.
flash-deleted = Dienst gelöscht.
flash-archived = Dienst archiviert: Er nimmt keine neuen Daten mehr an.
flash-unarchived = Dienst wieder aktiv.
flash-password = Passwort geändert.
flash-reset = Passwort gesetzt. Sie können sich jetzt anmelden.
flash-loggedout = Sie sind abgemeldet.
flash-account-deleted = Ihr Konto und alles, was dazu gehörte, sind gelöscht.
flash-verify = Wir haben einen Bestätigungslink an Ihre Adresse geschickt.
flash-verified = Adresse bestätigt.
flash-email = E-Mail-Einstellungen gespeichert.
flash-preferences = Einstellungen gespeichert.
flash-signedup = Willkommen! Ihr Konto ist eingerichtet.
flash-user = Benutzer aktualisiert.
flash-instance = Name der Instanz gespeichert.
flash-2fa-off = Die Zwei-Faktor-Anmeldung ist ausgeschaltet.
flash-2fa-required = Diese Instanz verlangt die Zwei-Faktor-Anmeldung: Richten Sie sie ein, um fortzufahren.
flash-2fa-policy = Regel für die Zwei-Faktor-Anmeldung gespeichert.
flash-goal-added = Ziel hinzugefügt. Seine Conversions werden aus den noch vorhandenen Daten gezählt.
flash-goal-deleted = Ziel gelöscht.
flash-share-revoked = Freigabelink widerrufen.

## In Kennzahlen
format-not-applicable = k. A.
format-badge-new = neu
format-badge-not-applicable = k. A.

## Seitentitel
title-delete-service = { $name } löschen
title-manage = { $name } verwalten
title-security = Sicherheit

## Meldungen der Seiten
error-instance-name-long = Der Name der Instanz darf höchstens 100 Zeichen lang sein.
error-say-on-off = Geben Sie „on“ oder „off“ an.
error-which-user = Welcher Benutzer?
error-own-account = Ihr eigenes Konto können Sie hier nicht ändern.
error-user-no-2fa = Dieser Benutzer hat keine Zwei-Faktor-Anmeldung.
error-no-such-user = Diesen Benutzer gibt es nicht.
error-admins-only = Nur Administratoren können diese Seite öffnen.
error-create-admins-only = Auf dieser Instanz können nur Administratoren Dienste anlegen.
error-which-goal = Geben Sie an, welches Ziel gelöscht werden soll.
error-action-add-delete = Geben Sie action=add oder action=delete an.
error-archived-yes-no = Geben Sie archived=yes oder archived=no an.
title-new-service = Neuer Dienst
form-create = Anlegen
session-anonymous = Anonym
session-tracker-pixel = Pixel (noscript)
fact-browser = Browser
fact-device = Gerät
fact-device-type = Gerätetyp
fact-os = Betriebssystem
fact-network = Netzwerk
fact-country = Land
fact-ip = IP-Adresse
fact-not-collected = Nicht erfasst
error-owner-only = Nur der Eigentümer dieses Dienstes kann das tun.
error-page-number = Die Seitenzahl muss eine positive ganze Zahl sein.
notice-raw-kept-one = Rohdaten werden 1 Tag aufbewahrt
notice-raw-kept = Rohdaten werden { $days } Tage aufbewahrt
notice-raw-deleted-earlier = ältere Rohdaten wurden durch eine frühere Aufbewahrungseinstellung gelöscht
notice-no-sessions-before = Sitzungsdetails gibt es nicht vor dem { $date }: { $kept }; Summen, Diagramme und Tabellen stammen weiterhin aus den stündlichen Rollups.
notice-no-figures-before = Vor dem { $date } sind keine Kennzahlen mehr vorhanden: Stündliche Rollups werden { $days } Tage aufbewahrt.
error-not-a-number = Der Wert für „{ $label }“ muss eine Zahl sein.
error-alerts-owner-only = Nur der Eigentümer dieses Dienstes kann seine Warnungen ändern.
error-action-optins-alerts = Geben Sie action=optins oder action=alerts an.
error-which-link = Geben Sie an, welcher Link widerrufen werden soll.
error-action-create-revoke = Geben Sie action=create oder action=revoke an.
error-segment-name = Geben Sie dem Segment einen Namen.
error-segment-name-long = Ein Segmentname hat höchstens { $max } Zeichen und keine Steuerzeichen.
error-segment-no-filter = Fügen Sie mindestens einen Filter hinzu, bevor Sie ein Segment speichern.
error-segment-duplicate = Es gibt schon ein Segment namens „{ $name }“.
error-which-segment = Geben Sie an, welches Segment gelöscht werden soll.
error-action-save-delete = Geben Sie action=save oder action=delete an.
page-erase-rows = { $sessions } Sitzungen, { $hits } Seitenaufrufe, { $events } Ereignisse und { $live } Zeilen des Live-Zustands
page-erase-dry = Noch nichts gelöscht
page-erase-dry-text = Damit würden { $rows } gelöscht.
page-erase-done = Daten gelöscht
page-erase-done-text = { $rows } gelöscht; die Summen der betroffenen Stunden wurden neu berechnet.
error-share-busy = Gerade werden zu viele geteilte Seiten berechnet. Versuchen Sie es gleich noch einmal.
error-share-no-password = Diese geteilte Seite hat kein Passwort, das man senden könnte.
error-share-password-wrong = Dieses Passwort stimmt nicht.
error-share-throttled = Zu viele Versuche. Versuchen Sie es in { $seconds } Sekunden noch einmal.
error-retention-days = Geben Sie eine ganze Zahl von Tagen zwischen 1 und { $max } ein, oder lassen Sie das Feld leer, um die Daten für immer aufzubewahren.
error-rollup-forever = Rollups müssen mindestens so lange aufbewahrt werden wie die Rohdaten, und die werden für immer aufbewahrt: Setzen Sie auch eine Aufbewahrung für Rohdaten, oder lassen Sie dieses Feld leer.
error-rollup-shorter = Rollups müssen mindestens so lange aufbewahrt werden wie die Rohdaten: { $days } Tage oder mehr (oder leer für immer).
error-service-name = Geben Sie dem Dienst einen Namen mit 1 bis 64 Zeichen.
error-link = Geben Sie eine URL ein, die mit http:// oder https:// beginnt (höchstens { $max } Zeichen).
error-origins = Geben Sie mindestens einen Origin an, oder * für alle.
error-script-long = Das Skript ist zu lang (höchstens 64 KiB).
error-collaborator-unknown = Die E-Mail-Adresse „{ $email }“ ist nicht registriert (oder nicht bestätigt).
error-collaborator-owner = „{ $email }“ ist die Adresse des Eigentümers.
error-collaborator-twice = „{ $email }“ gehört zu einem Benutzer, der doppelt aufgeführt ist.
error-password-short = Das Passwort muss mindestens { $min } Zeichen haben.
error-password-long = Das Passwort darf höchstens { $max } Bytes haben.

## Filter-Chips
filter-field-path = Pfad
filter-field-event = Ereignis
filter-op-is = ist
filter-op-is-not = ist nicht
filter-op-contains = enthält
filter-op-not-contains = enthält nicht
filter-op-starts-with = beginnt mit
filter-op-not-starts-with = beginnt nicht mit
