import { describe, expect, it } from "vitest";
import { dealKey, readContext } from "../../src/adapters/index";
import { salesforce } from "../../src/adapters/salesforce";
import { PAGES, parse, parseHtml } from "./pages";

const url = PAGES.salesforce.url;

describe("Salesforce Lightning opportunity", () => {
  it("reads the open opportunity's fields, contact and activity", () => {
    const context = readContext(parse("salesforce"), url);
    expect(context).toMatchObject({
      source: "salesforce",
      url,
      deal_key: "0065g00000KXbQ2AAL",
      opportunity_id: "0065g00000KXbQ2AAL",
      deal_name: "Harbour Line Tunnelling – Fieldline Mobile rollout",
      stage: "Decision",
      amount: 240000,
      currency: "USD",
      industry: "Construction",
      account_name: "Harbour Line Tunnelling",
      contact_name: "Dana Whitfield",
      contact_title: "Chief Financial Officer",
      persona: "cfo",
    });
    expect(context.text).toContain("Paper shotcrete inspection forms take three days");
    expect(context.text).toContain("Send ROI case study and offline FAQ");
    expect(context.text).toContain("Rework on shotcrete linings runs at about 12%");
    expect(context.questions).toEqual([
      "What ROI do customers see in the first year?",
      "Our crews work underground with no signal for the whole shift, so does the app work offline?",
    ]);
  });

  it("never reads the record pages Lightning keeps hidden for the back button", () => {
    const context = readContext(parse("salesforce"), url);
    const all = JSON.stringify(context);
    expect(all).not.toContain("Summit Ridge");
    expect(all).not.toContain("Manufacturing");
    expect(all).not.toContain("NorthGrid");
    // Nor the screen-reader-only text of the path, the page's buttons or its navigation.
    expect(context.text).not.toMatch(/Current Stage|Stage Complete|Edit Opportunity|Opportunities/);
  });

  it("reads another opportunity when Lightning makes its cached page active", () => {
    const doc = parse("salesforce");
    for (const page of Array.from(doc.querySelectorAll(".oneContent"))) {
      page.classList.toggle("active", page.getAttribute("data-recordid") === "0065g00000LmNoPAA1");
    }
    const other = url.replace("0065g00000KXbQ2AAL", "0065g00000LmNoPAA1");
    const context = readContext(doc, other);
    expect(context).toMatchObject({
      deal_key: "0065g00000LmNoPAA1",
      opportunity_id: "0065g00000LmNoPAA1",
      deal_name: "NorthGrid Energy – Dispatch for storm response",
      stage: "Consideration",
      amount: 180000,
      currency: "EUR",
      industry: "Utilities",
      account_name: "NorthGrid Energy",
      contact_name: "Priya Natarajan",
      contact_title: "Director of Field Operations",
      persona: "operations-director",
    });
    expect(context.questions).toContain("Does the app work offline when the cell network is down?");
    expect(JSON.stringify(context)).not.toContain("Harbour Line");
  });

  it("leaves out what a page does not show, without throwing", () => {
    const doc = parseHtml(`<div class="oneContent active">
        <records-record-layout-item field-label="Stage">
          <span class="test-id__field-label">Stage</span>
          <span class="test-id__field-value"></span>
        </records-record-layout-item>
        <records-record-layout-item field-label="Amount">
          <span class="test-id__field-label">Amount</span>
          <span class="test-id__field-value">—</span>
        </records-record-layout-item>
      </div>`);
    const context = readContext(doc, url);
    expect(context).toEqual({
      source: "salesforce",
      url,
      deal_key: "0065g00000KXbQ2AAL",
      opportunity_id: "0065g00000KXbQ2AAL",
      text: "",
      questions: [],
    });
  });

  it("keeps a contact title no persona rule knows, without a persona", () => {
    const doc = parseHtml(`<div class="oneContent active">
        <article aria-label="Contact Roles"><ul><li><article class="slds-tile">
          <h3 class="slds-tile__title"><a href="#">Ana Lopez</a></h3>
          <dl><dt>Title:</dt><dd>Chief Executive Officer</dd></dl>
        </article></li></ul></article></div>`);
    const context = readContext(doc, url);
    expect(context.contact_name).toBe("Ana Lopez");
    expect(context.contact_title).toBe("Chief Executive Officer");
    expect(context).not.toHaveProperty("persona");
  });

  it("takes the record id from the page when the URL has none, else the URL", () => {
    const doc = parse("salesforce");
    const console = "https://fieldline.lightning.force.com/lightning/page/home";
    expect(salesforce.key(doc, new URL(console))).toBe("0065g00000KXbQ2AAL");
    const empty = parseHtml("<p>Home</p>");
    expect(dealKey(empty, console)).toBe(console);
    expect(readContext(empty, console)).toMatchObject({ deal_key: console, text: "" });
    expect(dealKey(empty, "https://fieldline.lightning.force.com/lightning/r/006Hs00000AbCdE/view")).toBe(
      "006Hs00000AbCdE",
    );
  });

  it("caps the text at 4000 characters and lists at most 10 questions", () => {
    const long = Array.from({ length: 400 }, (_, i) => `Does item ${i} work offline?`).join(" ");
    const doc = parseHtml(`<div class="oneContent active"><ul class="slds-timeline"><li>${long}</li></ul></div>`);
    const context = readContext(doc, url);
    expect(context.text.length).toBeLessThanOrEqual(4000);
    expect(context.questions).toHaveLength(10);
    expect(context.questions[0]).toBe("Does item 0 work offline?");
  });
});
