// Progressive enhancement: refresh the open alerts list every few seconds, unless someone is typing in it.
// Without JavaScript the page works the same; the "Refresh the list" link reloads it.
(function () {
  "use strict";
  var list = document.getElementById("open-alerts");
  if (!list) { return; }
  var seconds = parseInt(list.getAttribute("data-refresh-s"), 10) || 15;
  function refresh() {
    if (list.contains(document.activeElement)) { return; }
    fetch(list.getAttribute("data-source"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
      .then(function (html) { if (html !== null && !list.contains(document.activeElement)) { list.innerHTML = html; } })
      .catch(function () { /* offline for a moment: keep the list shown */ });
  }
  window.setInterval(refresh, seconds * 1000);
}());
