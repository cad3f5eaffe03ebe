import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TypingSearch, type SearchParams } from "../src/sidepanel/search";

describe("search as you type", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setUp() {
    const searches: SearchParams[] = [];
    const latest: (() => boolean)[] = [];
    const cleared = vi.fn();
    let n = 0;
    const search = new TypingSearch(
      (params, isLatest) => {
        searches.push(params);
        latest.push(isLatest);
        return Promise.resolve();
      },
      cleared,
      200,
      undefined,
      () => `session-${++n}`,
    );
    return { search, searches, latest, cleared };
  }

  it("searches once the rep pauses, with one typing session for the whole query", () => {
    const { search, searches } = setUp();
    for (const prefix of ["r", "ro", "roi", "roi c", "roi co"]) {
      search.type(prefix);
      vi.advanceTimersByTime(50);
    }
    expect(searches).toHaveLength(0);
    vi.advanceTimersByTime(200);
    expect(searches).toEqual([{ q: "roi co", kinds: [], stages: [], typingSession: "session-1" }]);
    search.type("roi construction");
    vi.advanceTimersByTime(200);
    expect(searches.map((s) => s.typingSession)).toEqual(["session-1", "session-1"]);
  });

  it("starts a new typing session after the query is cleared", () => {
    const { search, searches, cleared } = setUp();
    search.type("battlecard");
    vi.advanceTimersByTime(200);
    search.type("");
    expect(cleared).toHaveBeenCalledOnce();
    search.type("pricing");
    vi.advanceTimersByTime(200);
    expect(searches.map((s) => [s.q, s.typingSession])).toEqual([
      ["battlecard", "session-1"],
      ["pricing", "session-2"],
    ]);
  });

  it("searches at once when a chip is toggled, and drops answers overtaken by a newer search", () => {
    const { search, searches, latest } = setUp();
    search.type("roi");
    vi.advanceTimersByTime(200);
    expect(search.toggle("kind", "case_study")).toBe(true);
    vi.advanceTimersByTime(0);
    expect(searches[1]).toMatchObject({ q: "roi", kinds: ["case_study"] });
    expect(latest[0]?.()).toBe(false);
    expect(latest[1]?.()).toBe(true);
    expect(search.toggle("kind", "case_study")).toBe(false);
  });

  it("searches nothing while there is nothing to search for", () => {
    const { search, searches } = setUp();
    search.type("   ");
    vi.advanceTimersByTime(1000);
    expect(searches).toHaveLength(0);
  });
});
