import type { DealContext, Source } from "../messages";

/** A page adapter: pure functions of the DOM and the URL, which never throw for a page that
 * lacks what they look for (a missing field is left out of the context). */
export interface Adapter {
  source: Source;
  /** Whether this adapter reads pages at `url`. */
  matches(url: URL): boolean;
  /** What the page is about, cheaply (the page-change watcher asks on every change). */
  key(doc: Document, url: URL): string;
  /** The deal context of the page. */
  read(doc: Document, url: URL, selection?: string): DealContext;
}

/** The URL without its fragment: the generic key of a page. */
export function pageKey(url: URL): string {
  return `${url.origin}${url.pathname}${url.search}`;
}
