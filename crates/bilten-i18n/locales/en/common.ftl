# The layout, navigation, forms and error pages: what every page shares.

## Layout
skip-to-content = Skip to main content
nav-main = Main
nav-events = Events
nav-my-tickets = My tickets
nav-organize = Organize
nav-account = Account
nav-log-out = Log out
nav-log-in = Log in
nav-sign-up = Sign up
footer-tagline = { $site } — open-source event ticketing.
footer-find-events = Find events
language-switcher = Language

## Forms
error-summary-title = There is a problem
field-error-prefix = Error:

## Error pages
error-description = Bilten could not show this page.
error-not-found-title = Page not found
error-not-found-heading = We can't find that page
error-not-found-body = The address may be mistyped, or the page may have moved.
error-not-found-link = Browse upcoming events
error-form-expired-title = Form expired
error-form-expired-heading = That form has expired
error-form-expired-body = For your security we could not accept that form. This happens when a page was open for a long time or cookies are blocked.
error-form-expired-retry = Go back, reload the page and try again.
error-bad-request-title = Bad request
error-bad-request-heading = We couldn't understand that request
error-home-link = Go to the home page
error-unavailable-title = Temporarily unavailable
error-unavailable-heading = Bilten is temporarily unavailable
error-unavailable-body = We can't reach our servers right now. Please try again in a minute.
error-internal-title = Something went wrong
error-internal-heading = Sorry, something went wrong on our side
error-internal-body = We have been notified. Please try again in a minute.
error-internal-reference = If you contact us, quote this reference:

## Notices shown after a redirect (?notice=…)
notice-account-created = Your account is ready. We have sent you an email to confirm your address; log in to continue.
notice-logged-out = You have logged out.
notice-logged-out-everywhere = You have logged out on every device.
notice-session-ended = Your session has ended. Please log in again.
notice-name-saved = Your name has been saved.
notice-password-changed = Your password has been changed. Other devices have been logged out.
notice-password-reset = Your password has been reset. Log in with your new password.
notice-email-verified = Your email address is confirmed.
notice-verification-sent = We have sent you a new confirmation email.
notice-sign-in-expired = That sign-in took too long or had too many wrong codes. Log in again.
notice-two-factor-on = Two-factor sign-in is on.
notice-two-factor-off = Two-factor sign-in is off.
notice-passkey-added = The passkey is added. You can sign in with it now.
notice-passkey-removed = The passkey is removed.
notice-account-deleted = Your account has been deleted. Organizers keep your orders for their accounting, without your name and email.
notice-reset-sent = If an account exists for that email, we have sent it a link to reset the password.

## Dates and money
time-range-same-day = { $start }–{ $end } { $zone }
time-range = { $start } – { $end } { $zone }
date-time-zone = { $date_time } { $zone }
price-free = Free
