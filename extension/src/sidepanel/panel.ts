// The side panel: suggestions for the open page's deal, search, the customer questions
// matched on the page, email templates filled with the deal's values, and feedback. It
// follows one tab (the one `?tab=` pins, else the most recently active web page) and
// refreshes when the service worker says that tab's page changed.

import {
  api,
  failureOf,
  isGone,
  replacedByOf,
  type ApiAnswer,
  type ApiCall,
  type FileAnswer,
  type Failure,
} from "../api";
import { h, highlighted } from "../dom";
import type { DealContext, InsertResult } from "../messages";
import { kindLabel, mapContext, stageLabel, type Facet, type Taxonomy } from "../taxonomy";
import type { ContextReply, TargetReply } from "../worker-messages";
import { isTabChanged } from "../worker-messages";
import {
  freshnessBadge,
  freshnessNote,
  kitsSection,
  replacedNotice,
  withdrawnNotice,
  type Asset,
  type Kit,
} from "./content";
import { TypingSearch } from "./search";
import { dealVariables, type Me } from "./variables";

interface Suggestion {
  asset: Asset;
  score: number;
  reasons: string[];
}

interface MatchedQuestion {
  id: string;
  text: string;
  asked_count: number;
  assets: string[];
}

interface SuggestionsOut {
  suggestions: Suggestion[];
  collections?: Kit[];
  questions: MatchedQuestion[];
  already_sent?: unknown;
}

interface SearchOut {
  search_id?: string;
  total: number;
  corrected_query?: string | null;
  hits: { asset: Asset; highlights?: { title?: string; body?: string } }[];
}

/** The deal the panel shows: the page's context, or for a mail thread the CRM deal last
 * opened (the rep usually mails about it), with where it came from. */
interface Deal {
  context: DealContext | null;
  linked: LinkedDeal | null;
  unreadable?: string;
}

type LinkedDeal = Pick<
  DealContext,
  | "opportunity_id"
  | "deal_name"
  | "source"
  | "stage"
  | "industry"
  | "persona"
  | "account_name"
  | "contact_name"
  | "contact_title"
  | "amount"
  | "currency"
  | "deal_key"
>;

const LAST_DEAL = "baton.lastDeal";
const UNLINKED = "baton.unlinked";
const SOURCES: Record<string, string> = {
  salesforce: "Salesforce",
  hubspot: "HubSpot",
  gmail: "Gmail",
  outlook: "Outlook",
  generic: "Web page",
};

function send<T>(message: object): Promise<T> {
  return chrome.runtime.sendMessage<object, T>(message);
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

export async function mountPanel(root: HTMLElement): Promise<void> {
  const params = new URLSearchParams(location.search);
  const pinned = params.has("tab") ? Number(params.get("tab")) : null;
  const self = (await chrome.tabs.getCurrent())?.id;

  let taxonomy: Taxonomy | undefined;
  let me: Me | null = null;
  let deal: Deal = { context: null, linked: null };
  let tabId: number | null = null;
  let generation = 0;
  let refreshing = false;
  let shownKey: string | undefined;

  // Layout: the deal, search, the suggestions' state, questions, a toast.
  const dealBox = h("header", { "data-testid": "deal", class: "deal" });
  const searchInput = h("input", {
    type: "search",
    "data-testid": "search-input",
    placeholder: "Search approved content…",
    "aria-label": "Search approved content",
    autocomplete: "off",
  });
  const chips = h("div", { class: "chips", role: "group", "aria-label": "Filters" });
  const results = h("section", { class: "results", "aria-label": "Search results", hidden: true });
  const state = h("section", { "data-testid": "state", "aria-live": "polite", class: "state" });
  const kits = h("div", { class: "kits-box", hidden: true });
  const questions = h("section", { class: "questions", hidden: true });
  const toast = h("div", { "data-testid": "toast", class: "toast", role: "status", hidden: true });
  root.replaceChildren(
    dealBox,
    h("div", { class: "search" }, searchInput, chips),
    results,
    h("h2", { class: "section-title" }, "Suggested for this deal"),
    state,
    kits,
    questions,
    toast,
  );

  let toastTimer: ReturnType<typeof setTimeout> | undefined;
  const say = (text: string, tone: "ok" | "error" = "ok"): void => {
    toast.textContent = text;
    toast.dataset.tone = tone;
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (toast.hidden = true), 4000);
  };

  const openOptions = (): HTMLButtonElement => {
    const button = h("button", { type: "button", class: "primary" }, "Open options");
    button.addEventListener("click", () => void chrome.runtime.openOptionsPage());
    return button;
  };

  const showState = (
    name: "not-configured" | "unreachable" | "unauthorized" | "loading" | "empty" | "ready" | "error",
    ...content: (Node | string)[]
  ): void => {
    state.dataset.state = name;
    state.replaceChildren(...content);
  };

  const showFailure = (failure: Failure): void => {
    questions.hidden = true;
    kits.hidden = true;
    if (failure.kind === "not-configured") {
      showState(
        "not-configured",
        h("h3", {}, "Connect Baton"),
        h("p", {}, "Enter your Baton server's address and your personal API key in the options."),
        openOptions(),
      );
    } else if (failure.kind === "unauthorized") {
      showState(
        "unauthorized",
        h("h3", {}, "Your API key was refused"),
        h("p", {}, `The Baton server said: ${failure.detail}.`),
        h("p", {}, "Make a new personal key and enter it in the options."),
        openOptions(),
      );
    } else if (failure.kind === "unreachable") {
      const retry = h("button", { type: "button", class: "primary" }, "Try again");
      retry.addEventListener("click", () => void refresh());
      showState(
        "unreachable",
        h("h3", {}, "Baton cannot be reached"),
        h("p", {}, failure.detail + "."),
        h("p", {}, "Check your connection, or the server's address in the options."),
        h("div", { class: "buttons" }, retry, openOptions()),
      );
    } else {
      const retry = h("button", { type: "button" }, "Try again");
      retry.addEventListener("click", () => void refresh());
      showState(
        "error",
        h("h3", {}, "Baton could not answer"),
        h("p", {}, failure.detail),
        retry,
      );
    }
  };

  /** The deal's opportunity id, for events and the server's usage records. */
  const opportunityId = (): string | undefined =>
    deal.context?.opportunity_id ?? deal.linked?.opportunity_id ?? undefined;

  const facets = (): Partial<DealContext> => ({ ...(deal.linked ?? {}), ...(deal.context ?? {}) });

  // ----- events -----
  const event = (
    assetId: string,
    type: "copy" | "send" | "share" | "helpful" | "not_helpful",
    extra: { comment?: string; search_id?: string } = {},
  ): Promise<ApiAnswer> => {
    const body: Record<string, unknown> = {
      asset_id: assetId,
      type,
      meta: { source: "extension" },
    };
    const opportunity = opportunityId();
    if (opportunity) body.opportunity_id = opportunity;
    if (extra.comment) body.comment = extra.comment;
    if (extra.search_id) body.search_id = extra.search_id;
    return api({ method: "POST", path: "/v1/events", body });
  };

  const record = async (
    assetId: string,
    type: "copy" | "send" | "share" | "helpful" | "not_helpful",
    extra: { comment?: string; search_id?: string } = {},
  ): Promise<boolean> => (await event(assetId, type, extra)).ok;

  /** The rep sent the asset to the deal's customer (copied, inserted or downloaded it). */
  const sent = async (assetId: string, searchId?: string): Promise<void> => {
    if (opportunityId()) await record(assetId, "send", { search_id: searchId });
  };

  const copyText = async (text: string): Promise<boolean> => {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      const area = h("textarea", { class: "offscreen" });
      area.value = text;
      document.body.append(area);
      area.select();
      const done = document.execCommand("copy");
      area.remove();
      return done;
    }
  };

  const usage = (searchId?: string): ApiCall["query"] => ({
    opportunity_id: opportunityId(),
    search_id: searchId,
  });

  // ----- one card -----
  interface CardOptions {
    reasons?: string[];
    searchId?: string;
    testid: string;
    highlights?: { title?: string; body?: string };
    /** A pitch kit's member: title, kind, review state and actions only. */
    compact?: boolean;
  }

  const card = (asset: Asset, options: CardOptions): HTMLElement => {
    const { searchId } = options;
    // Under a kit's own heading (h3), a member's title is one level down.
    const title = h(options.compact ? "h4" : "h3", { class: "title" });
    if (options.highlights?.title) title.append(highlighted(options.highlights.title));
    else title.textContent = asset.title;
    const reasons = h(
      "ul",
      { class: "reasons", "aria-label": "Why it was suggested" },
      ...(options.reasons ?? []).map((reason) => h("li", { "data-testid": "reason" }, reason)),
    );
    const snippet = options.highlights?.body
      ? h("p", { class: "snippet" }, highlighted(options.highlights.body))
      : asset.summary
        ? h("p", { class: "snippet" }, asset.summary)
        : null;
    const preview = h("div", { class: "preview", hidden: true });
    const fill = h("div", { class: "fill", hidden: true });
    const notice = h("div", { class: "notice", hidden: true });

    /** An action's failure. A piece gone for reps is said on the card, never as a dead
     * error: the replacement to use instead when the server names one (`replaced_by`), else
     * that it was withdrawn. `probe`: the failed call was not the asset's own (an event),
     * so ask the asset whether something replaced it. */
    const failed = async (failure: Failure, action: string, probe = false): Promise<void> => {
      if (!isGone(failure)) return say(failure.detail, "error");
      let newer = replacedByOf(failure);
      if (newer === undefined && probe) {
        const again = await api({ method: "GET", path: `/v1/assets/${asset.id}` });
        if (again.ok) return say(failure.detail, "error");
        newer = replacedByOf(failureOf(again));
      }
      preview.hidden = true;
      fill.hidden = true;
      if (newer === undefined) {
        notice.replaceChildren(withdrawnNotice());
        notice.hidden = false;
        return;
      }
      // The replacement's title (and everything its card needs). The server counts this
      // as the rep's view of it in this deal (once an hour), as the rep is offered it there.
      const answer = await api({
        method: "GET",
        path: `/v1/assets/${newer}`,
        query: { opportunity_id: opportunityId() },
      });
      const replacement = answer.ok ? (answer.body as Asset) : null;
      notice.replaceChildren(
        replacedNotice(replacement, () => {
          const shown = notice.closest("article");
          if (!replacement || !shown) return;
          const fresh = card(replacement, { ...options, reasons: undefined, highlights: undefined });
          shown.replaceWith(fresh);
          const same = fresh.querySelector<HTMLButtonElement>(`[data-testid="${action}"]`);
          const first = fresh.querySelector<HTMLButtonElement>("button");
          (same ?? first)?.focus();
          same?.click();
        }),
      );
      notice.hidden = false;
      notice.querySelector<HTMLButtonElement>("button")?.focus();
    };

    const button = (testid: string, label: string, run: () => Promise<void>): HTMLButtonElement => {
      const element = h("button", { type: "button", "data-testid": testid }, label);
      element.addEventListener("click", () => {
        element.disabled = true;
        run()
          .catch((error: unknown) => say(String(error), "error"))
          .finally(() => (element.disabled = false));
      });
      return element;
    };

    const open = button("action-open", "Preview", async () => {
      if (!preview.hidden) {
        preview.hidden = true;
        return;
      }
      const answer = await api({ method: "GET", path: `/v1/assets/${asset.id}`, query: usage(searchId) });
      const failure = failureOf(answer);
      if (failure) return failed(failure, "action-open");
      const full = answer.body as Asset;
      const body = (full.body ?? "").trim();
      preview.replaceChildren(
        full.summary ? h("p", { class: "summary" }, full.summary) : "",
        body ? h("pre", { class: "body" }, body.length > 1500 ? `${body.slice(0, 1500)}…` : body) : "",
        full.url ? h("a", { href: full.url, target: "_blank", rel: "noopener" }, "Open the original ↗") : "",
      );
      preview.hidden = false;
    });

    const actions: HTMLElement[] = [open];
    if (asset.file) {
      actions.push(
        button("action-download", "Download", async () => {
          const answer = await send<FileAnswer>({
            type: "baton:download",
            path: `/v1/assets/${asset.id}/file`,
            query: usage(searchId),
          });
          const failure = failureOf(answer);
          if (failure) return failed(failure, "action-download");
          if (!answer.base64) return say("Nothing to download", "error");
          const bytes = Uint8Array.from(atob(answer.base64), (c) => c.charCodeAt(0));
          const url = URL.createObjectURL(new Blob([bytes], { type: answer.contentType }));
          const link = h("a", { href: url, download: answer.filename ?? "download" });
          document.body.append(link);
          link.click();
          link.remove();
          setTimeout(() => URL.revokeObjectURL(url), 10_000);
          await sent(asset.id, searchId);
          say(`Downloaded ${answer.filename ?? asset.title}`);
        }),
      );
    }
    actions.push(
      button("action-copy-link", "Copy link", async () => {
        const server = await serverAddress();
        const link = asset.url || `${server}/v1/assets/${asset.id}${asset.file ? "/file" : ""}`;
        // Recorded first: a piece withdrawn or replaced since the card was shown is not
        // copied (its link would be dead), the card says what replaces it.
        const copied = failureOf(await event(asset.id, "copy", { search_id: searchId }));
        if (copied) return failed(copied, "action-copy-link", true);
        if (!(await copyText(link))) return say("The link could not be copied", "error");
        await sent(asset.id, searchId);
        say("Link copied");
      }),
    );
    if (asset.kind === "email_template") {
      actions.push(
        button("action-fill", "Fill and copy", () =>
          fillTemplate(asset, fill, searchId, (failure) => failed(failure, "action-fill")),
        ),
      );
    }

    const comment = h("textarea", {
      "data-testid": "feedback-comment",
      rows: "2",
      placeholder: "What was missing? (optional)",
      "aria-label": "Comment for marketing (optional)",
    });
    const commentBox = h("div", { class: "comment", hidden: true }, comment);
    const helpful = h("button", { type: "button", "data-testid": "helpful", "aria-pressed": "false", title: "Helpful" }, "✓ Helpful");
    const notHelpful = h("button", { type: "button", "data-testid": "not-helpful", "aria-pressed": "false", title: "Not helpful" }, "✗ Not helpful");
    const rate = async (type: "helpful" | "not_helpful", text?: string): Promise<void> => {
      if (await record(asset.id, type, { comment: text, search_id: searchId })) {
        helpful.setAttribute("aria-pressed", String(type === "helpful"));
        notHelpful.setAttribute("aria-pressed", String(type === "not_helpful"));
        commentBox.hidden = true;
        say(type === "helpful" ? "Thanks: marked helpful" : "Thanks: marketing will see it");
      } else {
        say("The feedback could not be sent", "error");
      }
    };
    const feedbackSend = h("button", { type: "button", "data-testid": "feedback-send", class: "primary" }, "Send");
    feedbackSend.addEventListener("click", () => void rate("not_helpful", comment.value.trim() || undefined));
    commentBox.append(feedbackSend);
    helpful.addEventListener("click", () => void rate("helpful"));
    notHelpful.addEventListener("click", () => {
      commentBox.hidden = !commentBox.hidden;
      if (!commentBox.hidden) comment.focus();
    });

    const compact = options.compact === true;
    return h(
      "article",
      { class: compact ? "card compact" : "card", "data-testid": options.testid, "data-asset-id": asset.id },
      h(
        "div",
        { class: "card-head" },
        title,
        h(
          "span",
          { class: "badges" },
          h("span", { class: `kind kind-${asset.kind}` }, kindLabel(asset.kind)),
          freshnessBadge(asset.freshness),
        ),
      ),
      freshnessNote(asset.freshness),
      compact ? null : snippet,
      !compact && options.reasons?.length ? reasons : null,
      h("div", { class: "actions" }, ...actions),
      notice,
      preview,
      fill,
      compact ? null : h("div", { class: "feedback" }, helpful, notHelpful),
      compact ? null : commentBox,
    );
  };

  // ----- fill and copy -----
  const fillTemplate = async (
    asset: Asset,
    box: HTMLElement,
    searchId: string | undefined,
    onFailure: (failure: Failure) => Promise<void>,
  ): Promise<void> => {
    const values = dealVariables(facets(), me);
    const render = (variables: Record<string, string>): Promise<ApiAnswer> =>
      api({
        method: "POST",
        path: `/v1/assets/${asset.id}/render`,
        query: usage(searchId),
        body: { variables },
      });
    let answer = await render(values);
    let missing: string[] = [];
    if (answer.status === 422) {
      const body = answer.body as { missing?: unknown };
      if (Array.isArray(body?.missing)) missing = body.missing.filter((m): m is string => typeof m === "string");
    }
    const failure = missing.length ? null : failureOf(answer);
    if (failure) return onFailure(failure);

    const fields = missing.map((name) =>
      h("input", { "data-testid": "fill-field", "data-name": name, name, "aria-label": name, placeholder: name.replace(/_/g, " "), required: true }),
    );
    const subject = h("input", { class: "subject", readonly: true, "aria-label": "Subject" });
    const body = h("textarea", { class: "body", rows: "8", readonly: true, "aria-label": "Body" });
    const show = (rendered: { subject: string; body: string }): void => {
      subject.value = rendered.subject;
      body.value = rendered.body;
    };
    if (!missing.length) show(answer.body as { subject: string; body: string });

    /** The rendered subject and body, rendering again with the form's values first. */
    const final = async (): Promise<{ subject: string; body: string } | null> => {
      if (!fields.length) return { subject: subject.value, body: body.value };
      const empty = fields.filter((field) => field.value.trim() === "");
      if (empty.length) {
        say(`Fill in ${empty.map((f) => f.name.replace(/_/g, " ")).join(", ")}`, "error");
        empty[0]?.focus();
        return null;
      }
      const all = { ...values };
      for (const field of fields) all[field.name] = field.value.trim();
      answer = await render(all);
      const again = failureOf(answer);
      if (again) {
        say(again.detail, "error");
        return null;
      }
      const rendered = answer.body as { subject: string; body: string };
      show(rendered);
      return rendered;
    };

    const copy = h("button", { type: "button", "data-testid": "fill-copy", class: "primary" }, "Copy subject and body");
    const insert = h("button", { type: "button", "data-testid": "fill-insert" }, "Insert into the open email");
    copy.addEventListener("click", () => {
      void (async () => {
        const rendered = await final();
        if (!rendered) return;
        if (!(await copyText(`Subject: ${rendered.subject}\n\n${rendered.body}`))) {
          return say("Could not copy to the clipboard", "error");
        }
        await record(asset.id, "copy", { search_id: searchId });
        await sent(asset.id, searchId);
        say("Subject and body copied");
      })();
    });
    insert.addEventListener("click", () => {
      void (async () => {
        const rendered = await final();
        if (!rendered || tabId === null) return;
        const result = await send<InsertResult | undefined>({
          type: "baton:insert-into",
          tabId,
          subject: rendered.subject,
          body: rendered.body,
        });
        if (!result?.ok) return say(result?.detail ?? "No open compose box on that page", "error");
        await sent(asset.id, searchId);
        say(`Inserted into the ${result.where === "outlook" ? "Outlook" : "Gmail"} compose box`);
      })();
    });
    const form = h(
      "form",
      { "data-testid": "fill-form", class: "fill-form" },
      fields.length ? h("p", { class: "hint" }, "Baton needs a few more values for this template:") : null,
      ...fields.map((field) => h("label", {}, h("span", {}, field.name.replace(/_/g, " ")), field)),
      fields.length ? null : subject,
      fields.length ? null : body,
      h("div", { class: "buttons" }, copy, insert),
    );
    form.addEventListener("submit", (event) => event.preventDefault());
    box.replaceChildren(form);
    box.hidden = false;
    (fields[0] ?? copy).focus();
  };

  const serverAddress = async (): Promise<string> => {
    const stored = (await chrome.storage.local.get("baton.settings"))["baton.settings"] as { server?: string } | undefined;
    return stored?.server ?? "";
  };

  // ----- the deal -----
  const renderDeal = (mapped: ReturnType<typeof mapContext> | null): void => {
    const context = deal.context;
    if (!context) {
      dealBox.replaceChildren(
        h("p", { class: "deal-name" }, "No page to read"),
        h("p", { class: "muted" }, deal.unreadable ?? "Open a deal in your CRM or an email thread."),
      );
      return;
    }
    const linked = deal.linked;
    const name =
      context.deal_name || context.account_name || (linked ? `Thread about ${linked.deal_name ?? linked.account_name ?? "a deal"}` : "") || context.url;
    const facts: (string | HTMLElement)[] = [];
    const labels: Record<Facet, string> = { stage: "Stage", industry: "Industry", persona: "Persona" };
    for (const facet of ["stage", "industry", "persona"] as Facet[]) {
      const slug = mapped?.slugs[facet];
      const unknown = mapped?.unknown[facet];
      if (slug) facts.push(h("span", { class: "fact" }, `${labels[facet]}: ${facet === "stage" ? stageLabel(taxonomy, slug) : slug}`));
      else if (unknown) facts.push(h("span", { class: "fact unknown", title: "Baton has no such term" }, `${labels[facet]}: ${unknown} (not in Baton)`));
    }
    if (context.amount !== undefined) facts.push(h("span", { class: "fact" }, dealVariables(context, null).amount ?? ""));
    const children: (Node | string)[] = [
      h("p", { class: "source" }, SOURCES[context.source] ?? context.source),
      h("p", { class: "deal-name", title: name }, name),
    ];
    if (linked) {
      const unlink = h("button", { type: "button", class: "link" }, "not this deal");
      unlink.addEventListener("click", () => {
        void chrome.storage.session.set({ [UNLINKED]: context.deal_key }).then(() => refresh());
      });
      children.push(
        h("p", { class: "muted" }, `For deal ${linked.deal_name ?? linked.opportunity_id ?? ""} (last opened in ${SOURCES[linked.source] ?? linked.source}) · `, unlink),
      );
    }
    if (facts.length) children.push(h("p", { class: "facts" }, ...facts));
    dealBox.replaceChildren(...children);
  };

  // ----- suggestions -----
  const suggestionsBody = (): Record<string, unknown> => {
    const merged = facets();
    const mapped = taxonomy ? mapContext(taxonomy, merged) : { slugs: {}, unknown: {} };
    renderDeal(taxonomy ? mapped : null);
    const body: Record<string, unknown> = { limit: 5, ...mapped.slugs };
    const context = deal.context;
    if (context?.text) body.text = context.text;
    if (context?.questions.length) body.questions = context.questions.slice(0, 10);
    const opportunity = opportunityId();
    if (opportunity) body.opportunity_id = opportunity;
    return body;
  };

  const readDeal = async (target: number | null): Promise<Deal> => {
    if (target === null) return { context: null, linked: null, unreadable: "Open a deal in your CRM or an email thread." };
    const reply = await send<ContextReply>({ type: "baton:get-context", tabId: target });
    if (!reply.ok) return { context: null, linked: null, unreadable: reply.detail };
    const context = reply.context;
    const session = await chrome.storage.session.get([LAST_DEAL, UNLINKED]);
    if (context.opportunity_id) {
      const keep: LinkedDeal = {
        opportunity_id: context.opportunity_id,
        deal_name: context.deal_name,
        source: context.source,
        stage: context.stage,
        industry: context.industry,
        persona: context.persona,
        account_name: context.account_name,
        contact_name: context.contact_name,
        contact_title: context.contact_title,
        amount: context.amount,
        currency: context.currency,
        deal_key: context.deal_key,
      };
      await chrome.storage.session.set({ [LAST_DEAL]: keep });
      return { context, linked: null };
    }
    const last = session[LAST_DEAL] as LinkedDeal | undefined;
    const mail = context.source === "gmail" || context.source === "outlook";
    if (mail && last && session[UNLINKED] !== context.deal_key) return { context, linked: last };
    return { context, linked: null };
  };

  const renderQuestions = (matched: MatchedQuestion[], shown: Suggestion[]): void => {
    if (!matched.length) {
      questions.hidden = true;
      return;
    }
    const titles = new Map(shown.map((s) => [s.asset.id, s.asset.title]));
    questions.replaceChildren(
      h("h2", { class: "section-title" }, "Questions the customer asked"),
      ...matched.map((question) => {
        const known = question.assets.filter((id) => titles.has(id));
        const other = question.assets.length - known.length;
        const find = h("button", { type: "button", class: "link" }, other > 0 ? `${other} more answer${other > 1 ? "s" : ""}: search` : "search");
        find.addEventListener("click", () => {
          searchInput.value = question.text;
          search.type(question.text);
          searchInput.focus();
        });
        return h(
          "div",
          { "data-testid": "question", class: "question", "data-question-id": question.id },
          h("p", { class: "question-text" }, `“${question.text}”`),
          h(
            "p",
            { class: "answers" },
            question.assets.length ? "Answered by: " : "No approved answer yet · ",
            ...known.map((id) => h("span", { class: "answer" }, titles.get(id) ?? id)),
            known.length && other ? " · " : "",
            other > 0 || !question.assets.length ? find : "",
          ),
        );
      }),
    );
    questions.hidden = false;
  };

  const refresh = async (): Promise<void> => {
    const mine = ++generation;
    refreshing = true;
    try {
      await refreshOnce(mine);
    } finally {
      if (mine === generation) refreshing = false;
    }
  };

  const refreshOnce = async (mine: number): Promise<void> => {
    performance.mark("baton:refresh-start");
    root.dataset.refreshStartedAt = String(now());
    if (taxonomy === undefined) {
      showState("loading", h("p", { class: "spinner" }, "Connecting to Baton…"));
      const [tax, who] = await Promise.all([
        api({ method: "GET", path: "/v1/taxonomy" }),
        api({ method: "GET", path: "/v1/me" }),
      ]);
      if (mine !== generation) return;
      const failure = failureOf(tax) ?? failureOf(who);
      if (failure) return showFailure(failure);
      taxonomy = tax.body as Taxonomy;
      me = who.body as Me;
      renderChips();
    }
    tabId =
      pinned ?? (await send<TargetReply>({ type: "baton:target", self })).tabId;
    deal = await readDeal(tabId);
    if (mine !== generation) return;
    const body = suggestionsBody();
    showState(
      "loading",
      h("p", { class: "spinner" }, `Finding content for ${deal.context?.deal_name ?? deal.linked?.deal_name ?? "this page"}…`),
    );
    let answer = await api({ method: "POST", path: "/v1/suggestions", body });
    if (answer.status === 422 && "opportunity_id" in body && JSON.stringify(answer.body).includes("opportunity_id")) {
      // A server older than the extension: ask without the deal id.
      delete body.opportunity_id;
      answer = await api({ method: "POST", path: "/v1/suggestions", body });
    }
    if (mine !== generation) return;
    const failure = failureOf(answer);
    if (failure) return showFailure(failure);
    const out = answer.body as SuggestionsOut;
    const sentCount = Array.isArray(out.already_sent) ? out.already_sent.length : typeof out.already_sent === "number" ? out.already_sent : 0;
    const note = sentCount
      ? h("p", { class: "muted", "data-testid": "already-sent" }, `${sentCount} already sent on this deal, left out.`)
      : null;
    const kitSection = kitsSection(out.collections ?? [], (asset) => card(asset, { testid: "kit-member", compact: true }));
    kits.replaceChildren(...(kitSection ? [kitSection] : []));
    kits.hidden = kitSection === null;
    if (!out.suggestions.length) {
      const link = h("button", { type: "button", class: "link" }, "Search the library");
      link.addEventListener("click", () => searchInput.focus());
      showState("empty", h("h3", {}, "Nothing suggested for this deal"), h("p", {}, "Baton found no approved content that fits. ", link, "."), note ?? "");
    } else {
      showState(
        "ready",
        ...(note ? [note] : []),
        ...out.suggestions.map((s) => card(s.asset, { reasons: s.reasons, testid: "suggestion" })),
      );
    }
    renderQuestions(out.questions, out.suggestions);
    performance.mark("baton:cards-rendered");
    root.dataset.renderedAt = String(now());
    root.dataset.dealKey = deal.context?.deal_key ?? "";
    shownKey = deal.context?.deal_key;
  };

  // ----- search -----
  const search = new TypingSearch(
    async (params, isLatest) => {
      const answer = await api({
        method: "GET",
        path: "/v1/search",
        query: { q: params.q, kind: params.kinds, stage: params.stages, typing_session: params.typingSession, limit: 10 },
      });
      if (!isLatest()) return;
      const failure = failureOf(answer);
      results.hidden = false;
      if (failure) {
        results.replaceChildren(h("p", { class: "muted" }, failure.detail));
        return;
      }
      const out = answer.body as SearchOut;
      results.replaceChildren(
        h(
          "h2",
          { class: "section-title" },
          out.total ? `${out.total} found` : "Nothing found",
          out.corrected_query ? ` for “${out.corrected_query}”` : "",
        ),
        ...out.hits.map((hit) =>
          card(hit.asset, { testid: "search-result", searchId: out.search_id, highlights: hit.highlights }),
        ),
      );
    },
    () => {
      results.hidden = true;
      results.replaceChildren();
    },
  );
  searchInput.addEventListener("input", () => search.type(searchInput.value));

  const renderChips = (): void => {
    if (!taxonomy) return;
    const chip = (facet: "kind" | "stage", value: string, label: string): HTMLButtonElement => {
      const element = h("button", { type: "button", class: "chip", "data-testid": `chip-${facet}`, "data-value": value, "aria-pressed": "false" }, label);
      element.addEventListener("click", () => element.setAttribute("aria-pressed", String(search.toggle(facet, value))));
      return element;
    };
    chips.replaceChildren(
      ...taxonomy.kinds.map((kind) => chip("kind", kind, kindLabel(kind))),
      ...taxonomy.stages.map((stage) => chip("stage", stage.slug, stage.label)),
    );
  };

  // Refresh when the followed tab's page changes, or another tab becomes the followed one.
  chrome.runtime.onMessage.addListener((message: unknown) => {
    if (!isTabChanged(message)) return;
    if (pinned !== null && message.tabId !== pinned) return;
    if (message.tabId === self) return;
    // A page that finished loading in another tab than the one followed changes nothing.
    if (message.reason === "loaded" && message.tabId !== tabId) return;
    // The content script names the deal it now shows: already on screen, nothing to do.
    if (message.reason === "page-changed" && message.tabId === tabId && !refreshing && message.deal_key === shownKey) return;
    void refresh();
  });
  // Settings saved in the options page: start again.
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === "local" && "baton.settings" in changes) {
      taxonomy = undefined;
      void refresh();
    }
  });
  await refresh();
}
