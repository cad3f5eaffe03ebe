// The messages between the extension's parts (chrome.runtime / chrome.tabs.sendMessage),
// typed in one place. The content script answers `baton:context` and `baton:insert`, and
// tells the service worker `baton:page-changed` (never with page content) when the page's
// deal changes. Page content leaves the page only as the answer to `baton:context`, which
// the side panel asks for, and then only towards the configured Baton server.

/** Which adapter read the page. */
export type Source = "salesforce" | "hubspot" | "gmail" | "outlook" | "generic";

/** Where a compose box was found for `baton:insert`. */
export type ComposeSite = "gmail" | "outlook";

/** What the open page is about, as the page shows it (the CRM's raw labels: the side panel
 * maps stage, industry and persona to Baton's slugs through GET /v1/taxonomy). */
export interface DealContext {
  source: Source;
  url: string;
  /** What the page is about: the opportunity/deal id, the mail thread id, or the URL. */
  deal_key: string;
  opportunity_id?: string;
  deal_name?: string;
  stage?: string;
  amount?: number;
  currency?: string;
  industry?: string;
  /** A Baton persona slug derived from `contact_title` (see adapters/persona.ts). */
  persona?: string;
  contact_name?: string;
  contact_title?: string;
  account_name?: string;
  /** The visible activity, email or page text: trimmed, at most MAX_TEXT characters. */
  text: string;
  /** The sentences of `text` that end in "?" (at most MAX_QUESTIONS). */
  questions: string[];
}

export const MAX_TEXT = 4000;
export const MAX_QUESTIONS = 10;

/** side panel / service worker -> content script: reply DealContext. */
export interface ContextRequest {
  type: "baton:context";
}

/** side panel / service worker -> content script: reply InsertResult. */
export interface InsertRequest {
  type: "baton:insert";
  subject: string;
  body: string;
}

export interface InsertResult {
  ok: boolean;
  where?: ComposeSite;
  detail?: string;
}

/** content script -> service worker, when the page's deal_key changes. */
export interface PageChanged {
  type: "baton:page-changed";
  deal_key: string;
  url: string;
}

/** side panel / options page -> service worker: one call to the Baton server. */
export interface ApiRequest {
  type: "baton:api";
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
}

export interface ApiReply {
  ok: boolean;
  status: number;
  body: unknown;
}

/** What the content script answers. */
export type ContentRequest = ContextRequest | InsertRequest;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** A message the content script answers, checked field by field (anything can arrive). */
export function isContentRequest(message: unknown): message is ContentRequest {
  if (!isRecord(message)) return false;
  if (message.type === "baton:context") return true;
  return (
    message.type === "baton:insert" &&
    typeof message.subject === "string" &&
    typeof message.body === "string"
  );
}

export function isPageChanged(message: unknown): message is PageChanged {
  return (
    isRecord(message) &&
    message.type === "baton:page-changed" &&
    typeof message.deal_key === "string" &&
    typeof message.url === "string"
  );
}
