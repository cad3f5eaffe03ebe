// A contact's job title mapped to the persona Baton's catalogue uses (the demo's personas:
// cfo, operations-director, it-director, field-supervisor, procurement-lead; the side panel
// matches the slug against GET /v1/taxonomy, so a catalogue without one shows it as "not in
// Baton"). The first rule that matches wins, so the narrower roles come first: "IT
// Procurement Manager" is procurement, "Field Operations Supervisor" a field supervisor,
// "VP Finance & Operations" the CFO's side. A title no rule knows (CEO, Founder, Sales
// Manager...) leaves the persona unset; the adapters still report the title itself.

export interface PersonaRule {
  persona: string;
  /** Matched against the title; case-insensitive unless the rule says otherwise. */
  pattern: RegExp;
}

export const PERSONA_RULES: readonly PersonaRule[] = [
  {
    persona: "procurement-lead",
    pattern: /\b(procurement|purchasing|sourcing|buyer|vendor management|category manager)\b/i,
  },
  {
    persona: "cfo",
    pattern:
      /\b(cfo|chief financial officer|finance|financial|controller|comptroller|treasurer)\b/i,
  },
  {
    persona: "it-director",
    // "IT" only in capitals: "it" is a word too.
    pattern: /\bIT\b|\b(CIO|CTO|CISO|CDO)\b/,
  },
  {
    persona: "it-director",
    pattern:
      /\b(chief (information|technology|digital|information security) officer|information technology|information systems|infrastructure|enterprise architect|head of technology|systems (director|manager))\b/i,
  },
  {
    persona: "field-supervisor",
    pattern:
      /\b(supervisor|foreman|forewoman|forewomen|superintendent|crew (lead|leader|chief)|site manager|field manager|team lead(er)?, field|shift lead(er)?)\b/i,
  },
  {
    persona: "operations-director",
    pattern:
      /\b(coo|chief operating officer|operations|ops|head of service|service director|director of service|field service)\b/i,
  },
];

/** The Baton persona slug for a job title, or undefined when no rule knows it. */
export function personaFromTitle(title: string | undefined): string | undefined {
  if (!title) return undefined;
  return PERSONA_RULES.find((rule) => rule.pattern.test(title))?.persona;
}
