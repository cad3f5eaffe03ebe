// Putting a rendered email into the compose box open in Gmail or Outlook on the web.
//
// Gmail: the body `div[aria-label="Message Body"][contenteditable=true]` (its
// `g_editable` attribute when the label is in another language), the subject
// `input[name=subjectbox]`. Outlook: the body `div[aria-label="Message body"]
// [contenteditable=true]` (a `[role=textbox]` editable otherwise), the subject
// `input[aria-label="Add a subject"]`. With several compose boxes open, the one holding the
// focus wins, else the last opened. The subject goes into the input through the input's
// native value setter (React-managed inputs ignore a plain assignment) and the body goes in
// as text lines, above what the box holds (a signature, the quoted thread), never as HTML;
// then input and change events fire so the page saves the draft. A reply has no subject
// box: the body alone is inserted and the reply says so.

import type { ComposeSite, InsertResult } from "../messages";
import { isHiddenInTree, textOf } from "./text";

interface ComposeSelectors {
  body: readonly string[];
  subject: readonly string[];
}

const SELECTORS: Record<ComposeSite, ComposeSelectors> = {
  gmail: {
    body: [
      'div[aria-label="Message Body"][contenteditable="true"]',
      'div[g_editable="true"][contenteditable="true"]',
    ],
    subject: ['input[name="subjectbox"]'],
  },
  outlook: {
    body: [
      'div[aria-label="Message body"][contenteditable="true"]',
      'div[role="textbox"][contenteditable="true"]',
    ],
    subject: ['input[aria-label="Add a subject"]', 'input[placeholder="Add a subject"]'],
  },
};

/** Which compose box a page at `hostname` has, if any. */
export function composeSite(hostname: string): ComposeSite | undefined {
  if (hostname === "mail.google.com") return "gmail";
  if (["outlook.office.com", "outlook.office365.com", "outlook.live.com"].includes(hostname)) {
    return "outlook";
  }
  return undefined;
}

function visible(doc: Document, selectors: readonly string[]): HTMLElement[] {
  for (const selector of selectors) {
    const found = Array.from(doc.querySelectorAll<HTMLElement>(selector)).filter(
      (element) => !isHiddenInTree(element),
    );
    if (found.length > 0) return found;
  }
  return [];
}

/** The subject input of the compose box `body` belongs to: searched in the widest ancestor
 * of `body` that holds no other compose body. */
function subjectFor(
  body: HTMLElement,
  bodies: readonly HTMLElement[],
  selectors: readonly string[],
): HTMLInputElement | undefined {
  let found: HTMLInputElement | undefined;
  for (let node = body.parentElement; node; node = node.parentElement) {
    if (bodies.some((other) => other !== body && node.contains(other))) break;
    for (const selector of selectors) {
      const input = node.querySelector<HTMLInputElement>(selector);
      if (input && !isHiddenInTree(input)) {
        found = input;
        break;
      }
    }
    if (found) break;
  }
  return found;
}

function setInputValue(input: HTMLInputElement, value: string): void {
  const view = input.ownerDocument.defaultView;
  const descriptor = view
    ? Object.getOwnPropertyDescriptor(view.HTMLInputElement.prototype, "value")
    : undefined;
  if (descriptor?.set) descriptor.set.call(input, value);
  else input.value = value;
  fire(input, value);
}

function fire(element: HTMLElement, data: string): void {
  const view = element.ownerDocument.defaultView;
  const InputEventClass = view?.InputEvent ?? (typeof InputEvent === "undefined" ? undefined : InputEvent);
  const EventClass = view?.Event ?? Event;
  const input = InputEventClass
    ? new InputEventClass("input", { bubbles: true, inputType: "insertText", data })
    : new EventClass("input", { bubbles: true });
  element.dispatchEvent(input);
  element.dispatchEvent(new EventClass("change", { bubbles: true }));
}

/** The body's lines as the editor's own blocks: a div per line, an empty line a <br>. */
function lines(doc: Document, text: string): DocumentFragment {
  const fragment = doc.createDocumentFragment();
  for (const line of text.replace(/\r\n?/g, "\n").split("\n")) {
    const block = doc.createElement("div");
    if (line === "") block.appendChild(doc.createElement("br"));
    else block.textContent = line;
    fragment.appendChild(block);
  }
  return fragment;
}

function fillBody(body: HTMLElement, text: string): void {
  const doc = body.ownerDocument;
  const empty = textOf(body) === "" && body.querySelector("img, table, blockquote") === null;
  if (empty) body.replaceChildren(lines(doc, text));
  else {
    // Above the signature or quoted thread, with a blank line between.
    const fragment = lines(doc, text);
    const gap = doc.createElement("div");
    gap.appendChild(doc.createElement("br"));
    fragment.appendChild(gap);
    body.insertBefore(fragment, body.firstChild);
  }
  body.focus();
  fire(body, text);
}

/** Puts `subject` and `body` into the open compose box of the page. */
export function insertIntoCompose(
  doc: Document,
  hostname: string,
  subject: string,
  body: string,
): InsertResult {
  const site = composeSite(hostname);
  if (!site) {
    return { ok: false, detail: "Inserting works in Gmail and Outlook on the web; copy instead." };
  }
  const selectors = SELECTORS[site];
  const bodies = visible(doc, selectors.body);
  if (bodies.length === 0) {
    return {
      ok: false,
      where: site,
      detail: "No open compose box: start a new message or a reply, then insert again.",
    };
  }
  const active = doc.activeElement;
  const target =
    bodies.find((candidate) => active !== null && candidate.contains(active)) ??
    bodies.find((candidate) => {
      const input = subjectFor(candidate, bodies, selectors.subject);
      return input !== undefined && input === active;
    }) ??
    bodies[bodies.length - 1];
  if (!target) return { ok: false, where: site, detail: "No open compose box." };
  const subjectInput = subjectFor(target, bodies, selectors.subject);
  if (subjectInput && subject !== "") setInputValue(subjectInput, subject);
  fillBody(target, body);
  if (!subjectInput && subject !== "") {
    return { ok: true, where: site, detail: "Body inserted; a reply keeps the thread's subject." };
  }
  return { ok: true, where: site };
}
