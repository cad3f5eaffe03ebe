// The editor: a "Replace … with …" button edits the text in place (the server re-renders
// the editor instead when the text changed since the check; the button is a normal
// submit button). Offsets are Unicode code points, as the server counts them.
(function () {
  "use strict";
  var FIELDS = { title: "title", summary: "summary", body: "body" };

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.replace");
    if (!button) return;
    var part = button.getAttribute("data-part");
    var input = document.getElementsByName(FIELDS[part] || "field_" + part)[0];
    if (!input) return;
    var start = parseInt(button.getAttribute("data-start"), 10);
    var end = parseInt(button.getAttribute("data-end"), 10);
    var found = button.getAttribute("data-found");
    var replacement = button.getAttribute("data-replacement");
    var chars = Array.from(input.value);
    if (chars.slice(start, end).join("") !== found) return; // stale: let the server do it
    event.preventDefault();
    var before = chars.slice(0, start).join("");
    input.value = before + replacement + chars.slice(end).join("");
    var status = document.getElementById("check-summary");
    if (status) status.textContent = "Replaced “" + found + "” with “" + replacement + "”. Checking again…";
    input.focus();
    var caret = before.length + replacement.length; // UTF-16 units, as the field counts
    if (input.setSelectionRange) input.setSelectionRange(caret, caret);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
