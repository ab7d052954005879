# Layout, Navigation, Formulare und Fehlerseiten: was alle Seiten teilen.

## Layout
skip-to-content = Zum Inhalt springen
nav-main = Hauptmenü
nav-events = Veranstaltungen
nav-my-tickets = Meine Tickets
nav-organize = Veranstalten
nav-account = Konto
nav-log-out = Abmelden
nav-log-in = Anmelden
nav-sign-up = Registrieren
footer-tagline = { $site } — Ticketverkauf mit offenem Quellcode.
footer-find-events = Veranstaltungen finden
language-switcher = Sprache

## Formulare
error-summary-title = Es gibt ein Problem
field-error-prefix = Fehler:

## Fehlerseiten
error-description = Bilten konnte diese Seite nicht anzeigen.
error-not-found-title = Seite nicht gefunden
error-not-found-heading = Diese Seite finden wir nicht
error-not-found-body = Vielleicht ist die Adresse falsch geschrieben, oder die Seite ist umgezogen.
error-not-found-link = Kommende Veranstaltungen ansehen
error-form-expired-title = Formular abgelaufen
error-form-expired-heading = Dieses Formular ist abgelaufen
error-form-expired-body = Zu Ihrer Sicherheit konnten wir dieses Formular nicht annehmen. Das passiert, wenn eine Seite lange offen war oder Cookies blockiert sind.
error-form-expired-retry = Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.
error-bad-request-title = Ungültige Anfrage
error-bad-request-heading = Diese Anfrage konnten wir nicht verstehen
error-home-link = Zur Startseite
error-unavailable-title = Vorübergehend nicht erreichbar
error-unavailable-heading = Bilten ist vorübergehend nicht erreichbar
error-unavailable-body = Unsere Server sind gerade nicht erreichbar. Bitte versuchen Sie es in einer Minute noch einmal.
error-internal-title = Etwas ist schiefgegangen
error-internal-heading = Entschuldigung, bei uns ist etwas schiefgegangen
error-internal-body = Wir wurden benachrichtigt. Bitte versuchen Sie es in einer Minute noch einmal.
error-internal-reference = Wenn Sie uns kontaktieren, nennen Sie bitte diese Referenz:

## Hinweise nach einer Weiterleitung (?notice=…)
notice-account-created = Ihr Konto ist eingerichtet. Wir haben Ihnen eine E-Mail geschickt, um Ihre Adresse zu bestätigen; melden Sie sich an, um fortzufahren.
notice-logged-out = Sie haben sich abgemeldet.
notice-logged-out-everywhere = Sie haben sich auf allen Geräten abgemeldet.
notice-session-ended = Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.
notice-name-saved = Ihr Name wurde gespeichert.
notice-password-changed = Ihr Passwort wurde geändert. Andere Geräte wurden abgemeldet.
notice-password-reset = Ihr Passwort wurde zurückgesetzt. Melden Sie sich mit dem neuen Passwort an.
notice-email-verified = Ihre E-Mail-Adresse ist bestätigt.
notice-verification-sent = Wir haben Ihnen eine neue Bestätigungs-E-Mail geschickt.
notice-sign-in-expired = Diese Anmeldung hat zu lange gedauert oder es wurden zu viele falsche Codes eingegeben. Melden Sie sich erneut an.
notice-two-factor-on = Die Zwei-Faktor-Anmeldung ist eingeschaltet.
notice-two-factor-off = Die Zwei-Faktor-Anmeldung ist ausgeschaltet.
notice-passkey-added = Der Passkey ist hinzugefügt. Sie können sich jetzt damit anmelden.
notice-passkey-removed = Der Passkey ist entfernt.
notice-account-deleted = Ihr Konto wurde gelöscht. Die Veranstalter behalten Ihre Bestellungen für ihre Buchhaltung, ohne Ihren Namen und Ihre E-Mail-Adresse.
notice-reset-sent = Falls es zu dieser E-Mail-Adresse ein Konto gibt, haben wir einen Link zum Zurücksetzen des Passworts geschickt.

## Daten und Geld
time-range-same-day = { $start }–{ $end } { $zone }
time-range = { $start } – { $end } { $zone }
date-time-zone = { $date_time } { $zone }
price-free = Kostenlos
