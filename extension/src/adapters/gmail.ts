// Gmail (https://mail.google.com/mail/u/<n>/#<view>/<threadId>): the open conversation.
//
// The subject is `h2.hP` (which also carries `data-legacy-thread-id`), each expanded
// message's body a `div.a3s`, its sender `span.gD`. Quoted history (`.gmail_quote`) is left
// out, it repeats earlier messages. The thread id is the last part of the URL's fragment
// ("#inbox/FMfcgz..."), else the legacy id on the subject; with no thread open the key is
// the URL.

import { finish } from "./context";
import { threadText } from "./mail";
import { firstText, isHiddenInTree, oneLine, textOf } from "./text";
import { pageKey, type Adapter } from "./types";

const THREAD_ID = /^[A-Za-z0-9_-]{16,}$/;

function threadId(doc: Document, url: URL): string | undefined {
  const last = decodeURIComponent(url.hash.replace(/^#/, "").split("?")[0] ?? "")
    .split("/")
    .pop();
  if (last && THREAD_ID.test(last)) return last;
  const subject = doc.querySelector("h2.hP[data-legacy-thread-id]");
  const legacy = subject?.getAttribute("data-legacy-thread-id");
  return legacy ? legacy : undefined;
}

function messages(doc: Document): string[] {
  return Array.from(doc.querySelectorAll("div.a3s"))
    .filter((body) => !isHiddenInTree(body) && !body.closest('[contenteditable="true"]'))
    .map((body) => {
      const message = body.closest(".adn, [data-message-id]");
      const sender = oneLine(textOf(message?.querySelector("span.gD")));
      const text = textOf(body, { skip: ".gmail_quote, .gmail_attr" });
      return sender && text ? `${sender}:\n${text}` : text;
    });
}

export const gmail: Adapter = {
  source: "gmail",
  matches: (url) => url.hostname === "mail.google.com",
  key: (doc, url) => threadId(doc, url) ?? pageKey(url),
  read(doc, url) {
    const thread = threadId(doc, url);
    const subject = thread ? firstText(doc, ["h2.hP"]) : undefined;
    return finish({
      source: "gmail",
      url,
      deal_key: thread ?? pageKey(url),
      text: thread ? threadText(subject, messages(doc)) : "",
    });
  },
};
