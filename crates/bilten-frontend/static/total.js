// Bilten — the running total of a ticket form. Progressive enhancement: the server renders the
// total of what was chosen (the "Review total" button computes it without JavaScript); this
// keeps it current as quantities change, formatted for the page's language. Prices come from
// each quantity's data-price-minor; Bilten charges buyers no fees.
(function () {
  "use strict";
  var box = document.getElementById("order-total");
  if (!box || !window.Intl) { return; }
  var form = box.closest("form");
  var count = box.querySelector("[data-total-count]");
  var amount = box.querySelector("[data-total-amount]");
  var exponent = parseInt(box.getAttribute("data-exponent"), 10) || 0;
  var money = new Intl.NumberFormat(box.getAttribute("data-lang") || undefined, {
    style: "currency",
    currency: box.getAttribute("data-currency"),
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent
  });
  function update() {
    var tickets = 0;
    var minor = 0;
    form.querySelectorAll("select[data-price-minor]").forEach(function (select) {
      var quantity = parseInt(select.value, 10) || 0;
      tickets += quantity;
      minor += quantity * (parseInt(select.getAttribute("data-price-minor"), 10) || 0);
    });
    count.textContent = String(tickets);
    amount.textContent = money.format(minor / Math.pow(10, exponent));
  }
  form.addEventListener("change", update);
})();
