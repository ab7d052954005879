// Bilten — the only script: a live countdown for held tickets. Progressive enhancement: the page
// already states until when the tickets are held (server-rendered, in the event's time zone);
// this adds "mm:ss left" next to it (in the page's language: the element's
// data-countdown-text, e.g. "noch {time}", has the words) and reloads the page when the hold runs out, so the visitor
// sees the order's new state. Without JavaScript nothing is lost.
(function () {
  "use strict";
  var clocks = document.querySelectorAll("[data-countdown-until]");
  if (!clocks.length) { return; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // Reload only when a hold runs out while the page is open: a page whose clock already reads
  // zero (the browser's clock ahead of ours) must not reload in a loop.
  var running = false;
  function tick() {
    var now = Date.now();
    var finished = false;
    for (var i = 0; i < clocks.length; i++) {
      var until = Date.parse(clocks[i].getAttribute("data-countdown-until"));
      var left = Math.max(0, Math.round((until - now) / 1000));
      var text = clocks[i].getAttribute("data-countdown-text") || "{time}";
      clocks[i].textContent = text.replace("{time}", pad(Math.floor(left / 60)) + ":" + pad(left % 60));
      if (left === 0) { finished = true; } else { running = true; }
    }
    if (finished) { if (running) { window.location.reload(); } return; }
    window.setTimeout(tick, 1000);
  }
  tick();
})();
