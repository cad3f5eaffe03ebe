// The share page's engagement script: first-party only (its own origin, no cookies).
// It reports to <page>/beacon how long the page was visible, whether a person interacted
// (trusted wheel, pointer, key or touch input), and which PDF pages were on screen (half
// of the page or more). Nothing else is read or sent.
(function () {
  "use strict";
  var body = document.body;
  var visit = body.getAttribute("data-visit");
  var endpoint = body.getAttribute("data-beacon");
  if (!visit || !endpoint) return;

  var visibleMs = 0;
  var since = document.visibilityState === "visible" ? performance.now() : null;
  var interacted = false;
  var reported = false;
  var unsent = [];
  var seen = {};
  var timer = null;

  function tick() {
    if (since !== null) {
      var now = performance.now();
      visibleMs += now - since;
      since = now;
    }
  }

  function send(leaving) {
    tick();
    var ms = Math.round(visibleMs);
    if (!leaving && ms < 200 && !unsent.length && interacted === reported) return;
    var payload = JSON.stringify({ v: visit, visible_ms: ms, interacted: interacted, pages: unsent.slice(0, 50) });
    visibleMs = 0;
    unsent = unsent.slice(50);
    reported = interacted;
    if (leaving && navigator.sendBeacon) {
      navigator.sendBeacon(endpoint, new Blob([payload], { type: "text/plain" }));
      return;
    }
    fetch(endpoint, {
      method: "POST",
      body: payload,
      headers: { "Content-Type": "application/json" },
      credentials: "omit",
      keepalive: true,
    }).catch(function () {});
  }

  function soon() {
    if (timer === null) {
      timer = setTimeout(function () { timer = null; send(false); }, 1200);
    }
  }

  function person(event) {
    if (!event.isTrusted || interacted) return;
    interacted = true;
    soon();
  }
  ["wheel", "pointerdown", "pointermove", "keydown", "touchstart"].forEach(function (name) {
    window.addEventListener(name, person, { passive: true });
  });

  if ("IntersectionObserver" in window) {
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting || document.visibilityState !== "visible") return;
        var screen = entry.rootBounds ? entry.rootBounds.height : window.innerHeight;
        // Half the page on screen, or half the screen filled by it (a tall page).
        if (entry.intersectionRatio < 0.5 && entry.intersectionRect.height < screen / 2) return;
        var number = parseInt(entry.target.getAttribute("data-page"), 10);
        if (number > 0 && !seen[number]) {
          seen[number] = true;
          unsent.push(number);
          soon();
        }
      });
    }, { threshold: [0, 0.25, 0.5, 0.75] });
    Array.prototype.forEach.call(document.querySelectorAll(".page[data-page]"), function (page) {
      observer.observe(page);
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      since = performance.now();
    } else {
      tick();
      since = null;
      send(true);
    }
  });
  window.addEventListener("pagehide", function () { send(true); });
  setInterval(function () {
    if (document.visibilityState === "visible") send(false);
  }, 5000);
})();
