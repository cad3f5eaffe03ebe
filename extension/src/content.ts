// The content script: runs on the CRM and mail sites the manifest matches, and is injected
// into any other page by the service worker when the side panel asks (the generic reader).
// It answers `baton:context` (the page's DealContext) and `baton:insert` (a rendered email
// into the open compose box), and tells the service worker `baton:page-changed` (the new
// deal key and URL, no page content) when the page moves to another deal. It sends nothing
// else, and nothing on its own: page content leaves only as the answer the side panel asked for.

import { adapterFor, dealKey, readContext } from "./adapters/index";
import { generic } from "./adapters/generic";
import { insertIntoCompose } from "./adapters/compose";
import { watchPageChanges, type Watch } from "./adapters/watch";
import { isContentRequest, type InsertResult, type PageChanged } from "./messages";

declare global {
  interface Window {
    __batonContent?: boolean;
  }
}

function selectedText(): string {
  try {
    return window.getSelection()?.toString() ?? "";
  } catch {
    return "";
  }
}

function start(): void {
  const running: { watch?: Watch } = {};

  const send = (message: PageChanged): void => {
    try {
      // Fire and forget: with no listener (the panel closed) there is nothing to tell.
      chrome.runtime.sendMessage(message).catch(() => undefined);
    } catch {
      // The extension was reloaded or removed: this copy of the script is orphaned.
      running.watch?.stop();
    }
  };

  chrome.runtime.onMessage.addListener((message: unknown, _sender, sendResponse) => {
    if (!isContentRequest(message)) return false;
    if (message.type === "baton:context") {
      sendResponse(readContext(document, location.href, selectedText()));
    } else {
      let result: InsertResult;
      try {
        result = insertIntoCompose(document, location.hostname, message.subject, message.body);
      } catch (error) {
        result = { ok: false, detail: `Could not insert: ${String(error)}` };
      }
      sendResponse(result);
    }
    return false;
  });

  running.watch = watchPageChanges({
    win: window,
    key: () => dealKey(document, location.href),
    onChange: (deal_key, url) => send({ type: "baton:page-changed", deal_key, url }),
    // On a CRM or mail site a fresh page load is news for the panel; the generic reader is
    // injected because the panel just asked, so it already knows.
    reportInitial: adapterFor(new URL(location.href)) !== generic,
  });
}

if (!window.__batonContent) {
  window.__batonContent = true;
  start();
}
