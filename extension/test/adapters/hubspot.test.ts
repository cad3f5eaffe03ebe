import { describe, expect, it } from "vitest";
import { readContext } from "../../src/adapters/index";
import { PAGES, parse, parseHtml } from "./pages";

const url = PAGES.hubspot.url;

describe("HubSpot deal record", () => {
  it("reads the deal's properties, primary company, contact and timeline", () => {
    const context = readContext(parse("hubspot"), url);
    expect(context).toMatchObject({
      source: "hubspot",
      url,
      deal_key: "18234567890",
      opportunity_id: "18234567890",
      deal_name: "Coastline Home Health – Dispatch & Mobile",
      stage: "Decision",
      amount: 84500,
      currency: "USD",
      industry: "Healthcare",
      account_name: "Coastline Home Health",
      contact_name: "Alicia Moreno",
      contact_title: "IT Director",
      persona: "it-director",
    });
    expect(context.text).toContain("320 nurses and therapists plan their own routes");
    expect(context.text).toContain("Our compliance team finished the first pass.");
    expect(context.text).toContain("Mercy Home Health reference resonated");
    expect(context.questions).toEqual([
      "Is patient data handled in a HIPAA-compliant way, including photos taken at the bedside?",
    ]);
    // The navigation, the search box and the buttons are not the deal's text.
    expect(context.text).not.toMatch(/Reporting|Search HubSpot|Note\nEmail/);
  });

  it("reads the EU data centre's host and the older deal URL", () => {
    const context = readContext(
      parse("hubspot"),
      "https://app-eu1.hubspot.com/contacts/24681357/deal/18234567890/",
    );
    expect(context).toMatchObject({ source: "hubspot", deal_key: "18234567890", stage: "Decision" });
  });

  it("finds properties by label when the internal names are not marked", () => {
    const doc = parseHtml(`<main>
      <div class="private-property"><label>Deal stage</label><dd>Consideration</dd></div>
      <div data-selenium-test="property-input-x"><label data-selenium-test="property-label">Amount</label>
        <span data-selenium-test="property-value">€12.500,50</span></div>
      <section><h2>Companies</h2><div data-selenium-test="association-record">
        <a data-selenium-test="association-record-title" href="#">Brightwater Tunnelling</a>
        <div data-selenium-test="association-record-property"><dt>Industry</dt><dd>Construction</dd></div>
      </div></section></main>`);
    const context = readContext(doc, url);
    expect(context).toMatchObject({
      stage: "Consideration",
      amount: 12500.5,
      currency: "EUR",
      industry: "Construction",
      account_name: "Brightwater Tunnelling",
    });
  });

  it("leaves out what a deal page does not show, without throwing", () => {
    const context = readContext(parseHtml("<main><h2>Contacts (0)</h2></main>"), url);
    expect(context).toEqual({
      source: "hubspot",
      url,
      deal_key: "18234567890",
      opportunity_id: "18234567890",
      text: "",
      questions: [],
    });
    const list = "https://app.hubspot.com/contacts/24681357/objects/0-3/views/all/list";
    expect(readContext(parseHtml(""), list)).toMatchObject({ deal_key: list });
  });
});
