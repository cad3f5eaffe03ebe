// The options page in jsdom with a fake chrome API: the host permission asked for is the
// entered server's origin only, and the settings go to local storage.
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ApiAnswer, ApiCall } from "../src/api";
import { mountOptions, type OptionsDeps } from "../src/options/options";

function fakeChrome(grant: boolean, answer: ApiAnswer = { ok: true, status: 200, body: {} }) {
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
  };
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
});
