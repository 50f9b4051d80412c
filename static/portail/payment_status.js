// « Paiement en cours… »: with JavaScript the page asks the server for its news every few
// seconds and, once the payment has ended, shows the result in place — no reload while the
// payment runs, so the reader keeps their position and focus. Without JavaScript the page
// reloads itself (a <noscript> refresh). Either way « Arrêter la mise à jour automatique »
// stops it (RGAA 13.1), and « Mettre à jour maintenant » asks at once.
(function () {
  "use strict";
  var status = document.querySelector("[data-refresh-url]");
  if (!status || !window.fetch || !window.DOMParser) { return; }
  var url = status.getAttribute("data-refresh-url");
  var delay = (parseInt(status.getAttribute("data-refresh-seconds"), 10) || 3) * 1000;

  function later() { window.setTimeout(check, delay); }

  function show(page) {
    var fresh = page.querySelector("main");
    var current = document.querySelector("main");
    if (!fresh || !current) { window.location.reload(); return; }
    current.innerHTML = fresh.innerHTML;
    document.title = page.title;
    var heading = current.querySelector("h1");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  }

  function check() {
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { later(); return; }
        var page = new window.DOMParser().parseFromString(html, "text/html");
        if (page.querySelector("[data-payment-running]")) { later(); return; }
        show(page);
      })
      .catch(later);
  }

  later();
})();
