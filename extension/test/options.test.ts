// The options page in jsdom with a fake chrome API: the host permission asked for is the
// entered server's origin only, and the settings go to local storage.
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ApiAnswer, ApiCall } from "../src/api";
import { mountOptions, type OptionsDeps } from "../src/options/options";
import { saveSettings } from "../src/settings";
import { signIn, type SignInReply } from "../src/signin";

const EXTENSION_ID = "abcdefghijklmnopabcdefghijklmnop";

function fakeChrome(
  grant: boolean,
  answer: ApiAnswer = { ok: true, status: 200, body: {} },
  redirect: string | Error | undefined = undefined,
) {
  const stored: Record<string, unknown> = {};
  const calls: ApiCall[] = [];
  const deps = {
    storage: {
      get: vi.fn((key: string) => Promise.resolve({ [key]: stored[key] })),
      set: vi.fn((items: Record<string, unknown>) => {
        Object.assign(stored, items);
        return Promise.resolve();
      }),
    },
    permissions: {
      request: vi.fn(() => Promise.resolve(grant)),
      contains: vi.fn(() => Promise.resolve(grant)),
    },
    api: vi.fn((call: ApiCall) => {
      calls.push(call);
      return Promise.resolve(answer);
    }),
    // The service worker's side, run for real with a fake chrome.identity.
    identity: {
      getRedirectURL: vi.fn(() => `https://${EXTENSION_ID}.chromiumapp.org/`),
      launchWebAuthFlow: vi.fn(() =>
        redirect instanceof Error ? Promise.reject(redirect) : Promise.resolve(redirect),
      ),
    },
    signIn: vi.fn((server: string): Promise<SignInReply> => {
      void server;
      return Promise.resolve({ ok: false, reason: "failed", detail: "unset" });
    }),
  };
  deps.signIn.mockImplementation((server: string) =>
    signIn(server, {
      identity: deps.identity,
      storage: deps.storage as unknown as chrome.storage.StorageArea,
    }),
  );
  return { deps: deps as unknown as OptionsDeps & typeof deps, stored, calls };
}

const byTestId = <T extends HTMLElement>(id: string): T =>
  document.querySelector<T>(`[data-testid="${id}"]`)!;

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

async function fill(server: string, key: string): Promise<void> {
  byTestId<HTMLInputElement>("server").value = server;
  byTestId<HTMLInputElement>("server").dispatchEvent(new Event("input"));
  byTestId<HTMLInputElement>("api-key").value = key;
  byTestId<HTMLButtonElement>("save").click();
  await settle();
}

describe("options page", () => {
  beforeEach(() => {
    document.body.innerHTML = '<main id="app"></main>';
  });

  it("asks host access for the entered server's origin only, and keeps the key locally", async () => {
    const { deps, stored } = fakeChrome(true);
    await mountOptions(document.getElementById("app")!, deps);
    await fill("https://baton.example.com/", "bt_secret");
    expect(deps.permissions.request).toHaveBeenCalledExactlyOnceWith({
      origins: ["https://baton.example.com/*"],
    });
    expect(stored["baton.settings"]).toEqual({
      server: "https://baton.example.com",
      apiKey: "bt_secret",
    });
    expect(byTestId("connection-result").textContent).toBe("Saved.");
  });

  it("keeps a path prefix in the address but asks for the origin", async () => {
    const { deps, stored } = fakeChrome(true);
    await mountOptions(document.getElementById("app")!, deps);
    await fill("http://10.0.0.5:8000/baton", "k");
    expect(deps.permissions.request).toHaveBeenCalledWith({ origins: ["http://10.0.0.5:8000/*"] });
    expect(stored["baton.settings"]).toMatchObject({ server: "http://10.0.0.5:8000/baton" });
  });

  it("says so when host access is refused", async () => {
    const { deps } = fakeChrome(false);
    await mountOptions(document.getElementById("app")!, deps);
    await fill("https://baton.example.com", "k");
    expect(byTestId("connection-result").textContent).toContain(
      "may not reach https://baton.example.com",
    );
  });

  it("asks nothing for an address that is not http(s)", async () => {
    const { deps, stored } = fakeChrome(true);
    await mountOptions(document.getElementById("app")!, deps);
    await fill("ftp://baton.example.com", "k");
    expect(deps.permissions.request).not.toHaveBeenCalled();
    expect(stored).toEqual({});
    expect(byTestId("connection-result").textContent).toContain("https://");
  });

  it("links to where a rep makes a personal key on the entered server", async () => {
    const { deps } = fakeChrome(true);
    await mountOptions(document.getElementById("app")!, deps);
    await fill("https://baton.example.com", "k");
    const link = document.querySelector<HTMLAnchorElement>('[data-testid="key-help"]')!;
    expect(link.href).toBe("https://baton.example.com/redoc#tag/users/operation/createMyKey");
  });

  it("tests the connection with GET /v1/me and shows the name and role", async () => {
    const { deps, calls } = fakeChrome(true, {
      ok: true,
      status: 200,
      body: { id: "u1", email: "ana@example.com", name: "Ana Rep", role: "rep" },
    });
    await mountOptions(document.getElementById("app")!, deps);
    byTestId<HTMLButtonElement>("test-connection").click();
    await settle();
    expect(calls).toEqual([{ method: "GET", path: "/v1/me" }]);
    expect(byTestId("connection-result").textContent).toBe("Connected as Ana Rep (rep).");
  });

  it("shows a refused key as such", async () => {
    const { deps } = fakeChrome(true, {
      ok: false,
      status: 401,
      body: { title: "Unauthorized", status: 401, detail: "unknown or revoked API key" },
    });
    await mountOptions(document.getElementById("app")!, deps);
    byTestId<HTMLButtonElement>("test-connection").click();
    await settle();
    expect(byTestId("connection-result").textContent).toBe(
      "The server refused this key: unknown or revoked API key",
    );
  });

  describe("sign in with Baton", () => {
    const ANA = { id: "u1", email: "ana@example.com", name: "Ana Rep", role: "rep" };
    const KEY = "bt_c2lnbmVkLWluLXRocm91Z2gtdGhlLXdlYi1hcHA";

    async function typeServer(server: string): Promise<void> {
      byTestId<HTMLInputElement>("server").value = server;
      byTestId<HTMLInputElement>("server").dispatchEvent(new Event("input"));
      await settle();
    }

    it("is offered only once a server is entered and Baton may reach it", async () => {
      const { deps } = fakeChrome(false);
      await mountOptions(document.getElementById("app")!, deps);
      await settle();
      expect(byTestId("sign-in").hidden).toBe(true);
      expect(byTestId("sign-in-hint").hidden).toBe(true);
      await typeServer("https://baton.example.com");
      expect(deps.permissions.contains).toHaveBeenCalledWith({ origins: ["https://baton.example.com/*"] });
      expect(byTestId("sign-in").hidden).toBe(true);
      expect(byTestId("sign-in-hint").hidden).toBe(false);

      // Save without a key asks for the same host access (and stores nothing).
      deps.permissions.request.mockResolvedValue(true);
      deps.permissions.contains.mockResolvedValue(true);
      byTestId<HTMLButtonElement>("save").click();
      await settle();
      expect(deps.permissions.request).toHaveBeenCalledExactlyOnceWith({
        origins: ["https://baton.example.com/*"],
      });
      expect(byTestId("sign-in").hidden).toBe(false);
      expect(byTestId("sign-in-hint").hidden).toBe(true);
      expect(byTestId("connection-result").textContent).toContain("press Sign in with Baton");
    });

    it("is offered at once for a saved server Baton may reach", async () => {
      const { deps } = fakeChrome(true);
      await saveSettings(deps.storage, {
        server: "https://baton.example.com",
        apiKey: "old",
      });
      await mountOptions(document.getElementById("app")!, deps);
      expect(byTestId("sign-in").hidden).toBe(false);
    });

    it("stores the key Baton sends, as a pasted one, and says who it signs in as", async () => {
      const { deps, stored, calls } = fakeChrome(
        true,
        { ok: true, status: 200, body: ANA },
        `https://${EXTENSION_ID}.chromiumapp.org/#key=${KEY}`,
      );
      await mountOptions(document.getElementById("app")!, deps);
      await typeServer("https://baton.example.com/");
      byTestId<HTMLButtonElement>("sign-in").click();
      expect(byTestId<HTMLButtonElement>("sign-in").disabled).toBe(true);
      expect(byTestId("connection-result").textContent).toContain("window that opened");
      await settle();
      expect(deps.signIn).toHaveBeenCalledExactlyOnceWith("https://baton.example.com");
      expect(deps.identity.launchWebAuthFlow).toHaveBeenCalledExactlyOnceWith({
        url: `https://baton.example.com/account/extension?redirect_uri=${encodeURIComponent(
          `https://${EXTENSION_ID}.chromiumapp.org/`,
        )}`,
        interactive: true,
      });
      expect(stored["baton.settings"]).toEqual({ server: "https://baton.example.com", apiKey: KEY });
      expect(byTestId<HTMLInputElement>("api-key").value).toBe(KEY);
      expect(calls).toEqual([{ method: "GET", path: "/v1/me" }]);
      expect(byTestId("connection-result").textContent).toBe("Signed in as Ana Rep (rep).");
      expect(byTestId("connection-result").dataset.tone).toBe("ok");
      expect(byTestId<HTMLButtonElement>("sign-in").disabled).toBe(false);
    });

    it("shows a closed window as a cancelled sign-in and keeps the old key", async () => {
      const { deps, stored, calls } = fakeChrome(
        true,
        { ok: true, status: 200, body: ANA },
        new Error("The user did not approve access."),
      );
      await saveSettings(deps.storage, {
        server: "https://baton.example.com",
        apiKey: "old",
      });
      await mountOptions(document.getElementById("app")!, deps);
      byTestId<HTMLButtonElement>("sign-in").click();
      await settle();
      expect(byTestId("connection-result").textContent).toContain("Sign-in was cancelled");
      expect(byTestId("connection-result").dataset.tone).toBe("error");
      expect(stored["baton.settings"]).toEqual({ server: "https://baton.example.com", apiKey: "old" });
      expect(calls).toEqual([]);
    });

    it("shows Baton's #error= and a wrong redirect clearly", async () => {
      const refused = fakeChrome(
        true,
        undefined,
        `https://${EXTENSION_ID}.chromiumapp.org/#error=access_denied&error_description=No%20keys%20for%20you`,
      );
      await mountOptions(document.getElementById("app")!, refused.deps);
      await typeServer("https://baton.example.com");
      byTestId<HTMLButtonElement>("sign-in").click();
      await settle();
      expect(byTestId("connection-result").textContent).toBe("Baton refused the sign-in: No keys for you");
      expect(refused.stored).toEqual({});

      document.body.innerHTML = '<main id="app"></main>';
      const wrong = fakeChrome(true, undefined, `https://evil.example.com/#key=${KEY}`);
      await mountOptions(document.getElementById("app")!, wrong.deps);
      await typeServer("https://baton.example.com");
      byTestId<HTMLButtonElement>("sign-in").click();
      await settle();
      expect(byTestId("connection-result").textContent).toBe(
        "Baton's answer was not a key for this extension",
      );
      expect(wrong.stored).toEqual({});
    });

    it("says the key is saved when /v1/me then refuses it", async () => {
      const { deps, stored } = fakeChrome(
        true,
        { ok: false, status: 401, body: { title: "Unauthorized", status: 401, detail: "unknown or revoked API key" } },
        `https://${EXTENSION_ID}.chromiumapp.org/#key=${KEY}`,
      );
      await mountOptions(document.getElementById("app")!, deps);
      await typeServer("https://baton.example.com");
      byTestId<HTMLButtonElement>("sign-in").click();
      await settle();
      expect(stored["baton.settings"]).toEqual({ server: "https://baton.example.com", apiKey: KEY });
      expect(byTestId("connection-result").textContent).toBe(
        "Signed in and the key is saved, but who it acts for is unknown: The server refused this key: unknown or revoked API key",
      );
    });
  });
});
