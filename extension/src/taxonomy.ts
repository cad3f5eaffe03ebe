// The CRM's raw labels ("Proposal/Price Quote", "Construction", "CFO") mapped to Baton's
// slugs through GET /v1/taxonomy: a label or a slug that matches, ignoring case, spaces,
// dashes and underscores. What matches nothing is kept aside and shown as "not in Baton".

export interface Term {
  slug: string;
  label: string;
}

export interface Taxonomy {
  kinds: string[];
  stages: Term[];
  industries: Term[];
  personas: Term[];
  products: Term[];
}

export type Facet = "stage" | "industry" | "persona";

export interface Mapped {
  /** The Baton slug of each facet the page named and Baton knows. */
  slugs: Partial<Record<Facet, string>>;
  /** The page's labels Baton does not know, by facet: shown as "not in Baton". */
  unknown: Partial<Record<Facet, string>>;
}

function normalise(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, " ");
}

/** The slug of the term whose label or slug matches `raw`, or undefined. */
export function matchTerm(terms: readonly Term[], raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const wanted = normalise(raw);
  if (wanted === "") return undefined;
  const found = terms.find(
    (term) => normalise(term.label) === wanted || normalise(term.slug) === wanted,
  );
  return found?.slug;
}

const FACET_TERMS: Record<Facet, keyof Omit<Taxonomy, "kinds">> = {
  stage: "stages",
  industry: "industries",
  persona: "personas",
};

/** Maps the page's stage, industry and persona labels to slugs. */
export function mapContext(
  taxonomy: Taxonomy,
  labels: Partial<Record<Facet, string | undefined>>,
): Mapped {
  const mapped: Mapped = { slugs: {}, unknown: {} };
  for (const facet of Object.keys(FACET_TERMS) as Facet[]) {
    const raw = labels[facet];
    if (raw === undefined || raw.trim() === "") continue;
    const slug = matchTerm(taxonomy[FACET_TERMS[facet]], raw);
    if (slug === undefined) mapped.unknown[facet] = raw.trim();
    else mapped.slugs[facet] = slug;
  }
  return mapped;
}

const KIND_LABELS: Record<string, string> = {
  case_study: "Case study",
  testimonial: "Testimonial",
  email_template: "Email template",
  ebook: "E-book",
  white_paper: "White paper",
  talking_point: "Talking point",
  one_pager: "One-pager",
  battlecard: "Battlecard",
  presentation: "Presentation",
  other: "Other",
};

/** A kind's label for a person ("case_study" -> "Case study"). */
export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind.replace(/_/g, " ");
}

/** A stage's label from the taxonomy, else the slug itself. */
export function stageLabel(taxonomy: Taxonomy | undefined, slug: string): string {
  return taxonomy?.stages.find((term) => term.slug === slug)?.label ?? slug;
}
