import { afterEach, describe, expect, it } from "vitest";
import { dealKey, readContext } from "../../src/adapters/index";
import { load, PAGES, parse, parseHtml } from "./pages";

const url = PAGES.news.url;

afterEach(() => {
  window.getSelection()?.removeAllRanges();
});

describe("generic page", () => {
  it("reads the title and the article, not the page's chrome or scripts", () => {
    const context = readContext(parse("news"), `${url}#comments`);
    expect(context).toMatchObject({ source: "generic", deal_key: url });
    expect(context.text.split("\n")[0]).toBe("Utilities brace for a hard storm season as crews retire");
    expect(context.text).toContain("a generation of experienced line workers retires");
    expect(context.text).not.toMatch(/Subscribe|Most read|Ten cranes|newsletter|Privacy|analytics|color: red|document\.write/);
    expect(context.questions).toEqual([
      "Can utilities give accurate restoration times during a storm?",
    ]);
    for (const field of ["opportunity_id", "stage", "industry", "persona", "amount"]) {
      expect(context).not.toHaveProperty(field);
    }
  });

  it("reads the selected text instead when the rep selected some", () => {
    const doc = load("news");
    const paragraph = Array.from(doc.querySelectorAll("article p"))[3];
    expect(paragraph).toBeDefined();
    const range = doc.createRange();
    range.selectNodeContents(paragraph as Element);
    window.getSelection()?.addRange(range);
    const selection = window.getSelection()?.toString() ?? "";
    const context = readContext(doc, url, selection);
    expect(context.text).toBe(
      "Regulators are asking how quickly restoration estimates reach customers. Can utilities give accurate restoration times during a storm? Industry groups say mobile apps that work offline are becoming a requirement.",
    );
    expect(context.questions).toEqual(["Can utilities give accurate restoration times during a storm?"]);
    // A blank selection is no selection.
    expect(readContext(doc, url, "  \n ").text).toContain("Utilities brace for a hard storm season");
  });

  it("finds the largest text block on a page without landmarks", () => {
    const doc = parseHtml(`<title>Pricing notes</title><body>
      <div class="menu"><a href="/">Home</a> <a href="/about">About</a></div>
      <div class="content"><p>Crews of 40 or more get volume pricing.</p><p>Is there a discount for non-profits?</p></div>
      <div class="sidebar"><p>Short.</p></div>
      <footer><p>Copyright and a very long legal notice that goes on and on and on and on and on.</p></footer>
    </body>`);
    const context = readContext(doc, "https://docs.example.com/pricing?x=1");
    expect(context.text).toBe(
      "Pricing notes\n\nCrews of 40 or more get volume pricing.\nIs there a discount for non-profits?",
    );
    expect(context.deal_key).toBe("https://docs.example.com/pricing?x=1");
  });

  it("answers for an empty page", () => {
    expect(readContext(parseHtml(""), "https://blank.example/")).toEqual({
      source: "generic",
      url: "https://blank.example/",
      deal_key: "https://blank.example/",
      text: "",
      questions: [],
    });
    expect(dealKey(parseHtml(""), "https://blank.example/a#b")).toBe("https://blank.example/a");
  });
});
