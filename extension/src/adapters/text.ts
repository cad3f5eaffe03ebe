// Reading text from the DOM the way a person sees it, without layout (the adapters run in
// pages and in jsdom alike, so no innerText): hidden parts, scripts, styles and page chrome
// are skipped, block elements end lines, runs of spaces collapse.

import { MAX_QUESTIONS, MAX_TEXT } from "../messages";

const SKIPPED = new Set([
  "SCRIPT",
  "STYLE",
  "NOSCRIPT",
  "TEMPLATE",
  "SVG",
  "CANVAS",
  "IFRAME",
  "OBJECT",
  "BUTTON",
  "SELECT",
  "INPUT",
  "TEXTAREA",
  "HEAD",
]);

/** Text for screen readers only (Lightning's "Current Stage:", "Press Delete to Remove"). */
const SCREEN_READER_ONLY = ".slds-assistive-text, .assistiveText, .sr-only, .visually-hidden";

/** Page chrome the generic reader leaves out. */
export const CHROME_TAGS = new Set(["NAV", "FOOTER", "HEADER", "ASIDE", "FORM"]);
const CHROME_ROLES = new Set([
  "navigation",
  "banner",
  "contentinfo",
  "complementary",
  "search",
  "menu",
  "menubar",
  "toolbar",
  "dialog",
]);

const BLOCKS = new Set([
  "ADDRESS",
  "ARTICLE",
  "BLOCKQUOTE",
  "BR",
  "DD",
  "DIV",
  "DL",
  "DT",
  "FIGCAPTION",
  "FIGURE",
  "H1",
  "H2",
  "H3",
  "H4",
  "H5",
  "H6",
  "HR",
  "LI",
  "MAIN",
  "OL",
  "P",
  "PRE",
  "SECTION",
  "TABLE",
  "TD",
  "TH",
  "TR",
  "UL",
]);

/** Hidden as the page marks it: the `hidden` attribute, aria-hidden, an inline or (where a
 * window computes styles) a stylesheet display:none / visibility:hidden. */
export function isHidden(element: Element): boolean {
  if (element.hasAttribute("hidden") || element.getAttribute("aria-hidden") === "true") {
    return true;
  }
  const style = (element as HTMLElement).style as CSSStyleDeclaration | undefined;
  if (style && (style.display === "none" || style.visibility === "hidden")) return true;
  const view = element.ownerDocument.defaultView;
  if (view && typeof view.getComputedStyle === "function") {
    try {
      const computed = view.getComputedStyle(element);
      if (computed.display === "none" || computed.visibility === "hidden") return true;
    } catch {
      // A detached or foreign node: judged by its attributes alone.
    }
  }
  return false;
}

/** True when the element or one of its ancestors is hidden. */
export function isHiddenInTree(element: Element): boolean {
  for (let node: Element | null = element; node; node = node.parentElement) {
    if (isHidden(node)) return true;
  }
  return false;
}

export interface TextOptions {
  /** Leave out nav, header, footer, aside, forms and landmark roles of page chrome. */
  skipChrome?: boolean;
  /** Leave out elements matching this selector (e.g. quoted replies). */
  skip?: string;
}

/** The visible text of `root`, one line per block, spaces collapsed, trimmed. */
export function textOf(root: Element | null | undefined, options: TextOptions = {}): string {
  if (!root) return "";
  const parts: string[] = [];
  const walk = (node: Node): void => {
    if (node.nodeType === 3) {
      parts.push(node.nodeValue ?? "");
      return;
    }
    if (node.nodeType !== 1) return;
    const element = node as Element;
    const tag = element.tagName.toUpperCase();
    if (SKIPPED.has(tag) || isHidden(element)) return;
    if (options.skipChrome && isChrome(element)) return;
    if (options.skip && element.matches(options.skip)) return;
    if (element.matches(SCREEN_READER_ONLY)) return;
    const block = BLOCKS.has(tag);
    if (block) parts.push("\n");
    for (const child of Array.from(element.childNodes)) walk(child);
    if (block) parts.push("\n");
    else if (tag === "TD" || tag === "TH") parts.push(" ");
  };
  walk(root);
  return tidy(parts.join(""));
}

function isChrome(element: Element): boolean {
  const role = element.getAttribute("role");
  return CHROME_TAGS.has(element.tagName.toUpperCase()) || (role !== null && CHROME_ROLES.has(role));
}

/** Spaces collapsed within lines, empty lines dropped, trimmed. */
export function tidy(text: string): string {
  return text
    .replace(/\u00a0/g, " ")
    .split("\n")
    .map((line) => line.replace(/[ \t\r\f\v\u200b]+/g, " ").trim())
    .filter((line) => line !== "")
    .join("\n");
}

/** One line: all whitespace collapsed. */
export function oneLine(text: string | null | undefined): string {
  return (text ?? "").replace(/\s+/g, " ").trim();
}

/** At most `limit` characters, cut at a word boundary when one is near. */
export function cap(text: string, limit: number = MAX_TEXT): string {
  const trimmed = text.trim();
  if (trimmed.length <= limit) return trimmed;
  const cut = trimmed.slice(0, limit);
  const space = cut.search(/\s\S*$/);
  return (space > limit * 0.9 ? cut.slice(0, space) : cut).trim();
}

/** The sentences of `text` that end in "?", in order, without repeats (at most `limit`). */
export function questionsIn(text: string, limit: number = MAX_QUESTIONS): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    // Quoted replies start with ">"; bullets with "-" or "•".
    const clean = line.replace(/^[\s>*•\-–]+/, "");
    for (const match of clean.matchAll(/[^.!?]*\?+/g)) {
      let sentence = oneLine(match[0].replace(/\?+$/, "?"));
      // "Our CFO asks: what ROI do customers see?" asks "What ROI do customers see?".
      const colon = sentence.lastIndexOf(": ");
      if (colon >= 0 && sentence.slice(colon + 2).split(" ").length >= 3) {
        const asked = sentence.slice(colon + 2);
        sentence = asked.charAt(0).toUpperCase() + asked.slice(1);
      }
      // A question has words: "?" alone, "Q?" or a URL's query string are not.
      if (sentence.length < 8 || !/[a-z]{2,}.*\s.*[a-z]/i.test(sentence)) continue;
      if (/^\S*[=&/]\S*\?$/.test(sentence)) continue;
      const key = sentence.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      found.push(sentence);
      if (found.length >= limit) return found;
    }
  }
  return found;
}

/** The text of the first element matching one of `selectors` (in order), one line. */
export function firstText(root: ParentNode, selectors: readonly string[]): string | undefined {
  for (const selector of selectors) {
    for (const element of Array.from(root.querySelectorAll(selector))) {
      if (isHiddenInTree(element)) continue;
      const text = oneLine(textOf(element) || element.getAttribute("title"));
      if (text) return text;
    }
  }
  return undefined;
}

/** An optional field: undefined for empty text. */
export function present(value: string | null | undefined): string | undefined {
  const text = oneLine(value);
  return text === "" ? undefined : text;
}
