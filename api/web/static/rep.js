// The rep pages. No inline script anywhere (strict CSP).
(function () {
  "use strict";
  // A PDF page image that cannot be shown becomes a message, never a broken image.
  document.addEventListener("error", function (event) {
    var image = event.target;
    if (!image || image.tagName !== "IMG" || !image.hasAttribute("data-page-image")) return;
    var note = document.createElement("p");
    note.className = "page-failed";
    note.textContent = image.getAttribute("alt") + " cannot be shown right now. Reload the page in a few seconds, or download the file.";
    image.replaceWith(note);
  }, true);

  // Copying a filled email counts as a `copy` of the asset (POST /v1/events, as the
  // extension records it); app.js does the copying itself.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-event]");
    if (!button) return;
    var body = { asset_id: button.getAttribute("data-copy-event"), type: "copy" };
    var search = button.getAttribute("data-search-id");
    if (search) body.search_id = search;
    fetch("/v1/events", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": window.baton.csrf() },
      body: JSON.stringify(body)
    }).catch(function () { /* the copy itself worked; the count is not the rep's problem */ });
  });
})();
