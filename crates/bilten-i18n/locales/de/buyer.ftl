# Die Seiten für Käufer: Veranstaltungen, Kasse, Bestellungen und Tickets.

## Startseite und Suche
home-title = Kommende Veranstaltungen
home-description = Finden Sie Konzerte, Konferenzen, Workshops und mehr, und kaufen Sie Tickets auf Bilten.
home-search-results = Suchergebnisse
home-coming-up = Demnächst
home-no-match = Keine Veranstaltung passt zu Ihrer Suche.
home-show-all = Alle kommenden Veranstaltungen anzeigen
home-no-events = Noch keine Veranstaltungen. Veröffentlichte Veranstaltungen erscheinen hier.
home-more-events = Weitere Veranstaltungen
search-label = Veranstaltungen suchen
search-what = Was
search-city = Stadt
search-from = Von
search-to = Bis
search-category = Kategorie
search-price = Preis
search-submit = Suchen
search-any-category = Alle Kategorien
search-free-or-paid = Kostenlos oder kostenpflichtig
search-free = Kostenlos
search-paid = Kostenpflichtig
search-date-invalid = Geben Sie ein Datum wie 2026-12-31 ein.
search-date-before-start = Das Enddatum liegt vor dem Startdatum.

## Kategorien
category-music = Musik
category-sports = Sport
category-theatre = Theater
category-conference = Konferenz
category-festival = Festival
category-comedy = Comedy
category-family = Familie
category-workshop = Workshop
category-other = Sonstiges

## Die Veranstaltungsseite
event-online = Online
event-online-lower = online
event-online-label = Online:
event-summary = { $title } — { $date_time }, { $place }. Tickets auf Bilten.
event-open-map = Karte öffnen
event-map-of = von { $venue }
event-status-draft = Entwurf
event-status-canceled = Abgesagt
event-times-in-zone = Zeiten in der Zeitzone der Veranstaltung ({ $zone }).
event-about = Über die Veranstaltung
event-canceled-notice = Diese Veranstaltung wurde abgesagt. Es werden keine Tickets mehr verkauft.
event-ended-notice = Diese Veranstaltung ist vorbei.

## Tickets auf der Veranstaltungsseite
tickets-title = Tickets
tickets-none-yet = Der Ticketverkauf hat noch nicht begonnen.
tickets-none-on-sale = Zurzeit sind keine Tickets im Verkauf.
tickets-sold-out = Ausverkauft
tickets-on-sale-from = Im Verkauf ab { $date_time }
tickets-not-on-sale-yet = Noch nicht im Verkauf
tickets-sales-ended = Verkauf beendet
tickets-left = Nur noch { $count } übrig
tickets-available = { $count } verfügbar
tickets-quantity = Anzahl
tickets-quantity-of = für { $ticket_type }
tickets-names-summary = Namen auf den Tickets (optional)
tickets-names-hint = Jedes Ticket trägt den Namen seines Inhabers; leere Felder erhalten den Namen des Käufers. Sie können die Namen bis zum Beginn der Veranstaltung ändern.
tickets-ticket-n = Ticket { $n }

## Kasse
checkout-your-name = Ihr Name
checkout-email = E-Mail-Adresse
checkout-email-hint = Hierhin schicken wir die Tickets und einen Link zu ihnen.
checkout-promo-code = Aktionscode
checkout-promo-code-optional = Aktionscode (optional)
checkout-tickets-in-account-before = Die Tickets finden Sie unter
checkout-tickets-in-account-after = in Ihrem Konto.
checkout-your-details = Ihre Angaben
checkout-have-account = Sie haben ein Konto?
checkout-have-account-after = – so bleiben die Tickets in Ihrem Konto.
checkout-continue = Weiter
checkout-held-for = Ihre Tickets werden { $minutes } Minuten für Sie reserviert, während Sie bezahlen.
checkout-choose-quantity = Wählen Sie, wie viele Tickets Sie möchten.

## Die Bestellseite
order-notice-canceled = Ihre Bestellung wurde storniert und die Tickets wurden freigegeben.
order-notice-paid = Ihre Tickets sind bereit.
order-notice-renamed = Das Ticket wurde mit dem neuen Namen neu ausgestellt; das alte gilt nicht mehr.
order-notice-expired = Die Reservierung dieser Tickets ist abgelaufen. Bitte wählen Sie sie erneut.
order-notice-not-pending = Diese Bestellung kann nicht mehr bezahlt werden.
order-notice-payment-failed = Die Zahlung ist nicht durchgegangen. Sie können es erneut versuchen, solange die Tickets reserviert sind.
order-lines-caption = Tickets in dieser Bestellung
order-col-ticket = Ticket
order-col-quantity = Anzahl
order-col-price = Preis
order-col-total = Summe
order-discount = Rabatt
order-pending-title = Bestellung abschließen
order-held-until = Ihre Tickets sind reserviert bis
order-held-until-after = .
order-countdown = noch { $time }
order-released-after = Danach werden sie für andere Käufer freigegeben.
order-paid-title = Sie sind dabei!
order-confirmed-sent-to = Ihre Bestellung ist bestätigt. Wir haben die Tickets geschickt an
order-confirmed-sent-to-after = .
order-expired-title = Diese Bestellung ist abgelaufen
order-expired-body = Die Tickets waren nur für begrenzte Zeit reserviert und wurden freigegeben.
order-choose-again = Tickets erneut wählen
order-canceled-title = Diese Bestellung wurde storniert
order-back-to-event = Zurück zur Veranstaltung
order-title = Ihre Bestellung
order-status = Status: { $status }
order-label = Bestellung
order-get-tickets = Tickets erhalten
order-pay = { $amount } bezahlen
order-cancel = Stornieren und Tickets freigeben
order-page-title = Bestellung für { $event }
order-page-description = Ihre Bestellung bei Bilten.

## Tickets und „Meine Tickets“
ticket-status-valid = Gültig
ticket-status-revoked = Widerrufen
ticket-status-canceled = Storniert
ticket-no-longer-admits = Mit diesem Ticket ist kein Einlass mehr möglich.
ticket-download-pdf = PDF herunterladen
ticket-pdf-of = des Tickets { $ticket_type }
ticket-rename-summary = Namen auf diesem Ticket ändern
ticket-attendee-name = Name des Teilnehmers
ticket-rename-submit = Mit diesem Namen neu ausstellen
ticket-qr-alt = QR-Code des Tickets { $ticket_type } für { $event }
my-tickets-empty = Sie haben noch keine Tickets. Gekaufte Tickets erscheinen hier, bereit zum Vorzeigen am Eingang.
my-tickets-show-qr = Zeigen Sie den QR-Code am Eingang vor, auf dem Handy oder ausgedruckt.
my-tickets-older = Ältere Tickets
my-tickets-description = Ihre Tickets bei Bilten.
my-orders-title = Ihre Bestellungen
my-orders-empty = Noch keine Bestellungen.
my-orders-col-event = Veranstaltung
my-orders-col-when = Wann
my-orders-description = Ihre Bestellungen bei Bilten.

# Storefront: event page, organizer page, embedded checkout
checkout-total-title = Ihre Tickets
checkout-total-tickets = Tickets
checkout-total-fees = Buchungsgebühren
checkout-total = Gesamt
checkout-total-hint = Keine Buchungsgebühren: Sie zahlen den Gesamtbetrag. Ein Aktionscode wird im nächsten Schritt abgezogen.
checkout-review = Gesamtbetrag prüfen
event-sold-out-notice = Diese Veranstaltung ist ausverkauft.
event-cover-alt = Titelbild von „{ $title }“
event-organized-by = Veranstaltet von
event-when-where = Datum und Ort
event-add-to-calendar = Zum Kalender hinzufügen (.ics)
organizer-page-kicker = Veranstalter
organizer-page-description = Kommende Veranstaltungen von { $name }.
organizer-upcoming = Kommende Veranstaltungen
organizer-no-events = Derzeit keine kommenden Veranstaltungen.
embed-title = Tickets: { $title }
embed-continue = Weiter zur Kasse
embed-new-tab = (öffnet in einem neuen Tab)
embed-open-event = Veranstaltungsseite öffnen
