// Show / hide the password (ASVS 2.1.12). Buttons exist only when JavaScript runs.
(function () {
  "use strict";
  document.querySelectorAll("input[type=password][data-toggle]").forEach(function (input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link-button password-toggle";
    button.textContent = input.dataset.showLabel;
    button.setAttribute("aria-controls", input.id);
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function () {
      var shown = input.type === "text";
      input.type = shown ? "password" : "text";
      button.textContent = shown ? input.dataset.showLabel : input.dataset.hideLabel;
      button.setAttribute("aria-pressed", shown ? "false" : "true");
    });
    input.insertAdjacentElement("afterend", button);
  });
})();
