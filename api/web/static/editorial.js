// The editorial settings pages: "Add another …" copies the form's empty row (a new rule,
// a new synonym term) with fresh input names, so several can be added before one save.
// Without script, the page always has one empty row to fill.
(function () {
  "use strict";
  var KEYED = /^(rule|syn)-\d+-/;

  function rekey(element, key) {
    ["id", "name", "for", "aria-describedby"].forEach(function (attribute) {
      var value = element.getAttribute(attribute);
      if (value) {
        element.setAttribute(attribute, value.split(" ").map(function (part) {
          return part.replace(KEYED, "$1-" + key + "-");
        }).join(" "));
      }
    });
  }

  // The last of the empty rows for a new entry (each list has one, first or last).
  function blankRow(list) {
    var rows = Array.prototype.filter.call(list.querySelectorAll("[data-rule]"), function (row) {
      return !!row.querySelector("input[name$='-new']");
    });
    return rows.length ? rows[rows.length - 1] : null;
  }

  function addRow(button) {
    var list = document.getElementById(button.getAttribute("data-add-row"));
    var last = list && blankRow(list);
    if (!last) return;
    var key = Number(list.getAttribute("data-next-key"));
    list.setAttribute("data-next-key", String(key + 1));
    var copy = last.cloneNode(true);
    copy.querySelectorAll("*").forEach(function (element) { rekey(element, key); });
    copy.querySelectorAll(".field-error").forEach(function (element) { element.remove(); });
    copy.querySelectorAll("[aria-invalid]").forEach(function (element) {
      element.removeAttribute("aria-invalid");
    });
    copy.querySelectorAll("input[type=text], input[type=search]").forEach(function (input) {
      input.value = "";
    });
    copy.querySelectorAll("input[type=checkbox]").forEach(function (input) { input.checked = false; });
    copy.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
    last.parentNode.insertBefore(copy, last.nextSibling);
    var first = copy.querySelector("input[type=text], select");
    if (first) first.focus();
  }

  // A rule's "Applies to" summary follows its ticked kinds.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-label]")) return;
    var details = box.closest("details");
    var summary = details && details.querySelector("summary");
    if (!summary) return;
    var ticked = Array.prototype.filter.call(
      details.querySelectorAll("input[data-label]"), function (b) { return b.checked; }
    ).map(function (b) { return b.getAttribute("data-label"); });
    summary.textContent = "Applies to: " + (ticked.length ? ticked.join(", ") : summary.getAttribute("data-every"));
  });

  // "Show terms containing": hides the other rows (they are still saved as they are).
  document.querySelectorAll("[data-filter-rows]").forEach(function (input) {
    var body = document.getElementById(input.getAttribute("data-filter-rows"));
    var count = document.getElementById(input.getAttribute("aria-describedby"));
    if (!body) return;
    var wrapper = input.closest("[hidden]");
    if (wrapper) wrapper.hidden = false;
    input.addEventListener("input", function () {
      var wanted = input.value.trim().toLowerCase();
      var rows = body.querySelectorAll("[data-rule]");
      var shown = 0;
      var total = 0;
      rows.forEach(function (row) {
        var text = Array.prototype.map.call(
          row.querySelectorAll("input[type=text]"), function (i) { return i.value; }
        ).join(" ").toLowerCase();
        var blank = !!row.querySelector("input[name$='-new']");
        var match = !wanted || blank || text.indexOf(wanted) !== -1;
        row.hidden = !match;
        if (!blank) total += 1;
        if (match && !blank) shown += 1;
      });
      if (count) count.textContent = wanted ? "Showing " + shown + " of " + total + " terms." : "";
    });
  });

  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { addRow(button); });
  });
})();
