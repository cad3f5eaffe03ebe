"""Deal contexts as the CRM extension sends them, each with the pieces of the library in
tests/suggestions/corpus.py that a seasoned rep would put on top.

`expected`: every one of these must be among the top three suggestions (the first one
listed is what the rep would open first).
"""

from __future__ import annotations

from typing import Any

DEALS: list[dict[str, Any]] = [
    {
        "name": "short note: construction CFO worried about overtime",
        "request": {
            "stage": "decision",
            "industry": "construction",
            "persona": "cfo",
            "text": "CFO pushing back on price. Wants proof we cut overtime before signing.",
        },
        "expected": ["construction_overtime_case"],
    },
    {
        "name": "email thread: construction ops asks about offline and union rules",
        "request": {
            "stage": "consideration",
            "industry": "construction",
            "persona": "operations-manager",
            "text": """Hi Sam,

Thanks for the demo on Tuesday, the team liked the scheduler a lot.

Two things came up in our internal review. Half of our job sites are underground
parking structures with no cell coverage at all, so our foremen need to fill in
inspections and work orders without a signal. Also our electricians are union and
the agreement has strict overtime rules (call-out pay, rest periods, seniority) that
we track by hand today.

Can you send something on both before our steering meeting next Thursday?

Best regards,
Jordan Alvarez
Operations Manager | Pioneer Construction
Mobile: +1 (303) 555-0142
jordan.alvarez@pioneer-construction.example

This email and any attachments are confidential and intended solely for the use of the
individual to whom they are addressed.

On Tue, Mar 3, 2026 at 4:12 PM, Sam Carter <sam@fieldline.example> wrote:
> Hi Jordan,
> Great to meet your team today. As promised, here is the recording of the demo.
> Let me know what questions come up.
> Cheers,
> Sam
""",
        },
        "expected": ["offline_onepager", "union_overtime_onepager"],
    },
    {
        "name": "question only: HIPAA",
        "request": {"questions": ["Is your platform HIPAA compliant?"]},
        "expected": ["hipaa_brief"],
    },
    {
        "name": "question only, not a known wording: SSO with Okta",
        "request": {"questions": ["Do you guys support SSO with Okta?"]},
        "expected": ["sso_setup_guide"],
    },
    {
        "name": "facets only: healthcare decision",
        "request": {"stage": "decision", "industry": "healthcare"},
        "expected": ["healthcare_case", "healthcare_testimonial", "hipaa_brief"],
    },
    {
        "name": "facets only: expansion with the analytics product",
        "request": {"stage": "expansion", "product": "analytics"},
        "expected": ["qbr_deck", "analytics_onepager"],
    },
    {
        "name": "hospital IT email: HIPAA and single sign-on, signature and disclaimer",
        "request": {
            "stage": "decision",
            "industry": "healthcare",
            "persona": "it-director",
            "text": """Hello,

Before we can move forward, our security committee needs two answers:
1. Is Fieldline HIPAA compliant, and will you sign our business associate agreement?
2. Can our staff sign in with single sign-on through our identity provider?

Thank you,

Priya Raman
Director of IT Infrastructure
Mercy Regional Medical Center
Tel. 555-201-3344

CONFIDENTIALITY NOTICE: This message may contain protected health information. If you
are not the intended recipient, please notify the sender and delete it.
""",
        },
        "expected": ["hipaa_brief", "security_whitepaper"],
    },
    {
        "name": "short note: manufacturer asks for the SAP integration",
        "request": {
            "stage": "consideration",
            "industry": "manufacturing",
            "text": "Their IT lead wants to know how we integrate with SAP S/4HANA for "
            "maintenance orders and spare parts.",
        },
        "expected": ["sap_connector"],
    },
    {
        "name": "competitor: ServiceTitan quoted less",
        "request": {
            "stage": "decision",
            "industry": "construction",
            "text": "They're also evaluating ServiceTitan, who quoted them about 15% less. "
            "Need ammunition for Thursday.",
        },
        "expected": ["servicetitan_battlecard"],
    },
    {
        "name": "procurement asks what it costs",
        "request": {
            "stage": "decision",
            "persona": "procurement",
            "questions": ["How is your pricing structured?"],
        },
        "expected": ["pricing_onepager"],
    },
    {
        "name": "utility after ice storms, long note",
        "request": {
            "stage": "decision",
            "industry": "utilities",
            "text": """Meeting notes, Coastal Valley Electric (VP Operations + two dispatch
supervisors):
- After last winter's ice storms their restoration times were terrible, regulators
  asked questions.
- Line crews dispatched by radio and a shared spreadsheet; no live view of where
  crews are.
- Mutual aid crews from neighbouring utilities had no access to their systems.
- Want damage assessment photos from the field straight into outage tickets.
Next step: send a relevant customer story, then schedule a workshop.""",
        },
        "expected": ["storm_response_case"],
    },
    {
        "name": "signed: rollout question in the notes",
        "request": {
            "stage": "onboarding",
            "text": "Signed! Kickoff is next week. Their COO asked how long rollout takes "
            "for 300 technicians across 5 regions?",
        },
        "expected": ["rollout_plan", "utilities_golive_case"],
    },
    {
        "name": "hotel group with paper maintenance logs",
        "request": {
            "stage": "consideration",
            "industry": "hospitality",
            "text": "GM of a 12-hotel group. Housekeeping writes broken items in a paper log, "
            "engineering checks it twice a day, rooms stay out of order for days.",
        },
        "expected": ["hotels_case"],
    },
    {
        "name": "Spanish-speaking technicians",
        "request": {
            "persona": "field-technician",
            "text": "More than half of their technicians prefer to work in Spanish. Is the "
            "app available in Spanish?",
        },
        "expected": ["languages_onepager"],
    },
    {
        "name": "CFO worried about cash flow and DSO",
        "request": {
            "stage": "decision",
            "persona": "cfo",
            "text": "Their DSO is over 60 days because invoices are typed up from paper job "
            "sheets back at the office. CFO cares about cash flow more than anything.",
        },
        "expected": ["invoicing_onepager"],
    },
    {
        "name": "needs an email to send the business case",
        "request": {
            "stage": "decision",
            "text": "Need to email the business case and payback estimate to their CFO "
            "after today's call.",
        },
        "expected": ["cfo_email"],
    },
    {
        "name": "property manager with tenant requests and HVAC contractors",
        "request": {
            "industry": "facilities",
            "text": "Manages 40 office buildings. Tenants email requests to building "
            "managers who forward them to HVAC and electrical subcontractors.",
        },
        "expected": ["property_case"],
    },
    {
        "name": "thread whose quoted part talks pricing, newest reply asks about offline",
        "request": {
            "stage": "consideration",
            "industry": "utilities",
            "text": """Quick one: our meter technicians work in rural areas with no signal for
hours. Does it work offline, and what happens to the data when they reconnect?

Thanks
Lee

-----Original Message-----
From: Sam Carter <sam@fieldline.example>
Sent: Monday, March 2, 2026 9:14 AM
To: Lee Chen <lee@valleywater.example>
Subject: Pricing for Valley Water

Hi Lee, attached is our pricing overview with the per-technician plans and
discounts we discussed. Pricing is per technician per month, billed annually.
""",
        },
        "expected": ["offline_onepager"],
    },
    {
        "name": "email with a heavy signature: moving off spreadsheets",
        "request": {
            "stage": "consideration",
            "text": """Hi Sam,

Our dispatchers run everything from Excel and a whiteboard. How hard is it to migrate
our customer lists, sites and recurring schedules from spreadsheets?

Kind regards,
--
Morgan Blake | Service Operations Lead
Evergreen Facilities Group | Safety first, always
Office +1 555 0100 | Fax +1 555 0101
www.evergreen-facilities.example
Please consider the environment before printing this email.
""",
        },
        "expected": ["spreadsheet_migration_guide"],
    },
]
