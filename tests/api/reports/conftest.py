"""A realistic catalogue and activity history for the content-gaps report, on a fixed clock.

The search log and the events are written straight into their tables by
`activity_history_rows`: the search engine and POST /v1/events, which write them in the
product, are built on other branches. After merging, end-to-end tests through those
endpoints belong beside these.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from api.discovery.models import SearchLog
from api.events.models import Event
from tests.catalogue import create, transition
from tests.conftest import Actor
from tests.prebuilt import (
    Prebuilt,
    builder,
    built,
    catalogue_copied_for,
    prebuilt,  # noqa: F401 (a fixture)
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def days(n: float) -> datetime:
    """NOW moved by `n` days (negative: in the past)."""
    return NOW + timedelta(days=n)


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    """The app's clock, fixed at NOW until a test moves it."""
    clock = Clock()
    app.state.clock = clock
    yield clock


@dataclass
class ActivityHistoryRows:
    """Writes search-log and event rows directly through the SQLModel tables."""

    app: FastAPI

    def _add(self, *rows: Any) -> None:
        with Session(self.app.state.engine) as session:
            session.add_all(rows)
            session.commit()

    def search(
        self, query: str, *, total: int, at: datetime, role: str = "rep", times: int = 1
    ) -> None:
        normalized = " ".join(query.lower().split())
        self._add(
            *(
                SearchLog(
                    query=query,
                    normalized_query=normalized,
                    filters={},
                    total=total,
                    role=role,
                    created_at=at,
                )
                for _ in range(times)
            )
        )

    def event(self, asset_id: str, type: str, *, at: datetime, times: int = 1) -> None:
        self._add(
            *(Event(asset_id=asset_id, type=type, role="rep", created_at=at) for _ in range(times))
        )


@pytest.fixture
def activity_history_rows(app: FastAPI) -> ActivityHistoryRows:
    return ActivityHistoryRows(app)


@dataclass
class Corpus:
    ids: dict[str, str] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)


def _publish(marketer: Actor, clock: Clock, at: datetime, **fields: Any) -> dict[str, Any]:
    clock.now = at
    asset = create(marketer, **fields)
    transition(marketer, asset["id"], "submit")
    return transition(marketer, asset["id"], "approve")


def _ask(rep: Actor, text: str, times: int, **extra: Any) -> str:
    for _ in range(times):
        response = rep.post("/v1/questions", json={"text": text, **extra})
        assert response.status_code in {200, 201}, response.text
    return str(response.json()["id"])


def _build_gaps(app: FastAPI, people: dict[str, Actor]) -> Corpus:
    clock = Clock()
    app.state.clock = clock
    return play_gaps(clock, people["marketer"], people["rep"], ActivityHistoryRows(app))


# The gaps corpus is built once per test process and database kind, and copied into each
# test that asks for it (tests/prebuilt.py); its marketer and rep are the test's.
database_url = catalogue_copied_for(
    "gaps_corpus", name="gaps", build=_build_gaps, roles={"marketer": "marketer", "rep": "rep"}
)
marketer = builder("marketer")
rep = builder("rep")


@pytest.fixture
def gaps_corpus(
    clock: Clock,
    marketer: Actor,
    rep: Actor,
    activity_history_rows: ActivityHistoryRows,
    request: pytest.FixtureRequest,
) -> Corpus:
    """Eight assets in every state, four questions, searches and events over 200 days."""
    found = built(request)
    if found is not None:
        corpus: Corpus = Prebuilt.value(found)
        return corpus
    return play_gaps(clock, marketer, rep, activity_history_rows)


def play_gaps(
    clock: Clock, marketer: Actor, rep: Actor, activity_history_rows: ActivityHistoryRows
) -> Corpus:
    """Builds the gaps corpus through the API (the activity history straight into its
    tables), with the clock moved to when each thing happened and back to NOW."""
    corpus = Corpus()
    q = corpus.questions
    clock.now = days(-150)
    q["offline"] = _ask(rep, "Does it work offline?", 3)
    q["rollout"] = _ask(rep, "How long does rollout take?", 5)
    q["hipaa"] = _ask(
        rep, "Is there a HIPAA agreement?", 2, stage="decision", industry="Healthcare"
    )
    q["excel"] = _ask(rep, "Can we export to Excel?", 1)
    mining = marketer.post("/v1/taxonomy/industries", json={"label": "Mining"})
    assert mining.status_code == 201, mining.text

    old = days(-120)
    ids = corpus.ids
    ids["roi"] = _publish(
        marketer,
        clock,
        old,
        title="Construction ROI case study",
        kind="case_study",
        stages=["decision"],
        industries=["Construction"],
        question_ids=[q["offline"]],
        expires_at=days(40).isoformat(),
    )["id"]
    ids["safety"] = _publish(
        marketer,
        clock,
        old,
        title="Field safety checklist",
        stages=["awareness", "consideration"],
        industries=["Construction", "Healthcare"],
    )["id"]
    ids["retail"] = _publish(
        marketer,
        clock,
        old,
        title="Retail onboarding guide",
        kind="ebook",
        stages=["onboarding"],
        industries=["Retail"],
        expires_at=days(10).isoformat(),
    )["id"]
    ids["pricing"] = _publish(
        marketer,
        clock,
        old,
        title="Old pricing sheet",
        stages=["decision"],
        industries=["Retail"],
        expires_at=days(-5).isoformat(),
    )["id"]
    ids["guide"] = _publish(
        marketer,
        clock,
        old,
        title="Construction buyer's guide",
        kind="ebook",
        stages=["decision"],
        industries=["Construction"],
        expires_at=days(30).isoformat(),
    )["id"]
    # Expires 90 days after it was written: 10 days ago.
    ids["news"] = _publish(
        marketer,
        clock,
        days(-100),
        title="Lumber prices fall",
        kind="talking_point",
        stages=["awareness"],
        industries=["Retail"],
    )["id"]
    ids["deck"] = _publish(
        marketer,
        clock,
        old,
        title="Archived deck",
        kind="presentation",
        stages=["decision"],
        industries=["Construction"],
        question_ids=[q["hipaa"]],
    )["id"]
    transition(marketer, ids["deck"], "archive")
    clock.now = old
    ids["draft"] = create(
        marketer,
        title="Draft battlecard",
        kind="battlecard",
        stages=["decision"],
        industries=["Construction"],
        question_ids=[q["rollout"]],
    )["id"]
    # New: first approved five days ago, rated yesterday.
    ids["hospital"] = _publish(
        marketer,
        clock,
        days(-5),
        title="Hospital rollout story",
        kind="case_study",
        stages=["decision"],
        industries=["Healthcare"],
    )["id"]
    # Re-approved three days ago after an edit; first approved 120 days ago.
    clock.now = days(-3)
    # Through its revision (the asset stays live meanwhile); no GET: an open is a view.
    patched = marketer.patch(f"/v1/assets/{ids['safety']}", json={"body": "Updated for 2027."})
    assert patched.status_code == 202, patched.text
    revision = f"/v1/assets/{ids['safety']}/revisions/{patched.json()['pending_revision']['id']}"
    for action in ("submit", "approve"):
        assert marketer.post(f"{revision}/{action}").status_code == 200
    clock.now = NOW

    history = activity_history_rows
    history.event(ids["roi"], "view", at=days(-10))
    history.event(ids["roi"], "helpful", at=days(-20))
    history.event(ids["roi"], "not_helpful", at=days(-20), times=3)
    history.event(ids["guide"], "view", at=days(-1))
    history.event(ids["safety"], "download", at=days(-100))
    history.event(ids["deck"], "not_helpful", at=days(-30), times=5)
    history.event(ids["pricing"], "not_helpful", at=days(-50), times=2)
    history.event(ids["pricing"], "helpful", at=days(-50))
    history.event(ids["hospital"], "helpful", at=days(-1))
    history.event(ids["hospital"], "not_helpful", at=days(-1))

    history.search("offline mode", total=0, at=days(-30))
    history.search("offline mode", total=0, at=days(-2))
    history.search("Offline  Mode", total=0, at=days(-1))
    history.search("hipaa", total=0, at=days(-3))
    history.search("hipaa", total=0, at=days(-40))
    history.search("pricing", total=0, at=days(-3))
    history.search("excel export", total=0, at=days(-5))
    history.search("mining safety", total=0, at=days(-200))
    history.search("drone survey", total=0, at=days(-2), role="marketer")
    history.search("roi", total=4, at=days(-2))
    history.search("", total=0, at=days(-2))
    return corpus
