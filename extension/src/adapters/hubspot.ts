// HubSpot: a deal record (https://app.hubspot.com/contacts/<portal>/record/0-3/<dealId>, the
// older /contacts/<portal>/deal/<dealId> too; app-eu1 alike).
//
// HubSpot marks its UI with `data-selenium-test` attributes: the record's name
// (`highlightTitle`), each property in the "About this deal" sidebar
// (`property-input-<internal name>` holding a label and a value), the association cards on
// the right (`association-card-0-2` companies, `association-card-0-1` contacts, each record
// with its title and properties) and the activity timeline (`timeline-card`). Properties are
// found by internal name first (dealstage, amount, deal_currency_code), then by label.
// The primary company (its "Primary" tag, else the first) gives the industry and account
// name; the first contact gives name and job title.

import { finish } from "./context";
import { fieldValue, type FieldLayout } from "./fields";
import { firstText, isHiddenInTree, oneLine, textOf } from "./text";
import { pageKey, type Adapter } from "./types";

const VALUE = '[data-selenium-test="property-value"], [data-selenium-test$="-value"]';

const LAYOUTS: readonly FieldLayout[] = [
  {
    container: '[data-selenium-test^="property-input-"]',
    label: '[data-selenium-test="property-label"], label',
    value: VALUE,
  },
  {
    container: '[data-selenium-test="association-record-property"], .private-property',
    label: '[data-selenium-test="property-label"], dt, label',
    value: '[data-selenium-test="property-value"], dd',
  },
];

const DEAL_IN_URL = /^\/contacts\/\d+\/(?:record\/0-3|deal)\/(\d+)(?:\/|$)/;

function dealId(url: URL): string | undefined {
  return DEAL_IN_URL.exec(url.pathname)?.[1];
}

function property(root: ParentNode, name: string, ...labels: string[]): string | undefined {
  const byName = root.querySelector(`[data-selenium-test="property-input-${name}"]`);
  if (byName && !isHiddenInTree(byName)) {
    const text = oneLine(textOf(byName.querySelector(VALUE)));
    if (text) return text;
  }
  return fieldValue(root, LAYOUTS, labels);
}

/** The association card for one object type (0-1 contacts, 0-2 companies), else the card
 * whose heading names it. */
function card(root: ParentNode, typeId: string, heading: RegExp): Element | undefined {
  const byType = root.querySelector(`[data-selenium-test="association-card-${typeId}"]`);
  if (byType && !isHiddenInTree(byType)) return byType;
  for (const title of Array.from(root.querySelectorAll("h2, h3, [role=heading]"))) {
    if (heading.test(textOf(title)) && !isHiddenInTree(title)) {
      return title.closest("section, article, [data-selenium-test]") ?? undefined;
    }
  }
  return undefined;
}

interface Associated {
  name?: string | undefined;
  element?: Element | undefined;
}

function primaryRecord(cardElement: Element | undefined): Associated {
  if (!cardElement) return {};
  const records = Array.from(
    cardElement.querySelectorAll('[data-selenium-test="association-record"]'),
  ).filter((record) => !isHiddenInTree(record));
  const record =
    records.find((element) =>
      /\bprimary\b/i.test(
        textOf(element.querySelector('[data-selenium-test="association-label"], .private-tag')),
      ),
    ) ?? records[0];
  if (!record) return {};
  return {
    element: record,
    name: firstText(record, ['[data-selenium-test="association-record-title"]', "a"]),
  };
}

function timelineText(root: ParentNode): string {
  return Array.from(root.querySelectorAll('[data-selenium-test="timeline-card"]'))
    .filter((item) => !isHiddenInTree(item))
    .map((item) => textOf(item))
    .join("\n\n");
}

export const hubspot: Adapter = {
  source: "hubspot",
  matches: (url) => /^app(-[a-z0-9]+)?\.hubspot\.com$/.test(url.hostname),
  key: (_doc, url) => dealId(url) ?? pageKey(url),
  read(doc, url) {
    const root: ParentNode = doc.body ?? doc;
    const company = primaryRecord(card(root, "0-2", /^companies\b/i));
    const contact = primaryRecord(card(root, "0-1", /^contacts\b/i));
    const id = dealId(url);
    return finish({
      source: "hubspot",
      url,
      deal_key: id ?? pageKey(url),
      opportunity_id: id,
      deal_name:
        firstText(root, ['[data-selenium-test="highlightTitle"]']) ??
        property(root, "dealname", "Deal name"),
      stage: property(root, "dealstage", "Deal stage", "Stage"),
      amount_text: property(root, "amount", "Amount"),
      currency: property(root, "deal_currency_code", "Currency"),
      industry: company.element ? fieldValue(company.element, LAYOUTS, ["Industry"]) : undefined,
      account_name: company.name,
      contact_name: contact.name,
      contact_title: contact.element
        ? fieldValue(contact.element, LAYOUTS, ["Job title", "Title"])
        : undefined,
      text: [property(root, "description", "Deal description"), timelineText(root)]
        .filter((part) => part)
        .join("\n\n"),
    });
  },
};
