// The service worker: the only part of the extension that talks to the network, and only
// to the configured Baton server. It remembers which tab the side panel follows (tab
// activations and the content script's page-changed messages), reads a tab's deal context
// through its content script (injecting the generic one under activeTab or a granted
// host permission when none runs there), tells the side panel when the page changes, and
// runs "Sign in with Baton" (chrome.identity.launchWebAuthFlow, signin.ts) for the options page.

import { request, requestFile, type ApiCall } from "./api";
import { isPageChanged, type ContextRequest, type DealContext, type InsertRequest } from "./messages";
import { loadSettings } from "./settings";
import { isSignInRequest, signIn } from "./signin";
import type {
  ContextCall,
  ContextReply,
  DownloadRequest,
  InsertCall,
  TabChanged,
  TargetRequest,
  TargetReply,
} from "./worker-messages";

const HISTORY = "baton.tabs";
const PANEL_TABS = "baton.panelTabs";

chrome.runtime.onInstalled.addListener(() => {
  void chrome.sidePanel.setPanelBehavior({ openPanelOnActionClick: true });
});

async function sessionList(key: string): Promise<number[]> {
  const found = (await chrome.storage.session.get(key))[key] as number[] | undefined;
  return found ?? [];
}

/** Puts a tab first in the list of recently active tabs. */
async function touch(tabId: number): Promise<void> {
  const history = (await sessionList(HISTORY)).filter((id) => id !== tabId);
  await chrome.storage.session.set({ [HISTORY]: [tabId, ...history].slice(0, 20) });
}

async function target(self: number | undefined): Promise<number | null> {
  const panels = await sessionList(PANEL_TABS);
  if (self !== undefined && !panels.includes(self)) {
    await chrome.storage.session.set({ [PANEL_TABS]: [...panels, self].slice(-20) });
    panels.push(self);
  }
  const history = await sessionList(HISTORY);
  const found = history.find((id) => !panels.includes(id));
  if (found !== undefined) return found;
  const [active] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
  return active?.id !== undefined && !panels.includes(active.id) ? active.id : null;
}

function announce(message: TabChanged): void {
  // Nobody listening (the panel is closed) is not an error.
  chrome.runtime.sendMessage(message).catch(() => undefined);
}

chrome.tabs.onActivated.addListener(({ tabId }) => {
  void touch(tabId).then(() => announce({ type: "baton:tab-changed", tabId, reason: "activated" }));
});

// A tab loaded another page (where no content script runs to say so, too): without the
// "tabs" permission the event carries no address, only that loading completed.
chrome.tabs.onUpdated.addListener((tabId, change) => {
  if (change.status === "complete") announce({ type: "baton:tab-changed", tabId, reason: "loaded" });
});

chrome.tabs.onRemoved.addListener((tabId) => {
  void sessionList(HISTORY).then((history) =>
    chrome.storage.session.set({ [HISTORY]: history.filter((id) => id !== tabId) }),
  );
});

async function ask<T>(tabId: number, message: ContextRequest | InsertRequest): Promise<T> {
  return await chrome.tabs.sendMessage<ContextRequest | InsertRequest, T>(tabId, message);
}

async function contextOf(tabId: number): Promise<ContextReply> {
  const question: ContextRequest = { type: "baton:context" };
  try {
    const context = await ask<DealContext | undefined>(tabId, question);
    if (context) return { ok: true, context };
  } catch {
    // No content script there: the generic one is injected below.
  }
  try {
    await chrome.scripting.executeScript({ target: { tabId }, files: ["content.js"] });
    const context = await ask<DealContext | undefined>(tabId, question);
    if (context) return { ok: true, context };
    return { ok: false, detail: "The page did not answer" };
  } catch {
    return {
      ok: false,
      detail: "Baton cannot read this page: click the Baton icon on it to allow it once",
    };
  }
}

async function insertInto(call: InsertCall): Promise<unknown> {
  try {
    return await ask(call.tabId, { type: "baton:insert", subject: call.subject, body: call.body });
  } catch {
    return { ok: false, detail: "No compose box can be reached on that page" };
  }
}

type Incoming =
  | ({ type: "baton:api" } & ApiCall)
  | DownloadRequest
  | TargetRequest
  | ContextCall
  | InsertCall;

chrome.runtime.onMessage.addListener((message: unknown, sender, reply) => {
  if (isPageChanged(message)) {
    const tabId = sender.tab?.id;
    if (tabId !== undefined) {
      void touch(tabId).then(() =>
        announce({ type: "baton:tab-changed", tabId, reason: "page-changed", deal_key: message.deal_key }),
      );
    }
    return false;
  }
  // Only the extension's own pages may use the server (content scripts run in web pages).
  if (sender.id !== chrome.runtime.id || !sender.url?.startsWith(chrome.runtime.getURL(""))) {
    return false;
  }
  if (isSignInRequest(message)) {
    // The sign-in window runs here; the key it brings back is stored before the options
    // page hears of it (closing that page meanwhile loses nothing).
    signIn(message.server, { identity: chrome.identity, storage: chrome.storage.local }).then(
      reply,
      (error: unknown) => reply({ ok: false, reason: "failed", detail: String(error) }),
    );
    return true;
  }
  const incoming = message as Incoming;
  const answer = async (): Promise<unknown> => {
    switch (incoming.type) {
      case "baton:api": {
        const { type, ...call } = incoming;
        void type;
        return request(await loadSettings(chrome.storage.local), call);
      }
      case "baton:download":
        return requestFile(await loadSettings(chrome.storage.local), {
          method: "GET",
          path: incoming.path,
          query: incoming.query,
        });
      case "baton:target":
        return { tabId: await target(incoming.self) } satisfies TargetReply;
      case "baton:get-context":
        return contextOf(incoming.tabId);
      case "baton:insert-into":
        return insertInto(incoming);
      default:
        return undefined;
    }
  };
  if (
    !["baton:api", "baton:download", "baton:target", "baton:get-context", "baton:insert-into"].includes(
      incoming.type,
    )
  ) {
    return false;
  }
  answer().then(reply, (error: unknown) => reply({ ok: false, status: 0, body: { detail: String(error) } }));
  return true;
});
