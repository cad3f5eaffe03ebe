"""A synthetic but realistic collateral library for benchmarks, made deterministically.

Collateral talks about a product (field service software) to several industries: its
vocabulary mixes ~500 real domain words (common ones appear in most pieces, as "customer"
or "platform" do in real libraries) with a long Zipfian tail of ~20,000 rarer words, and
company names. Lengths vary from a short talking point to a long eBook; kinds, stages,
industries, personas, products and tags vary with skewed frequencies; most pieces are
approved, some are drafts, in review or archived, and some talking points have expired.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from api.assets.kinds import Kind

# How common each kind of asset is in the library (relative weights).
KIND_WEIGHTS = {
    Kind.case_study: 18,
    Kind.testimonial: 8,
    Kind.email_template: 10,
    Kind.ebook: 8,
    Kind.white_paper: 8,
    Kind.talking_point: 10,
    Kind.one_pager: 16,
    Kind.battlecard: 6,
    Kind.presentation: 12,
    Kind.other: 4,
}
KINDS = [kind.value for kind in KIND_WEIGHTS]
STAGES = ["awareness", "consideration", "decision", "onboarding", "expansion"]
INDUSTRIES = [
    "construction",
    "healthcare",
    "manufacturing",
    "logistics",
    "retail",
    "utilities",
    "telecom",
    "energy",
    "hospitality",
    "education",
    "government",
    "insurance",
    "automotive",
    "food-service",
    "facilities",
    "property-management",
    "mining",
    "agriculture",
    "transport",
    "security-services",
]
PERSONAS = [
    "cfo",
    "ceo",
    "coo",
    "it-director",
    "operations-manager",
    "dispatcher",
    "field-technician",
    "procurement",
]
PRODUCTS = ["field-app", "scheduler", "analytics", "inventory", "billing", "platform"]

DOMAIN = """
customer customers service services field technician technicians dispatch dispatcher
schedule scheduling schedules route routing travel time job jobs work order orders
maintenance preventive repair repairs inspection inspections checklist checklists asset
assets equipment parts inventory warehouse van truck fleet vehicle telematics gps mobile
app offline sync photo photos signature invoice invoicing billing payment quote quotes
contract contracts warranty sla compliance safety audit report reports reporting dashboard
dashboards analytics kpi metric metrics first-time fix rate utilisation overtime cost costs
savings revenue margin growth roi payback budget finance approval procurement vendor
integration integrations api erp crm salesforce sap netsuite quickbooks procore microsoft
security encryption sso saml permissions role roles access data privacy gdpr hipaa soc
cloud platform upgrade onboarding training rollout implementation adoption support success
renewal expansion pilot trial demo proposal pricing discount competitor competitors
battlecard objection objections value proposition differentiator benefit benefits outcome
outcomes productivity efficiency visibility accountability communication collaboration
portal notifications alerts automation workflow workflows forms template templates
construction contractor subcontractor site sites project projects punch list drawing
hospital clinic patient facilities building buildings hvac plumbing electrical elevator
fire alarm refrigeration lighting energy solar wind grid utility meter meters pipeline
retail store stores franchise restaurant kitchen hotel property tenant lease campus school
government municipal public agency insurance claim claims adjuster automotive dealership
telecom tower fiber network outage emergency response uptime downtime reliability
customer-satisfaction nps feedback review rating ratings quality standard standards
manager managers leader leadership executive team teams crew crews staff hiring retention
spreadsheet paper whiteboard phone calls email emails text messages manual errors delays
faster reduce reduced increase increased improve improved cut saved hours days weeks months
quarter year annual monthly weekly daily real-time live instant accurate reliable simple
easy scalable secure flexible configurable custom standardised centralised connected
""".split()

SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ro",
    "su",
    "ta",
    "vi",
    "pe",
    "an",
    "er",
    "in",
    "on",
    "st",
    "tr",
    "pl",
    "gr",
    "co",
    "de",
    "ex",
    "al",
    "ur",
    "is",
    "ph",
    "qu",
    "ze",
]
COMPANY_PARTS = [
    "North",
    "Harbor",
    "Summit",
    "Blue",
    "Iron",
    "Cedar",
    "Pioneer",
    "Atlas",
    "Granite",
    "River",
    "Metro",
    "Prairie",
    "Beacon",
    "Evergreen",
    "Keystone",
    "Sterling",
    "Union",
    "Coastal",
    "Apex",
    "Liberty",
]
COMPANY_SUFFIX = [
    "Construction",
    "Health",
    "Manufacturing",
    "Logistics",
    "Foods",
    "Energy",
    "Services",
    "Facilities",
    "Telecom",
    "Properties",
    "Utilities",
    "Group",
]
TITLE_TEMPLATES = [
    "{company} cuts {noun} by {pct}% with {product}",
    "How {company} improved {noun} across {count} sites",
    "{noun_cap} playbook for {industry} teams",
    "The {persona} guide to {noun} and {noun2}",
    "{product_cap} vs. spreadsheets: {noun} without the paperwork",
    "Why {industry} leaders standardise {noun}",
    "{noun_cap} checklist: {count} steps to {noun2}",
    "Battlecard: winning {noun} deals against legacy tools",
    "Industry news: new {noun} rules for {industry}",
    "Email: follow up on {noun} after the demo",
]
QUESTIONS = [
    "Does the app work offline?",
    "How long does implementation take?",
    "Are you SOC 2 compliant?",
    "Does it integrate with Salesforce?",
    "Can technicians capture signatures?",
    "How is pricing structured?",
    "Can we migrate from spreadsheets?",
    "Does it support multiple languages?",
    "How do you handle data privacy?",
    "What does onboarding look like?",
    "Can dispatchers see technician locations?",
    "Does it work with our ERP?",
]


@dataclass
class Piece:
    """One synthetic asset."""

    id: str
    title: str
    kind: str
    status: str
    summary: str
    body: str
    stages: list[str]
    industries: list[str]
    personas: list[str]
    products: list[str]
    tags: list[str]
    questions: list[int] = field(default_factory=list)
    expires_at: datetime | None = None
    approved_at: datetime | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class Vocabulary:
    """Domain words (frequent) and a Zipfian tail of invented rarer words."""

    def __init__(self, rng: random.Random, tail_size: int = 20_000) -> None:
        tail: set[str] = set()
        while len(tail) < tail_size:
            tail.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 5))))
        self.domain = DOMAIN
        self.tail = sorted(tail)
        rng.shuffle(self.tail)
        self._domain_cum = list(
            itertools.accumulate(1 / (i + 1) ** 0.8 for i in range(len(DOMAIN)))
        )
        self._tail_cum = list(itertools.accumulate(1 / (i + 1) ** 1.05 for i in range(tail_size)))

    def words(self, rng: random.Random, n: int) -> list[str]:
        domain_n = int(n * 0.75)
        picked = rng.choices(self.domain, cum_weights=self._domain_cum, k=domain_n)
        picked += rng.choices(self.tail, cum_weights=self._tail_cum, k=n - domain_n)
        rng.shuffle(picked)
        return picked


def _sentences(rng: random.Random, words: list[str]) -> str:
    out, i = [], 0
    while i < len(words):
        size = rng.randint(8, 18)
        chunk = words[i : i + size]
        out.append(chunk[0].capitalize() + " " + " ".join(chunk[1:]) + ".")
        i += size
    return " ".join(out)


def generate(n: int, *, seed: int = 7) -> Iterator[Piece]:
    """`n` pieces, the same for the same seed."""
    rng = random.Random(seed)
    vocabulary = Vocabulary(rng)
    tags = sorted({" ".join(rng.sample(DOMAIN, rng.randint(1, 2))) for _ in range(300)})
    now = datetime(2026, 11, 1, tzinfo=UTC)
    kind_weights = list(KIND_WEIGHTS.values())
    for i in range(n):
        kind = rng.choices(KINDS, weights=kind_weights)[0]
        industry = rng.choices(INDUSTRIES, weights=[1 / (j + 1) for j in range(len(INDUSTRIES))])[0]
        company = f"{rng.choice(COMPANY_PARTS)} {rng.choice(COMPANY_SUFFIX)}"
        noun, noun2 = rng.sample(DOMAIN[:200], 2)
        product = rng.choice(PRODUCTS)
        title = rng.choice(TITLE_TEMPLATES).format(
            company=company,
            noun=noun,
            noun2=noun2,
            noun_cap=noun.capitalize(),
            pct=rng.randint(5, 60),
            count=rng.randint(3, 400),
            product=product,
            product_cap=product.replace("-", " ").capitalize(),
            industry=industry.replace("-", " "),
            persona=rng.choice(PERSONAS).replace("-", " "),
        )
        second = rng.choice(INDUSTRIES) if rng.random() < 0.2 else industry
        industries = list(dict.fromkeys([industry, second]))
        length = int(min(3000, max(40, rng.lognormvariate(5.3, 0.8))))
        body = _sentences(rng, vocabulary.words(rng, length) + company.lower().split())
        summary = _sentences(rng, vocabulary.words(rng, rng.randint(12, 40)))
        roll = rng.random()
        status = (
            "approved"
            if roll < 0.85
            else "draft"
            if roll < 0.93
            else ("in_review" if roll < 0.96 else "archived")
        )
        created = now - timedelta(minutes=(n - i) * 5)
        approved = created + timedelta(hours=1) if status in {"approved", "archived"} else None
        expires = None
        if kind == "talking_point":
            expires = created + timedelta(days=90)
        yield Piece(
            id=f"bench{i:08d}",
            title=title,
            kind=kind,
            status=status,
            summary=summary,
            body=body,
            stages=rng.sample(STAGES, rng.choice([1, 1, 2])),
            industries=industries,
            personas=rng.sample(PERSONAS, rng.choice([1, 2])),
            products=rng.sample(PRODUCTS, rng.choice([1, 1, 2])),
            tags=rng.sample(tags, rng.randint(0, 4)),
            questions=rng.sample(range(len(QUESTIONS)), 1) if rng.random() < 0.1 else [],
            expires_at=expires,
            approved_at=approved,
            created_at=created,
        )
