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

## Refunds, returned payments and cancellations
mail-refund-subject = Refund for { $event }
mail-refunded-order = The organizer of { $event } has refunded your order: { $amount } is on its way back to your payment method.
mail-refunded-tickets = { $count ->
    [one] The organizer of { $event } has refunded { $count } ticket of your order: { $amount } is on its way back to your payment method.
   *[other] The organizer of { $event } has refunded { $count } tickets of your order: { $amount } is on its way back to your payment method.
}
mail-refunded-amount = The organizer of { $event } has refunded { $amount } of your order: it is on its way back to your payment method.
mail-refund-tickets-unchanged = Your tickets are unchanged.
mail-refund-tickets-invalid = The refunded tickets are no longer valid; any others stay valid.
mail-returned-subject = Your payment for { $event } was refunded
mail-returned-sold-out = Your payment arrived after your tickets' reservation had run out, and they sold out in the meantime.
mail-returned-already-paid = Your order had already been paid by another payment.
mail-returned-order-closed = Your order had been canceled before the payment arrived.
mail-returned-amount = The full amount, { $amount }, is on its way back to your payment method.
mail-returned-no-ticket = No ticket was issued for this payment.
mail-canceled-subject = { $event } is canceled
mail-canceled-intro = We are sorry: { $event } has been canceled by its organizer.
mail-canceled-refund = You get a full refund of { $amount } to your payment method.
mail-canceled-free = Your tickets were free, so there is nothing to refund.
mail-canceled-unpaid = Your order had not been paid, so nothing was charged.
mail-canceled-tickets-invalid = Your tickets for this event are no longer valid.

## Account mails, in the language of the page that caused them
mail-verify-subject = Confirm your email address
mail-verify-intro = Please confirm your email address by opening this link:
mail-verify-button = Confirm my email
mail-verify-expiry = The link works for 48 hours. If you did not create a Bilten account, ignore this mail.
mail-reset-subject = Reset your password
mail-reset-intro = Someone asked to reset the password of your Bilten account. To choose a new password, open this link:
mail-reset-button = Choose a new password
mail-reset-expiry = The link works for one hour and only once. If it was not you, ignore this mail; your password stays as it is.
mail-invitation-subject = { $inviter } invited you to { $organization } on Bilten
mail-invitation-hello = Hello,
mail-invitation-intro = { $inviter } invited you to join { $organization } on Bilten as { $role }.
mail-invitation-how = To accept, open this link, then sign up (or log in) with this email address:
mail-invitation-button = Accept the invitation
mail-invitation-expiry = The link works for 7 days. If you did not expect this, ignore this mail.

## The PDF ticket
pdf-ticket-heading = TICKET
pdf-holder = Holder
pdf-ticket-type = Ticket type
pdf-ticket-id = Ticket { $id }
pdf-order-id = Order { $id }
