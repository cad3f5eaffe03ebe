// The deal's values for an email template's {{ placeholders }}: the names Baton's templates
// use (first_name, company, sender_name, ...) and a few aliases.

import type { DealContext } from "../messages";

export interface Me {
  id: string;
  email?: string | null;
  name?: string | null;
  role: string;
}

function formatAmount(amount: number, currency: string | undefined): string {
  try {
    return new Intl.NumberFormat("en", {
      style: currency ? "currency" : "decimal",
      currency: currency || undefined,
      maximumFractionDigits: 0,
    }).format(amount);
  } catch {
    return `${amount}${currency ? ` ${currency}` : ""}`;
  }
}

export function dealVariables(deal: Partial<DealContext>, me: Me | null): Record<string, string> {
  const values: Record<string, string | undefined> = {};
  const contact = deal.contact_name?.trim();
  if (contact) {
    const [first, ...rest] = contact.split(/\s+/);
    values.first_name = first;
    values.last_name = rest.length ? rest.join(" ") : undefined;
    values.contact_name = contact;
    values.name = contact;
  }
  values.contact_title = deal.contact_title;
  values.title = deal.contact_title;
  values.company = deal.account_name;
  values.account_name = deal.account_name;
  values.customer = deal.account_name;
  values.deal_name = deal.deal_name;
  values.opportunity_name = deal.deal_name;
  values.industry = deal.industry;
  values.stage = deal.stage;
  if (deal.amount !== undefined) values.amount = formatAmount(deal.amount, deal.currency);
  if (me?.name) {
    values.sender_name = me.name;
    values.sender_first_name = me.name.split(/\s+/)[0];
  }
  if (me?.email) values.sender_email = me.email;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value.trim() !== "") out[name] = value.trim();
  }
  return out;
}
