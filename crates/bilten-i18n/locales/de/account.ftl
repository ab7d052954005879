# Konten: Registrierung, Anmeldung, Passwörter, die Kontoseite, Einladungen.

## Registrierung und Anmeldung
auth-name = Name
auth-name-hint = So, wie er auf Ihren Tickets stehen soll.
auth-password = Passwort
auth-password-hint = Mindestens 8 Zeichen. Einige nicht zusammenhängende Wörter ergeben ein starkes Passwort.
auth-signup-heading = Konto erstellen
auth-signup-submit = Konto erstellen
auth-signup-description = Erstellen Sie ein Bilten-Konto, um Tickets zu kaufen und aufzubewahren.
auth-have-account = Sie haben schon ein Konto?
auth-login-description = Melden Sie sich bei Bilten an, um Ihre Tickets und Ihr Konto zu sehen.
auth-forgot-link = Passwort vergessen?
auth-new-here = Neu bei Bilten?
auth-create-account-link = Konto erstellen
auth-code = Code
auth-code-heading = Anmeldecode eingeben
auth-code-intro = Öffnen Sie Ihre Authenticator-App und geben Sie den 6-stelligen Code ein, den sie für Bilten anzeigt. Handy verloren? Geben Sie stattdessen einen Ihrer Wiederherstellungscodes ein.
auth-code-hint = 6 Ziffern oder ein Wiederherstellungscode wie abcde-23456.
auth-code-description = Der zweite Schritt der Anmeldung bei Bilten.
auth-start-again = Neu beginnen
auth-go-to-account = Zu Ihrem Konto
auth-browse-events = Veranstaltungen ansehen

## E-Mail-Bestätigung
auth-verify-heading = E-Mail-Adresse bestätigen
auth-verify-intro = Klicken Sie auf die Schaltfläche, um zu bestätigen, dass diese E-Mail-Adresse Ihnen gehört.
auth-verify-submit = Meine E-Mail-Adresse bestätigen
auth-verify-title = E-Mail bestätigen
auth-verify-description = Bestätigen Sie Ihre E-Mail-Adresse für Bilten.
auth-link-incomplete = Dieser Link ist unvollständig
auth-link-incomplete-verify = Öffnen Sie den Link aus der E-Mail erneut, oder kopieren Sie die ganze Adresse in den Browser.
auth-link-incomplete-reset = Öffnen Sie den Link aus der E-Mail erneut, oder fordern Sie einen neuen an.
auth-link-expired = Dieser Link ist abgelaufen
auth-link-expired-verify = Der Bestätigungslink ist abgelaufen oder wurde schon verwendet. Melden Sie sich an und fordern Sie auf Ihrer Kontoseite einen neuen an.

## Passwort vergessen
auth-forgot-heading = Passwort zurücksetzen
auth-forgot-intro = Geben Sie die E-Mail-Adresse Ihres Kontos ein, und wir schicken Ihnen einen Link, mit dem Sie ein neues Passwort wählen können.
auth-forgot-submit = Link senden
auth-back-to-login = Zurück zur Anmeldung
auth-forgot-title = Passwort vergessen
auth-forgot-description = Erhalten Sie einen Link, um Ihr Bilten-Passwort zurückzusetzen.
auth-new-password = Neues Passwort
auth-reset-heading = Neues Passwort wählen
auth-reset-new-link = Neuen Link zum Zurücksetzen anfordern
auth-reset-hint = Mindestens 8 Zeichen. Alle Geräte, die bei Ihrem Konto angemeldet sind, werden abgemeldet.
auth-reset-submit = Neues Passwort speichern
auth-reset-description = Wählen Sie ein neues Passwort für Ihr Bilten-Konto.

## Die Kontoseite
nav-account-title = Ihr Konto
account-description = Ihr Bilten-Profil, Ihr Passwort und Ihre Sitzungen.
account-profile = Profil
account-email-label = E-Mail-Adresse:
account-email-confirmed = bestätigt
account-email-unconfirmed = Ihre E-Mail-Adresse ist noch nicht bestätigt. Öffnen Sie den Link, den wir Ihnen geschickt haben.
account-resend-confirmation = Bestätigungs-E-Mail erneut senden
account-save-name = Name speichern
account-current-password = Aktuelles Passwort
account-new-password-hint = Mindestens 8 Zeichen. Ihre anderen Geräte werden abgemeldet.
account-change-password = Passwort ändern
account-sessions = Wo Sie angemeldet sind
account-logout-everywhere = Überall abmelden
account-unknown-browser = Unbekannter Browser
account-this-device = dieses Gerät
account-session-times = Angemeldet { $created }, zuletzt aktiv { $last_used }
account-session-from = , von { $ip }
account-two-factor = Zwei-Faktor-Anmeldung
account-two-factor-on-badge = an
account-two-factor-on = Bei der Anmeldung wird nach dem Passwort ein Code aus Ihrer Authenticator-App abgefragt.
account-recovery-codes-left = { $count ->
    [one] { $count } Wiederherstellungscode übrig.
   *[other] { $count } Wiederherstellungscodes übrig.
}
account-two-factor-code = Code aus Ihrer App (oder ein Wiederherstellungscode)
account-two-factor-code-hint = Nötig für neue Wiederherstellungscodes oder um die Zwei-Faktor-Anmeldung auszuschalten.
account-new-recovery-codes = Neue Wiederherstellungscodes
account-two-factor-turn-off = Zwei-Faktor-Anmeldung ausschalten
account-two-factor-pitch = Schützen Sie Ihr Konto mit einem zweiten Schritt bei der Anmeldung: einem 6-stelligen Code aus einer Authenticator-App auf Ihrem Handy. Manche Organisationen verlangen das von ihrem Team.
account-two-factor-set-up = Zwei-Faktor-Anmeldung einrichten
account-passkeys = Passkeys
account-passkeys-pitch = Melden Sie sich mit Fingerabdruck, Gesicht oder Bildschirmsperre an statt mit einem Passwort. Ein Passkey gilt als Zwei-Faktor-Anmeldung, wo eine Organisation sie verlangt.
account-passkeys-none = Noch keine Passkeys.
account-passkey-added = Hinzugefügt { $created }
account-passkey-last-used = , zuletzt benutzt { $last_used }
account-passkey-remove = Entfernen
account-passkey-remove-label = Den Passkey { $name } entfernen
account-passkey-name = Name des Passkeys
account-passkey-name-hint = Damit Sie Ihre Passkeys auseinanderhalten, zum Beispiel „Laptop“ oder „Handy“.
account-passkey-add = Passkey hinzufügen
account-passkey-unsupported = Dieser Browser kann hier keine Passkeys anlegen (dafür braucht er JavaScript und Passkey-Unterstützung).
passkey-failed = Der Passkey hat nicht funktioniert. Versuchen Sie es noch einmal oder nehmen Sie Ihr Passwort.
auth-passkey-heading = Oder mit einem Passkey anmelden
auth-passkey-submit = Mit einem Passkey anmelden
account-data = Ihre Daten
account-data-export-intro = Laden Sie alles herunter, was wir über Sie speichern — Ihr Profil, Ihre Organisationen, Bestellungen mit ihren Tickets und Sitzungen — als JSON-Datei.
account-data-export = Meine Daten herunterladen
account-delete-intro = Das Löschen Ihres Kontos lässt sich nicht rückgängig machen. Die nächste Seite erklärt, was entfernt wird und was die Veranstalter behalten.
account-delete = Mein Konto löschen

## Zwei-Faktor-Einrichtung
account-enrol-code = Code aus der App
account-enrol-step-app = Öffnen Sie eine Authenticator-App auf Ihrem Handy (zum Beispiel Aegis, Google Authenticator oder 1Password) und fügen Sie ein Konto hinzu.
account-enrol-step-scan = Scannen Sie diesen QR-Code, oder geben Sie den Schlüssel unten ein.
account-enrol-step-code = Geben Sie den 6-stelligen Code ein, den die App anzeigt.
account-enrol-qr-label = QR-Code für Ihre Authenticator-App
account-enrol-key = Schlüssel:
account-enrol-again-before = Geben Sie den Code ein, den Ihre Authenticator-App jetzt für Bilten anzeigt, oder
account-enrol-start-over = beginnen Sie neu
account-enrol-again-after = mit einem neuen QR-Code.
account-enrol-code-hint = 6 Ziffern; alle 30 Sekunden ein neuer.
account-enrol-submit = Einschalten
account-enrol-description = Fügen Sie Ihrer Bilten-Anmeldung einen zweiten Schritt hinzu.
account-recovery-intro = Bewahren Sie diese Wiederherstellungscodes an einem sicheren Ort auf (ausgedruckt oder in einem Passwortmanager). Jeder meldet Sie einmal an, falls Sie Ihr Handy verlieren. Sie werden nur jetzt angezeigt.
account-recovery-saved = Ich habe sie gespeichert
account-recovery-title = Ihre Wiederherstellungscodes
account-recovery-description = Wiederherstellungscodes für Ihre Bilten-Anmeldung.

## Konto löschen
account-delete-heading = Konto löschen
account-delete-what-happens = Was passiert
account-delete-account-gone = Ihr Konto, Ihre Sitzungen und Ihre Mitgliedschaften in Organisationen werden gelöscht, und Sie werden überall abgemeldet.
account-delete-orders-stay = Ihre Bestellungen bleiben bei den Veranstaltern, bei denen Sie gekauft haben, weil diese Buchhaltungsunterlagen aufbewahren müssen (10 Jahre nach deutschem Handels- und Steuerrecht, HGB §257 und AO §147). Ihr Name und Ihre E-Mail-Adresse werden daraus entfernt, ebenso aus den Namen auf deren Tickets.
account-delete-tickets-unlinked = Ihre Tickets sind nicht mehr mit Ihnen verknüpft: Laden Sie die herunter, die Sie noch brauchen, bevor Sie gehen.
account-delete-only-owner = Wenn Sie der einzige Inhaber einer Organisation sind, machen Sie zuerst jemand anderen zum Inhaber.
account-delete-final = Das lässt sich nicht rückgängig machen.
account-delete-password = Ihr Passwort
account-delete-password-hint = Wir fragen danach, damit niemand sonst Ihr Konto von einem Gerät löschen kann, auf dem Sie angemeldet geblieben sind.
account-delete-keep = Mein Konto behalten
account-delete-description = Löschen Sie Ihr Bilten-Konto.

## Einladungen
invitation-heading = Einem Team auf Bilten beitreten
invitation-problem = Diese Einladung kann nicht angenommen werden
invitation-intro-signed-in = Sie wurden eingeladen, eine Organisation auf Bilten mitzuverwalten. Wenn Sie annehmen, werden Sie mit der Rolle, für die Sie eingeladen wurden, ins Team aufgenommen.
invitation-join = Dem Team beitreten
invitation-intro-signed-out = Sie wurden eingeladen, eine Organisation auf Bilten mitzuverwalten. Verwenden Sie die E-Mail-Adresse, an die die Einladung ging:
invitation-title = Einem Team beitreten
invitation-description = Eine Einladung zu einer Organisation auf Bilten.
