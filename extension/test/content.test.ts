// The content-operations pieces of the side panel: the review-state badge, the pitch kits
// section (collapsed, members in order) and the replaced / withdrawn notices.
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  freshnessBadge,
  freshnessNote,
  kitsSection,
  replacedNotice,
  withdrawnNotice,
  type Asset,
  type Kit,
} from "../src/sidepanel/content";
import { h } from "../src/dom";

const asset = (id: string, title: string, kind = "one_pager"): Asset => ({ id, title, kind });

describe("review state", () => {
  it("badges overdue content and says it may be out of date", () => {
    const freshness = { state: "overdue" as const, review_due_at: "2026-09-01T12:00:00Z" };
    const badge = freshnessBadge(freshness)!;
    expect(badge.textContent).toBe("Review overdue");
    expect(badge.dataset.state).toBe("overdue");
    expect(badge.title).toMatch(/may be out of date/);
    expect(badge.title).toMatch(/2026/);
    expect(freshnessNote(freshness)?.textContent).toMatch(/May be out of date/);
  });

  it("badges content due for review calmly, with no warning line", () => {
    const badge = freshnessBadge({ state: "due", review_due_at: "2026-12-10T00:00:00Z" })!;
    expect(badge.textContent).toBe("Review due");
    expect(badge.title).toMatch(/still current/);
    expect(freshnessNote({ state: "due" })).toBeNull();
  });

  it("shows nothing for fresh content, or content without a review state", () => {
    expect(freshnessBadge({ state: "fresh", review_due_at: null })).toBeNull();
    expect(freshnessBadge(null)).toBeNull();
    expect(freshnessBadge(undefined)).toBeNull();
    expect(freshnessNote(null)).toBeNull();
    // A kind never due (no date) still reads well.
    expect(freshnessBadge({ state: "overdue", review_due_at: null })!.title).toMatch(/overdue/);
  });
});

describe("pitch kits", () => {
  const kit: Kit = {
    id: "k1",
    name: "Healthcare decision kit",
    description: "The five pieces for a hospital's finance committee",
    reasons: ["stage: decision", "industry: healthcare"],
    assets: [asset("a2", "ROI calculator"), asset("a1", "Clinic case study", "case_study")],
  };
  const member = (piece: Asset) =>
    h("article", { "data-testid": "kit-member", "data-asset-id": piece.id }, piece.title);

  beforeEach(() => {
    document.body.replaceChildren();
  });

  it("shows each kit's name, description and why it fits, members collapsed in order", () => {
    const section = kitsSection([kit], member)!;
    document.body.append(section);
    expect(section.querySelector("h2")?.textContent).toBe("Pitch kits");
    expect(section.getAttribute("aria-labelledby")).toBe(section.querySelector("h2")?.id);
    const shown = section.querySelector('[data-testid="kit"]')!;
    expect(shown.getAttribute("data-collection-id")).toBe("k1");
    expect(shown.querySelector("h3")?.textContent).toBe("Healthcare decision kit");
    expect(shown.textContent).toContain("The five pieces for a hospital's finance committee");
    expect([...shown.querySelectorAll(".reasons li")].map((li) => li.textContent)).toEqual([
      "stage: decision",
      "industry: healthcare",
    ]);
    const list = shown.querySelector("ol")!;
    expect(list.hidden).toBe(true);
    expect([...list.querySelectorAll('[data-testid="kit-member"]')].map((m) => m.getAttribute("data-asset-id"))).toEqual([
      "a2",
      "a1",
    ]);

    const toggle = shown.querySelector<HTMLButtonElement>('[data-testid="kit-toggle"]')!;
    expect(toggle.textContent).toBe("Show the 2 pieces");
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(toggle.getAttribute("aria-controls")).toBe(list.id);
    toggle.click();
    expect(list.hidden).toBe(false);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(toggle.textContent).toBe("Hide the 2 pieces");
    toggle.click();
    expect(list.hidden).toBe(true);
  });

  it("leaves out kits with no member, and the section when there is no kit", () => {
    expect(kitsSection([], member)).toBeNull();
    expect(kitsSection([{ ...kit, assets: [] }], member)).toBeNull();
    const one = kitsSection([{ ...kit, description: "", reasons: [], assets: [asset("a3", "Deck")] }, { ...kit, id: "k2", assets: [] }], member)!;
    expect(one.querySelectorAll('[data-testid="kit"]')).toHaveLength(1);
    expect(one.querySelector(".kit-description")).toBeNull();
    expect(one.querySelector('[data-testid="kit-toggle"]')?.textContent).toBe("Show the 1 piece");
  });
});

describe("replaced and withdrawn pieces", () => {
  it("names the replacement and offers it", () => {
    const use = vi.fn();
    const notice = replacedNotice(asset("new1", "2026 pricing one-pager"), use);
    expect(notice.getAttribute("role")).toBe("status");
    expect(notice.textContent).toContain("This piece was replaced by 2026 pricing one-pager.");
    expect(notice.dataset.replacementId).toBe("new1");
    const button = notice.querySelector<HTMLButtonElement>('[data-testid="use-replacement"]')!;
    expect(button.type).toBe("button");
    button.click();
    expect(use).toHaveBeenCalledOnce();
  });

  it("says so when the replacement cannot be read, and when nothing replaces a piece", () => {
    const notice = replacedNotice(null, vi.fn());
    expect(notice.textContent).toMatch(/replaced by a newer one/);
    expect(notice.querySelector("button")).toBeNull();
    expect(withdrawnNotice().textContent).toMatch(/no longer available/);
  });
});
