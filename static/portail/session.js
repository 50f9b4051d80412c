// Warns before the idle session ends (RGAA 13.1) and lets the person extend it. Without
// JavaScript the page still works: the session simply ends after the idle time.
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.dataset.sessionIdleSeconds || "0", 10);
  var warning = parseInt(body.dataset.sessionWarningSeconds || "0", 10);
  var box = document.getElementById("session-warning");
  if (!idle || !box) { return; }
  var delay = Math.max(idle - warning, 0) * 1000;
  window.setTimeout(function () {
    box.hidden = false;
    var button = box.querySelector("button");
    if (button) { button.focus(); }
  }, delay);
})();
