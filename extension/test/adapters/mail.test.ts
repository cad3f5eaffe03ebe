import { describe, expect, it } from "vitest";
import { dealKey, readContext } from "../../src/adapters/index";
import { PAGES, parse, parseHtml } from "./pages";

describe("Gmail thread", () => {
  const url = PAGES.gmail.url;

  it("reads the subject and each message's body, without quoted history", () => {
    const context = readContext(parse("gmail"), url);
    expect(context).toMatchObject({
      source: "gmail",
      url,
      deal_key: "FMfcgzQXJWDsKmvPTbkMPnHRBzXsRrkl",
    });
    expect(context.text.split("\n")[0]).toBe("Re: Fieldline for the Kessler service team");
    expect(context.text).toContain("Jonas Kessler:\nHello Sam,");
    expect(context.text).toContain("Sam Okafor:\nHi Jonas, yes: Fieldline Connect");
    expect(context.text).not.toContain("wrote:");
    // Once each, in the order of the thread (the quoted copy is left out).
    expect(context.questions).toEqual([
      "Does it integrate with SAP?",
      "What ROI do customers see in the first year?",
      "And how long does rollout take for 90 technicians?",
    ]);
    // The compose box (the rep's own draft, the signature) is not the thread.
    expect(context.text).not.toContain("Account Executive");
    for (const field of ["opportunity_id", "stage", "industry", "persona"]) {
      expect(context).not.toHaveProperty(field);
    }
  });

  it("keys the thread by the URL's id, else the subject's legacy id, else the URL", () => {
    const doc = parse("gmail");
    expect(dealKey(doc, "https://mail.google.com/mail/u/0/#label/Deals/FMfcgzQXJWDsKmvPTbkMPnHRBzXsRrkl")).toBe(
      "FMfcgzQXJWDsKmvPTbkMPnHRBzXsRrkl",
    );
    expect(dealKey(doc, "https://mail.google.com/mail/u/0/#inbox")).toBe("19378b9c2d4e5f60");
    const inbox = parseHtml("<div role=main>Inbox</div>");
    expect(readContext(inbox, "https://mail.google.com/mail/u/0/#inbox")).toEqual({
      source: "gmail",
      url: "https://mail.google.com/mail/u/0/#inbox",
      deal_key: "https://mail.google.com/mail/u/0/",
      text: "",
      questions: [],
    });
  });

  it("keeps the newest messages when a long thread exceeds the text limit", () => {
    const old = "Old news without questions. ".repeat(200);
    const doc = parseHtml(`<h2 class="hP">Long thread</h2>
      <div class="adn"><span class="gD">A</span><div class="a3s">${old}</div></div>
      <div class="adn"><span class="gD">B</span><div class="a3s">${old}</div></div>
      <div class="adn"><span class="gD">C</span><div class="a3s">Can we start in January?</div></div>`);
    const context = readContext(doc, url);
    expect(context.text.length).toBeLessThanOrEqual(4000);
    expect(context.text.startsWith("Long thread\n\n")).toBe(true);
    expect(context.text.endsWith("C:\nCan we start in January?")).toBe(true);
    expect(context.questions).toEqual(["Can we start in January?"]);
  });
});

describe("Outlook on the web reading pane", () => {
  const url = PAGES.outlook.url;

  it("reads the subject and the messages of the open conversation", () => {
    const context = readContext(parse("outlook"), url);
    expect(context).toMatchObject({
      source: "outlook",
      url,
      deal_key: "AAQkADAwATM0MDAAMS1hNzUzLTg0ZTgtMDACLTAwCgAQAJ8xLq6n+kZPu0XJ5xZ3lL4=",
    });
    expect(context.text.split("\n")[0]).toBe("Storm season crews – NorthGrid Energy");
    expect(context.text).toContain("Priya Natarajan:\nHi Sam,");
    expect(context.text).toContain("Sam Okafor:\nHi Priya, happy to walk you through it.");
    expect(context.questions).toEqual([
      "How does Dispatch choose the nearest crew with switching authorisation?",
      "Does the app work offline when the cell network is down?",
    ]);
    // Not the quoted reply header, the folder list, the message list nor the draft.
    expect(context.text).not.toMatch(/Sent:|Sent Items|Newsletter|Account Executive/);
  });

  it("keys by the item id of a deep link, else the URL; no pane, no text", () => {
    const doc = parseHtml("<div>Loading</div>");
    expect(dealKey(doc, "https://outlook.office365.com/mail/deeplink/read/AAMkAGI2%2Fx")).toBe(
      "AAMkAGI2/x",
    );
    expect(readContext(doc, "https://outlook.live.com/mail/0/")).toEqual({
      source: "outlook",
      url: "https://outlook.live.com/mail/0/",
      deal_key: "https://outlook.live.com/mail/0/",
      text: "",
      questions: [],
    });
  });
});
