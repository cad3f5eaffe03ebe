// Any other page (injected only when the side panel asks): the text the rep selected, else
// the page's title and main text. The main text is `main`, `[role=main]` or `article` when
// the page has one, else the element holding the most paragraph text; navigation, headers,
// footers, asides, forms, scripts and styles are left out.

import { finish } from "./context";
import { isHiddenInTree, oneLine, textOf } from "./text";
import { pageKey, type Adapter } from "./types";

const MAIN = ["main", '[role="main"]', "article"];

/** The element holding the most text of its own paragraphs (a page without landmarks). */
function largestBlock(doc: Document): Element | undefined {
  const scores = new Map<Element, number>();
  for (const paragraph of Array.from(doc.querySelectorAll("p, pre, blockquote, li"))) {
    const parent = paragraph.parentElement;
    if (!parent || isHiddenInTree(paragraph)) continue;
    if (parent.closest("nav, footer, header, aside, form")) continue;
    scores.set(parent, (scores.get(parent) ?? 0) + oneLine(paragraph.textContent).length);
  }
  let best: Element | undefined;
  let bestScore = 0;
  for (const [element, score] of scores) {
    if (score > bestScore) [best, bestScore] = [element, score];
  }
  return best;
}

export function mainElement(doc: Document): Element | undefined {
  for (const selector of MAIN) {
    const candidates = Array.from(doc.querySelectorAll(selector)).filter(
      (element) => !isHiddenInTree(element),
    );
    // The one with the most text, when a page has several articles.
    const best = candidates.sort(
      (a, b) => (b.textContent?.length ?? 0) - (a.textContent?.length ?? 0),
    )[0];
    if (best && oneLine(best.textContent) !== "") return best;
  }
  return largestBlock(doc) ?? doc.body ?? undefined;
}

export const generic: Adapter = {
  source: "generic",
  matches: () => true,
  key: (_doc, url) => pageKey(url),
  read(doc, url, selection) {
    const selected = (selection ?? "").trim();
    let text: string;
    if (selected !== "") text = selected;
    else {
      const title = oneLine(doc.title);
      const body = textOf(mainElement(doc), { skipChrome: true });
      text = title && !body.startsWith(title) ? `${title}\n\n${body}` : body;
    }
    return finish({ source: "generic", url, deal_key: pageKey(url), text });
  },
};
