import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { dealKey } from "../../src/adapters/index";
import { watchPageChanges, type Watch } from "../../src/adapters/watch";
import { load } from "./pages";

// The test window lives at localhost; the Salesforce adapter reads the same path under the
// org's host name.
const ORG = "https://fieldline.lightning.force.com";
const HARBOUR = "/lightning/r/Opportunity/0065g00000KXbQ2AAL/view";
const NORTHGRID = "/lightning/r/Opportunity/0065g00000LmNoPAA1/view";

function activate(id: string): void {
  for (const page of Array.from(document.querySelectorAll(".oneContent"))) {
    page.classList.toggle("active", page.getAttribute("data-recordid") === id);
  }
}

describe("page-change detection", () => {
  let watch: Watch | undefined;
  const changes: [string, string][] = [];

  beforeEach(() => {
    changes.length = 0;
    load("salesforce");
    history.replaceState({}, "", HARBOUR);
  });

  afterEach(() => {
    watch?.stop();
    history.replaceState({}, "", "/");
  });

  function start(reportInitial = false): Watch {
    watch = watchPageChanges({
      win: window,
      key: () => dealKey(document, ORG + location.pathname),
      onChange: (key, url) => changes.push([key, url]),
      debounceMs: 20,
      reportInitial,
    });
    return watch;
  }

  it("reports a move to another opportunity (pushState, then the DOM changes), once", async () => {
    start();
    history.pushState({}, "", NORTHGRID);
    activate("0065g00000LmNoPAA1");
    document.title = "NorthGrid Energy";
    await vi.waitFor(() => expect(changes).toHaveLength(1));
    expect(changes[0]).toEqual(["0065g00000LmNoPAA1", `${location.origin}${NORTHGRID}`]);
    // More changes on the same deal: nothing new to report.
    document.body.appendChild(document.createElement("div"));
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(changes).toHaveLength(1);
  });

  it("reports back/forward navigation (popstate)", async () => {
    start();
    history.pushState({}, "", NORTHGRID);
    window.dispatchEvent(new PopStateEvent("popstate"));
    await vi.waitFor(() => expect(changes).toEqual([["0065g00000LmNoPAA1", `${location.origin}${NORTHGRID}`]]));
    history.pushState({}, "", HARBOUR);
    window.dispatchEvent(new PopStateEvent("popstate"));
    await vi.waitFor(() => expect(changes).toHaveLength(2));
    expect(changes[1]?.[0]).toBe("0065g00000KXbQ2AAL");
  });

  it("says nothing while the page changes on the same deal", async () => {
    start();
    for (let i = 0; i < 5; i += 1) {
      document.querySelector(".slds-timeline")?.appendChild(document.createElement("li"));
      document.querySelector(".oneContent.active")?.classList.toggle("busy");
    }
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(changes).toEqual([]);
  });

  it("reports the key at start when asked, and stops when stopped", async () => {
    const running = start(true);
    expect(changes).toEqual([["0065g00000KXbQ2AAL", `${location.origin}${HARBOUR}`]]);
    running.stop();
    history.pushState({}, "", NORTHGRID);
    activate("0065g00000LmNoPAA1");
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(changes).toHaveLength(1);
  });
});
