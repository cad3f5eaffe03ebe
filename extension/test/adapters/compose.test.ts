import { describe, expect, it } from "vitest";
import { insertIntoCompose } from "../../src/adapters/compose";
import { textOf } from "../../src/adapters/text";
import { load } from "./pages";

const SUBJECT = "ROI of Fieldline Mobile for Kessler Machining";
const BODY = "Hi Jonas,\n\nHere is the case study you asked for.\n\nBest,\nSam";

/** The input events each element receives. */
function recordInputs(...elements: Element[]): [InputEvent[], InputEvent[]] {
  const [first, second] = elements.map((element) => {
    const events: InputEvent[] = [];
    element.addEventListener("input", (event) => events.push(event as InputEvent));
    return events;
  });
  return [first ?? [], second ?? []];
}

describe("inserting into Gmail's compose box", () => {
  it("fills the subject and puts the body above the signature, firing input events", () => {
    const doc = load("gmail");
    const subject = doc.querySelector<HTMLInputElement>('input[name="subjectbox"]');
    const body = doc.querySelector<HTMLElement>('div[aria-label="Message Body"]');
    if (!subject || !body) throw new Error("fixture without a compose box");
    const [subjectEvents, bodyEvents] = recordInputs(subject, body);
    let changed = 0;
    subject.addEventListener("change", () => (changed += 1));

    const result = insertIntoCompose(doc, "mail.google.com", SUBJECT, BODY);

    expect(result).toEqual({ ok: true, where: "gmail" });
    expect(subject.value).toBe(SUBJECT);
    expect(textOf(body)).toBe(
      "Hi Jonas,\nHere is the case study you asked for.\nBest,\nSam\n--\nSam Okafor · Account Executive, Fieldline",
    );
    // One block per line, blank lines kept as <br>, the signature still last.
    expect(body.children[0]?.textContent).toBe("Hi Jonas,");
    expect(body.children[1]?.innerHTML).toBe("<br>");
    expect(body.lastElementChild?.className).toBe("gmail_signature");
    expect(subjectEvents).toHaveLength(1);
    expect(bodyEvents).toHaveLength(1);
    expect(bodyEvents[0]?.bubbles).toBe(true);
    expect(bodyEvents[0]?.inputType).toBe("insertText");
    expect(changed).toBe(1);
    expect(doc.activeElement).toBe(body);
  });

  it("inserts text, never markup", () => {
    const doc = load("gmail");
    insertIntoCompose(doc, "mail.google.com", "<b>x</b>", "<img src=x onerror=alert(1)>");
    const body = doc.querySelector('div[aria-label="Message Body"]');
    expect(body?.querySelector("img")).toBeNull();
    expect(body?.firstElementChild?.textContent).toBe("<img src=x onerror=alert(1)>");
    expect(doc.querySelector<HTMLInputElement>('input[name="subjectbox"]')?.value).toBe("<b>x</b>");
  });

  it("chooses the compose box holding the focus, and a reply without subject box", () => {
    const doc = load("gmail");
    const reply = doc.createElement("div");
    reply.className = "M9";
    reply.innerHTML =
      '<div aria-label="Message Body" contenteditable="true" g_editable="true" tabindex="1"></div>';
    doc.querySelector('[role="main"]')?.appendChild(reply);
    const replyBody = reply.firstElementChild as HTMLElement;
    replyBody.focus();

    const result = insertIntoCompose(doc, "mail.google.com", SUBJECT, "Thanks!");

    expect(result).toEqual({
      ok: true,
      where: "gmail",
      detail: "Body inserted; a reply keeps the thread's subject.",
    });
    expect(replyBody.textContent).toBe("Thanks!");
    // The other compose window is untouched.
    expect(doc.querySelector<HTMLInputElement>('input[name="subjectbox"]')?.value).toBe("");
    expect(textOf(doc.querySelector('.dw div[aria-label="Message Body"]'))).not.toContain("Thanks!");
  });

  it("says so when no compose box is open", () => {
    const doc = load("gmail");
    doc.querySelector(".dw")?.remove();
    expect(insertIntoCompose(doc, "mail.google.com", SUBJECT, BODY)).toEqual({
      ok: false,
      where: "gmail",
      detail: "No open compose box: start a new message or a reply, then insert again.",
    });
  });
});

describe("inserting into Outlook's compose box", () => {
  it("fills the subject and the body above the signature, firing input events", () => {
    const doc = load("outlook");
    const subject = doc.querySelector<HTMLInputElement>('input[aria-label="Add a subject"]');
    const body = doc.querySelector<HTMLElement>('div[aria-label="Message body"][contenteditable="true"]');
    if (!subject || !body) throw new Error("fixture without a compose box");
    const [subjectEvents, bodyEvents] = recordInputs(subject, body);

    const result = insertIntoCompose(doc, "outlook.office.com", SUBJECT, BODY);

    expect(result).toEqual({ ok: true, where: "outlook" });
    expect(subject.value).toBe(SUBJECT);
    expect(textOf(body)).toBe(
      "Hi Jonas,\nHere is the case study you asked for.\nBest,\nSam\nSam Okafor\nAccount Executive, Fieldline",
    );
    expect(body.querySelector("#Signature")).not.toBeNull();
    expect(subjectEvents).toHaveLength(1);
    expect(bodyEvents).toHaveLength(1);
    // The messages being read are untouched.
    const read = Array.from(doc.querySelectorAll('[aria-label="Message body"]:not([contenteditable])'));
    expect(read.map((element) => textOf(element)).join(" ")).not.toContain("case study you asked for");
  });

  it("replaces an empty body", () => {
    const doc = load("outlook");
    const body = doc.querySelector<HTMLElement>('div[aria-label="Message body"][contenteditable="true"]');
    body?.replaceChildren(doc.createElement("br"));
    insertIntoCompose(doc, "outlook.office.com", "", "One line");
    expect(body?.innerHTML).toBe("<div>One line</div>");
    expect(doc.querySelector<HTMLInputElement>('input[aria-label="Add a subject"]')?.value).toBe("");
  });
});

describe("inserting elsewhere", () => {
  it("refuses on a page that is not Gmail or Outlook", () => {
    const doc = load("news");
    expect(insertIntoCompose(doc, "news.example.org", SUBJECT, BODY)).toEqual({
      ok: false,
      detail: "Inserting works in Gmail and Outlook on the web; copy instead.",
    });
  });
});
