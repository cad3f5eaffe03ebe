import type { DealContext, Source } from "../messages";
import { parseMoney } from "./amount";
import { personaFromTitle } from "./persona";
import { cap, oneLine, questionsIn } from "./text";

/** What an adapter found, before the common finishing. */
export interface Found {
  source: Source;
  url: URL;
  deal_key: string;
  opportunity_id?: string | undefined;
  deal_name?: string | undefined;
  stage?: string | undefined;
  /** The amount as displayed ("$120,000.00"): read into amount and currency. */
  amount_text?: string | undefined;
  /** A currency the page shows apart from the amount (a currency field). */
  currency?: string | undefined;
  industry?: string | undefined;
  contact_name?: string | undefined;
  contact_title?: string | undefined;
  account_name?: string | undefined;
  text?: string | undefined;
}

/** The DealContext of what an adapter found: empty fields left out, the amount parsed, the
 * persona derived from the contact's title, text capped and its questions listed. */
export function finish(found: Found): DealContext {
  const text = cap(found.text ?? "");
  const context: DealContext = {
    source: found.source,
    url: found.url.href,
    deal_key: found.deal_key,
    text,
    questions: questionsIn(text),
  };
  const set = (name: keyof DealContext, value: string | undefined): void => {
    const clean = oneLine(value);
    if (clean !== "") (context as unknown as Record<string, unknown>)[name] = clean.slice(0, 300);
  };
  set("opportunity_id", found.opportunity_id);
  set("deal_name", found.deal_name);
  set("stage", found.stage);
  set("industry", found.industry);
  set("contact_name", found.contact_name);
  set("contact_title", found.contact_title);
  set("account_name", found.account_name);
  const money = parseMoney(found.amount_text);
  if (money.amount !== undefined) context.amount = money.amount;
  const currency = oneLine(found.currency).toUpperCase();
  if (/^[A-Z]{3}$/.test(currency)) context.currency = currency;
  else if (money.currency && money.amount !== undefined) context.currency = money.currency;
  const persona = personaFromTitle(context.contact_title);
  if (persona) context.persona = persona;
  return context;
}
