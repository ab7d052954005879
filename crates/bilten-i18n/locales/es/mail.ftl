# Los correos al comprador y las entradas impresas, en el idioma en que se hizo el pedido.

## Confirmación del pedido
mail-sent-by = Enviado por Bilten.
mail-hello = Hola, { $name }:
mail-confirmation-subject = Tus entradas para { $event }
mail-confirmation-intro = Gracias por tu pedido { $order }. Adjuntamos tus entradas para { $event } en archivos PDF; enseña el código QR en la entrada, impreso o en el móvil.
mail-confirmation-intro-html = Gracias por tu pedido { $order }. Adjuntamos tus entradas en archivos PDF; enseña el código QR en la entrada, impreso o en el móvil.
mail-when = Cuándo:
mail-where = Dónde:
mail-total = Total:
mail-ticket-line = Entrada { $n }: { $ticket_type } para { $holder } ({ $ticket }, { $file })
mail-ticket-heading = Entrada { $n }: { $ticket_type }
mail-ticket-qr-alt = Código QR de la entrada { $n }
mail-order-online = Tu pedido en línea: { $link }
mail-order-online-link = Ver tu pedido en línea
mail-when-range = { $start } – { $end } ({ $zone })
mail-online = En línea: { $url }

## Reembolsos, pagos devueltos y cancelaciones
mail-refund-subject = Reembolso de { $event }
mail-refunded-order = El organizador de { $event } ha reembolsado tu pedido: { $amount } vuelven a tu medio de pago.
mail-refunded-tickets = { $count ->
    [one] El organizador de { $event } ha reembolsado { $count } entrada de tu pedido: { $amount } vuelven a tu medio de pago.
   *[other] El organizador de { $event } ha reembolsado { $count } entradas de tu pedido: { $amount } vuelven a tu medio de pago.
}
mail-refunded-amount = El organizador de { $event } ha reembolsado { $amount } de tu pedido; el importe vuelve a tu medio de pago.
mail-refund-tickets-unchanged = Tus entradas no cambian.
mail-refund-tickets-invalid = Las entradas reembolsadas ya no son válidas; las demás siguen siéndolo.
mail-returned-subject = Se ha reembolsado tu pago para { $event }
mail-returned-sold-out = Tu pago llegó cuando la reserva de tus entradas ya había caducado, y mientras tanto se agotaron.
mail-returned-already-paid = Tu pedido ya se había pagado con otro pago.
mail-returned-order-closed = Tu pedido se había cancelado antes de que llegara el pago.
mail-returned-amount = El importe completo, { $amount }, vuelve a tu medio de pago.
mail-returned-no-ticket = No se emitió ninguna entrada por este pago.
mail-canceled-subject = { $event } se ha cancelado
mail-canceled-intro = Lo sentimos: el organizador ha cancelado { $event }.
mail-canceled-refund = Recibirás el reembolso completo de { $amount } en tu medio de pago.
mail-canceled-free = Tus entradas eran gratuitas, así que no hay nada que reembolsar.
mail-canceled-unpaid = Tu pedido no se había pagado, así que no se cobró nada.
mail-canceled-tickets-invalid = Tus entradas para este evento ya no son válidas.

## Correos de la cuenta, en el idioma de la página que los originó
mail-verify-subject = Confirma tu dirección de correo
mail-verify-intro = Confirma tu dirección de correo abriendo este enlace:
mail-verify-button = Confirmar mi correo
mail-verify-expiry = El enlace funciona durante 48 horas. Si no creaste una cuenta en Bilten, ignora este correo.
mail-reset-subject = Restablece tu contraseña
mail-reset-intro = Alguien pidió restablecer la contraseña de tu cuenta de Bilten. Para elegir una contraseña nueva, abre este enlace:
mail-reset-button = Elegir una contraseña nueva
mail-reset-expiry = El enlace funciona durante una hora y una sola vez. Si no fuiste tú, ignora este correo; tu contraseña sigue igual.
mail-invitation-subject = { $inviter } te ha invitado a { $organization } en Bilten
mail-invitation-hello = Hola:
mail-invitation-intro = { $inviter } te ha invitado a unirte a { $organization } en Bilten como { $role }.
mail-invitation-how = Para aceptar, abre este enlace y regístrate (o inicia sesión) con esta dirección de correo:
mail-invitation-button = Aceptar la invitación
mail-invitation-expiry = El enlace funciona durante 7 días. Si no lo esperabas, ignora este correo.

## La entrada en PDF
pdf-ticket-heading = ENTRADA
pdf-holder = Titular
pdf-ticket-type = Tipo de entrada
pdf-ticket-id = Entrada { $id }
pdf-order-id = Pedido { $id }
