import { describe, expect, it } from "vitest";
import { kindLabel, mapContext, matchTerm, stageLabel, type Taxonomy } from "../src/taxonomy";

const taxonomy: Taxonomy = {
  kinds: ["case_study", "email_template"],
  stages: [
    { slug: "awareness", label: "Awareness" },
    { slug: "decision", label: "Decision" },
  ],
  industries: [{ slug: "construction", label: "Construction" }],
  personas: [{ slug: "cfo", label: "CFO" }],
  products: [],
};

describe("taxonomy mapping", () => {
  it("matches a label or a slug ignoring case and spacing", () => {
    expect(matchTerm(taxonomy.stages, "DECISION")).toBe("decision");
    expect(matchTerm(taxonomy.personas, " cfo ")).toBe("cfo");
    expect(matchTerm(taxonomy.industries, "construction")).toBe("construction");
  });

  it("keeps the CRM's labels Baton does not know aside", () => {
    const mapped = mapContext(taxonomy, {
      stage: "Proposal/Price Quote",
      industry: "Construction",
      persona: "Chief Financial Officer",
    });
    expect(mapped.slugs).toEqual({ industry: "construction" });
    expect(mapped.unknown).toEqual({
      stage: "Proposal/Price Quote",
      persona: "Chief Financial Officer",
    });
  });

  it("ignores facets the page did not name", () => {
    expect(mapContext(taxonomy, { stage: "  " })).toEqual({ slugs: {}, unknown: {} });
  });

  it("labels kinds and stages for people", () => {
    expect(kindLabel("email_template")).toBe("Email template");
    expect(kindLabel("brand_new_kind")).toBe("brand new kind");
    expect(stageLabel(taxonomy, "decision")).toBe("Decision");
    expect(stageLabel(undefined, "decision")).toBe("decision");
  });
});
