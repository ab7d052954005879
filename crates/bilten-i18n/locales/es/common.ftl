# El diseño, la navegación, los formularios y las páginas de error: lo que comparten todas las páginas.

## Diseño
skip-to-content = Saltar al contenido principal
nav-main = Principal
nav-events = Eventos
nav-my-tickets = Mis entradas
nav-organize = Organizar
nav-account = Cuenta
nav-log-out = Cerrar sesión
nav-log-in = Iniciar sesión
nav-sign-up = Registrarse
footer-tagline = { $site } — venta de entradas de código abierto.
footer-find-events = Buscar eventos
language-switcher = Idioma

## Formularios
error-summary-title = Hay un problema
field-error-prefix = Error:

## Páginas de error
error-description = Bilten no ha podido mostrar esta página.
error-not-found-title = Página no encontrada
error-not-found-heading = No encontramos esa página
error-not-found-body = Puede que la dirección esté mal escrita o que la página se haya movido.
error-not-found-link = Ver los próximos eventos
error-form-expired-title = Formulario caducado
error-form-expired-heading = Ese formulario ha caducado
error-form-expired-body = Por tu seguridad no hemos podido aceptar ese formulario. Ocurre cuando una página lleva mucho tiempo abierta o las cookies están bloqueadas.
error-form-expired-retry = Vuelve atrás, recarga la página e inténtalo de nuevo.
error-bad-request-title = Solicitud incorrecta
error-bad-request-heading = No hemos entendido esa solicitud
error-home-link = Ir a la página de inicio
error-unavailable-title = No disponible temporalmente
error-unavailable-heading = Bilten no está disponible temporalmente
error-unavailable-body = Ahora mismo no podemos conectar con nuestros servidores. Vuelve a intentarlo dentro de un minuto.
error-internal-title = Algo ha salido mal
error-internal-heading = Lo sentimos, algo ha fallado por nuestra parte
error-internal-body = Ya nos han avisado. Vuelve a intentarlo dentro de un minuto.
error-internal-reference = Si te pones en contacto con nosotros, indica esta referencia:

## Avisos tras una redirección (?notice=…)
notice-account-created = Tu cuenta está lista. Te hemos enviado un correo para confirmar tu dirección; inicia sesión para continuar.
notice-logged-out = Has cerrado la sesión.
notice-logged-out-everywhere = Has cerrado la sesión en todos los dispositivos.
notice-session-ended = Tu sesión ha terminado. Vuelve a iniciar sesión.
notice-name-saved = Se ha guardado tu nombre.
notice-password-changed = Se ha cambiado tu contraseña. Se ha cerrado la sesión en los demás dispositivos.
notice-password-reset = Se ha restablecido tu contraseña. Inicia sesión con la nueva.
notice-email-verified = Tu dirección de correo está confirmada.
notice-verification-sent = Te hemos enviado un nuevo correo de confirmación.
notice-sign-in-expired = Ese inicio de sesión ha tardado demasiado o ha tenido demasiados códigos incorrectos. Vuelve a iniciar sesión.
notice-two-factor-on = El inicio de sesión en dos pasos está activado.
notice-two-factor-off = El inicio de sesión en dos pasos está desactivado.
notice-passkey-added = La llave de acceso está añadida. Ya puedes iniciar sesión con ella.
notice-passkey-removed = La llave de acceso está quitada.
notice-account-deleted = Tu cuenta se ha eliminado. Los organizadores conservan tus pedidos para su contabilidad, sin tu nombre ni tu correo.
notice-reset-sent = Si existe una cuenta con ese correo, le hemos enviado un enlace para restablecer la contraseña.

## Fechas y dinero
time-range-same-day = { $start }–{ $end } { $zone }
time-range = { $start } – { $end } { $zone }
date-time-zone = { $date_time } { $zone }
price-free = Gratis
