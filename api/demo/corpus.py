"""The demo library as plain data: Fieldline, a field-service software company.

Fieldline sells four products to companies whose people work on sites, not at desks:
Fieldline Mobile (the crew app), Dispatch (scheduling), Insights (analytics) and Connect
(integrations). Marketing keeps case studies, decks, battlecards, email templates and
news talking points for five industries. Everything here is invented.

`api.demo.load` turns this into files (every format Baton reads) and imports them through
the real ingest path.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from api.demo.documents import Section

INDUSTRIES = {
    "construction": "Construction",
    "utilities": "Utilities",
    "healthcare": "Healthcare",
    "manufacturing": "Manufacturing",
    "logistics": "Logistics",
}
PERSONAS = {
    "cfo": "CFO",
    "operations-director": "Operations director",
    "it-director": "IT director",
    "field-supervisor": "Field supervisor",
    "procurement-lead": "Procurement lead",
}
PRODUCTS = {
    "field-app": "Fieldline Mobile",
    "dispatch": "Fieldline Dispatch",
    "insights": "Fieldline Insights",
    "connect": "Fieldline Connect",
}
# The terms the library names, by facet, with their proper labels (stages: the defaults).
TERM_LABELS = {"industries": INDUSTRIES, "personas": PERSONAS, "products": PRODUCTS}


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    asked: int
    stage: str | None = None
    industry: str | None = None


QUESTIONS = (
    Question("offline", "Does the app work offline?", 9, "consideration", "utilities"),
    Question("rollout", "How long does rollout take?", 7, "decision", "construction"),
    Question("roi", "What ROI do customers see in the first year?", 6, "decision", None),
    Question("sap", "Does it integrate with SAP?", 5, "consideration", "manufacturing"),
    Question(
        "hipaa", "Is patient data handled in a HIPAA-compliant way?", 4, "decision", "healthcare"
    ),
    Question("training", "How much training do field crews need?", 4, "onboarding", None),
    Question("pricing", "Is pricing per user or per crew?", 3, "decision", None),
    Question("competitor", "How are you different from ServiceGrid?", 3, "consideration", None),
    # Asked, but nothing answers them yet: the content-gaps report shows these.
    Question(
        "union",
        "Can unionised crews' overtime rules be enforced in scheduling?",
        5,
        "consideration",
        "utilities",
    ),
    Question(
        "cold-chain",
        "Can drivers log cold-chain temperatures on delivery?",
        4,
        "consideration",
        "logistics",
    ),
    Question(
        "data-residency",
        "Where is our data stored, and can it stay in the EU?",
        3,
        "decision",
        None,
    ),
    Question(
        "migration",
        "Can we migrate five years of work-order history?",
        2,
        "onboarding",
        "manufacturing",
    ),
)


@dataclass(frozen=True)
class Asset:
    """One piece of collateral: what it says, how it is tagged, where it is in review."""

    key: str
    format: str  # pdf, docx, pptx, html, markdown, text or eml
    title: str
    kind: str
    summary: str
    sections: tuple[Section, ...]
    stages: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    personas: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)
    # draft, in_review, approved, archived, or rejected (back in draft with a comment).
    status: str = "approved"
    age_days: int = 60
    expires_in_days: int | None = None
    subject: str = ""  # emails only
    review_comment: str = ""


A = Asset
ASSETS: tuple[Asset, ...] = (
    # --- case studies ------------------------------------------------------------------
    A(
        "brightwater",
        "pdf",
        "Brightwater Tunnelling cuts rework by 75%",
        "case_study",
        "How a tunnelling contractor moved inspections off paper and cut rework from 12% to 3%.",
        (
            Section(
                "The customer",
                (
                    "Brightwater Tunnelling builds metro and water tunnels across three "
                    "countries, with 600 people working underground.",
                ),
            ),
            Section(
                "The challenge",
                (
                    "Inspection forms for shotcrete linings travelled on paper between "
                    "the shaft and the site office, and defects surfaced weeks late.",
                    "Rework ran at 12% of lining work.",
                ),
            ),
            Section(
                "The solution",
                (
                    "Crews record lining thickness, cure times and photos in Fieldline "
                    "Mobile, offline underground; Dispatch sends the repair crew the "
                    "same shift.",
                ),
                table=(
                    ("Metric", "Before", "After"),
                    ("Rework", "12%", "3%"),
                    ("Defect to repair", "19 days", "2 days"),
                ),
            ),
            Section(
                "Results",
                (
                    "Rework fell by three quarters in nine months and invoices leave the site "
                    "the day work is signed off.",
                ),
            ),
        ),
        stages=("decision",),
        industries=("construction",),
        personas=("cfo", "operations-director"),
        products=("field-app", "dispatch"),
        tags=("roi", "offline"),
        questions=("roi", "offline"),
        fields={"customer": "Brightwater Tunnelling"},
        age_days=200,
    ),
    A(
        "northgrid",
        "pdf",
        "NorthGrid Energy restores outages 38% faster",
        "case_study",
        "A regional utility put outage crews on one live schedule.",
        (
            Section("The customer", ("NorthGrid Energy runs 40,000 km of distribution lines.",)),
            Section(
                "The challenge",
                (
                    "Storm outages were dispatched by phone, and crews drove to jobs "
                    "another crew had already closed.",
                ),
            ),
            Section(
                "Results",
                ("Average restoration time fell from 4.1 to 2.5 hours; overtime fell by a fifth.",),
                bullets=("Live outage map for every crew", "Automatic crew matching by skill"),
            ),
        ),
        stages=("decision",),
        industries=("utilities",),
        personas=("operations-director",),
        products=("dispatch", "field-app"),
        tags=("outage", "roi"),
        questions=("offline",),
        fields={"customer": "NorthGrid Energy"},
        age_days=150,
    ),
    A(
        "mercy-home",
        "docx",
        "Mercy Home Health: more visits per nurse",
        "case_study",
        "A home-health provider added two visits per nurse per week.",
        (
            Section(
                "The challenge",
                ("Nurses planned their own routes each morning and charted at night.",),
            ),
            Section(
                "What changed",
                (
                    "Dispatch builds routes around patient time windows; nurses chart at "
                    "the bedside, and patient data stays encrypted on the device.",
                ),
                table=(
                    ("Measure", "Result"),
                    ("Visits per nurse per week", "+2"),
                    ("Charting after hours", "-70%"),
                ),
            ),
            Section(
                "Compliance",
                (
                    "Fieldline signed a business associate agreement and passed Mercy's "
                    "HIPAA security review in three weeks.",
                ),
            ),
        ),
        stages=("decision",),
        industries=("healthcare",),
        personas=("operations-director", "it-director"),
        products=("dispatch", "field-app"),
        tags=("hipaa", "productivity"),
        questions=("hipaa",),
        fields={"customer": "Mercy Home Health"},
        age_days=120,
    ),
    A(
        "kessler",
        "pdf",
        "Kessler Machining halves unplanned downtime",
        "case_study",
        "A machine-tool maker's service team now fixes most faults on the first visit.",
        (
            Section(
                "The challenge",
                (
                    "Kessler's technicians arrived without the right spare part on "
                    "four visits in ten.",
                ),
            ),
            Section(
                "The solution",
                (
                    "Connect links SAP service orders to Fieldline, so the part list "
                    "reaches the technician before the van leaves.",
                ),
            ),
            Section(
                "Results",
                ("First-time fix rose from 61% to 88%; unplanned downtime at customers halved.",),
            ),
        ),
        stages=("consideration", "decision"),
        industries=("manufacturing",),
        personas=("operations-director", "it-director"),
        products=("connect", "field-app"),
        tags=("sap", "first-time-fix"),
        questions=("sap",),
        fields={"customer": "Kessler Machining"},
        age_days=90,
    ),
    A(
        "swiftline",
        "html",
        "Swiftline Freight: proof of delivery in seconds",
        "case_study",
        "A regional carrier replaced paper delivery notes with signed photos.",
        (
            Section(
                "The challenge", ("Disputed deliveries cost Swiftline 40 hours of admin a week.",)
            ),
            Section(
                "Results",
                (
                    "Proof of delivery reaches the customer before the truck leaves the dock; "
                    "disputes fell by 80%.",
                ),
            ),
        ),
        stages=("consideration",),
        industries=("logistics",),
        personas=("operations-director",),
        products=("field-app",),
        tags=("proof-of-delivery",),
        fields={"customer": "Swiftline Freight"},
        age_days=75,
    ),
    A(
        "harbor-build",
        "docx",
        "Harbor Build: safety checks that happen",
        "case_study",
        "Daily safety checklists went from 60% to 99% completion.",
        (
            Section(
                "The challenge", ("Site safety checks were skipped when supervisors were busy.",)
            ),
            Section(
                "Results",
                (
                    "Checklists are due in the app at shift start; near-miss reports "
                    "doubled as crews found them easy to file.",
                ),
            ),
        ),
        stages=("consideration",),
        industries=("construction",),
        personas=("field-supervisor",),
        products=("field-app",),
        tags=("safety",),
        fields={"customer": "Harbor Build"},
        status="in_review",
        age_days=6,
    ),
    # --- testimonials ------------------------------------------------------------------
    A(
        "quote-brightwater",
        "text",
        "“We stopped losing paperwork underground”",
        "testimonial",
        "Brightwater's operations director on going paperless.",
        (
            Section(
                "Quote",
                (
                    "“We stopped losing paperwork underground. Our crews log everything "
                    "offline and it syncs at the shaft.” — Ana Ruiz, Operations Director, "
                    "Brightwater Tunnelling",
                ),
            ),
        ),
        stages=("consideration",),
        industries=("construction",),
        personas=("operations-director",),
        products=("field-app",),
        tags=("offline",),
        fields={"customer": "Brightwater Tunnelling", "quote_author": "Ana Ruiz"},
        age_days=180,
    ),
    A(
        "quote-northgrid",
        "text",
        "“Storm nights are calmer now”",
        "testimonial",
        "NorthGrid's dispatch lead on storm response.",
        (
            Section(
                "Quote",
                (
                    "“Storm nights are calmer now. Everyone sees the same map, and nobody "
                    "drives to a fixed line.” — Sam Okafor, Dispatch Lead, NorthGrid Energy",
                ),
            ),
        ),
        stages=("awareness",),
        industries=("utilities",),
        personas=("field-supervisor",),
        products=("dispatch",),
        fields={"customer": "NorthGrid Energy", "quote_author": "Sam Okafor"},
        age_days=140,
    ),
    A(
        "quote-mercy",
        "markdown",
        "“Nurses chart at the bedside”",
        "testimonial",
        "Mercy Home Health's CIO on security and adoption.",
        (
            Section(
                "Quote",
                (
                    "“Nurses chart at the bedside, and our security team signed off in three "
                    "weeks.” — Priya Nair, CIO, Mercy Home Health",
                ),
            ),
        ),
        stages=("decision",),
        industries=("healthcare",),
        personas=("it-director",),
        products=("field-app",),
        tags=("hipaa",),
        fields={"customer": "Mercy Home Health", "quote_author": "Priya Nair"},
        age_days=100,
    ),
    A(
        "quote-kessler",
        "text",
        "“The right part, first time”",
        "testimonial",
        "Kessler's service manager on first-time fix.",
        (
            Section(
                "Quote",
                (
                    "“Our technicians arrive with the right part. Customers noticed within a "
                    "month.” — Jonas Weber, Service Manager, Kessler Machining",
                ),
            ),
        ),
        stages=("consideration",),
        industries=("manufacturing",),
        personas=("field-supervisor",),
        products=("connect",),
        fields={"customer": "Kessler Machining", "quote_author": "Jonas Weber"},
        status="draft",
        age_days=3,
    ),
    # --- email templates ---------------------------------------------------------------
    A(
        "email-intro",
        "eml",
        "Intro: paperwork-free field crews",
        "email_template",
        "First touch for operations leaders.",
        (
            Section(
                "Body",
                (
                    "Hi {{ first_name }},\n\nField crews at companies like {{ company }} lose "
                    "hours a week to paperwork. Fieldline Mobile puts work orders, checklists "
                    "and sign-off in one offline app.\n\nWorth 20 minutes next week?\n\n"
                    "{{ sender_name }}",
                ),
            ),
        ),
        subject="Paperwork-free field crews at {{ company }}?",
        stages=("awareness",),
        personas=("operations-director",),
        products=("field-app",),
        age_days=160,
    ),
    A(
        "email-followup",
        "eml",
        "Follow-up after discovery call",
        "email_template",
        "Recap and next steps after a first call.",
        (
            Section(
                "Body",
                (
                    "Hi {{ first_name }},\n\nThanks for walking me through how {{ company }} "
                    "dispatches crews today. As promised, here is the NorthGrid story: outage "
                    "restoration 38% faster.\n\nShall we book the workshop with your dispatch "
                    "team?\n\n{{ sender_name }}",
                ),
            ),
        ),
        subject="Your dispatch workflow, and the NorthGrid story",
        stages=("consideration",),
        industries=("utilities",),
        personas=("operations-director",),
        products=("dispatch",),
        age_days=110,
    ),
    A(
        "email-cfo-roi",
        "eml",
        "ROI summary for the CFO",
        "email_template",
        "Sends the business case to a finance sponsor.",
        (
            Section(
                "Body",
                (
                    "Hi {{ first_name }},\n\nAttached is the business case we built with your "
                    "team: payback in {{ payback_months }} months, mostly from less rework and "
                    "faster invoicing.\n\nHappy to walk through the numbers.\n\n"
                    "{{ sender_name }}",
                ),
            ),
        ),
        subject="Business case: payback in {{ payback_months }} months",
        stages=("decision",),
        personas=("cfo",),
        tags=("roi",),
        age_days=95,
    ),
    A(
        "email-onboarding",
        "eml",
        "Welcome aboard: your first 30 days",
        "email_template",
        "Sent on signature to the customer's project lead.",
        (
            Section(
                "Body",
                (
                    "Hi {{ first_name }},\n\nWelcome to Fieldline! Your rollout plan: week 1 "
                    "admin setup, week 2 pilot crew, weeks 3-4 everyone live. Crews need about "
                    "45 minutes of training.\n\n{{ sender_name }}",
                ),
            ),
        ),
        subject="Welcome to Fieldline, {{ first_name }}: your first 30 days",
        stages=("onboarding",),
        personas=("operations-director", "field-supervisor"),
        questions=("training", "rollout"),
        age_days=80,
    ),
    A(
        "email-expansion",
        "eml",
        "Add Insights: see where the hours go",
        "email_template",
        "Upsell to customers on Mobile and Dispatch.",
        (
            Section(
                "Body",
                (
                    "Hi {{ first_name }},\n\nYour crews closed {{ jobs_closed }} work orders "
                    "last quarter. Fieldline Insights shows where the hours went and which jobs "
                    "run long.\n\nWant a look at your own data?\n\n{{ sender_name }}",
                ),
            ),
        ),
        subject="{{ jobs_closed }} work orders last quarter: where did the hours go?",
        stages=("expansion",),
        personas=("operations-director", "cfo"),
        products=("insights",),
        status="in_review",
        age_days=4,
    ),
    # --- eBooks and white papers -----------------------------------------------------------
    A(
        "ebook-paperless",
        "pdf",
        "The Paperless Field Crew: a practical guide",
        "ebook",
        "Twelve steps from clipboards to mobile work orders.",
        (
            Section(
                "Why paper fails", ("Paper forms arrive late, get lost and cannot be searched.",)
            ),
            Section(
                "Twelve steps",
                (),
                bullets=(
                    "Map every form you use today",
                    "Start with one crew",
                    "Measure rework before and after",
                    "Train supervisors first",
                ),
            ),
            Section("Checklist", ("Use the checklist at the end to plan your own pilot.",)),
        ),
        stages=("awareness",),
        personas=("operations-director", "field-supervisor"),
        products=("field-app",),
        tags=("guide",),
        questions=("training",),
        age_days=240,
    ),
    A(
        "ebook-utilities",
        "pdf",
        "Storm Season Playbook for Utilities",
        "ebook",
        "How utilities prepare crews, schedules and customers for storm season.",
        (
            Section("Before the storm", ("Pre-stage crews and materials by risk zone.",)),
            Section(
                "During the storm", ("Dispatch by skill and proximity; keep customers informed.",)
            ),
            Section(
                "After the storm", ("Review restoration times by crew and region in Insights.",)
            ),
        ),
        stages=("awareness",),
        industries=("utilities",),
        personas=("operations-director",),
        products=("dispatch", "insights"),
        tags=("outage",),
        age_days=130,
    ),
    A(
        "wp-offline",
        "pdf",
        "Offline-first: how Fieldline syncs without signal",
        "white_paper",
        "The sync design behind working underground and in rural areas.",
        (
            Section(
                "The problem",
                (
                    "Field work happens where the network does not: tunnels, basements, "
                    "rural substations.",
                ),
            ),
            Section(
                "How sync works",
                (
                    "Every change is stored on the device and merged on reconnect; "
                    "conflicts are resolved per field, and nothing is lost.",
                ),
            ),
            Section(
                "Security",
                ("Data on the device is encrypted with keys held in the phone's secure enclave.",),
            ),
        ),
        stages=("consideration",),
        personas=("it-director",),
        products=("field-app",),
        tags=("offline", "security"),
        questions=("offline",),
        age_days=170,
    ),
    A(
        "wp-security",
        "docx",
        "Fieldline Security and Compliance Overview",
        "white_paper",
        "Encryption, access control, certifications and data residency.",
        (
            Section(
                "Certifications",
                ("SOC 2 Type II, ISO 27001; HIPAA business associate agreements available.",),
            ),
            Section("Access control", ("Single sign-on with SAML, roles per crew and region.",)),
            Section("Hosting", ("Hosted in the United States; regional hosting on request.",)),
        ),
        stages=("decision",),
        industries=("healthcare",),
        personas=("it-director", "procurement-lead"),
        tags=("security", "hipaa"),
        questions=("hipaa",),
        age_days=210,
    ),
    A(
        "wp-tco",
        "docx",
        "Total Cost of Ownership: Fieldline vs. building in-house",
        "white_paper",
        "A five-year cost model for a 200-technician service team.",
        (
            Section(
                "Model",
                ("We compare licences, build effort and maintenance over five years.",),
                table=(
                    ("Cost", "In-house", "Fieldline"),
                    ("Year 1", "$1.4M", "$0.4M"),
                    ("Five years", "$3.9M", "$1.6M"),
                ),
            ),
            Section(
                "Conclusion", ("Buying costs 60% less over five years, with no app team to hire.",)
            ),
        ),
        stages=("decision",),
        personas=("cfo", "procurement-lead"),
        tags=("tco", "roi"),
        questions=("roi", "pricing"),
        age_days=115,
    ),
    # --- talking points (industry news; they expire) ---------------------------------------
    A(
        "tp-infrastructure-bill",
        "html",
        "Infrastructure spending bill: more projects, fewer hands",
        "talking_point",
        "Use the new spending bill to open conversations about crew productivity.",
        (
            Section(
                "What happened",
                (
                    "Congress passed a five-year infrastructure bill funding roads, "
                    "water and grid upgrades.",
                ),
            ),
            Section(
                "What to say",
                (
                    "More projects with the same crews means every paper hour matters; "
                    "ask how they will staff the new work.",
                ),
            ),
        ),
        stages=("awareness",),
        industries=("construction", "utilities"),
        personas=("cfo", "operations-director"),
        tags=("news",),
        fields={
            "source_url": "https://news.example.com/infrastructure-bill",
            "published_at": "2026-10-28",
        },
        age_days=20,
        expires_in_days=70,
    ),
    A(
        "tp-heat-rules",
        "html",
        "New heat-safety rules for outdoor crews",
        "talking_point",
        "New state rules require water, shade and rest logs for outdoor work.",
        (
            Section(
                "What happened",
                ("Several states now require documented heat breaks for outdoor crews.",),
            ),
            Section(
                "What to say",
                ("Fieldline checklists log breaks and readings, so compliance is on record.",),
            ),
        ),
        stages=("awareness",),
        industries=("construction", "utilities"),
        personas=("field-supervisor",),
        tags=("news", "safety"),
        fields={"source_url": "https://news.example.com/heat-rules", "published_at": "2026-11-05"},
        age_days=80,
        expires_in_days=10,
    ),
    A(
        "tp-nurse-shortage",
        "markdown",
        "Home-health nurse shortage deepens",
        "talking_point",
        "A new survey shows one in five home-health positions unfilled.",
        (
            Section(
                "What happened",
                (
                    "One in five home-health nursing positions is unfilled, the "
                    "association's survey says.",
                ),
            ),
            Section(
                "What to say",
                ("Better routing adds visits without adding nurses: point to Mercy Home Health.",),
            ),
        ),
        stages=("awareness",),
        industries=("healthcare",),
        personas=("operations-director",),
        tags=("news",),
        fields={
            "source_url": "https://news.example.com/nurse-survey",
            "published_at": "2026-09-15",
        },
        age_days=60,
        expires_in_days=30,
    ),
    A(
        "tp-freight-rates",
        "html",
        "Freight rates fall for a third quarter",
        "talking_point",
        "Carriers are squeezed: efficiency stories land well.",
        (
            Section("What happened", ("Spot freight rates fell for the third quarter in a row.",)),
            Section(
                "What to say",
                ("When rates fall, admin hours hurt more: Swiftline cut 40 hours a week.",),
            ),
        ),
        stages=("awareness",),
        industries=("logistics",),
        personas=("cfo",),
        tags=("news",),
        fields={
            "source_url": "https://news.example.com/freight-rates",
            "published_at": "2026-06-30",
        },
        age_days=150,
        expires_in_days=-60,
    ),
    # --- one-pagers ----------------------------------------------------------------------------
    A(
        "op-mobile",
        "docx",
        "Fieldline Mobile at a glance",
        "one_pager",
        "The crew app on one page.",
        (
            Section(
                "What it does",
                (),
                bullets=(
                    "Work orders and checklists, offline",
                    "Photos, signatures and measurements",
                    "Sync when signal returns",
                ),
            ),
            Section("Who uses it", ("Technicians, inspectors and nurses in the field.",)),
        ),
        stages=("awareness", "consideration"),
        personas=("field-supervisor",),
        products=("field-app",),
        tags=("overview",),
        questions=("offline",),
        age_days=300,
    ),
    A(
        "op-dispatch",
        "docx",
        "Fieldline Dispatch at a glance",
        "one_pager",
        "Scheduling and dispatch on one page.",
        (
            Section(
                "What it does",
                (),
                bullets=("Drag-and-drop schedule", "Skill and location matching", "Live crew map"),
            ),
        ),
        stages=("awareness", "consideration"),
        personas=("operations-director",),
        products=("dispatch",),
        tags=("overview",),
        age_days=290,
    ),
    A(
        "op-insights",
        "html",
        "Fieldline Insights at a glance",
        "one_pager",
        "Analytics for service leaders on one page.",
        (
            Section(
                "What it does",
                (),
                bullets=("Hours by job type", "First-time-fix rate", "Crew utilisation"),
            ),
        ),
        stages=("expansion",),
        personas=("cfo", "operations-director"),
        products=("insights",),
        tags=("overview",),
        age_days=100,
    ),
    A(
        "op-connect",
        "markdown",
        "Fieldline Connect: integrations",
        "one_pager",
        "SAP, Salesforce, Dynamics and open APIs.",
        (
            Section(
                "Integrations",
                (),
                bullets=(
                    "SAP S/4HANA service orders",
                    "Salesforce Field Service",
                    "Microsoft Dynamics 365",
                    "REST API and webhooks",
                ),
            ),
            Section("How long it takes", ("Standard connectors go live in two weeks.",)),
        ),
        stages=("consideration",),
        industries=("manufacturing",),
        personas=("it-director",),
        products=("connect",),
        tags=("integration", "sap"),
        questions=("sap",),
        age_days=125,
    ),
    A(
        "op-pricing",
        "text",
        "Pricing and packaging overview",
        "one_pager",
        "Editions, per-user pricing and volume tiers.",
        (
            Section(
                "Editions",
                (),
                bullets=(
                    "Essentials: Mobile only",
                    "Professional: Mobile and Dispatch",
                    "Enterprise: everything, with Connect",
                ),
            ),
            Section("How we charge", ("Per active field user per month; office users are free.",)),
        ),
        stages=("decision",),
        personas=("procurement-lead", "cfo"),
        tags=("pricing",),
        questions=("pricing",),
        age_days=85,
    ),
    A(
        "op-healthcare",
        "pdf",
        "Fieldline for Home Health",
        "one_pager",
        "What home-health agencies get from Fieldline.",
        (
            Section(
                "For agencies",
                (
                    "Visit routing around patient time windows, bedside charting and "
                    "EVV-ready visit records.",
                ),
            ),
        ),
        stages=("awareness",),
        industries=("healthcare",),
        personas=("operations-director",),
        products=("dispatch", "field-app"),
        age_days=7,
        status="draft",
    ),
    # --- battlecards ------------------------------------------------------------------------------
    A(
        "bc-servicegrid",
        "docx",
        "Battlecard: Fieldline vs. ServiceGrid",
        "battlecard",
        "Where we win against ServiceGrid and how to handle their pitch.",
        (
            Section(
                "Where we win",
                (),
                bullets=(
                    "True offline mode; ServiceGrid needs signal to save",
                    "Two-week SAP connector",
                    "Office users free",
                ),
            ),
            Section(
                "Their pitch", ("ServiceGrid leads with price; show the five-year cost instead.",)
            ),
            Section(
                "Landmines",
                (),
                bullets=(
                    "Ask how their app behaves in a basement",
                    "Ask for a customer live in under 60 days",
                ),
            ),
        ),
        stages=("consideration", "decision"),
        personas=("operations-director",),
        tags=("competitive",),
        questions=("competitor",),
        fields={"competitor": "ServiceGrid"},
        age_days=45,
    ),
    A(
        "bc-spreadsheets",
        "pptx",
        "Battlecard: winning against spreadsheets",
        "battlecard",
        "When the real competitor is Excel and a shared drive.",
        (
            Section(
                "Their status quo",
                ("Schedules in spreadsheets, forms on paper, photos in WhatsApp.",),
                notes="Ask them to show you yesterday's schedule and who changed it.",
            ),
            Section(
                "What to show",
                ("A live schedule change reaching a crew in seconds.",),
                notes="Demo: move a job, show the push notification on the phone.",
            ),
        ),
        stages=("consideration",),
        personas=("operations-director", "field-supervisor"),
        tags=("competitive",),
        fields={"competitor": "Spreadsheets"},
        age_days=65,
    ),
    A(
        "bc-tasktrack",
        "text",
        "Battlecard: Fieldline vs. TaskTrack (retired)",
        "battlecard",
        "TaskTrack was acquired and shut down; kept for history.",
        (Section("Status", ("TaskTrack stopped selling in 2025. Use the ServiceGrid card.",)),),
        tags=("competitive",),
        fields={"competitor": "TaskTrack"},
        status="archived",
        age_days=400,
    ),
    # --- presentations --------------------------------------------------------------------------
    A(
        "deck-corporate",
        "pptx",
        "Fieldline Company Overview",
        "presentation",
        "The standard first-meeting deck.",
        (
            Section(
                "Who we are",
                ("Founded 2017; 900 customers; 120,000 field users.",),
                notes="Open with a customer story from their industry.",
            ),
            Section("What we do", (), bullets=("Mobile", "Dispatch", "Insights", "Connect")),
            Section(
                "Why customers choose us",
                ("Offline-first, live in weeks, priced per field user.",),
                notes="Pause for questions before pricing.",
            ),
        ),
        stages=("awareness",),
        personas=("operations-director", "cfo"),
        products=("field-app", "dispatch", "insights", "connect"),
        tags=("overview",),
        age_days=260,
    ),
    A(
        "deck-construction",
        "pptx",
        "Fieldline for Construction",
        "presentation",
        "Industry deck for general contractors and specialist builders.",
        (
            Section(
                "Your world",
                ("Sites change daily, inspections pile up, rework eats margin.",),
                notes="Ask what share of their work is rework.",
            ),
            Section(
                "Proof",
                ("Brightwater Tunnelling: rework down 75%.",),
                table=(
                    ("Customer", "Result"),
                    ("Brightwater", "-75% rework"),
                    ("Harbor Build", "99% checklists"),
                ),
            ),
        ),
        stages=("consideration",),
        industries=("construction",),
        personas=("operations-director", "field-supervisor"),
        products=("field-app", "dispatch"),
        tags=("industry-deck",),
        questions=("rollout",),
        age_days=70,
    ),
    A(
        "deck-utilities",
        "pptx",
        "Fieldline for Utilities",
        "presentation",
        "Industry deck for electricity, gas and water networks.",
        (
            Section("Your world", ("Storms, ageing assets and a retiring workforce.",)),
            Section(
                "Proof",
                ("NorthGrid Energy restores outages 38% faster.",),
                notes="Offer the storm season playbook as a follow-up.",
            ),
        ),
        stages=("consideration",),
        industries=("utilities",),
        personas=("operations-director",),
        products=("dispatch", "field-app"),
        tags=("industry-deck",),
        age_days=68,
    ),
    A(
        "deck-manufacturing",
        "pptx",
        "Fieldline for Manufacturers' Service Teams",
        "presentation",
        "Industry deck for equipment makers with field service.",
        (
            Section(
                "Your world",
                (
                    "Service revenue grows when machines run; parts logistics decide "
                    "first-time fix.",
                ),
            ),
            Section("Proof", ("Kessler Machining: first-time fix from 61% to 88%.",)),
        ),
        stages=("consideration",),
        industries=("manufacturing",),
        personas=("operations-director",),
        products=("connect", "field-app"),
        tags=("industry-deck",),
        status="rejected",
        review_comment="Add the SAP connector slide and the Kessler quote.",
        age_days=12,
    ),
    A(
        "deck-qbr",
        "pptx",
        "Quarterly Business Review template",
        "presentation",
        "Template for customer QBRs: adoption, outcomes, next steps.",
        (
            Section(
                "Adoption",
                ("Active users, jobs closed, checklists completed.",),
                notes="Pull the numbers from Insights before the meeting.",
            ),
            Section("Next quarter", ("Agree two goals and who owns them.",)),
        ),
        stages=("expansion",),
        personas=("operations-director",),
        products=("insights",),
        tags=("qbr",),
        age_days=55,
    ),
    # --- other --------------------------------------------------------------------------------
    A(
        "rollout-plan",
        "markdown",
        "Standard 30-day rollout plan",
        "other",
        "Week-by-week rollout plan used in every onboarding.",
        (
            Section("Week 1", ("Admin setup, users imported, forms built.",)),
            Section("Week 2", ("Pilot crew live; daily check-ins.",)),
            Section("Weeks 3-4", ("All crews live; supervisors trained; first Insights report.",)),
            Section("Training", ("Crews need about 45 minutes; supervisors two hours.",)),
        ),
        stages=("onboarding",),
        personas=("operations-director", "field-supervisor"),
        tags=("rollout", "onboarding"),
        questions=("rollout", "training"),
        age_days=190,
    ),
    A(
        "faq-it",
        "html",
        "IT and security FAQ",
        "other",
        "Answers to the questions IT asks in every deal.",
        (
            Section("Single sign-on", ("SAML 2.0 with Okta, Entra ID and Google.",)),
            Section("Devices", ("iOS 16+ and Android 12+; managed devices supported.",)),
            Section(
                "Offline data", ("Encrypted on the device; wiped remotely when a phone is lost.",)
            ),
        ),
        stages=("consideration", "decision"),
        personas=("it-director",),
        tags=("security",),
        questions=("offline", "hipaa"),
        age_days=140,
    ),
    A(
        "reference-list",
        "text",
        "Reference customers by industry",
        "other",
        "Customers who take reference calls, by industry.",
        (
            Section("Construction", ("Brightwater Tunnelling; Harbor Build.",)),
            Section("Utilities", ("NorthGrid Energy.",)),
            Section("Healthcare", ("Mercy Home Health.",)),
            Section("Manufacturing", ("Kessler Machining.",)),
        ),
        stages=("decision",),
        industries=tuple(INDUSTRIES),
        tags=("references",),
        age_days=35,
    ),
    A(
        "procurement-pack",
        "docx",
        "Procurement pack: standard terms and SLAs",
        "other",
        "Standard contract terms, uptime SLA and support hours for procurement.",
        (
            Section(
                "Service levels", ("99.9% monthly uptime; priority-one response within one hour.",)
            ),
            Section("Terms", ("Annual or three-year terms; price protection on renewal.",)),
        ),
        stages=("decision",),
        personas=("procurement-lead",),
        tags=("contract",),
        questions=("pricing",),
        age_days=88,
    ),
)

# The single word of the demo that appears only inside a PDF's text: search finds the PDF.
PDF_ONLY_WORD = "shotcrete"

SYNONYMS: dict[str, list[str]] = {
    "roi": ["return on investment", "payback"],
    "tco": ["total cost of ownership"],
    "offline": ["no signal", "without connectivity"],
    "fsm": ["field service management"],
    "work order": ["job", "ticket"],
}

# Shaped as the objects of PUT /v1/messaging/rules.
MESSAGING_RULES: list[dict[str, Any]] = [
    {
        "type": "banned",
        "phrase": "guaranteed savings",
        "severity": "error",
        "reason": "Legal: we never promise savings.",
    },
    {
        "type": "deprecated",
        "phrase": "FieldPro",
        "replacement": "Fieldline Mobile",
        "severity": "warning",
        "reason": "Renamed in 2024.",
    },
    {
        "type": "deprecated",
        "phrase": "work ticket",
        "replacement": "work order",
        "severity": "warning",
    },
    {
        "type": "required",
        "phrase": "Results vary by customer.",
        "kinds": ["case_study"],
        "severity": "warning",
        "reason": "Every published result needs the disclaimer.",
    },
]


@dataclass(frozen=True)
class UsageEvent:
    asset: str  # the Asset key
    type: str
    days_ago: int
    opportunity_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    opportunity_id: str
    outcome: str  # won or lost
    amount: int
    days_ago: int


def usage() -> tuple[list[UsageEvent], list[Outcome]]:
    """A quarter of plausible usage: live assets viewed, shared and used in deals.

    Seeded, so every demo shows the same numbers. Popular pieces get more use; a few
    pieces get none (the report's `unused` list) and one gets mostly thumbs-down.
    """
    rng = random.Random(20261124)  # noqa: S311 - demo figures, not secrets
    live = [a for a in ASSETS if a.status == "approved" and (a.expires_in_days or 1) > 0]
    popular = {"brightwater", "deck-corporate", "bc-servicegrid", "email-intro", "op-pricing"}
    unused = {"reference-list", "deck-qbr", "op-insights"}
    opportunities = [f"OPP-{1000 + n}" for n in range(14)]
    events: list[UsageEvent] = []
    for asset in live:
        if asset.key in unused:
            continue
        views = rng.randint(25, 60) if asset.key in popular else rng.randint(2, 15)
        for _ in range(views):
            events.append(UsageEvent(asset.key, "view", rng.randint(0, 89)))
        for _ in range(views // 4):
            kind = rng.choice(["share", "download", "copy", "send"])
            events.append(UsageEvent(asset.key, kind, rng.randint(0, 89)))
        for _ in range(views // 8):
            events.append(
                UsageEvent(asset.key, "used_in_deal", rng.randint(0, 89), rng.choice(opportunities))
            )
        events.append(UsageEvent(asset.key, "helpful", rng.randint(0, 60)))
    for days in (3, 9, 15, 22):
        events.append(UsageEvent("quote-northgrid", "not_helpful", days))
    outcomes = [
        Outcome(opp, "won" if n % 3 else "lost", 20_000 + 7_500 * n, rng.randint(0, 60))
        for n, opp in enumerate(opportunities[:10])
    ]
    return events, outcomes
