// The saved fixture pages, as documents: parsed without running their scripts.
import gmailHtml from "../fixtures/pages/gmail-thread.html?raw";
import hubspotHtml from "../fixtures/pages/hubspot-deal.html?raw";
import newsHtml from "../fixtures/pages/news-article.html?raw";
import outlookHtml from "../fixtures/pages/outlook-reading-pane.html?raw";
import salesforceHtml from "../fixtures/pages/salesforce-opportunity.html?raw";

export const PAGES = {
  salesforce: {
    html: salesforceHtml,
    url: "https://fieldline.lightning.force.com/lightning/r/Opportunity/0065g00000KXbQ2AAL/view",
  },
  hubspot: {
    html: hubspotHtml,
    url: "https://app.hubspot.com/contacts/24681357/record/0-3/18234567890",
  },
  gmail: {
    html: gmailHtml,
    url: "https://mail.google.com/mail/u/0/#inbox/FMfcgzQXJWDsKmvPTbkMPnHRBzXsRrkl",
  },
  outlook: {
    html: outlookHtml,
    url: "https://outlook.office.com/mail/inbox/id/AAQkADAwATM0MDAAMS1hNzUzLTg0ZTgtMDACLTAwCgAQAJ8xLq6n%2BkZPu0XJ5xZ3lL4%3D",
  },
  news: {
    html: newsHtml,
    url: "https://news.example.org/2026/11/28/utilities-storm-season-crews",
  },
} as const;

export type PageName = keyof typeof PAGES;

/** A fixture as a document of its own (DOMParser: no scripts run, no window). */
export function parse(name: PageName): Document {
  return new DOMParser().parseFromString(PAGES[name].html, "text/html");
}

/** Any HTML as a document of its own. */
export function parseHtml(html: string): Document {
  return new DOMParser().parseFromString(html, "text/html");
}

/** A fixture loaded into the test's own window (for selections, focus and events). */
export function load(name: PageName): Document {
  const parsed = parse(name);
  for (const script of Array.from(parsed.querySelectorAll("script"))) script.remove();
  document.head.replaceChildren(...Array.from(parsed.head.childNodes).map((node) => document.importNode(node, true)));
  document.body.replaceChildren(...Array.from(parsed.body.childNodes).map((node) => document.importNode(node, true)));
  document.title = parsed.title;
  return document;
}
