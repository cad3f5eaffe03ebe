import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DealContext, InsertResult } from "../../src/messages";
import { load } from "./pages";

type Listener = (message: unknown, sender: unknown, reply: (answer: unknown) => void) => boolean;

// The content script against a stand-in for the extension APIs it uses: its message
// listener and chrome.runtime.sendMessage.
const listeners: Listener[] = [];
const sent: unknown[] = [];
const chromeStub = {
  runtime: {
    onMessage: { addListener: (listener: Listener) => listeners.push(listener) },
    sendMessage: (message: unknown) => {
      sent.push(message);
      return Promise.resolve();
    },
  },
};

function ask(message: unknown): unknown {
  let answer: unknown;
  const listener = listeners[0];
  if (!listener) throw new Error("no listener");
  const async = listener(message, {}, (value) => (answer = value));
  expect(async).toBe(false);
  return answer;
}

describe("the content script", () => {
  beforeAll(async () => {
    vi.stubGlobal("chrome", chromeStub);
    load("news");
    history.replaceState({}, "", "/2026/11/28/utilities-storm-season-crews");
    await import("../../src/content");
  });

  afterAll(() => {
    vi.unstubAllGlobals();
    history.replaceState({}, "", "/");
  });

  it("registers once, however often it is injected", async () => {
    vi.resetModules();
    await import("../../src/content");
    expect(window.__batonContent).toBe(true);
    expect(listeners).toHaveLength(1);
  });

  it("answers baton:context with the page's context", () => {
    const context = ask({ type: "baton:context" }) as DealContext;
    expect(context.source).toBe("generic");
    expect(context.deal_key).toBe(`${location.origin}/2026/11/28/utilities-storm-season-crews`);
    expect(context.text).toContain("Utilities brace for a hard storm season");
  });

  it("answers baton:insert, and ignores other and malformed messages", () => {
    const result = ask({ type: "baton:insert", subject: "s", body: "b" }) as InsertResult;
    expect(result.ok).toBe(false);
    expect(ask({ type: "baton:insert", subject: 1 })).toBeUndefined();
    expect(ask({ type: "baton:api", method: "GET", path: "/v1/me" })).toBeUndefined();
    expect(ask("baton:context")).toBeUndefined();
  });

  it("sends only the new key and URL when the page moves, never page content", async () => {
    // An injected generic reader does not announce itself: the panel just asked for it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sent).toEqual([]);
    history.pushState({}, "", "/2026/11/29/next-story");
    document.body.appendChild(document.createElement("p"));
    await vi.waitFor(() => expect(sent).toHaveLength(1), { timeout: 2000 });
    expect(sent[0]).toEqual({
      type: "baton:page-changed",
      deal_key: `${location.origin}/2026/11/29/next-story`,
      url: `${location.origin}/2026/11/29/next-story`,
    });
  });
});
