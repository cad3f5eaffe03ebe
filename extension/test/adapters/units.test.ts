import { describe, expect, it } from "vitest";
import { parseMoney, parseNumber } from "../../src/adapters/amount";
import { personaFromTitle } from "../../src/adapters/persona";
import { cap, questionsIn, textOf } from "../../src/adapters/text";
import { parseHtml } from "./pages";

describe("persona from a job title", () => {
  it.each([
    ["Chief Financial Officer", "cfo"],
    ["CFO", "cfo"],
    ["VP Finance", "cfo"],
    ["Finance Director", "cfo"],
    ["Financial Controller", "cfo"],
    ["VP Finance & Operations", "cfo"],
    ["Operations Director", "operations-director"],
    ["Head of Operations", "operations-director"],
    ["Director of Field Operations", "operations-director"],
    ["Chief Operating Officer", "operations-director"],
    ["Head of Service Operations", "operations-director"],
    ["Field Service Manager", "operations-director"],
    ["IT Director", "it-director"],
    ["Head of IT", "it-director"],
    ["CIO", "it-director"],
    ["CTO", "it-director"],
    ["Chief Information Officer", "it-director"],
    ["Director, Information Technology", "it-director"],
    ["Field Supervisor", "field-supervisor"],
    ["Field Operations Supervisor", "field-supervisor"],
    ["General Foreman", "field-supervisor"],
    ["Site Superintendent", "field-supervisor"],
    ["Procurement Lead", "procurement-lead"],
    ["Head of Purchasing", "procurement-lead"],
    ["IT Procurement Manager", "procurement-lead"],
  ])("%s -> %s", (title, persona) => {
    expect(personaFromTitle(title)).toBe(persona);
  });

  it.each(["Chief Executive Officer", "Founder", "Sales Manager", "Director of Nursing", "Make it work", ""])(
    "leaves %j unset",
    (title) => {
      expect(personaFromTitle(title)).toBeUndefined();
    },
  );
});

describe("amounts as CRMs display them", () => {
  it.each([
    ["$240,000.00", 240000, "USD"],
    ["USD 240,000.00", 240000, "USD"],
    ["EUR 180,000.00", 180000, "EUR"],
    ["€95.000,00", 95000, "EUR"],
    ["95 000,50 €", 95000.5, "EUR"],
    ["£40K", 40000, "GBP"],
    ["$1.2M", 1200000, "USD"],
    ["CA$12,000", 12000, "CAD"],
    ["CHF 1'250.00", 1250, "CHF"],
    ["84500", 84500, undefined],
  ])("%s", (text, amount, currency) => {
    expect(parseMoney(text)).toEqual(currency ? { amount, currency } : { amount });
  });

  it("reads nothing from text that is not an amount", () => {
    expect(parseMoney("—")).toEqual({});
    expect(parseMoney(undefined)).toEqual({});
    expect(parseNumber("1.2.3,4,5")).toBe(1234.5);
    expect(parseNumber("abc")).toBeUndefined();
  });
});

describe("text", () => {
  it("finds questions, once each, without quote marks, bullets or URL queries", () => {
    const text = [
      "> Does it work offline? does it work offline?",
      "- What about SAP? Fine.",
      "See https://example.com/page?x=1 for details.",
      "Ok? Q?",
    ].join("\n");
    expect(questionsIn(text)).toEqual(["Does it work offline?", "What about SAP?"]);
    expect(questionsIn("Our CFO asks: what ROI do customers see? Re: why?")).toEqual([
      "What ROI do customers see?",
      "Re: why?",
    ]);
  });

  it("caps at a word boundary", () => {
    const text = "word ".repeat(1000);
    const capped = cap(text, 4000);
    expect(capped.length).toBeLessThanOrEqual(4000);
    expect(capped.endsWith("word")).toBe(true);
  });

  it("reads visible text line by line", () => {
    const doc = parseHtml(`<div><p>One  <b>two</b></p><p hidden>secret</p><span style="display:none">no</span>
      <span aria-hidden="true">icon</span><script>x()</script><ul><li>a</li><li>b</li></ul></div>`);
    expect(textOf(doc.body)).toBe("One two\na\nb");
  });
});
