# Accounts: sign-up, log in, passwords, the account page, invitations.

## Sign-up and log in
auth-name = Name
auth-name-hint = As it should appear on your tickets.
auth-password = Password
auth-password-hint = At least 8 characters. A few unrelated words make a strong password.
auth-signup-heading = Create your account
auth-signup-submit = Create account
auth-signup-description = Create a Bilten account to buy and keep your tickets.
auth-have-account = Already have an account?
auth-login-description = Log in to Bilten to see your tickets and account.
auth-forgot-link = Forgot your password?
auth-new-here = New to Bilten?
auth-create-account-link = Create an account
auth-code = Code
auth-code-heading = Enter your sign-in code
auth-code-intro = Open your authenticator app and type the 6-digit code it shows for Bilten. Lost your phone? Type one of your recovery codes instead.
auth-code-hint = 6 digits, or a recovery code like abcde-23456.
auth-code-description = The second step of logging in to Bilten.
auth-start-again = Start again
auth-go-to-account = Go to your account
auth-browse-events = Browse events

## Email confirmation
auth-verify-heading = Confirm your email address
auth-verify-intro = Press the button to confirm that this email address is yours.
auth-verify-submit = Confirm my email
auth-verify-title = Confirm your email
auth-verify-description = Confirm your email address for Bilten.
auth-link-incomplete = This link is incomplete
auth-link-incomplete-verify = Open the link from the email again, or copy the whole address into the browser.
auth-link-incomplete-reset = Open the link from the email again, or ask for a new one.
auth-link-expired = This link has expired
auth-link-expired-verify = The confirmation link has expired or was already used. Log in and ask for a new one from your account page.

## Forgotten password
auth-forgot-heading = Reset your password
auth-forgot-intro = Enter the email address of your account and we will send you a link to choose a new password.
auth-forgot-submit = Send the link
auth-back-to-login = Back to log in
auth-forgot-title = Forgot your password
auth-forgot-description = Get a link to reset your Bilten password.
auth-new-password = New password
auth-reset-heading = Choose a new password
auth-reset-new-link = Ask for a new reset link
auth-reset-hint = At least 8 characters. Every device logged in to your account will be logged out.
auth-reset-submit = Save the new password
auth-reset-description = Choose a new password for your Bilten account.

## The account page
nav-account-title = Your account
account-description = Your Bilten profile, password and sessions.
account-profile = Profile
account-email-label = Email address:
account-email-confirmed = confirmed
account-email-unconfirmed = Your email address is not confirmed yet. Open the link we sent you.
account-resend-confirmation = Send the confirmation email again
account-save-name = Save name
account-current-password = Current password
account-new-password-hint = At least 8 characters. Your other devices will be logged out.
account-change-password = Change password
account-sessions = Where you're logged in
account-logout-everywhere = Log out everywhere
account-unknown-browser = Unknown browser
account-this-device = this device
account-session-times = Logged in { $created }, last active { $last_used }
account-session-from = , from { $ip }
account-two-factor = Two-factor sign-in
account-two-factor-on-badge = on
account-two-factor-on = Logging in asks for a code from your authenticator app after the password.
account-recovery-codes-left = { $count ->
    [one] { $count } recovery code left.
   *[other] { $count } recovery codes left.
}
account-two-factor-code = Code from your app (or a recovery code)
account-two-factor-code-hint = Needed for new recovery codes or to turn two-factor sign-in off.
account-new-recovery-codes = New recovery codes
account-two-factor-turn-off = Turn two-factor sign-in off
account-two-factor-pitch = Protect your account with a second step at login: a 6-digit code from an authenticator app on your phone. Some organizations require it of their team.
account-two-factor-set-up = Set up two-factor sign-in
account-passkeys = Passkeys
account-passkeys-pitch = Sign in with your fingerprint, face or screen lock instead of a password. A passkey counts as two-factor sign-in where an organization requires it.
account-passkeys-none = No passkeys yet.
account-passkey-added = Added { $created }
account-passkey-last-used = , last used { $last_used }
account-passkey-remove = Remove
account-passkey-remove-label = Remove the passkey { $name }
account-passkey-name = Name of the passkey
account-passkey-name-hint = So you can tell your passkeys apart, for example "Laptop" or "Phone".
account-passkey-add = Add a passkey
account-passkey-unsupported = This browser cannot make passkeys here (it needs JavaScript and passkey support).
passkey-failed = The passkey did not work. Try again, or use your password.
auth-passkey-heading = Or sign in with a passkey
auth-passkey-submit = Sign in with a passkey
account-data = Your data
account-data-export-intro = Download everything we hold about you — your profile, organizations, orders with their tickets, and sessions — as a JSON file.
account-data-export = Download my data
account-delete-intro = Deleting your account cannot be undone. The next page says what it removes and what organizers keep.
account-delete = Delete my account

## Two-factor set-up
account-enrol-code = Code from the app
account-enrol-step-app = Open an authenticator app on your phone (for example Aegis, Google Authenticator or 1Password) and add an account.
account-enrol-step-scan = Scan this QR code, or type the key below.
account-enrol-step-code = Type the 6-digit code the app shows.
account-enrol-qr-label = QR code for your authenticator app
account-enrol-key = Key:
account-enrol-again-before = Type the code your authenticator app shows now for Bilten, or
account-enrol-start-over = start over
account-enrol-again-after = with a new QR code.
account-enrol-code-hint = 6 digits; a new one every 30 seconds.
account-enrol-submit = Turn on
account-enrol-description = Add a second step to your Bilten login.
account-recovery-intro = Keep these recovery codes somewhere safe (print them, or store them in a password manager). Each one logs you in once if you lose your phone. They are shown only now.
account-recovery-saved = I have saved them
account-recovery-title = Your recovery codes
account-recovery-description = Recovery codes for your Bilten login.

## Deleting the account
account-delete-heading = Delete your account
account-delete-what-happens = What happens
account-delete-account-gone = Your account, your sessions and your organization memberships are deleted, and you are logged out everywhere.
account-delete-orders-stay = Your orders stay with the organizers you bought from, because they must keep accounting records (10 years under German commercial and tax law, HGB §257 and AO §147). Your name and email are removed from them, and from the names on their tickets.
account-delete-tickets-unlinked = Your tickets are no longer linked to you: download the ones you still need before you go.
account-delete-only-owner = If you are the only owner of an organization, make someone else an owner first.
account-delete-final = This cannot be undone.
account-delete-password = Your password
account-delete-password-hint = We ask for it so nobody else can delete your account from a device you left logged in.
account-delete-keep = Keep my account
account-delete-description = Delete your Bilten account.

## Invitations
invitation-heading = Join a team on Bilten
invitation-problem = This invitation cannot be accepted
invitation-intro-signed-in = You have been invited to help run an organization on Bilten. Accepting adds you to its team with the role you were invited as.
invitation-join = Join the team
invitation-intro-signed-out = You have been invited to help run an organization on Bilten. Use the email address the invitation was sent to:
invitation-title = Join a team
invitation-description = An invitation to an organization on Bilten.
