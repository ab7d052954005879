# Cuentas: registro, inicio de sesión, contraseñas, la página de la cuenta, invitaciones.

## Registro e inicio de sesión
auth-name = Nombre
auth-name-hint = Tal como debe aparecer en tus entradas.
auth-password = Contraseña
auth-password-hint = Al menos 8 caracteres. Unas cuantas palabras sin relación entre sí forman una contraseña segura.
auth-signup-heading = Crea tu cuenta
auth-signup-submit = Crear cuenta
auth-signup-description = Crea una cuenta en Bilten para comprar y guardar tus entradas.
auth-have-account = ¿Ya tienes una cuenta?
auth-login-description = Inicia sesión en Bilten para ver tus entradas y tu cuenta.
auth-forgot-link = ¿Has olvidado tu contraseña?
auth-new-here = ¿Eres nuevo en Bilten?
auth-create-account-link = Crear una cuenta
auth-code = Código
auth-code-heading = Introduce tu código de acceso
auth-code-intro = Abre tu aplicación de autenticación y escribe el código de 6 dígitos que muestra para Bilten. ¿Has perdido el móvil? Escribe en su lugar uno de tus códigos de recuperación.
auth-code-hint = 6 dígitos, o un código de recuperación como abcde-23456.
auth-code-description = El segundo paso para iniciar sesión en Bilten.
auth-start-again = Empezar de nuevo
auth-go-to-account = Ir a tu cuenta
auth-browse-events = Ver eventos

## Confirmación del correo
auth-verify-heading = Confirma tu dirección de correo
auth-verify-intro = Pulsa el botón para confirmar que esta dirección de correo es tuya.
auth-verify-submit = Confirmar mi correo
auth-verify-title = Confirma tu correo
auth-verify-description = Confirma tu dirección de correo para Bilten.
auth-link-incomplete = Este enlace está incompleto
auth-link-incomplete-verify = Vuelve a abrir el enlace del correo o copia la dirección completa en el navegador.
auth-link-incomplete-reset = Vuelve a abrir el enlace del correo o pide uno nuevo.
auth-link-expired = Este enlace ha caducado
auth-link-expired-verify = El enlace de confirmación ha caducado o ya se ha usado. Inicia sesión y pide uno nuevo desde la página de tu cuenta.

## Contraseña olvidada
auth-forgot-heading = Restablece tu contraseña
auth-forgot-intro = Escribe la dirección de correo de tu cuenta y te enviaremos un enlace para elegir una contraseña nueva.
auth-forgot-submit = Enviar el enlace
auth-back-to-login = Volver a iniciar sesión
auth-forgot-title = Has olvidado tu contraseña
auth-forgot-description = Recibe un enlace para restablecer tu contraseña de Bilten.
auth-new-password = Contraseña nueva
auth-reset-heading = Elige una contraseña nueva
auth-reset-new-link = Pedir un nuevo enlace para restablecerla
auth-reset-hint = Al menos 8 caracteres. Se cerrará la sesión en todos los dispositivos conectados a tu cuenta.
auth-reset-submit = Guardar la contraseña nueva
auth-reset-description = Elige una contraseña nueva para tu cuenta de Bilten.

## La página de la cuenta
nav-account-title = Tu cuenta
account-description = Tu perfil, tu contraseña y tus sesiones de Bilten.
account-profile = Perfil
account-email-label = Correo electrónico:
account-email-confirmed = confirmado
account-email-unconfirmed = Tu dirección de correo todavía no está confirmada. Abre el enlace que te enviamos.
account-resend-confirmation = Volver a enviar el correo de confirmación
account-save-name = Guardar el nombre
account-current-password = Contraseña actual
account-new-password-hint = Al menos 8 caracteres. Se cerrará la sesión en tus demás dispositivos.
account-change-password = Cambiar la contraseña
account-sessions = Dónde tienes la sesión iniciada
account-logout-everywhere = Cerrar sesión en todas partes
account-unknown-browser = Navegador desconocido
account-this-device = este dispositivo
account-session-times = Sesión iniciada { $created }, última actividad { $last_used }
account-session-from = , desde { $ip }
account-two-factor = Inicio de sesión en dos pasos
account-two-factor-on-badge = activado
account-two-factor-on = Al iniciar sesión, después de la contraseña se pide un código de tu aplicación de autenticación.
account-recovery-codes-left = { $count ->
    [one] Te queda { $count } código de recuperación.
   *[other] Te quedan { $count } códigos de recuperación.
}
account-two-factor-code = Código de tu aplicación (o un código de recuperación)
account-two-factor-code-hint = Necesario para obtener códigos de recuperación nuevos o para desactivar el inicio de sesión en dos pasos.
account-new-recovery-codes = Códigos de recuperación nuevos
account-two-factor-turn-off = Desactivar el inicio de sesión en dos pasos
account-two-factor-pitch = Protege tu cuenta con un segundo paso al iniciar sesión: un código de 6 dígitos de una aplicación de autenticación en tu móvil. Algunas organizaciones lo exigen a su equipo.
account-two-factor-set-up = Configurar el inicio de sesión en dos pasos
account-passkeys = Llaves de acceso
account-passkeys-pitch = Inicia sesión con tu huella, tu cara o el bloqueo de pantalla en lugar de una contraseña. Una llave de acceso cuenta como inicio de sesión en dos pasos donde una organización lo exige.
account-passkeys-none = Todavía no hay llaves de acceso.
account-passkey-added = Añadida { $created }
account-passkey-last-used = , usada por última vez { $last_used }
account-passkey-remove = Quitar
account-passkey-remove-label = Quitar la llave de acceso { $name }
account-passkey-name = Nombre de la llave de acceso
account-passkey-name-hint = Para distinguir tus llaves de acceso, por ejemplo «Portátil» o «Móvil».
account-passkey-add = Añadir una llave de acceso
account-passkey-unsupported = Este navegador no puede crear llaves de acceso aquí (necesita JavaScript y compatibilidad con llaves de acceso).
passkey-failed = La llave de acceso no funcionó. Inténtalo de nuevo o usa tu contraseña.
auth-passkey-heading = O inicia sesión con una llave de acceso
auth-passkey-submit = Iniciar sesión con una llave de acceso
account-data = Tus datos
account-data-export-intro = Descarga todo lo que guardamos sobre ti —tu perfil, tus organizaciones, tus pedidos con sus entradas y tus sesiones— en un archivo JSON.
account-data-export = Descargar mis datos
account-delete-intro = Eliminar tu cuenta no se puede deshacer. En la página siguiente se explica qué se borra y qué conservan los organizadores.
account-delete = Eliminar mi cuenta

## Configuración en dos pasos
account-enrol-code = Código de la aplicación
account-enrol-step-app = Abre una aplicación de autenticación en tu móvil (por ejemplo Aegis, Google Authenticator o 1Password) y añade una cuenta.
account-enrol-step-scan = Escanea este código QR o escribe la clave de abajo.
account-enrol-step-code = Escribe el código de 6 dígitos que muestra la aplicación.
account-enrol-qr-label = Código QR para tu aplicación de autenticación
account-enrol-key = Clave:
account-enrol-again-before = Escribe el código que muestra ahora tu aplicación de autenticación para Bilten, o
account-enrol-start-over = empieza de nuevo
account-enrol-again-after = con un código QR nuevo.
account-enrol-code-hint = 6 dígitos; uno nuevo cada 30 segundos.
account-enrol-submit = Activar
account-enrol-description = Añade un segundo paso al inicio de sesión en Bilten.
account-recovery-intro = Guarda estos códigos de recuperación en un lugar seguro (imprímelos o guárdalos en un gestor de contraseñas). Cada uno te permite iniciar sesión una vez si pierdes el móvil. Solo se muestran ahora.
account-recovery-saved = Ya los he guardado
account-recovery-title = Tus códigos de recuperación
account-recovery-description = Códigos de recuperación para iniciar sesión en Bilten.

## Eliminar la cuenta
account-delete-heading = Eliminar tu cuenta
account-delete-what-happens = Qué ocurre
account-delete-account-gone = Se eliminan tu cuenta, tus sesiones y tu pertenencia a organizaciones, y se cierra tu sesión en todas partes.
account-delete-orders-stay = Tus pedidos se quedan con los organizadores a los que compraste, porque deben conservar sus registros contables (10 años según la legislación mercantil y fiscal alemana, HGB §257 y AO §147). Se borran de ellos tu nombre y tu correo, y también de los nombres de sus entradas.
account-delete-tickets-unlinked = Tus entradas dejan de estar vinculadas a ti: descarga las que todavía necesites antes de irte.
account-delete-only-owner = Si eres el único propietario de una organización, nombra antes a otra persona propietaria.
account-delete-final = Esto no se puede deshacer.
account-delete-password = Tu contraseña
account-delete-password-hint = Te la pedimos para que nadie más pueda eliminar tu cuenta desde un dispositivo en el que dejaste la sesión iniciada.
account-delete-keep = Conservar mi cuenta
account-delete-description = Elimina tu cuenta de Bilten.

## Invitaciones
invitation-heading = Únete a un equipo en Bilten
invitation-problem = Esta invitación no se puede aceptar
invitation-intro-signed-in = Te han invitado a ayudar a gestionar una organización en Bilten. Si aceptas, entrarás en su equipo con el rol para el que te invitaron.
invitation-join = Unirme al equipo
invitation-intro-signed-out = Te han invitado a ayudar a gestionar una organización en Bilten. Usa la dirección de correo a la que se envió la invitación:
invitation-title = Únete a un equipo
invitation-description = Una invitación a una organización en Bilten.
