// Outlook on the web (outlook.office.com, outlook.office365.com, outlook.live.com): the
// conversation open in the reading pane.
//
// The reading pane is `[aria-label="Reading Pane"]` (else `[role=main]`); its subject the
// first heading in it, each message body a `[aria-label="Message body"]` that is not the
// editable one of a reply being written. The key is the item id in the URL
// (/mail/inbox/id/<id>, /mail/deeplink/read/<id>, ?ItemID=), else the URL.

import { finish } from "./context";
import { threadText } from "./mail";
import { firstText, isHiddenInTree, oneLine, textOf } from "./text";
import { pageKey, type Adapter } from "./types";

const ITEM_IN_PATH = /\/(?:id|read)\/([^/?#]+)/;

function itemId(url: URL): string | undefined {
  const raw = ITEM_IN_PATH.exec(url.pathname)?.[1] ?? url.searchParams.get("ItemID");
  if (!raw) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function readingPane(doc: Document): Element | undefined {
  return (
    doc.querySelector('[aria-label="Reading Pane"]') ??
    doc.querySelector('[role="main"]') ??
    undefined
  );
}

function messages(pane: Element): string[] {
  return Array.from(pane.querySelectorAll('[aria-label="Message body"]'))
    .filter(
      (body) =>
        !isHiddenInTree(body) &&
        body.getAttribute("contenteditable") !== "true" &&
        !body.closest('[contenteditable="true"]'),
    )
    .map((body) => {
      const item = body.closest('[aria-label="Email message"], [data-convid], [role="listitem"]');
      const sender = item ? firstText(item, ['[aria-label^="From:"]', ".OZZZK"]) : undefined;
      const text = textOf(body, { skip: "#divRplyFwdMsg, #divRplyFwdMsg ~ *, .gmail_quote" });
      return sender ? `${oneLine(sender)}:\n${text}` : text;
    });
}

export const outlook: Adapter = {
  source: "outlook",
  matches: (url) =>
    ["outlook.office.com", "outlook.office365.com", "outlook.live.com"].includes(url.hostname),
  key: (_doc, url) => itemId(url) ?? pageKey(url),
  read(doc, url) {
    const pane = readingPane(doc);
    const subject = pane
      ? firstText(pane, ['[role="heading"][aria-level="2"]', '[role="heading"]', "h1, h2"])
      : undefined;
    return finish({
      source: "outlook",
      url,
      deal_key: itemId(url) ?? pageKey(url),
      text: pane ? threadText(subject, messages(pane)) : "",
    });
  },
};
