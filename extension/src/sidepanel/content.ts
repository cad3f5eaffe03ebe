// What the panel shows of content operations: an asset's review state (a calm badge when
// marketing's review is due or overdue), the pitch kits (collections) that fit the deal,
// and the notice for a piece that was replaced. Pure DOM builders; panel.ts wires the
// actions (the members' cards are the suggestion cards, compact).

import { h } from "../dom";

/** An approved asset's review state, as the server shows it (null when not approved). */
export interface Freshness {
  state: "fresh" | "due" | "overdue";
  review_due_at?: string | null;
  verified_at?: string | null;
}

export interface Asset {
  id: string;
  title: string;
  kind: string;
  summary?: string | null;
  body?: string | null;
  url?: string | null;
  file?: { filename: string; size: number } | null;
  fields?: Record<string, unknown>;
  freshness?: Freshness | null;
}

/** A collection the server suggests for the deal, with its live members in order. */
export interface Kit {
  id: string;
  name: string;
  description?: string;
  reasons?: string[];
  assets: Asset[];
}

function day(iso: string | null | undefined): string | undefined {
  if (!iso) return undefined;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  return date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

/** The badge for content whose review is due or overdue; null for fresh content. */
export function freshnessBadge(freshness: Freshness | null | undefined): HTMLElement | null {
  if (!freshness || (freshness.state !== "overdue" && freshness.state !== "due")) return null;
  const when = day(freshness.review_due_at);
  if (freshness.state === "overdue") {
    const detail = when
      ? `Marketing's review was due on ${when}: this content may be out of date. Check it before sending.`
      : "Marketing's review is overdue: this content may be out of date. Check it before sending.";
    return h(
      "span",
      { class: "freshness freshness-overdue", "data-testid": "freshness", "data-state": "overdue", title: detail },
      "Review overdue",
    );
  }
  const detail = when
    ? `Due for marketing's review by ${when}; still current.`
    : "Due for marketing's review soon; still current.";
  return h(
    "span",
    { class: "freshness freshness-due", "data-testid": "freshness", "data-state": "due", title: detail },
    "Review due",
  );
}

/** The line under an overdue card's title (the badge says it in short). */
export function freshnessNote(freshness: Freshness | null | undefined): HTMLElement | null {
  if (freshness?.state !== "overdue") return null;
  return h(
    "p",
    { class: "freshness-note", "data-testid": "freshness-note" },
    "May be out of date: marketing has not reviewed it in time. Check the facts before sending.",
  );
}

let kitCount = 0;

/** The "Pitch kits" section: each kit's name, description and why it fits, and its members
 * (built by `member`, in order) in a list that expands. Null when there is none. */
export function kitsSection(kits: Kit[], member: (asset: Asset) => HTMLElement): HTMLElement | null {
  const shown = kits.filter((kit) => kit.assets.length > 0);
  if (!shown.length) return null;
  const headingId = `kits-heading-${++kitCount}`;
  return h(
    "section",
    { class: "kits", "data-testid": "kits", "aria-labelledby": headingId },
    h("h2", { class: "section-title", id: headingId }, "Pitch kits"),
    ...shown.map((kit) => {
      const listId = `kit-${++kitCount}-members`;
      const count = kit.assets.length;
      const pieces = `${count} piece${count === 1 ? "" : "s"}`;
      const members = h(
        "ol",
        { class: "kit-members", id: listId, hidden: true, "aria-label": `${kit.name}: ${pieces}` },
        ...kit.assets.map((asset) => h("li", {}, member(asset))),
      );
      const toggle = h(
        "button",
        {
          type: "button",
          class: "kit-toggle",
          "data-testid": "kit-toggle",
          "aria-expanded": "false",
          "aria-controls": listId,
        },
        `Show the ${pieces}`,
      );
      toggle.addEventListener("click", () => {
        members.hidden = !members.hidden;
        toggle.setAttribute("aria-expanded", String(!members.hidden));
        toggle.textContent = members.hidden ? `Show the ${pieces}` : `Hide the ${pieces}`;
      });
      return h(
        "article",
        { class: "kit", "data-testid": "kit", "data-collection-id": kit.id },
        h("h3", { class: "kit-name" }, kit.name),
        kit.description?.trim() ? h("p", { class: "kit-description" }, kit.description.trim()) : null,
        kit.reasons?.length
          ? h(
              "ul",
              { class: "reasons", "aria-label": "Why it fits" },
              ...kit.reasons.map((reason) => h("li", {}, reason)),
            )
          : null,
        toggle,
        members,
      );
    }),
  );
}

/** The notice on a card whose piece was replaced: the replacement's title and a button to
 * use it instead (`use`), or, when the replacement cannot be read, that much. */
export function replacedNotice(replacement: Asset | null, use: () => void): HTMLElement {
  if (!replacement) {
    return h(
      "div",
      { class: "replaced", "data-testid": "replaced", role: "status" },
      h("p", {}, "This piece was replaced by a newer one, which Baton could not open just now."),
    );
  }
  const button = h(
    "button",
    { type: "button", class: "primary", "data-testid": "use-replacement" },
    "Use the replacement",
  );
  button.addEventListener("click", use);
  return h(
    "div",
    {
      class: "replaced",
      "data-testid": "replaced",
      role: "status",
      "data-replacement-id": replacement.id,
    },
    h("p", {}, "This piece was replaced by ", h("strong", {}, replacement.title), "."),
    button,
  );
}

/** The notice on a card whose piece is gone for reps, with nothing replacing it. */
export function withdrawnNotice(): HTMLElement {
  return h(
    "div",
    { class: "replaced", "data-testid": "withdrawn", role: "status" },
    h("p", {}, "This piece is no longer available: marketing withdrew it or it expired."),
  );
}
