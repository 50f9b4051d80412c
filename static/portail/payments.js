// Online payment pages. Without JavaScript they work the same: the family presses the
// button. With it, a form is sent once only (a second click does nothing; the server refuses
// a second attempt anyway), and the signed form of a payment service is sent by itself.
(function () {
  "use strict";
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
      });
    });
  });
  var automatic = document.querySelector("form[data-autosubmit]");
  if (automatic) { automatic.requestSubmit ? automatic.requestSubmit() : automatic.submit(); }
})();
