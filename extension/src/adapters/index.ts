// The adapter for a page, by its address: the CRM and mail sites the manifest matches have
// their own, any other page gets the generic reader.

import type { DealContext } from "../messages";
import { generic } from "./generic";
import { gmail } from "./gmail";
import { hubspot } from "./hubspot";
import { outlook } from "./outlook";
import { salesforce } from "./salesforce";
import type { Adapter } from "./types";

export const ADAPTERS: readonly Adapter[] = [salesforce, hubspot, gmail, outlook];

export function adapterFor(url: URL): Adapter {
  return ADAPTERS.find((adapter) => adapter.matches(url)) ?? generic;
}

/** The page's deal context. Never throws: a page an adapter cannot make sense of still
 * answers, with its URL as the key and whatever text could be read. */
export function readContext(doc: Document, href: string, selection?: string): DealContext {
  const url = new URL(href);
  const adapter = adapterFor(url);
  try {
    return adapter.read(doc, url, selection);
  } catch {
    return { source: adapter.source, url: url.href, deal_key: dealKey(doc, href), text: "", questions: [] };
  }
}

/** What the page is about (see Adapter.key); the URL when the adapter fails. */
export function dealKey(doc: Document, href: string): string {
  const url = new URL(href);
  try {
    return adapterFor(url).key(doc, url);
  } catch {
    return `${url.origin}${url.pathname}${url.search}`;
  }
}

export { generic, gmail, hubspot, outlook, salesforce };
