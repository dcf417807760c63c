# Kennzahlen lesen: die Übersicht, die Seite eines Dienstes mit ihren Karten, Sitzungslisten,
# die Live-Ansicht.

## Übersicht
overview-heading = Dashboard
overview-new-service = + Neuer Dienst
overview-empty = Sie haben noch keine Dienste.
overview-empty-create-html = <a href="/dashboard/service/new/">Legen Sie einen an</a>, um Daten zu sammeln.
overview-empty-ask = Bitten Sie einen Administrator, einen anzulegen oder Sie als Mitarbeiter hinzuzufügen.
overview-collaborator = Mitarbeiter

## Seite eines Dienstes
service-online = { $count } online
service-live-view = Live-Ansicht
service-notifications = Benachrichtigungen
service-manage = Verwalten →
service-install = Einbinden
service-no-data = Dieser Dienst hat noch keine Daten erhalten.
service-legend-hits = Aufrufe
service-legend-sessions = Sitzungen
service-by-country = Sitzungen nach Land
service-by-country-help = Öffnen Sie ein Land für seine Regionen und deren wichtigste Städte.
service-recent-sessions = Letzte Sitzungen
service-more-sessions = Weitere Sitzungen ansehen →
service-export = Export
service-export-text-html = Die Rohdaten der Sitzungen, Seitenaufrufe und Ereignisse dieses Zeitraums (höchstens ein Jahr): <a href="{ $csv }">CSV-Dateien (ZIP)</a> · <a href="{ $ndjson }">NDJSON</a>.
snippet-intro-html = Fügen Sie dieses Snippet am Ende des <code>&lt;body&gt;</code> jeder Seite ein, die Sie erfassen möchten:
table-more-locations = Weitere Seiten ansehen →

## Ereignisse und Ziele
events-heading = Ereignisse
events-col-event = Ereignis
events-none = Keine Ereignisse in diesem Zeitraum.
events-help = Ereignisse der Sitzungen, die im Zeitraum begonnen haben. Wählen Sie ein Ereignis, um seine Eigenschaften zu sehen.
events-help-filtered = Gefiltert: die Ereignisse der Sitzungen im Segment.
events-properties-of = Eigenschaften von „{ $name }“
events-properties-of-plain = Eigenschaften von { $name }
events-col-property = Eigenschaft
events-col-value = Wert
events-no-properties = Keine Eigenschaften in diesem Zeitraum.
goals-heading = Ziele
goals-col-goal = Ziel
goals-col-conversions = Conversions
goals-col-rate = Quote
goals-col-change = Änderung
goals-change-title = Conversions verglichen mit dem gleich langen Zeitraum davor
goals-none = Noch keine Ziele.
goals-none-manage-html = Noch keine Ziele: Fügen Sie sie auf der <a href="/dashboard/service/{ $service_id }/manage/#goals">Verwaltungsseite</a> hinzu.
goals-help = Sitzungen, die im Zeitraum begonnen und das Ziel erreicht haben; die Quote ist ihr Anteil an allen Sitzungen.
goals-help-filtered = Gefiltert: Conversions der Sitzungen im Segment, als Anteil an diesen.

## Sitzungen
sessions-heading = Sitzungen von { $name }
sessions-total = { $total } Sitzungen in diesem Zeitraum.
session-table-start = Beginn der Sitzung
session-table-identity = Identität
session-table-network = Netzwerk
session-table-none = Keine Sitzungen in diesem Zeitraum.
session-all = ← Alle Sitzungen
session-span = { $start } bis { $end }
session-location = Standort
session-open-map = In Karten öffnen
session-hit-total = { $total } Aufrufe in dieser Sitzung.
session-col-time = Zeit
session-col-page = Seite
session-col-load = Ladezeit
session-col-tracker = Tracker
session-via = über { $referrer }
locations-heading = Seiten von { $name }

## Live-Ansicht
live-heading = Live: { $name }
live-resume = Automatisches Aktualisieren fortsetzen
live-pause = Automatisches Aktualisieren anhalten
live-updated = Aktualisiert um { $time } ({ $zone })
live-paused = ; automatisches Aktualisieren angehalten.
live-refreshes = ; diese Seite aktualisiert sich alle { $seconds } Sekunden.
live-online-now = Jetzt online
live-online-hint = in den letzten { $seconds } s gesehen
live-page-views = Seitenaufrufe
live-last-minutes = letzte { $minutes } Minuten
live-per-minute = Seitenaufrufe pro Minute
live-per-minute-table = Seitenaufrufe pro Minute als Tabelle
live-minutes-caption = Neueste Minute zuerst; die erste läuft noch.
live-col-minute = Minute
live-current-pages = Aktuelle Seiten
live-no-page-views = Keine Seitenaufrufe in den letzten { $minutes } Minuten.
live-pages-help = In den letzten { $minutes } Minuten aufgerufene Seiten; „Jetzt online“ zählt die Besucher, deren letzte Seite es ist.
live-referrers = Verweise
live-col-referrer = Verweis
live-no-sessions = Keine neuen Sitzungen in den letzten { $minutes } Minuten.
live-referrers-help = Woher die Sitzungen kamen, die in den letzten { $minutes } Minuten begonnen haben.

## Dimensionstabellen (die Wörter des Registers, wie die Seiten sie sagen)
dim-location-title = Seiten
dim-location-heading = Seite
dim-location-tab = Seiten
dim-entry-page-title = Einstiegsseiten
dim-entry-page-heading = Seite
dim-entry-page-tab = Einstiegsseiten
dim-exit-page-title = Ausstiegsseiten
dim-exit-page-heading = Seite
dim-exit-page-tab = Ausstiegsseiten
dim-referrer-title = Verweise
dim-referrer-heading = Verweis
dim-referrer-tab = Verweise
dim-channel-title = Kanäle
dim-channel-heading = Kanal
dim-channel-tab = Kanäle
dim-utm-source-title = Kampagnenquellen
dim-utm-source-heading = Quelle
dim-utm-source-tab = Quellen
dim-utm-medium-title = Kampagnenmedien
dim-utm-medium-heading = Medium
dim-utm-medium-tab = Medien
dim-utm-campaign-title = Kampagnennamen
dim-utm-campaign-heading = Kampagne
dim-utm-campaign-tab = Kampagnen
dim-utm-term-title = Kampagnenbegriffe
dim-utm-term-heading = Begriff
dim-utm-term-tab = Begriffe
dim-utm-content-title = Kampagneninhalte
dim-utm-content-heading = Inhalt
dim-utm-content-tab = Inhalte
dim-country-title = Länder
dim-country-heading = Land
dim-country-tab = Länder
dim-region-title = Regionen
dim-region-heading = Region
dim-region-tab = Regionen
dim-city-title = Städte
dim-city-heading = Stadt
dim-city-tab = Städte
dim-network-title = Netzwerke
dim-network-heading = Netzwerk
dim-network-tab = Netzwerke
dim-os-title = Betriebssysteme
dim-os-heading = Betriebssystem
dim-os-tab = Betriebssysteme
dim-os-version-title = Betriebssystemversionen
dim-os-version-heading = Version
dim-os-version-tab = Betriebssystemversionen
dim-browser-title = Browser
dim-browser-heading = Browser
dim-browser-tab = Browser
dim-browser-version-title = Browserversionen
dim-browser-version-heading = Version
dim-browser-version-tab = Browserversionen
dim-device-type-title = Gerätetypen
dim-device-type-heading = Typ
dim-device-type-tab = Gerätetypen
dim-device-title = Geräte
dim-device-heading = Gerät
dim-device-tab = Geräte
dim-empty-unknown = Unbekannt
dim-empty-direct = Direkt
dim-empty-none = Keine
dim-unit-sessions = Sitzungen
dim-unit-hits = Aufrufe
dim-unit-entries = Einstiege
dim-tab-campaigns = Kampagnen

## Die Kennzahlenleiste
figure-visitors = Besucher
figure-visitors-note = Besucher werden ohne Cookies gezählt: Ein Besucher ist ein Browser an einer IP-Adresse innerhalb eines UTC-Tages (der Schlüssel, der ihn wiedererkennt, wechselt täglich und lässt sich danach nicht neu berechnen). Wer an einem anderen Tag wiederkommt, zählt erneut; über mehrere Tage ist dies also die Summe der täglich eindeutigen Besucher.
figure-visitors-hint = pro UTC-Tag, ohne Cookies
figure-sessions = Sitzungen
figure-hits = Aufrufe
figure-load-time = Ladezeit
figure-bounce-rate = Absprungrate
figure-duration = Dauer
figure-hits-per-session = Aufrufe pro Sitzung
figure-avg-duration = Durchschn. Dauer

## Zeiträume
range-last-3-days = Letzte 3 Tage
range-last-30-days = Letzte 30 Tage
range-last-90-days = Letzte 90 Tage
range-this-month = Dieser Monat
range-last-month = Letzter Monat
range-this-year = Dieses Jahr

## Diagramm und Karte
chart-label = Aufrufe und Sitzungen im Zeitverlauf
chart-point = { $label }: { $hits } Aufrufe, { $sessions } Sitzungen
chart-as-table = Das Diagramm als Tabelle
chart-col-period = Zeitraum
map-label = Karte der Sitzungen nach Land (die Tabelle darunter listet sie auf)
map-country = { $country }: { $sessions } Sitzungen
