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

## La entrada en PDF
pdf-ticket-heading = ENTRADA
pdf-holder = Titular
pdf-ticket-type = Tipo de entrada
pdf-ticket-id = Entrada { $id }
pdf-order-id = Pedido { $id }
