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
