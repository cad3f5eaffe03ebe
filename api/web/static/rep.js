// The rep pages: a PDF page image that cannot be shown becomes a message (never a broken
// image). No inline script anywhere (strict CSP).
(function () {
  "use strict";
  document.addEventListener("error", function (event) {
    var image = event.target;
    if (!image || image.tagName !== "IMG" || !image.hasAttribute("data-page-image")) return;
    var note = document.createElement("p");
    note.className = "page-failed";
    note.textContent = image.getAttribute("alt") + " cannot be shown right now. Reload the page in a few seconds, or download the file.";
    image.replaceWith(note);
  }, true);
})();
