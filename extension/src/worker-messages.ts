// Messages between the side panel / options page and the service worker, beside the
// contract's `baton:api` (messages.ts holds the content script's messages).

import type { DealContext, InsertResult } from "./messages";
import type { ApiCall } from "./api";

/** panel -> worker: fetch a file (GET) for the panel to save; reply FileAnswer. */
export interface DownloadRequest {
  type: "baton:download";
  path: string;
  query?: ApiCall["query"];
}

/** panel -> worker: which tab to follow; reply TargetReply. `self` is the panel's own tab
 * when it is opened as a normal tab (never followed). */
export interface TargetRequest {
  type: "baton:target";
  self?: number;
}

export interface TargetReply {
  tabId: number | null;
}

/** panel -> worker: read the deal context of a tab (the content script's answer, the
 * generic fallback injected when no content script runs there); reply ContextReply. */
export interface ContextCall {
  type: "baton:get-context";
  tabId: number;
}

export type ContextReply = { ok: true; context: DealContext } | { ok: false; detail: string };

/** panel -> worker: put subject and body into the tab's compose box; reply InsertResult. */
export interface InsertCall {
  type: "baton:insert-into";
  tabId: number;
  subject: string;
  body: string;
}

export type { InsertResult };

/** worker -> panel (broadcast): the followed tab may show another deal now. */
export interface TabChanged {
  type: "baton:tab-changed";
  tabId: number;
  /** activated: the rep switched tabs; page-changed: the content script saw another deal;
   * loaded: the tab finished loading a page. */
  reason: "activated" | "page-changed" | "loaded";
  deal_key?: string;
}

export function isTabChanged(message: unknown): message is TabChanged {
  return (
    typeof message === "object" &&
    message !== null &&
    (message as { type?: unknown }).type === "baton:tab-changed" &&
    typeof (message as { tabId?: unknown }).tabId === "number"
  );
}
