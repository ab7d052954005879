// Bilten — live availability on an event page. Progressive enhancement: the page already shows
// each ticket type's availability as it was when rendered; this refreshes those lines every
// 20 seconds from the frontend's own /events/{id}/availability.json while the tab is visible,
// so a buyer watching an on-sale sees tickets go. Without JavaScript nothing is lost, and the
// checkout itself is always decided by the server.
(function () {
  "use strict";
  var list = document.querySelector("[data-availability-url]");
  if (!list || !window.fetch) { return; }
  var url = list.getAttribute("data-availability-url");
  function refresh() {
    if (document.hidden) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body || !body.ticket_types) { return; }
        body.ticket_types.forEach(function (ticket) {
          var line = list.querySelector('[data-availability-of="' + ticket.id + '"]');
          if (line && line.textContent !== ticket.text) { line.textContent = ticket.text; }
        });
      })
      .catch(function () { /* offline or busy: keep what is shown */ });
  }
  window.setInterval(refresh, 20000);
})();
