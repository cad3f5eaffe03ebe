"""A small but realistic collateral library for the search contract tests.

Every piece names the product (Fieldline) in its body, so a search for "fieldline"
matches all of them and filter/facet expectations can be computed from the metadata.
Some words are placed on purpose: see the notes beside each piece.
"""

from __future__ import annotations

from typing import Any

# Questions customers ask; linked to assets by their key below.
QUESTIONS = {
    "offline": "Does the app work offline?",
    "rollout": "How long does implementation take?",
    "soc2": "Are you SOC 2 compliant?",
}

LONG_BODY = (
    (
        "Fleet managers juggle dispatch boards, paper timesheets and phone calls. "
        "This guide walks through the first ninety days with Fieldline, from mapping "
        "service territories to training dispatchers and measuring first-time fix rates. "
    )
    * 12
    + (
        "Chapter seven covers telematics: how vehicle location, engine hours and idle time "
        "flow into Fieldline so that dispatchers assign the closest qualified technician. "
    )
    + (
        "The appendix lists the reports operations leaders review every Monday, with "
        "templates for weekly utilisation, overtime and customer satisfaction. "
    )
    * 6
)

# Published (approved) pieces, in the order they are approved (the last is the newest).
LIVE: list[dict[str, Any]] = [
    {
        "key": "roi_construction",  # says "ROI", never "return on investment"
        "title": "ROI of mobile punch lists: Harbor Construction case study",
        "kind": "case_study",
        "summary": "Harbor Construction replaced paper punch lists with the field app "
        "and closed out projects eleven days sooner.",
        "body": "Harbor Construction is a general contractor with 40 active job sites. "
        "Superintendents used clipboards and photos sent by text message. With Fieldline "
        "every punch item carries a photo, a location on the drawing and an owner. "
        "Rework fell by 32 percent and the ROI was reached in five months.",
        "stages": ["decision"],
        "industries": ["construction"],
        "personas": ["cfo", "operations-manager"],
        "products": ["field-app"],
        "tags": ["roi", "punch list"],
    },
    {
        "key": "business_case",  # says "return on investment", never "ROI"
        "title": "Building the business case for field service software",
        "kind": "white_paper",
        "summary": "A finance-friendly model of costs, savings and payback for "
        "manufacturers that run their own service teams.",
        "body": "Finance leaders ask for the return on investment before they sign. This "
        "paper shows how manufacturers estimate the return on investment of Fieldline: "
        "fewer truck rolls, shorter repair times, less overtime and faster invoicing. "
        "A worked example covers a 120-technician service organisation.",
        "stages": ["consideration"],
        "industries": ["manufacturing"],
        "personas": ["cfo"],
        "products": ["scheduler"],
        "tags": ["business case"],
    },
    {
        "key": "offline_onepager",  # "offline" in its title and its linked question
        "title": "Offline mode: capture inspections without a signal",
        "kind": "one_pager",
        "summary": "Technicians keep working in basements, tunnels and remote sites.",
        "body": "Fieldline stores forms, checklists and photos on the device and syncs "
        "them when the connection returns. Conflicts are resolved field by field, "
        "and supervisors see what is still waiting to upload.",
        "stages": ["consideration"],
        "industries": ["construction", "utilities"],
        "personas": ["it-director"],
        "products": ["field-app"],
        "tags": ["mobile"],
        "questions": ["offline"],
    },
    {
        "key": "scheduler_deck",  # mentions offline once, deep in the body
        "title": "Smart scheduling for multi-site service teams",
        "kind": "presentation",
        "summary": "How the Fieldline scheduler balances skills, travel time and SLAs.",
        "body": "Dispatchers drag jobs onto a map and the scheduler proposes the best "
        "technician by skill, distance and contract terms. Crews that work in remote "
        "areas still receive their schedule, which syncs later from offline devices. "
        "Managers compare planned and actual hours by region.",
        "stages": ["consideration", "decision"],
        "industries": ["utilities", "logistics"],
        "personas": ["operations-manager"],
        "products": ["scheduler"],
        "tags": ["scheduling"],
    },
    {
        "key": "rollout_plan",  # linked to the implementation question, no such word in text
        "title": "Rollout plan for mid-size fleets",
        "kind": "ebook",
        "summary": "A week-by-week plan for going live with Fieldline in under two months.",
        "body": "Week one sets up users and territories in Fieldline. Week two imports "
        "customers and assets. Weeks three and four pilot with one crew before the "
        "whole fleet switches over. A checklist for each week is included.",
        "stages": ["onboarding"],
        "industries": ["logistics"],
        "personas": ["operations-manager"],
        "products": ["field-app", "scheduler"],
        "tags": ["go live"],
        "questions": ["rollout"],
    },
    {
        "key": "procore_guide",  # integration / integrates: stemming
        "title": "Procore integration guide",
        "kind": "ebook",
        "summary": "Connect project data between Procore and Fieldline in an afternoon.",
        "body": "The connector integrates projects, RFIs and punch items both ways. Admins "
        "map Procore companies to Fieldline customers, choose which fields sync, and "
        "review the audit log. Most teams finish the implementation in a day.",
        "stages": ["onboarding"],
        "industries": ["construction"],
        "personas": ["it-director"],
        "products": ["field-app"],
        "tags": ["integrations"],
    },
    {
        "key": "security_whitepaper",  # security, encryption, SOC 2
        "title": "Security and compliance overview",
        "kind": "white_paper",
        "summary": "Encryption, access control and audits at Fieldline.",
        "body": "Fieldline encrypts data at rest with AES-256 and in transit with TLS 1.3. "
        "Customers choose single sign-on with SAML and enforce role-based access. An "
        "independent auditor reviews our controls every year for the SOC 2 Type II report.",
        "stages": ["decision"],
        "industries": ["healthcare", "utilities"],
        "personas": ["it-director"],
        "products": ["platform"],
        "tags": ["security", "compliance"],
        "questions": ["soc2"],
    },
    {
        "key": "hospital_testimonial",
        "title": "St. Mary's facilities team on faster work orders",
        "kind": "testimonial",
        "summary": '"We answer maintenance requests the same day now."',
        "body": "St. Mary's Hospital runs 300 beds and a facilities team of 25. Since moving "
        "to Fieldline, work orders are assigned from a phone and patients' rooms are "
        "back in service faster. Security reviews were easy thanks to the audit trail.",
        "stages": ["decision"],
        "industries": ["healthcare"],
        "personas": ["operations-manager"],
        "products": ["field-app"],
        "tags": ["work orders"],
        "fields": {"customer": "St. Mary's Hospital", "quote_author": "Dana Ruiz"},
    },
    {
        "key": "battlecard",  # HTML-looking and ampersand text: escaping
        "title": "Battlecard: Fieldline vs. AT&T Field Force <beta>",
        "kind": "battlecard",
        "summary": "Where we win against AT&T Field Force & how to handle pricing objections.",
        "body": "AT&T Field Force bundles devices with its software. Fieldline wins on "
        "offline forms, scheduling and the Procore connector. Never paste customer code "
        "such as <script>alert('x')</script> into proposals.",
        "stages": ["decision"],
        "industries": ["utilities"],
        "personas": ["operations-manager"],
        "products": ["field-app"],
        "tags": ["competitors"],
    },
    {
        "key": "fleet_ebook",  # a long body: the snippet is cut to 300 characters
        "title": "The fleet manager's field guide",
        "kind": "ebook",
        "summary": "Ninety days to a calmer dispatch board.",
        "body": LONG_BODY,
        "stages": ["awareness"],
        "industries": ["logistics"],
        "personas": ["operations-manager"],
        "products": ["scheduler"],
        "tags": ["fleet"],
    },
    {
        "key": "retail_email",
        "title": "Follow-up email after a retail store walkthrough",
        "kind": "email_template",
        "summary": "Send within a day of visiting a store operations team.",
        "body": "Hi {{ first_name }}, thanks for walking us through your stores. Fieldline "
        "keeps refrigeration and lighting maintenance on schedule across every location.",
        "stages": ["consideration"],
        "industries": ["retail"],
        "personas": ["operations-manager"],
        "products": ["scheduler"],
        "tags": ["follow up"],
        "fields": {"subject": "Keeping every store running"},
    },
    {
        "key": "manufacturing_case",
        "title": "Northwind Manufacturing halves machine downtime",
        "kind": "case_study",
        "summary": "Preventive maintenance schedules driven by machine hours.",
        "body": "Northwind Manufacturing services 2,000 machines at customer plants. Fieldline "
        "schedules preventive maintenance from machine hours and sends the right spare "
        "parts with each technician. Downtime fell by half within a year.",
        "stages": ["decision"],
        "industries": ["manufacturing"],
        "personas": ["operations-manager", "cfo"],
        "products": ["scheduler", "analytics"],
        "tags": ["maintenance"],
    },
    {
        "key": "analytics_onepager",
        "title": "Operations analytics dashboards",
        "kind": "one_pager",
        "summary": "First-time fix rate, utilisation and SLA compliance at a glance.",
        "body": "Fieldline analytics turns every job into data: travel time, time on site, "
        "parts used and customer ratings. Leaders compare regions and spot training needs.",
        "stages": ["expansion"],
        "industries": ["utilities", "manufacturing"],
        "personas": ["ceo", "operations-manager"],
        "products": ["analytics"],
        "tags": ["reporting"],
    },
    {
        "key": "onboarding_checklist",
        "title": "Onboarding checklist for new crews",
        "kind": "one_pager",
        "summary": "Everything a new technician needs on day one.",
        "body": "Install the Fieldline app, sign in with single sign-on, download today's "
        "jobs and complete the safety checklist before the first visit.",
        "stages": ["onboarding"],
        "industries": ["construction", "utilities"],
        "personas": ["operations-manager"],
        "products": ["field-app"],
        "tags": ["training"],
    },
]

# Pieces reps must not find: their only distinctive word is "robotics".
HIDDEN: list[dict[str, Any]] = [
    {
        "key": "draft_robotics",
        "state": "draft",
        "title": "Warehouse robotics teaser",
        "kind": "one_pager",
        "body": "An early look at Fieldline for warehouse robotics maintenance.",
        "industries": ["logistics"],
    },
    {
        "key": "review_robotics",
        "state": "in_review",
        "title": "Robotics service contracts",
        "kind": "white_paper",
        "body": "Fieldline service contracts for robotics fleets.",
        "industries": ["manufacturing"],
    },
    {
        "key": "archived_robotics",
        "state": "archived",
        "title": "Robotics pilot results (2023)",
        "kind": "case_study",
        "body": "Old robotics pilot results with Fieldline.",
        "industries": ["logistics"],
    },
]
