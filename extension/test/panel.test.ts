// The side panel in jsdom with a fake `chrome` whose service worker answers from a small
// fake Baton: the pitch kits under the suggestions (compact member cards with the card's
// actions), the review-state badges, and a piece replaced or withdrawn since its card was
// shown (the replacement offered and used instead, never a dead error).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ApiAnswer } from "../src/api";
import type { DealContext } from "../src/messages";
import { mountPanel } from "../src/sidepanel/panel";

type Call = { method: string; path: string; query?: Record<string, unknown>; body?: unknown };
type Route = (call: Call) => ApiAnswer | undefined;

const DEAL: DealContext = {
  source: "salesforce",
  url: "https://fieldline.lightning.force.com/lightning/r/Opportunity/OPP1/view",
  deal_key: "OPP1",
  opportunity_id: "OPP1",
  deal_name: "Coastline Home Health",
  stage: "Decision",
  industry: "Healthcare",
  text: "",
  questions: [],
};

const TAXONOMY = {
  kinds: ["case_study", "one_pager", "email_template"],
  stages: [{ slug: "decision", label: "Decision" }],
  industries: [{ slug: "healthcare", label: "Healthcare" }],
  personas: [],
  products: [],
};

const brief = (id: string, title: string, extra: Record<string, unknown> = {}) => ({
  id,
  title,
  kind: "one_pager",
  summary: `${title}, in short`,
  url: null,
  file: null,
  fields: {},
  freshness: { state: "fresh", review_due_at: "2027-06-01T00:00:00Z", verified_at: null },
  ...extra,
});

const OVERDUE = brief("overdue1", "2024 nurse-shift case study", {
  kind: "case_study",
  freshness: { state: "overdue", review_due_at: "2026-09-01T00:00:00Z", verified_at: null },
});
const OLD = brief("old1", "2025 pricing one-pager");
const NEW = { ...brief("new1", "2026 pricing one-pager"), body: "The 2026 prices, per crew." };
const WITHDRAWN = brief("gone1", "Retired deck", { file: { filename: "deck.pdf", size: 10 } });
const COPIED = brief("copied1", "Pricing FAQ");
const DUE = brief("due1", "Bedside charting one-pager", {
  freshness: { state: "due", review_due_at: "2026-12-10T00:00:00Z", verified_at: null },
});

const ok = (body: unknown, status = 200): ApiAnswer => ({ ok: true, status, body });
const problem = (status: number, detail: string, extra: Record<string, unknown> = {}): ApiAnswer => ({
  ok: false,
  status,
  body: { type: "about:blank", title: "Not Found", status, detail, ...extra },
});

/** The fake Baton: the first route that answers wins; calls are recorded. */
function baton(...routes: Route[]) {
  const calls: Call[] = [];
  const answer = (call: Call): ApiAnswer => {
    calls.push(call);
    for (const route of routes) {
      const found = route(call);
      if (found) return found;
    }
    return problem(404, `no route ${call.method} ${call.path}`);
  };
  return { calls, answer };
}

const standard: Route = (call) => {
  const { method, path } = call;
  if (method === "GET" && path === "/v1/taxonomy") return ok(TAXONOMY);
  if (method === "GET" && path === "/v1/me") return ok({ id: "u1", name: "Rep", role: "rep" });
  if (method === "POST" && path === "/v1/suggestions")
    return ok({
      suggestions: [
        { asset: OLD, score: 0.9, reasons: ["stage: decision"] },
        { asset: OVERDUE, score: 0.6, reasons: ["industry: healthcare", "overdue for review: ranked lower"] },
        { asset: WITHDRAWN, score: 0.5, reasons: [] },
        { asset: COPIED, score: 0.4, reasons: [] },
      ],
      collections: [
        {
          id: "kit1",
          name: "Healthcare decision kit",
          description: "For the hospital's finance committee",
          reasons: ["stage: decision", "industry: healthcare"],
          assets: [DUE, OLD],
        },
      ],
      questions: [],
      already_sent: [],
    });
  if (method === "GET" && path === "/v1/assets/old1")
    return problem(404, "no asset with id old1; it is replaced by new1", { replaced_by: "new1" });
  if (method === "GET" && path === "/v1/assets/new1") return ok(NEW);
  if (method === "GET" && path === "/v1/assets/copied1")
    return problem(404, "no asset with id copied1; it is replaced by new1", { replaced_by: "new1" });
  if (method === "POST" && path === "/v1/events") {
    const id = (call.body as { asset_id?: string } | undefined)?.asset_id;
    if (id === "copied1") return problem(404, "no asset with id copied1");
    return ok({ id: "e1" }, 201);
  }
  return undefined;
};

function fakeChrome(server: ReturnType<typeof baton>) {
  const session: Record<string, unknown> = {};
  const downloads: string[] = [];
  const chromeFake = {
    tabs: { getCurrent: vi.fn(() => Promise.resolve(undefined)) },
    runtime: {
      sendMessage: vi.fn((message: { type: string } & Record<string, unknown>) => {
        switch (message.type) {
          case "baton:target":
            return Promise.resolve({ tabId: 7 });
          case "baton:get-context":
            return Promise.resolve({ ok: true, context: DEAL });
          case "baton:api":
            return Promise.resolve(server.answer(message as unknown as Call));
          case "baton:download": {
            const path = message.path as string;
            downloads.push(path);
            if (path === "/v1/assets/gone1/file") return Promise.resolve(problem(404, "no asset with id gone1"));
            return Promise.resolve(problem(404, "no file"));
          }
          default:
            return Promise.resolve(undefined);
        }
      }),
      onMessage: { addListener: vi.fn() },
      openOptionsPage: vi.fn(),
    },
    storage: {
      local: { get: vi.fn(() => Promise.resolve({ "baton.settings": { server: "https://baton.example.com" } })) },
      session: {
        get: vi.fn(() => Promise.resolve({ ...session })),
        set: vi.fn((items: Record<string, unknown>) => {
          Object.assign(session, items);
          return Promise.resolve();
        }),
      },
      onChanged: { addListener: vi.fn() },
    },
  };
  vi.stubGlobal("chrome", chromeFake);
  return { downloads };
}

const cardOf = (testid: string, id: string): HTMLElement =>
  document.querySelector<HTMLElement>(`[data-testid="${testid}"][data-asset-id="${id}"]`)!;

const action = (card: HTMLElement, testid: string): HTMLButtonElement =>
  card.querySelector<HTMLButtonElement>(`[data-testid="${testid}"]`)!;

async function mounted(server: ReturnType<typeof baton>) {
  const fake = fakeChrome(server);
  document.body.innerHTML = '<main id="app"></main>';
  const root = document.getElementById("app")!;
  await mountPanel(root);
  await vi.waitFor(() => expect(root.querySelector('[data-testid="state"]')?.getAttribute("data-state")).toBe("ready"));
  return { root, ...fake };
}

describe("side panel: pitch kits, review state, replaced pieces", () => {
  let clipboard: { writeText: ReturnType<typeof vi.fn> };

  beforeEach(() => {
    clipboard = { writeText: vi.fn(() => Promise.resolve()) };
    Object.defineProperty(navigator, "clipboard", { value: clipboard, configurable: true });
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("shows the fitting pitch kit under the suggestions, its members compact with the card's actions", async () => {
    const server = baton(standard);
    const { root } = await mounted(server);
    const kits = root.querySelector<HTMLElement>('[data-testid="kits"]')!;
    expect(kits.closest<HTMLElement>(".kits-box")!.hidden).toBe(false);
    expect(kits.querySelector("h2")?.textContent).toBe("Pitch kits");
    const kit = kits.querySelector<HTMLElement>('[data-testid="kit"]')!;
    expect(kit.querySelector("h3")?.textContent).toBe("Healthcare decision kit");
    expect(kit.textContent).toContain("For the hospital's finance committee");

    const members = [...kit.querySelectorAll<HTMLElement>('[data-testid="kit-member"]')];
    expect(members.map((m) => m.dataset.assetId)).toEqual(["due1", "old1"]);
    expect(members[0]!.closest("ol")!.hidden).toBe(true);
    action(kit, "kit-toggle").click();
    expect(members[0]!.closest("ol")!.hidden).toBe(false);
    // Title and kind, the review state, the card's actions; no snippet, reasons or rating.
    const first = members[0]!;
    expect(first.querySelector("h4.title")?.textContent).toBe("Bedside charting one-pager");
    expect(first.querySelector(".kind")?.textContent).toBeTruthy();
    expect(first.querySelector('[data-testid="freshness"]')?.textContent).toBe("Review due");
    expect(action(first, "action-open")).toBeTruthy();
    expect(action(first, "action-copy-link")).toBeTruthy();
    expect(first.querySelector(".snippet, .reasons, [data-testid='helpful']")).toBeNull();

    // A member's copy link is the card's: copied, recorded with the deal.
    action(first, "action-copy-link").click();
    await vi.waitFor(() => expect(clipboard.writeText).toHaveBeenCalledWith("https://baton.example.com/v1/assets/due1"));
    const events = server.calls.filter((c) => c.path === "/v1/events").map((c) => c.body as Record<string, unknown>);
    expect(events).toContainEqual(expect.objectContaining({ asset_id: "due1", type: "copy", opportunity_id: "OPP1" }));
  });

  it("badges overdue content as possibly out of date, and nothing on fresh content", async () => {
    const { root } = await mounted(baton(standard));
    const overdue = cardOf("suggestion", "overdue1");
    expect(overdue.querySelector('[data-testid="freshness"]')?.textContent).toBe("Review overdue");
    expect(overdue.querySelector('[data-testid="freshness-note"]')?.textContent).toMatch(/out of date/);
    expect(cardOf("suggestion", "old1").querySelector('[data-testid="freshness"]')).toBeNull();
    expect(root.querySelectorAll('[data-testid="suggestion"] [data-testid="freshness"]')).toHaveLength(1);
  });

  it("offers the replacement of a piece replaced since it was shown, and uses it instead", async () => {
    const server = baton(standard);
    await mounted(server);
    const old = cardOf("suggestion", "old1");
    action(old, "action-open").click();
    const notice = await vi.waitFor(() => {
      const found = old.querySelector<HTMLElement>('[data-testid="replaced"]');
      expect(found).not.toBeNull();
      return found!;
    });
    expect(notice.textContent).toContain("This piece was replaced by 2026 pricing one-pager.");
    expect(document.querySelector('[data-testid="toast"]')!.hasAttribute("hidden")).toBe(true);
    // The replacement's title was read in the deal (the server counts the rep's view).
    const read = server.calls.find((c) => c.path === "/v1/assets/new1");
    expect(read).toMatchObject({ method: "GET", query: { opportunity_id: "OPP1" } });

    action(notice, "use-replacement").click();
    const fresh = cardOf("suggestion", "new1");
    expect(fresh).not.toBeNull();
    expect(document.querySelector('[data-testid="suggestion"][data-asset-id="old1"]')).toBeNull();
    // The action the rep asked for runs on the replacement: its preview opens.
    await vi.waitFor(() => expect(fresh.querySelector(".preview")?.textContent).toContain("The 2026 prices, per crew."));
    expect(document.activeElement).toBe(action(fresh, "action-open"));
  });

  it("does not copy a dead link: an event refused for a replaced piece offers the replacement", async () => {
    const server = baton(standard);
    await mounted(server);
    const copied = cardOf("suggestion", "copied1");
    action(copied, "action-copy-link").click();
    await vi.waitFor(() =>
      expect(copied.querySelector('[data-testid="replaced"]')?.textContent).toContain("2026 pricing one-pager"),
    );
    expect(clipboard.writeText).not.toHaveBeenCalled();
    // The event's 404 names no replacement: the asset was asked.
    expect(server.calls.map((c) => `${c.method} ${c.path}`)).toContain("GET /v1/assets/copied1");

    action(copied, "use-replacement").click();
    const fresh = cardOf("suggestion", "new1");
    await vi.waitFor(() => expect(clipboard.writeText).toHaveBeenCalledWith("https://baton.example.com/v1/assets/new1"));
    expect(fresh.isConnected).toBe(true);
  });

  it("says a withdrawn piece is no longer available instead of an error", async () => {
    const { downloads } = await mounted(baton(standard));
    const gone = cardOf("suggestion", "gone1");
    action(gone, "action-download").click();
    await vi.waitFor(() => expect(gone.querySelector('[data-testid="withdrawn"]')?.textContent).toMatch(/no longer available/));
    expect(downloads).toEqual(["/v1/assets/gone1/file"]);
    expect(gone.querySelector('[data-testid="use-replacement"]')).toBeNull();
  });

  it("badges an overdue search hit like a suggestion", async () => {
    const searching: Route = (call) =>
      call.path === "/v1/search"
        ? ok({ search_id: "s1", total: 2, hits: [{ asset: OVERDUE }, { asset: DUE }] })
        : standard(call);
    const { root } = await mounted(baton(searching));
    const input = root.querySelector<HTMLInputElement>('[data-testid="search-input"]')!;
    input.value = "nurse shifts";
    input.dispatchEvent(new Event("input"));
    await vi.waitFor(() => expect(root.querySelectorAll('[data-testid="search-result"]')).toHaveLength(2));
    const badges = [...root.querySelectorAll('[data-testid="search-result"] [data-testid="freshness"]')];
    expect(badges.map((b) => b.textContent)).toEqual(["Review overdue", "Review due"]);
  });

  it("offers the replacement when filling an email template that was replaced", async () => {
    const TEMPLATE = brief("tpl1", "Follow-up: 2025 prices", { kind: "email_template" });
    const templates: Route = (call) => {
      if (call.path === "/v1/suggestions")
        return ok({ suggestions: [{ asset: TEMPLATE, score: 0.9, reasons: [] }], collections: [], questions: [] });
      if (call.path === "/v1/assets/tpl1/render")
        return problem(404, "no asset with id tpl1; it is replaced by new1", { replaced_by: "new1" });
      return standard(call);
    };
    await mounted(baton(templates));
    const template = cardOf("suggestion", "tpl1");
    action(template, "action-fill").click();
    await vi.waitFor(() =>
      expect(template.querySelector('[data-testid="replaced"]')?.textContent).toContain(
        "This piece was replaced by 2026 pricing one-pager.",
      ),
    );
    expect(template.querySelector('[data-testid="fill-form"]')).toBeNull();
  });

  it("hides the kits when the server offers none (an older server)", async () => {
    const older: Route = (call) => {
      const answer = standard(call);
      if (call.path === "/v1/suggestions" && answer) {
        const rest = { ...(answer.body as Record<string, unknown>) };
        delete rest.collections;
        return ok(rest);
      }
      return answer;
    };
    const { root } = await mounted(baton(older));
    expect(root.querySelector<HTMLElement>(".kits-box")!.hidden).toBe(true);
    expect(root.querySelector('[data-testid="kits"]')).toBeNull();
  });
});
