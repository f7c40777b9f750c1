// Counts the access token's lifetime down once a second. The page already says how long is left
// when it is served, so without JavaScript it is merely not live.
(function () {
  "use strict";
  var el = document.getElementById("countdown");
  if (!el) return;
  var expiresAt = Number(el.getAttribute("data-expires-at"));
  if (!isFinite(expiresAt) || expiresAt <= 0) return;

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  // The same words the server renders (see countdown_text in src/routes/token.rs).
  function text(left) {
    if (left <= 0) return "expired";
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    return "in " + (h > 0 ? h + ":" + pad(m) : String(m)) + ":" + pad(s);
  }

  function tick() {
    var left = Math.max(0, Math.floor((expiresAt - Date.now()) / 1000));
    el.textContent = text(left);
    el.setAttribute("data-live", "true");
    if (left > 0) setTimeout(tick, 1000 - (Date.now() % 1000));
  }
  tick();
})();
