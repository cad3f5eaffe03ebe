"""The synthetic library loaded into a fresh catalogue, and the history bench.suggest adds."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from api import migrations
from api.assets.models import Asset, AssetQuestion, AssetTag, AssetTerm
from api.db import make_engine
from api.events.models import Event, OpportunityOutcome
from api.questions.models import Question
from api.questions.wording import question_key
from api.taxonomy.facets import FACETS
from api.taxonomy.models import Term
from bench.corpus import DOMAIN, INDUSTRIES, QUESTIONS, Piece

BATCH = 2000


# --- the library ----------------------------------------------------------------------------


def load_catalogue(url: str, pieces: list[Piece]) -> None:
    """Bulk-insert the library into a migrated catalogue (what an import would create)."""
    migrations.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            term_ids: dict[tuple[str, str], int] = {
                (row.facet, row.slug): row.id
                for row in conn.execute(sa.select(Term.__table__))  # type: ignore[attr-defined]
            }
            for facet in (spec.facet.value for spec in FACETS if spec.open):
                values = sorted({v for p in pieces for v in getattr(p, facet)})
                for value in values:
                    if (facet, value) not in term_ids:
                        result = conn.execute(
                            sa.insert(Term.__table__).values(  # type: ignore[attr-defined]
                                facet=facet, slug=value, label=value, position=0
                            )
                        )
                        term_ids[(facet, value)] = result.inserted_primary_key[0]
            question_ids = []
            for i, text in enumerate(QUESTIONS):
                qid = f"benchq{i:04d}"
                conn.execute(
                    sa.insert(Question.__table__).values(  # type: ignore[attr-defined]
                        id=qid,
                        text=text,
                        key=question_key(text),
                        asked_count=1,
                        created_at=datetime.now(UTC),
                        last_asked_at=datetime.now(UTC),
                    )
                )
                question_ids.append(qid)
            for start in range(0, len(pieces), BATCH):
                chunk = pieces[start : start + BATCH]
                conn.execute(
                    sa.insert(Asset.__table__),  # type: ignore[attr-defined]
                    [
                        {
                            "id": p.id,
                            "title": p.title,
                            "kind": p.kind,
                            "summary": p.summary,
                            "body": p.body,
                            "status": p.status,
                            "version": 1,
                            "fields": {},
                            "expires_at": p.expires_at,
                            "created_at": p.created_at,
                            "updated_at": p.approved_at or p.created_at,
                            "approved_at": p.approved_at,
                        }
                        for p in chunk
                    ],
                )
                links = [
                    {"asset_id": p.id, "term_id": term_ids[(facet, v)]}
                    for p in chunk
                    for facet in (spec.facet.value for spec in FACETS)
                    for v in getattr(p, facet)
                ]
                conn.execute(sa.insert(AssetTerm.__table__), links)  # type: ignore[attr-defined]
                tags = [{"asset_id": p.id, "tag": t} for p in chunk for t in p.tags]
                if tags:
                    conn.execute(sa.insert(AssetTag.__table__), tags)  # type: ignore[attr-defined]
                asked = [
                    {"asset_id": p.id, "question_id": question_ids[q]}
                    for p in chunk
                    for q in p.questions
                ]
                if asked:
                    conn.execute(sa.insert(AssetQuestion.__table__), asked)  # type: ignore[attr-defined]
    finally:
        engine.dispose()


# --- the catalogue's questions and history --------------------------------------------------

QUESTION_TEMPLATES = [
    "Does it integrate with {noun}?",
    "How do you handle {noun}?",
    "Can we track {noun} and {noun2}?",
    "Is there a report for {noun}?",
    "How long does {noun} take?",
    "Can technicians see {noun} offline?",
    "What does {noun} cost?",
    "Do you support {noun} for {industry}?",
]


def known_questions(rng: random.Random, count: int) -> list[str]:
    """The corpus's questions and `count` more in the words customers use."""
    found = {question_key(q): q for q in QUESTIONS}
    nouns = [w for w in DOMAIN if "-" not in w]
    while len(found) < count:
        noun, noun2 = rng.sample(nouns, 2)
        industry = rng.choice(INDUSTRIES).replace("-", " ")
        text = rng.choice(QUESTION_TEMPLATES).format(noun=noun, noun2=noun2, industry=industry)
        found.setdefault(question_key(text), text)
    return list(found.values())


def load_history(
    url: str, pieces: list[Piece], *, questions: list[str], seed: int
) -> dict[str, int]:
    """Known questions (the first ones linked to assets by the corpus), and a year of
    usage events and deal outcomes on approved assets (popular ones used more)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    approved = [p.id for p in pieces if p.status == "approved"]
    popular = approved[-5000:]
    engine = make_engine(url)
    events: list[dict[str, Any]] = []
    outcomes: dict[str, dict[str, Any]] = {}
    for i in range(2_000):
        opportunity = f"opp-{i:05d}"
        for asset_id in rng.sample(popular if rng.random() < 0.7 else approved, rng.randint(1, 4)):
            events.append(
                {
                    "asset_id": asset_id,
                    "type": rng.choice(["used_in_deal", "share", "send"]),
                    "opportunity_id": opportunity,
                    "role": "rep",
                    "meta": {},
                    "created_at": now - timedelta(days=rng.randint(1, 365)),
                }
            )
        if rng.random() < 0.6:
            outcomes[opportunity] = {
                "opportunity_id": opportunity,
                "outcome": "won" if rng.random() < 0.45 else "lost",
                "amount": rng.randint(5, 400) * 1000,
                "recorded_at": now - timedelta(days=rng.randint(0, 200)),
            }
    for _ in range(30_000):
        events.append(
            {
                "asset_id": rng.choice(popular if rng.random() < 0.7 else approved),
                "type": rng.choices(["view", "copy", "helpful", "not_helpful"], [70, 15, 10, 5])[0],
                "opportunity_id": None,
                "role": "rep",
                "meta": {},
                "created_at": now - timedelta(days=rng.randint(1, 365)),
            }
        )
    # A customer question is answered by a few pieces, not by hundreds: keep 25 links each.
    answers: dict[int, list[str]] = defaultdict(list)
    for piece in pieces:
        for q in piece.questions:
            if piece.status == "approved" and len(answers[q]) < 25:
                answers[q].append(piece.id)
    try:
        with engine.begin() as conn:
            conn.execute(sa.delete(AssetQuestion.__table__))  # type: ignore[attr-defined]
            conn.execute(
                sa.insert(AssetQuestion.__table__),  # type: ignore[attr-defined]
                [
                    {"asset_id": asset_id, "question_id": f"benchq{q:04d}"}
                    for q, ids in answers.items()
                    for asset_id in ids
                ],
            )
            # load_catalogue inserted the corpus's own questions (and links).
            conn.execute(
                sa.insert(Question.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "id": f"benchq{i:04d}",
                        "text": text,
                        "key": question_key(text),
                        "asked_count": rng.randint(1, 40),
                        "created_at": now,
                        "last_asked_at": now,
                    }
                    for i, text in enumerate(questions)
                    if i >= len(QUESTIONS)
                ],
            )
            conn.execute(sa.insert(Event.__table__), events)  # type: ignore[attr-defined]
            conn.execute(
                sa.insert(OpportunityOutcome.__table__),  # type: ignore[attr-defined]
                list(outcomes.values()),
            )
    finally:
        engine.dispose()
    return {"questions": len(questions), "events": len(events), "outcomes": len(outcomes)}
