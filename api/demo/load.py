"""Loading the demo library through the real ingest path.

Each piece of collateral is written as a real file of its format, extracted by the same
code that reads uploads, stored in the blob store and created with the asset service, then
taken through review to its place in the lifecycle, all in one transaction: a failure
leaves an empty catalogue. Synonyms, messaging rules and usage events are plain data
in `api.demo.corpus`, loaded through the services their endpoints use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from api.assets.models import Asset
from api.audit import service as audit
from api.db import session_scope, utcnow
from api.demo import corpus
from api.demo import documents as d
from api.discovery import synonyms as search_synonyms
from api.events import service as usage
from api.files.blobs import BlobStore
from api.files.service import IncomingFile, asset_from_file
from api.imports.metadata import AssetMetadata
from api.messaging import service as messaging
from api.messaging.schemas import RuleIn
from api.questions import service as questions
from api.questions.schemas import QuestionCreate
from api.reviews import service as reviews
from api.taxonomy import service as taxonomy
from api.taxonomy.facets import FACETS
from api.users import service as users
from api.users.models import Role
from api.users.service import Caller
from ingest.extract import extract

# The demo's people: `baton serve --demo` prints a key for each. The marketer owns the
# library and the rep uses it.
DEMO_PEOPLE = (
    ("admin@demo.baton.local", "Dana Admin", Role.admin),
    ("marketer@demo.baton.local", "Mia Marketer", Role.marketer),
    ("rep@demo.baton.local", "Raj Rep", Role.rep),
)
OWNER = DEMO_PEOPLE[1]
REP = DEMO_PEOPLE[2]
EXTENSIONS = {
    "pdf": "pdf",
    "docx": "docx",
    "pptx": "pptx",
    "html": "html",
    "markdown": "md",
    "text": "txt",
    "eml": "eml",
}

WRITERS: dict[str, Callable[[d.Document], bytes]] = {
    "pdf": d.pdf_bytes,
    "docx": d.docx_bytes,
    "pptx": d.pptx_bytes,
    "html": d.html_bytes,
    "markdown": d.markdown_bytes,
    "text": d.text_bytes,
}


@dataclass
class DemoSummary:
    assets: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    formats: Counter[str] = field(default_factory=Counter)
    questions: int = 0
    # Synonyms, messaging rules, usage events and outcomes: how many entries each loaded.
    extras: dict[str, int] = field(default_factory=dict)


def load_if_empty(
    engine: Engine, blobs: BlobStore, *, now: datetime | None = None
) -> DemoSummary | None:
    """Load the demo library unless the catalogue holds assets already (then None)."""
    now = now or utcnow()
    with session_scope(engine) as session:
        audit.act_as(session, audit.DEMO)
        if session.exec(select(func.count()).select_from(Asset)).one() > 0:
            return None
        summary = DemoSummary()
        owner = _person(session, OWNER)
        _taxonomy(session)
        question_ids = _questions(session, now)
        summary.questions = len(question_ids)
        ids: dict[str, str] = {}
        written: list[Asset] = []
        for spec in corpus.ASSETS:
            asset = _add(session, blobs, owner, spec, question_ids, now)
            _review(session, owner, spec, asset.id, now - timedelta(days=spec.age_days))
            ids[spec.key] = asset.id
            written.append(asset)
            summary.assets += 1
            summary.statuses[spec.status] += 1
            summary.formats[spec.format] += 1
        # The blobs were written without a flush each: one for all, before the commit.
        blobs.sync([a.file_sha256 for a in written if a.file_sha256])
        summary.extras = {
            "synonyms": load_synonyms(session, corpus.SYNONYMS),
            "messaging rules": load_messaging_rules(session, corpus.MESSAGING_RULES),
            "usage events and outcomes": load_usage(session, ids, now),
        }
        return summary


def render(spec: corpus.Asset) -> tuple[str, bytes]:
    """The asset's file: its name and bytes, written by the format's own library."""
    filename = render_name(spec)
    front = {"kind": spec.kind, "tags": list(spec.tags)} if spec.format == "markdown" else {}
    doc = d.Document(
        title=spec.title, sections=spec.sections, subject=spec.summary, front_matter=front
    )
    if spec.format == "eml":
        body = "\n\n".join(p for s in spec.sections for p in s.paragraphs)
        return filename, d.eml_bytes(spec.subject, body)
    return filename, WRITERS[spec.format](doc)


def _person(session: Session, who: tuple[str, str, Role]) -> Caller:
    email, name, role = who
    user = users.find_active_by_email(session, email)
    if user is None:
        # No key: `baton serve --demo` gives the demo people theirs (api.demo.keys).
        user, _ = users.create_user(session, email=email, role=role, name=name, first_key=False)
    return users.caller_for(user)


def _taxonomy(session: Session) -> None:
    """The library's terms with their proper labels (not the ones first use would give)."""
    for spec in FACETS:
        labels = corpus.TERM_LABELS.get(spec.facet.value, {})
        known = {t.slug for t in taxonomy.list_terms(session, spec.facet)}
        for slug, label in labels.items():
            if slug not in known:
                taxonomy.create_term(session, spec.facet, label=label, slug=slug)


def _questions(session: Session, now: datetime) -> dict[str, str]:
    ids = {}
    for number, q in enumerate(corpus.QUESTIONS):
        data = QuestionCreate(text=q.text, stage=q.stage, industry=q.industry)
        for times in range(q.asked):
            asked_at = now - timedelta(days=60 - number - times * 5)
            question, _ = questions.ask(session, data, now=asked_at)
        ids[q.key] = question.id
    return ids


def _add(
    session: Session,
    blobs: BlobStore,
    owner: Caller,
    spec: corpus.Asset,
    question_ids: dict[str, str],
    now: datetime,
) -> Asset:
    filename, data = render(spec)
    extracted = extract(data, filename)
    expires = now + timedelta(days=spec.expires_in_days) if spec.expires_in_days else None
    given = AssetMetadata(
        title=spec.title,
        kind=spec.kind,
        summary=spec.summary,
        stages=list(spec.stages),
        industries=list(spec.industries),
        personas=list(spec.personas),
        products=list(spec.products),
        tags=list(spec.tags),
        question_ids=[question_ids[key] for key in spec.questions],
        fields=dict(spec.fields),
        expires_at=expires,
    )
    with blobs.staging() as staged:
        staged.write(data)
        staged.finish(durable=False)
        file = IncomingFile(staged.path, filename, staged.size, staged.sha256)
        return asset_from_file(
            session,
            owner,
            file,
            extracted,
            blobs=blobs,
            now=now - timedelta(days=spec.age_days),
            given=given,
        )


def _review(
    session: Session, owner: Caller, spec: corpus.Asset, asset_id: str, created: datetime
) -> None:
    """Take the asset to its place in the lifecycle, a few hours per step."""
    if spec.status == "draft":
        return
    reviews.submit(session, asset_id, now=created + timedelta(hours=2))
    if spec.status == "rejected":
        comment = spec.review_comment or "Needs another pass."
        reviews.reject(session, asset_id, comment=comment, now=created + timedelta(hours=20))
    elif spec.status in {"approved", "archived"}:
        reviews.approve(session, owner, asset_id, now=created + timedelta(days=1))
    if spec.status == "archived":
        reviews.archive(session, asset_id, now=created + timedelta(days=30))


def render_name(spec: corpus.Asset) -> str:
    return f"{spec.key}.{EXTENSIONS[spec.format]}"


# --- synonyms, messaging rules, usage ---------------------------------------------------
# Each section of the corpus goes through the service its HTTP endpoint uses, so the demo
# obeys the same rules as a client.


def load_synonyms(session: Session, synonyms: dict[str, list[str]]) -> int:
    """The search synonyms the company's reps use, added to the catalogue's own (a new
    catalogue starts with the common business acronyms) as PUT /v1/search/synonyms sets
    them."""
    merged = search_synonyms.get_synonyms(session)
    for term, values in synonyms.items():
        merged[term] = [*merged.get(term, []), *values]
    return len(search_synonyms.replace_synonyms(session, merged))


def load_messaging_rules(session: Session, rules: list[dict[str, Any]]) -> int:
    """The company's messaging rules, as PUT /v1/messaging/rules would set them."""
    return len(messaging.replace_rules(session, [RuleIn(**rule) for rule in rules]))


def load_usage(session: Session, asset_ids: dict[str, str], now: datetime) -> int:
    """A quarter of usage by the demo rep, and how the deals it touched ended."""
    events, outcomes = corpus.usage()
    missing = {e.asset for e in events} - set(asset_ids)
    if missing:
        raise ValueError(f"usage names unknown demo assets: {sorted(missing)}")
    rep = _person(session, REP)
    # Events of one asset on one day an hour apart: a rep's views count once per asset
    # and hour, and each of the demo's views is meant as an open of its own.
    earlier: dict[tuple[str, int], int] = {}
    for event in sorted(events, key=lambda e: -e.days_ago):
        hours = earlier.get((event.asset, event.days_ago), 0)
        earlier[(event.asset, event.days_ago)] = hours + 1
        usage.record_event(
            session,
            rep,
            asset_id=asset_ids[event.asset],
            type=event.type,
            opportunity_id=event.opportunity_id,
            now=now - timedelta(days=event.days_ago, hours=hours),
        )
    for outcome in outcomes:
        usage.record_outcome(
            session,
            rep,
            opportunity_id=outcome.opportunity_id,
            outcome=outcome.outcome,
            amount=outcome.amount,
            now=now - timedelta(days=outcome.days_ago),
        )
    return len(events) + len(outcomes)
