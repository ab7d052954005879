# The buyer's mails and printed tickets, written in the language the order was placed in.

## Order confirmation
mail-sent-by = Sent by Bilten.
mail-hello = Hello { $name },
mail-confirmation-subject = Your tickets for { $event }
mail-confirmation-intro = Thank you for your order { $order }. Your tickets for { $event } are attached as PDF files; show the QR code at the entrance, on paper or on your phone.
mail-confirmation-intro-html = Thank you for your order { $order }. Your tickets are attached as PDF files; show the QR code at the entrance, on paper or on your phone.
mail-when = When:
mail-where = Where:
mail-total = Total:
mail-ticket-line = Ticket { $n }: { $ticket_type } for { $holder } ({ $ticket }, { $file })
mail-ticket-heading = Ticket { $n }: { $ticket_type }
mail-ticket-qr-alt = QR code of ticket { $n }
mail-order-online = Your order online: { $link }
mail-order-online-link = See your order online
mail-when-range = { $start } – { $end } ({ $zone })
mail-online = Online: { $url }

## The PDF ticket
pdf-ticket-heading = TICKET
pdf-holder = Holder
pdf-ticket-type = Ticket type
pdf-ticket-id = Ticket { $id }
pdf-order-id = Order { $id }
