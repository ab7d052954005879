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

## Das PDF-Ticket
pdf-ticket-heading = TICKET
pdf-holder = Inhaber
pdf-ticket-type = Ticketart
pdf-ticket-id = Ticket { $id }
pdf-order-id = Bestellung { $id }
