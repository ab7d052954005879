# Las páginas del comprador: eventos, compra, pedidos y entradas.

## Inicio y búsqueda
home-title = Próximos eventos
home-description = Encuentra conciertos, conferencias, talleres y mucho más, y compra entradas en Bilten.
home-search-results = Resultados de la búsqueda
home-coming-up = Próximamente
home-no-match = Ningún evento coincide con tu búsqueda.
home-show-all = Ver todos los próximos eventos
home-no-events = Todavía no hay eventos. Los eventos que publiquen los organizadores aparecerán aquí.
home-more-events = Más eventos
search-label = Buscar eventos
search-what = Qué
search-city = Ciudad
search-from = Desde
search-to = Hasta
search-category = Categoría
search-price = Precio
search-submit = Buscar
search-any-category = Cualquier categoría
search-free-or-paid = Gratis o de pago
search-free = Gratis
search-paid = De pago
search-date-invalid = Escribe una fecha como 2026-12-31.
search-date-before-start = La fecha final es anterior a la inicial.

## Categorías
category-music = Música
category-sports = Deportes
category-theatre = Teatro
category-conference = Conferencia
category-festival = Festival
category-comedy = Comedia
category-family = Familia
category-workshop = Taller
category-other = Otros

## La página del evento
event-online = En línea
event-online-lower = en línea
event-online-label = En línea:
event-summary = { $title } — { $date_time }, { $place }. Entradas en Bilten.
event-open-map = Abrir el mapa
event-map-of = de { $venue }
event-status-draft = Borrador
event-status-canceled = Cancelado
event-times-in-zone = Las horas están en la zona horaria del evento ({ $zone }).
event-about = Sobre el evento
event-canceled-notice = Este evento se ha cancelado. Ya no se venden entradas.
event-ended-notice = Este evento ha terminado.

## Entradas en la página del evento
tickets-title = Entradas
tickets-none-yet = Las entradas todavía no están a la venta.
tickets-none-on-sale = Ahora mismo no hay entradas a la venta.
tickets-sold-out = Agotadas
tickets-on-sale-from = A la venta desde { $date_time }
tickets-not-on-sale-yet = Todavía no están a la venta
tickets-sales-ended = La venta ha terminado
tickets-left = { $count ->
    [one] Solo queda { $count }
   *[other] Solo quedan { $count }
}
tickets-available = { $count } disponibles
tickets-quantity = Cantidad
tickets-quantity-of = de { $ticket_type }
tickets-names-summary = Nombres en las entradas (opcional)
tickets-names-hint = Cada entrada lleva el nombre de su titular; las que dejes en blanco llevarán el del comprador. Puedes cambiarlos hasta que empiece el evento.
tickets-ticket-n = Entrada { $n }

## Compra
checkout-your-name = Tu nombre
checkout-email = Correo electrónico
checkout-email-hint = Aquí te enviamos las entradas y un enlace a ellas.
checkout-promo-code = Código promocional
checkout-promo-code-optional = Código promocional (opcional)
checkout-tickets-in-account-before = Las entradas estarán en
checkout-tickets-in-account-after = de tu cuenta.
checkout-your-details = Tus datos
checkout-have-account = ¿Tienes una cuenta?
checkout-have-account-after = para guardar allí las entradas.
checkout-continue = Continuar
checkout-held-for = Te reservamos las entradas durante { $minutes } minutos mientras pagas.
checkout-choose-quantity = Elige cuántas entradas quieres.

## La página del pedido
order-notice-canceled = Tu pedido se ha cancelado y las entradas se han liberado.
order-notice-paid = Tus entradas están listas.
order-notice-renamed = La entrada se ha vuelto a emitir con el nuevo nombre; la anterior ya no es válida.
order-notice-expired = La reserva de estas entradas ha caducado. Vuelve a elegirlas.
order-notice-not-pending = Este pedido ya no se puede pagar.
order-notice-payment-failed = El pago no se ha completado. Puedes volver a intentarlo mientras las entradas sigan reservadas.
order-lines-caption = Entradas de este pedido
order-col-ticket = Entrada
order-col-quantity = Cantidad
order-col-price = Precio
order-col-total = Total
order-discount = Descuento
order-pending-title = Completa tu pedido
order-held-until = Tus entradas están reservadas hasta las
order-held-until-after = .
order-countdown = quedan { $time }
order-released-after = Después se liberarán para otros compradores.
order-paid-title = ¡Ya tienes tus entradas!
order-confirmed-sent-to = Tu pedido está confirmado. Hemos enviado las entradas a
order-confirmed-sent-to-after = .
order-expired-title = Este pedido ha caducado
order-expired-body = Las entradas estaban reservadas durante un tiempo limitado y se han liberado.
order-choose-again = Volver a elegir entradas
order-canceled-title = Este pedido se canceló
order-back-to-event = Volver al evento
order-title = Tu pedido
order-status = Estado: { $status }
order-label = Pedido
order-get-tickets = Obtener las entradas
order-pay = Pagar { $amount }
order-cancel = Cancelar y liberar las entradas
order-page-title = Pedido para { $event }
order-page-description = Tu pedido en Bilten.

## Entradas y «Mis entradas»
ticket-status-valid = Válida
ticket-status-revoked = Revocada
ticket-status-canceled = Cancelada
ticket-no-longer-admits = Esta entrada ya no da acceso.
ticket-download-pdf = Descargar PDF
ticket-pdf-of = de la entrada { $ticket_type }
ticket-rename-summary = Cambiar el nombre de esta entrada
ticket-attendee-name = Nombre del asistente
ticket-rename-submit = Volver a emitir con este nombre
ticket-qr-alt = Código QR de la entrada { $ticket_type } para { $event }
my-tickets-empty = Todavía no tienes entradas. Las que compres aparecerán aquí, listas para enseñarlas en la entrada.
my-tickets-show-qr = Enseña el código QR en la entrada, en el móvil o impreso.
my-tickets-older = Entradas anteriores
my-tickets-description = Tus entradas en Bilten.
my-orders-title = Tus pedidos
my-orders-empty = Todavía no hay pedidos.
my-orders-col-event = Evento
my-orders-col-when = Cuándo
my-orders-description = Tus pedidos en Bilten.

# Storefront: event page, organizer page, embedded checkout
checkout-total-title = Tus entradas
checkout-total-tickets = Entradas
checkout-total-fees = Gastos de gestión
checkout-total = Total
checkout-total-hint = Sin gastos de gestión: pagas el total. Un código promocional se aplica en el siguiente paso.
checkout-review = Ver el total
event-sold-out-notice = Este evento está agotado.
event-cover-alt = Imagen de portada de «{ $title }»
event-organized-by = Organizado por
event-when-where = Fecha y lugar
event-add-to-calendar = Añadir al calendario (.ics)
organizer-page-kicker = Organizador
organizer-page-description = Próximos eventos de { $name }.
organizer-upcoming = Próximos eventos
organizer-no-events = Ahora mismo no hay próximos eventos.
embed-title = Entradas: { $title }
embed-continue = Continuar con la compra
embed-new-tab = (se abre en una pestaña nueva)
embed-open-event = Abrir la página del evento
