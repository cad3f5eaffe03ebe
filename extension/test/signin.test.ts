// "Sign in with Baton" as the service worker runs it, with a fake chrome.identity (the
// browser's sign-in window) and chrome.runtime.id: the address it opens, the key taken
// from the redirect's fragment only, errors and cancellation, and the key stored as a
// pasted one is.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { keyFromRedirect, signIn, signInThroughWorker, signInUrl } from "../src/signin";
import { loadSettings } from "../src/settings";

const EXTENSION_ID = "abcdefghijklmnopabcdefghijklmnop";
const REDIRECT = `https://${EXTENSION_ID}.chromiumapp.org/`;
const KEY = "bt_Zm9vYmFyYmF6cXV4LV9xd2VydHl1aW9wYXNkZmdo";

function fakeChrome(outcome: string | undefined | Error) {
  const runtime = { id: EXTENSION_ID, sendMessage: vi.fn() };
  const identity = {
    getRedirectURL: vi.fn(() => `https://${runtime.id}.chromiumapp.org/`),
    launchWebAuthFlow: vi.fn((details: chrome.identity.WebAuthFlowDetails) => {
      void details;
      return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
    }),
  };
  const stored: Record<string, unknown> = {};
  const storage = {
    get: vi.fn((key: string) => Promise.resolve({ [key]: stored[key] })),
    set: vi.fn((items: Record<string, unknown>) => {
      Object.assign(stored, items);
      return Promise.resolve();
    }),
  };
  vi.stubGlobal("chrome", { runtime, identity, storage: { local: storage } });
  return { runtime, identity, storage, stored };
}

function deps(fake: ReturnType<typeof fakeChrome>) {
  return {
    identity: fake.identity as unknown as typeof chrome.identity,
    storage: fake.storage as unknown as chrome.storage.StorageArea,
  };
}

describe("sign in with Baton (service worker)", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("opens the server's extension page, interactive, with the extension's redirect address", async () => {
    const fake = fakeChrome(`${REDIRECT}#key=${encodeURIComponent(KEY)}`);
    await signIn("https://baton.example.com/base/", deps(fake));
    expect(fake.identity.launchWebAuthFlow).toHaveBeenCalledExactlyOnceWith({
      url: `https://baton.example.com/base/account/extension?redirect_uri=${encodeURIComponent(REDIRECT)}`,
      interactive: true,
    });
    expect(signInUrl("http://10.0.0.5:8000", REDIRECT)).toBe(
      "http://10.0.0.5:8000/account/extension?redirect_uri=https%3A%2F%2Fabcdefghijklmnopabcdefghijklmnop.chromiumapp.org%2F",
    );
  });

  it("stores the key from the fragment with the server, exactly as a pasted key is stored", async () => {
    const fake = fakeChrome(`${REDIRECT}#key=${encodeURIComponent(KEY)}`);
    const reply = await signIn("https://baton.example.com/", deps(fake));
    expect(reply).toEqual({ ok: true, server: "https://baton.example.com" });
    expect(fake.stored).toEqual({
      "baton.settings": { server: "https://baton.example.com", apiKey: KEY },
    });
    expect(await loadSettings(deps(fake).storage)).toEqual({
      server: "https://baton.example.com",
      apiKey: KEY,
    });
  });

  it("says the sign-in was cancelled when the person closes the window, and stores nothing", async () => {
    const fake = fakeChrome(new Error("The user did not approve access."));
    const reply = await signIn("https://baton.example.com", deps(fake));
    expect(reply).toMatchObject({ ok: false, reason: "cancelled" });
    expect(!reply.ok && reply.detail).toContain("Sign-in was cancelled");
    // The id an admin must allow on the server, for the "Unknown extension" page.
    expect(!reply.ok && reply.detail).toContain(`(${EXTENSION_ID}) to BATON_EXTENSION_IDS`);
    expect(fake.stored).toEqual({});
  });

  it("shows a window that could not load Baton as such", async () => {
    const fake = fakeChrome(new Error("Authorization page could not be loaded."));
    const reply = await signIn("https://baton.example.com", deps(fake));
    expect(reply).toEqual({
      ok: false,
      reason: "failed",
      detail: "The sign-in window could not open Baton: Authorization page could not be loaded.",
    });
    expect(fake.stored).toEqual({});
  });

  it("shows an error Baton sends in the fragment", async () => {
    const fake = fakeChrome(`${REDIRECT}#error=access_denied&error_description=Your%20role%20may%20not%20make%20keys`);
    const reply = await signIn("https://baton.example.com", deps(fake));
    expect(reply).toEqual({
      ok: false,
      reason: "refused",
      detail: "Baton refused the sign-in: Your role may not make keys",
    });
    expect(fake.stored).toEqual({});
    expect(keyFromRedirect(`${REDIRECT}#error=access_denied`, REDIRECT)).toEqual({
      reason: "refused",
      detail: "Baton refused the sign-in: access_denied",
    });
  });

  it.each([
    ["another address", `https://evil.example.com/#key=${KEY}`],
    ["another extension", `https://ponmlkjihgfedcbaponmlkjihgfedcba.chromiumapp.org/#key=${KEY}`],
    ["another path", `${REDIRECT}elsewhere#key=${KEY}`],
    ["the key in the query", `${REDIRECT}?key=${KEY}`],
    ["the key in the query and the fragment", `${REDIRECT}?key=${KEY}#key=${KEY}`],
    ["no key", `${REDIRECT}#`],
    ["an empty key", `${REDIRECT}#key=`],
    ["two keys", `${REDIRECT}#key=${KEY}&key=${KEY}x`],
    ["an extra parameter", `${REDIRECT}#key=${KEY}&next=/x`],
    ["a key with a space", `${REDIRECT}#key=bt_abc%20defghijk`],
    ["nothing at all", undefined],
  ])("refuses %s and stores nothing", async (_what, redirected) => {
    const fake = fakeChrome(redirected);
    const reply = await signIn("https://baton.example.com", deps(fake));
    expect(reply).toEqual({
      ok: false,
      reason: "failed",
      detail: "Baton's answer was not a key for this extension",
    });
    expect(fake.stored).toEqual({});
  });

  it("opens nothing for an address that is not http(s)", async () => {
    const fake = fakeChrome(`${REDIRECT}#key=${KEY}`);
    const reply = await signIn("ftp://baton.example.com", deps(fake));
    expect(reply).toMatchObject({ ok: false, reason: "failed" });
    expect(fake.identity.launchWebAuthFlow).not.toHaveBeenCalled();
  });
});

describe("the options page's request to the worker", () => {
  beforeEach(() => {
    fakeChrome(undefined);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("sends baton:sign-in with the server and hands back the worker's reply", async () => {
    const send = vi.fn(() => Promise.resolve({ ok: true, server: "https://baton.example.com" }));
    vi.stubGlobal("chrome", { runtime: { id: EXTENSION_ID, sendMessage: send } });
    expect(await signInThroughWorker("https://baton.example.com")).toEqual({
      ok: true,
      server: "https://baton.example.com",
    });
    expect(send).toHaveBeenCalledExactlyOnceWith({ type: "baton:sign-in", server: "https://baton.example.com" });
  });

  it("says so when the worker does not answer", async () => {
    const send = vi.fn(() => Promise.reject(new Error("Could not establish connection")));
    vi.stubGlobal("chrome", { runtime: { id: EXTENSION_ID, sendMessage: send } });
    const reply = await signInThroughWorker("https://baton.example.com");
    expect(reply).toMatchObject({ ok: false, reason: "failed" });
    expect(!reply.ok && reply.detail).toContain("service worker did not answer");
  });
});
