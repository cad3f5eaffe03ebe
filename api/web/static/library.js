// The library and upload pages (strict CSP: no inline script; this file only).
(function () {
  "use strict";

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // --- /library: "select all on this page" and the count of selected assets -------------
  function library() {
    // After a bulk edit, start reading at its results.
    var outcome = document.getElementById("outcome-heading");
    if (outcome) {
      outcome.setAttribute("tabindex", "-1");
      outcome.focus();
    }
    var all = document.getElementById("select-page");
    if (!all) return;
    var count = document.getElementById("selected-count");
    function boxes() {
      return Array.prototype.slice.call(document.querySelectorAll("input.pick-one"));
    }
    function update() {
      var picks = boxes();
      var n = picks.filter(function (box) { return box.checked; }).length;
      all.checked = n > 0 && n === picks.length;
      all.indeterminate = n > 0 && n < picks.length;
      if (count) count.textContent = n === 0 ? "No asset selected." : plural(n, "asset", "assets") + " selected.";
    }
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
      update();
    });
    document.addEventListener("change", function (event) {
      if (event.target.classList && event.target.classList.contains("pick-one")) update();
    });
    // A page restored by the back button keeps its ticks: say so.
    if (boxes().some(function (box) { return box.checked; })) update();
  }

  // --- /upload: each file its own request, progress and result, a few at a time ----------
  function upload() {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var input = document.getElementById("upload-files");
    var zone = document.getElementById("dropzone");
    var list = document.getElementById("upload-list");
    var summary = document.getElementById("upload-summary");
    var maxBytes = Number(form.getAttribute("data-max-bytes")) || 0;
    var maxMb = form.getAttribute("data-max-mb");
    var parallel = Number(form.getAttribute("data-parallel")) || 3;
    var queue = [];
    var running = 0, added = 0, uploaded = 0, failed = 0, serial = 0;

    form.addEventListener("submit", function (event) { event.preventDefault(); });
    input.addEventListener("change", function () {
      add(input.files);
      input.value = "";
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer) add(event.dataTransfer.files);
    });
    // A file dropped beside the zone must not make the browser leave the page.
    ["dragover", "drop"].forEach(function (name) {
      document.addEventListener(name, function (event) { event.preventDefault(); });
    });

    function metadata() {
      var given = {};
      var kind = document.getElementById("upload-kind").value;
      var stage = document.getElementById("upload-stage").value;
      var industry = document.getElementById("upload-industry").value.trim();
      if (kind) given.kind = kind;
      if (stage) given.stages = [stage];
      if (industry) given.industries = [industry];
      return Object.keys(given).length ? JSON.stringify(given) : null;
    }

    function size(bytes) {
      if (bytes < 1024) return bytes + " bytes";
      if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " KB";
      return (bytes / (1024 * 1024)).toFixed(1) + " MB";
    }

    function add(files) {
      var meta = metadata(); // the defaults as they are when the files are chosen
      Array.prototype.forEach.call(files || [], function (file) {
        serial += 1;
        added += 1;
        queue.push(row(file, serial, meta));
      });
      tell();
      pump();
    }

    function row(file, n, meta) {
      var item = el("li", { "class": "upload-item waiting", "id": "upload-" + n });
      var head = el("div", { "class": "upload-head" });
      var label = el("label", { "for": "upload-progress-" + n, "class": "upload-name" }, file.name);
      head.appendChild(label);
      head.appendChild(el("span", { "class": "upload-size muted" }, size(file.size)));
      var state = el("span", { "class": "upload-state", "id": "upload-state-" + n }, "Waiting");
      head.appendChild(state);
      item.appendChild(head);
      var bar = el("progress", {
        "id": "upload-progress-" + n, "max": "100", "value": "0",
        "aria-describedby": "upload-state-" + n
      });
      item.appendChild(bar);
      var result = el("div", { "class": "upload-result" });
      item.appendChild(result);
      list.appendChild(item);
      return { file: file, meta: meta, item: item, bar: bar, state: state, result: result };
    }

    function pump() {
      while (running < parallel && queue.length) send(queue.shift());
    }

    function send(job) {
      running += 1;
      job.item.className = "upload-item sending";
      if (maxBytes && job.file.size > maxBytes) {
        fail(job, "The file is larger than " + maxMb + " MB, the most Baton takes; it was not sent.");
        return;
      }
      job.state.textContent = "Uploading";
      var request = new XMLHttpRequest();
      request.open("POST", "/v1/assets/upload");
      request.setRequestHeader("X-CSRF-Token", window.baton.csrf());
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable && event.total) {
          job.bar.value = Math.round((event.loaded / event.total) * 100);
        }
      });
      request.upload.addEventListener("load", function () {
        job.bar.value = 100;
        job.state.textContent = "Reading the file";
      });
      request.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(request.responseText); } catch (e) { body = null; }
        if (request.status === 201 && body && body.id) {
          succeed(job, body);
        } else {
          fail(job, why(request.status, body), body);
        }
      });
      request.addEventListener("error", function () {
        fail(job, "The upload did not reach Baton (the connection failed); try again.");
      });
      var data = new FormData();
      data.append("file", job.file, job.file.name);
      if (job.meta) data.append("metadata", job.meta);
      request.send(data);
    }

    function why(status, problem) {
      if (status === 401) return "You are signed out: sign in again, then upload this file again.";
      if (problem && problem.detail) return sentence(problem.detail);
      if (problem && problem.title) return problem.title;
      if (status === 413) return "The file is larger than " + maxMb + " MB, the most Baton takes.";
      return "The upload failed (HTTP " + status + ").";
    }

    // "the file is empty" -> "The file is empty."
    function sentence(text) {
      var line = text.charAt(0).toUpperCase() + text.slice(1);
      return /[.!?]$/.test(line) ? line : line + ".";
    }

    function succeed(job, asset) {
      job.bar.value = 100;
      job.item.className = "upload-item done";
      job.state.textContent = "Uploaded";
      var line = el("p", { "class": "upload-ok" }, "Draft created: ");
      line.appendChild(el("a", { "href": "/assets/" + encodeURIComponent(asset.id) }, asset.title));
      job.result.appendChild(line);
      if (asset.similar && asset.similar.length) {
        var note = el("p", { "class": "warning" }, "Nearly the same text as: ");
        asset.similar.slice(0, 3).forEach(function (other, i) {
          if (i) note.appendChild(document.createTextNode(", "));
          note.appendChild(el("a", { "href": "/assets/" + encodeURIComponent(other.id) }, other.title));
        });
        job.result.appendChild(note);
      }
      uploaded += 1;
      finish();
    }

    function fail(job, detail, problem) {
      job.item.className = "upload-item failed";
      job.state.textContent = "Failed";
      var line = el("p", { "class": "error" }, detail);
      job.result.appendChild(line);
      if (problem && problem.asset_id) existing(line, problem.asset_id);
      failed += 1;
      finish();
    }

    // A duplicate names the asset it repeats: link it, by its title when we may read it.
    function existing(line, id) {
      line.appendChild(document.createTextNode(" "));
      var link = el("a", { "href": "/assets/" + encodeURIComponent(id) }, "Open the existing asset");
      line.appendChild(link);
      var request = new XMLHttpRequest();
      request.open("GET", "/v1/assets/" + encodeURIComponent(id));
      request.setRequestHeader("Accept", "application/json");
      request.addEventListener("load", function () {
        if (request.status !== 200) return;
        try {
          var asset = JSON.parse(request.responseText);
          if (asset && asset.title) link.textContent = "Existing asset: " + asset.title;
        } catch (e) { /* the plain link stays */ }
      });
      request.send();
    }

    function finish() {
      running -= 1;
      tell();
      pump();
    }

    function tell() {
      var finished = uploaded + failed;
      var parts = [uploaded + " uploaded"];
      if (failed) parts.push(failed + " failed");
      if (finished < added) parts.push((added - finished) + " to go");
      summary.textContent = parts.join(", ") + ".";
    }
  }

  function start() { library(); upload(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
