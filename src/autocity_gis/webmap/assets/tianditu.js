// Where the autocity-gis web map gets a Tianditu key: written into the page (only when the
// planner asked for it), the page address (#tk=KEY), this tab's session, or the reader.
(function () {
  "use strict";

  var STORE = "acg_tianditu_tk";

  function stored() {
    try { return window.sessionStorage.getItem(STORE); } catch (e) { return null; }
  }

  function remember(key) {
    try { window.sessionStorage.setItem(STORE, key); } catch (e) { /* private mode */ }
  }

  // Returns the key, or null when there is none (the page then offers no Tianditu tiles).
  window.acgTiandituKey = function (spec, prompt) {
    if (spec.key) return spec.key;
    if (!spec.ask) return null;
    var key = new URLSearchParams(window.location.hash.slice(1)).get("tk") || stored() ||
      window.prompt(prompt);
    if (!key) return null;
    remember(key);
    return key;
  };
})();
