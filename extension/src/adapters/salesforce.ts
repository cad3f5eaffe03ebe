// Salesforce Lightning Experience: an opportunity record page
// (https://<org>.lightning.force.com/lightning/r/Opportunity/<id>/view).
//
// Lightning keeps the pages a user visited in the DOM, hidden, for the back button: only the
// active one (`.oneContent.active`) is read. Fields are read by their labels, wherever the
// layout shows them: the highlights panel (`records-highlights-details-item`), the record
// layout (`records-record-layout-item` with `field-label`, `.test-id__field-label` /
// `.test-id__field-value`), any SLDS form element; the stage also from the path component
// (`.slds-path__item.slds-is-current`). The contact is the "Primary Contact" field when the
// layout has one, else the primary row of the Contact Roles related list (else its first).
// The text is the Description and Next Step fields and the activity timeline.

import { finish } from "./context";
import { fieldValue, normaliseLabel, type FieldLayout } from "./fields";
import { firstText, isHiddenInTree, oneLine, textOf } from "./text";
import { pageKey, type Adapter } from "./types";

const LAYOUTS: readonly FieldLayout[] = [
  {
    container: "records-record-layout-item",
    labelAttribute: "field-label",
    label: ".test-id__field-label, .slds-form-element__label",
    value: ".test-id__field-value, .slds-form-element__control",
  },
  {
    container: "records-highlights-details-item",
    label: ".slds-text-title, p[title]",
    value: ".fieldComponent",
  },
  {
    container: ".slds-form-element",
    label: ".slds-form-element__label",
    value: ".slds-form-element__control",
  },
];

// An opportunity's record id: 15 or 18 characters starting with its key prefix 006.
const OPPORTUNITY_IN_URL = /\/lightning\/r\/(?:Opportunity\/)?(006[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)(?:\/|$)/;
const OPPORTUNITY_ID = /^006[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/;

function scope(doc: Document): ParentNode {
  return doc.querySelector(".oneContent.active") ?? doc.body ?? doc;
}

function opportunityId(doc: Document, url: URL): string | undefined {
  const fromUrl = OPPORTUNITY_IN_URL.exec(url.pathname)?.[1];
  if (fromUrl) return fromUrl;
  const root = scope(doc);
  const marked = Array.from(root.querySelectorAll("[data-recordid], [record-id]"));
  if (root instanceof Element) marked.unshift(root);
  for (const element of marked) {
    const id = element.getAttribute("data-recordid") ?? element.getAttribute("record-id") ?? "";
    if (OPPORTUNITY_ID.test(id) && !isHiddenInTree(element)) return id;
  }
  return undefined;
}

function stageOnPath(root: ParentNode): string | undefined {
  return firstText(root, [
    ".slds-path__item.slds-is-current .slds-path__title",
    ".slds-path__item.slds-is-current",
  ]);
}

interface Contact {
  name?: string | undefined;
  title?: string | undefined;
}

/** The value after a `<dt>` labelled `label` in a description list. */
function listValue(root: ParentNode, label: string): Element | undefined {
  const wanted = normaliseLabel(label);
  for (const term of Array.from(root.querySelectorAll("dt"))) {
    if (normaliseLabel(textOf(term) || term.getAttribute("title")) !== wanted) continue;
    const detail = term.nextElementSibling;
    if (detail?.tagName === "DD") return detail;
  }
  return undefined;
}

function isTrue(element: Element | undefined): boolean {
  if (!element) return false;
  if (/^(true|yes|✓|checked)$/i.test(oneLine(textOf(element)))) return true;
  return (
    element.querySelector(
      'img[alt="True" i], img[alt="Checked" i], input[type=checkbox][checked], [aria-checked="true"]',
    ) !== null
  );
}

function contactFromRoles(root: ParentNode): Contact {
  let list: Element | undefined;
  for (const marker of Array.from(root.querySelectorAll("[aria-label], h2"))) {
    const label = marker.getAttribute("aria-label") ?? textOf(marker);
    if (!/^contact roles\b/i.test(oneLine(label)) || isHiddenInTree(marker)) continue;
    list = marker.hasAttribute("aria-label")
      ? marker
      : (marker.closest("article, .slds-card, section") ?? undefined);
    if (list) break;
  }
  if (!list) return {};
  const rows = Array.from(list.querySelectorAll(".slds-tile, li, tr")).filter(
    (row) => row.querySelector("a") !== null,
  );
  const primary =
    rows.find(
      (row) =>
        isTrue(listValue(row, "Primary")) ||
        Array.from(row.querySelectorAll(".slds-badge")).some((badge) =>
          /primary/i.test(textOf(badge)),
        ),
    ) ?? rows[0];
  if (!primary) return {};
  return {
    name: firstText(primary, [".slds-tile__title a", "a"]),
    title: oneLine(textOf(listValue(primary, "Title"))) || undefined,
  };
}

function activityText(root: ParentNode): string {
  const timelines = Array.from(root.querySelectorAll(".slds-timeline")).filter(
    (timeline) => !timeline.parentElement?.closest(".slds-timeline") && !isHiddenInTree(timeline),
  );
  return timelines.map((timeline) => textOf(timeline)).join("\n");
}

export const salesforce: Adapter = {
  source: "salesforce",
  matches: (url) => url.hostname.endsWith(".lightning.force.com"),
  key: (doc, url) => opportunityId(doc, url) ?? pageKey(url),
  read(doc, url) {
    const root = scope(doc);
    const field = (...labels: string[]): string | undefined => fieldValue(root, LAYOUTS, labels);
    const roles = contactFromRoles(root);
    const contactName = field("Primary Contact", "Contact Name") ?? roles.name;
    const contactTitle =
      field("Primary Contact Title", "Contact Title") ??
      (contactName === roles.name ? roles.title : undefined);
    const dealName =
      field("Opportunity Name") ??
      firstText(root, [
        'records-highlights2 [slot="primaryField"]',
        ".slds-page-header__title lightning-formatted-text",
        ".slds-page-header__title",
      ]);
    const opportunity = opportunityId(doc, url);
    return finish({
      source: "salesforce",
      url,
      deal_key: opportunity ?? pageKey(url),
      opportunity_id: opportunity,
      deal_name: dealName,
      stage: field("Stage") ?? stageOnPath(root),
      amount_text: field("Amount", "Opportunity Amount"),
      currency: field("Opportunity Currency", "Currency"),
      industry: field("Account Industry", "Industry"),
      account_name: field("Account Name", "Account"),
      contact_name: contactName,
      contact_title: contactTitle,
      text: [field("Description"), field("Next Step"), activityText(root)]
        .filter((part) => part)
        .join("\n\n"),
    });
  },
};
