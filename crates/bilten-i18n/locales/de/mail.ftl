# Die E-Mails an Käufer und die gedruckten Tickets, in der Sprache, in der bestellt wurde.

## Bestellbestätigung
mail-sent-by = Gesendet von Bilten.
mail-hello = Hallo { $name },
mail-confirmation-subject = Ihre Tickets für { $event }
mail-confirmation-intro = vielen Dank für Ihre Bestellung { $order }. Ihre Tickets für { $event } sind als PDF-Dateien angehängt; zeigen Sie den QR-Code am Eingang vor, ausgedruckt oder auf dem Handy.
mail-confirmation-intro-html = vielen Dank für Ihre Bestellung { $order }. Ihre Tickets sind als PDF-Dateien angehängt; zeigen Sie den QR-Code am Eingang vor, ausgedruckt oder auf dem Handy.
mail-when = Wann:
mail-where = Wo:
mail-total = Summe:
mail-ticket-line = Ticket { $n }: { $ticket_type } für { $holder } ({ $ticket }, { $file })
mail-ticket-heading = Ticket { $n }: { $ticket_type }
mail-ticket-qr-alt = QR-Code von Ticket { $n }
mail-order-online = Ihre Bestellung online: { $link }
mail-order-online-link = Ihre Bestellung online ansehen
mail-when-range = { $start } – { $end } ({ $zone })
mail-online = Online: { $url }

## Erstattungen, zurückgezahlte Zahlungen und Absagen
mail-refund-subject = Erstattung für { $event }
mail-refunded-order = Der Veranstalter von { $event } hat Ihre Bestellung erstattet: { $amount } gehen an Ihr Zahlungsmittel zurück.
mail-refunded-tickets = { $count ->
    [one] Der Veranstalter von { $event } hat { $count } Ticket Ihrer Bestellung erstattet: { $amount } gehen an Ihr Zahlungsmittel zurück.
   *[other] Der Veranstalter von { $event } hat { $count } Tickets Ihrer Bestellung erstattet: { $amount } gehen an Ihr Zahlungsmittel zurück.
}
mail-refunded-amount = Der Veranstalter von { $event } hat { $amount } Ihrer Bestellung erstattet; der Betrag geht an Ihr Zahlungsmittel zurück.
mail-refund-tickets-unchanged = Ihre Tickets bleiben unverändert.
mail-refund-tickets-invalid = Die erstatteten Tickets sind nicht mehr gültig; alle anderen bleiben gültig.
mail-returned-subject = Ihre Zahlung für { $event } wurde erstattet
mail-returned-sold-out = Ihre Zahlung kam an, nachdem die Reservierung Ihrer Tickets abgelaufen war, und die Tickets waren inzwischen ausverkauft.
mail-returned-already-paid = Ihre Bestellung war bereits mit einer anderen Zahlung bezahlt.
mail-returned-order-closed = Ihre Bestellung war storniert, bevor die Zahlung ankam.
mail-returned-amount = Der volle Betrag, { $amount }, geht an Ihr Zahlungsmittel zurück.
mail-returned-no-ticket = Für diese Zahlung wurde kein Ticket ausgestellt.
mail-canceled-subject = { $event } ist abgesagt
mail-canceled-intro = Es tut uns leid: { $event } wurde vom Veranstalter abgesagt.
mail-canceled-refund = Sie erhalten den vollen Betrag von { $amount } auf Ihr Zahlungsmittel zurück.
mail-canceled-free = Ihre Tickets waren kostenlos, es gibt also nichts zu erstatten.
mail-canceled-unpaid = Ihre Bestellung war noch nicht bezahlt, es wurde also nichts abgebucht.
mail-canceled-tickets-invalid = Ihre Tickets für diese Veranstaltung sind nicht mehr gültig.

## Konto-E-Mails, in der Sprache der Seite, auf der sie ausgelöst wurden
mail-verify-subject = Bestätigen Sie Ihre E-Mail-Adresse
mail-verify-intro = Bitte bestätigen Sie Ihre E-Mail-Adresse, indem Sie diesen Link öffnen:
mail-verify-button = E-Mail-Adresse bestätigen
mail-verify-expiry = Der Link gilt 48 Stunden. Wenn Sie kein Bilten-Konto angelegt haben, ignorieren Sie diese E-Mail.
mail-reset-subject = Setzen Sie Ihr Passwort zurück
mail-reset-intro = Jemand hat verlangt, das Passwort Ihres Bilten-Kontos zurückzusetzen. Um ein neues Passwort zu wählen, öffnen Sie diesen Link:
mail-reset-button = Neues Passwort wählen
mail-reset-expiry = Der Link gilt eine Stunde und nur einmal. Wenn Sie das nicht waren, ignorieren Sie diese E-Mail; Ihr Passwort bleibt, wie es ist.
mail-invitation-subject = { $inviter } hat Sie zu { $organization } auf Bilten eingeladen
mail-invitation-hello = Hallo,
mail-invitation-intro = { $inviter } hat Sie eingeladen, { $organization } auf Bilten als { $role } beizutreten.
mail-invitation-how = Um anzunehmen, öffnen Sie diesen Link und registrieren Sie sich (oder melden Sie sich an) mit dieser E-Mail-Adresse:
mail-invitation-button = Einladung annehmen
mail-invitation-expiry = Der Link gilt 7 Tage. Wenn Sie das nicht erwartet haben, ignorieren Sie diese E-Mail.

## Das PDF-Ticket
pdf-ticket-heading = TICKET
pdf-holder = Inhaber
pdf-ticket-type = Ticketart
pdf-ticket-id = Ticket { $id }
pdf-order-id = Bestellung { $id }
