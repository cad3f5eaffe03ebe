// The Baton server's address and the rep's API key: in chrome.storage.local only (never
// sync storage: the key must not follow the Google account to other machines), never
// logged.

export interface Settings {
  /** The server's base address without a trailing slash, e.g. https://baton.example.com */
  server: string;
  apiKey: string;
}

const KEY = "baton.settings";

/** The storage area settings live in: chrome.storage.local, or a fake in tests. */
export type Store = Pick<chrome.storage.StorageArea, "get" | "set">;

export async function loadSettings(store: Store): Promise<Settings | null> {
  const found = (await store.get(KEY))[KEY] as Partial<Settings> | undefined;
  if (!found?.server || !found.apiKey) return null;
  return { server: found.server, apiKey: found.apiKey };
}

export async function saveSettings(store: Store, settings: Settings): Promise<void> {
  await store.set({ [KEY]: settings });
}

/** The entered address as the base URL the extension calls (http or https, no query,
 * no fragment, no trailing slash), or an error a person can act on. */
export function normaliseServer(entered: string): { server: string } | { error: string } {
  let url: URL;
  try {
    url = new URL(entered.trim());
  } catch {
    return { error: "Enter the server's full address, e.g. https://baton.example.com" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { error: "The address must start with https:// (or http:// for a local server)" };
  }
  if (url.username || url.password) {
    return { error: "Leave the user name and password out of the address" };
  }
  return { server: `${url.origin}${url.pathname.replace(/\/+$/, "")}` };
}

/** The host permission pattern for the server's origin, e.g. https://baton.example.com/* */
export function originPattern(server: string): string {
  return `${new URL(server).origin}/*`;
}
