# The buyer's pages: events, checkout, orders and tickets.

## Home and search
home-title = Upcoming events
home-description = Find concerts, conferences, workshops and more, and buy tickets on Bilten.
home-search-results = Search results
home-coming-up = Coming up
home-no-match = No events match your search.
home-show-all = Show all upcoming events
home-no-events = No events yet. Events published by organizers will be listed here.
home-more-events = More events
search-label = Search events
search-what = What
search-city = City
search-from = From
search-to = To
search-category = Category
search-price = Price
search-submit = Search
search-any-category = Any category
search-free-or-paid = Free or paid
search-free = Free
search-paid = Paid
search-date-invalid = Enter a date like 2026-12-31.
search-date-before-start = The end date is before the start date.

## Categories
category-music = Music
category-sports = Sports
category-theatre = Theatre
category-conference = Conference
category-festival = Festival
category-comedy = Comedy
category-family = Family
category-workshop = Workshop
category-other = Other

## The event page
event-online = Online
event-online-lower = online
event-online-label = Online:
event-summary = { $title } — { $date_time }, { $place }. Tickets on Bilten.
event-open-map = Open the map
event-map-of = of { $venue }
event-status-draft = Draft
event-status-canceled = Canceled
event-times-in-zone = Times are in the event's time zone ({ $zone }).
event-about = About the event
event-canceled-notice = This event has been canceled. Tickets are no longer sold.
event-ended-notice = This event has ended.

## Tickets on the event page
tickets-title = Tickets
tickets-none-yet = Tickets are not on sale yet.
tickets-none-on-sale = No tickets are on sale right now.
tickets-sold-out = Sold out
tickets-on-sale-from = On sale from { $date_time }
tickets-not-on-sale-yet = Not on sale yet
tickets-sales-ended = Sales have ended
tickets-left = Only { $count } left
tickets-available = { $count } available
tickets-quantity = Quantity
tickets-quantity-of = of { $ticket_type }
tickets-names-summary = Names on the tickets (optional)
tickets-names-hint = Each ticket carries its holder's name; empty ones get the buyer's. You can change them until the event starts.
tickets-ticket-n = Ticket { $n }

## Checkout
checkout-your-name = Your name
checkout-email = Email address
checkout-email-hint = We send the tickets and a link to them here.
checkout-promo-code = Promo code
checkout-promo-code-optional = Promo code (optional)
checkout-tickets-in-account-before = The tickets will be in
checkout-tickets-in-account-after = on your account.
checkout-your-details = Your details
checkout-have-account = Have an account?
checkout-have-account-after = to keep the tickets there.
checkout-continue = Continue
checkout-held-for = Your tickets are held for { $minutes } minutes while you pay.
checkout-choose-quantity = Choose how many tickets you want.

## The order page
order-notice-canceled = Your order has been canceled and the tickets released.
order-notice-paid = Your tickets are ready.
order-notice-renamed = The ticket has been re-issued with the new name; the old one no longer works.
order-notice-expired = The hold on these tickets ran out. Please choose them again.
order-notice-not-pending = This order is no longer open for payment.
order-notice-payment-failed = The payment did not go through. You can try again while the tickets are held.
order-lines-caption = Tickets in this order
order-col-ticket = Ticket
order-col-quantity = Quantity
order-col-price = Price
order-col-total = Total
order-discount = Discount
order-pending-title = Complete your order
order-held-until = Your tickets are held until
order-held-until-after = .
order-countdown = { $time } left
order-released-after = After that they are released for other buyers.
order-paid-title = You're going!
order-confirmed-sent-to = Your order is confirmed. We have sent the tickets to
order-confirmed-sent-to-after = .
order-expired-title = This order has expired
order-expired-body = The tickets were held for a limited time and have been released.
order-choose-again = Choose tickets again
order-canceled-title = This order was canceled
order-back-to-event = Back to the event
order-title = Your order
order-status = Status: { $status }
order-label = Order
order-get-tickets = Get the tickets
order-pay = Pay { $amount }
order-cancel = Cancel and release the tickets
order-page-title = Order for { $event }
order-page-description = Your Bilten order.

## Tickets and "My tickets"
ticket-status-valid = Valid
ticket-status-revoked = Revoked
ticket-status-canceled = Canceled
ticket-no-longer-admits = This ticket no longer admits anyone.
ticket-download-pdf = Download PDF
ticket-pdf-of = of the { $ticket_type } ticket
ticket-rename-summary = Change the name on this ticket
ticket-attendee-name = Attendee name
ticket-rename-submit = Re-issue with this name
ticket-qr-alt = QR code of the { $ticket_type } ticket for { $event }
my-tickets-empty = You have no tickets yet. Tickets you buy will appear here, ready to show at the entrance.
my-tickets-show-qr = Show the QR code at the entrance, on your phone or printed.
my-tickets-older = Older tickets
my-tickets-description = Your tickets on Bilten.
my-orders-title = Your orders
my-orders-empty = No orders yet.
my-orders-col-event = Event
my-orders-col-when = When
my-orders-description = Your orders on Bilten.

# Storefront: event page, organizer page, embedded checkout
checkout-total-title = Your tickets
checkout-total-tickets = Tickets
checkout-total-fees = Booking fees
checkout-total = Total
checkout-total-hint = No booking fees: the total is what you pay. A promo code is applied on the next step.
checkout-review = Review total
event-sold-out-notice = This event is sold out.
event-cover-alt = Cover image of “{ $title }”
event-organized-by = Organized by
event-when-where = Date and venue
event-add-to-calendar = Add to calendar (.ics)
organizer-page-kicker = Organizer
organizer-page-description = Upcoming events by { $name }.
organizer-upcoming = Upcoming events
organizer-no-events = No upcoming events right now.
embed-title = Tickets: { $title }
embed-continue = Continue to checkout
embed-new-tab = (opens in a new tab)
embed-open-event = Open the event page
