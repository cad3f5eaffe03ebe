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

  function blankRow(list) {
    var rows = list.querySelectorAll("[data-rule]");
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
    last.parentNode.appendChild(copy);
    var first = copy.querySelector("input[type=text], select");
    if (first) first.focus();
  }

  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { addRow(button); });
  });
})();
