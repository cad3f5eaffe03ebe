"""GET /v1/reports/asset-performance: the arithmetic on a realistic history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI

from tests.catalogue import create, publish
from tests.conftest import Actor, new_actor
from tests.prebuilt import (
    Prebuilt,
    builder,
    built,
    catalogue_copied_for,
    prebuilt,  # noqa: F401 (a fixture)
)

REPORT = "/v1/reports/asset-performance"
JANUARY = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
MARCH = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
ZERO = {
    "views": 0,
    "downloads": 0,
    "renders": 0,
    "copies": 0,
    "shares": 0,
    "used_in_deals": 0,
    "helpful": 0,
    "not_helpful": 0,
    "won": 0,
    "lost": 0,
    "win_rate": None,
    "influenced_amount": 0.0,
}


class History:
    """A quarter of a sales team's use of the library, told through the API."""

    SHARED = ("case_study", "one_pager", "email", "draft")  # the assets it published

    def __init__(self, app: FastAPI, marketer: Actor) -> None:
        self.app = app
        self.marketer = marketer
        self.set_clock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
        self.case_study = publish(
            marketer,
            title="Harbor Construction cut overtime 30%",
            kind="case_study",
            industries=["construction"],
            stages=["decision"],
        )
        self.one_pager = publish(
            marketer, title="Offline mode one-pager", kind="one_pager", stages=["consideration"]
        )
        self.email = publish(
            marketer,
            title="Follow-up after the demo",
            kind="email_template",
            body="Hi {{ first_name }}, thanks for your time.",
            fields={"subject": "Next steps"},
        )
        self.draft = create(marketer, title="Competitor battlecard (draft)", kind="battlecard")
        self.ana = new_actor(marketer.client, "rep", "ana@example.com")
        self.ben = new_actor(marketer.client, "rep", "ben@example.com")

    def set_clock(self, when: datetime) -> None:
        self.app.state.clock = lambda: when

    def event(self, actor: Actor, asset: dict[str, Any], kind: str, opp: str | None = None) -> None:
        body: dict[str, Any] = {"asset_id": asset["id"], "type": kind}
        if opp is not None:
            body["opportunity_id"] = opp
        response = actor.post("/v1/events", json=body)
        assert response.status_code == 202, response.text

    def outcome(self, opp: str, outcome: str, amount: float | None = None) -> None:
        body: dict[str, Any] = {"outcome": outcome}
        if amount is not None:
            body["amount"] = amount
        response = self.marketer.post(f"/v1/opportunities/{opp}/outcome", json=body)
        assert response.status_code == 200, response.text

    def play(self) -> None:
        ana, ben = self.ana, self.ben
        cs, op, em = self.case_study, self.one_pager, self.email

        # January: Ana loses the Northwind deal (opp-3) with the case study.
        self.set_clock(JANUARY)
        self.event(ana, cs, "view")
        self.event(ana, cs, "used_in_deal", "opp-3")

        # March: the busy month.
        self.set_clock(MARCH)
        for actor in (ana, ben):
            self.event(actor, cs, "view")
        self.event(ben, cs, "download")
        self.event(ben, cs, "copy")
        self.event(ana, cs, "share", "opp-1")
        self.event(ana, cs, "used_in_deal", "opp-1")
        self.event(ben, cs, "used_in_deal", "opp-1")  # twice in one deal: counted once
        self.event(ben, cs, "send", "opp-2")
        self.event(ana, cs, "helpful")
        self.event(ben, cs, "helpful")
        self.event(ben, cs, "not_helpful")

        self.event(ana, op, "view")
        self.event(ben, op, "view")
        # A view is preparation, not a use; and Ben's second view in the hour is not counted.
        self.event(ben, op, "view", "opp-1")
        self.event(ana, op, "used_in_deal")  # an unnamed deal: counts once on its own
        self.event(ana, op, "used_in_deal", "opp-4")  # still open
        self.event(ben, op, "share")  # no deal named: a share, not a deal
        self.event(ana, op, "not_helpful")
        self.event(ben, op, "not_helpful")

        self.event(ana, em, "copy")
        self.event(ben, em, "copy")
        self.event(ana, em, "send", "opp-5")
        self.event(ana, em, "used_in_deal", "opp-5")
        self.event(ben, em, "send", "opp-3")

        self.outcome("opp-1", "won", 50000)
        self.outcome("opp-2", "won", 12500.55)
        self.outcome("opp-3", "lost", 30000)
        self.outcome("opp-5", "won")  # amount unknown
        self.outcome("opp-9", "won", 99999)  # no asset was used in it

    def kept(self) -> dict[str, Any]:
        """What a copy of this history's catalogue needs to tell it again."""
        kept: dict[str, Any] = {name: getattr(self, name) for name in self.SHARED}
        kept["reps"] = {
            name: (getattr(self, name).key, getattr(self, name).id) for name in ("ana", "ben")
        }
        return kept

    @classmethod
    def copied(cls, app: FastAPI, marketer: Actor, kept: dict[str, Any]) -> History:
        """The history of a catalogue copied from one where it was played, as played."""
        story = cls.__new__(cls)
        story.app, story.marketer = app, marketer
        for name in cls.SHARED:
            setattr(story, name, kept[name])
        for name, (key, user_id) in kept["reps"].items():
            setattr(story, name, Actor(marketer.client, key, role="rep", user_id=user_id))
        story.set_clock(MARCH)  # where `play` leaves it
        return story


def _play(app: FastAPI, people: dict[str, Actor]) -> dict[str, Any]:
    story = History(app, people["marketer"])
    story.play()
    return story.kept()


# The history is played once per test process and database kind, and copied into each test
# that asks for it (tests/prebuilt.py); its marketer is the test's.
database_url = catalogue_copied_for(
    "history", name="asset-performance", build=_play, roles={"marketer": "marketer"}
)
marketer = builder("marketer")


@pytest.fixture
def history(app: FastAPI, marketer: Actor, request: pytest.FixtureRequest) -> History:
    found = built(request)
    if found is not None:
        return History.copied(app, marketer, Prebuilt.value(found))
    story = History(app, marketer)
    story.play()
    return story


def report(marketer: Actor, **params: Any) -> dict[str, Any]:
    response = marketer.get(REPORT, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_asset(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["asset_id"]: row for row in body["items"]}


def figures(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in ZERO}


def test_the_report_adds_up(history: History) -> None:
    body = report(history.marketer)
    assert body["total"] == 4
    assert (body["limit"], body["offset"]) == (20, 0)
    rows = by_asset(body)

    case_study = rows[history.case_study["id"]]
    assert case_study["title"] == "Harbor Construction cut overtime 30%"
    assert case_study["kind"] == "case_study"
    assert case_study["status"] == "approved"
    assert figures(case_study) == {
        "views": 3,
        "downloads": 1,
        "renders": 0,
        "copies": 1,
        "shares": 2,  # the share and the send
        "used_in_deals": 3,  # opp-1, opp-2, opp-3
        "helpful": 2,
        "not_helpful": 1,
        "won": 2,  # opp-1, opp-2
        "lost": 1,  # opp-3
        "win_rate": 0.6667,
        "influenced_amount": 62500.55,  # 50,000 once though used three times, + 12,500.55
    }
    assert figures(rows[history.one_pager["id"]]) == {
        **ZERO,
        "views": 2,  # Ana's and Ben's (his second in the hour is the same view)
        "shares": 1,
        "used_in_deals": 2,  # the unnamed deal and opp-4
        "not_helpful": 2,
    }
    assert figures(rows[history.email["id"]]) == {
        **ZERO,
        "copies": 2,
        "shares": 2,
        "used_in_deals": 2,  # opp-5 (sent and used: once) and opp-3
        "won": 1,
        "lost": 1,
        "win_rate": 0.5,
        "influenced_amount": 0.0,  # opp-5 was won without an amount
    }
    draft = rows[history.draft["id"]]
    assert draft["status"] == "draft"
    assert figures(draft) == ZERO


def test_a_new_outcome_for_a_deal_replaces_the_old_one(history: History) -> None:
    history.outcome("opp-3", "won", 30000)  # Northwind came back and signed
    case_study = by_asset(report(history.marketer))[history.case_study["id"]]
    assert (case_study["won"], case_study["lost"], case_study["win_rate"]) == (3, 0, 1.0)
    assert case_study["influenced_amount"] == 92500.55

    history.outcome("opp-1", "lost")  # and the big one fell through after all
    case_study = by_asset(report(history.marketer))[history.case_study["id"]]
    assert (case_study["won"], case_study["lost"]) == (2, 1)
    assert case_study["influenced_amount"] == 42500.55


def test_default_order_is_influenced_amount_then_title(history: History) -> None:
    ids = [row["asset_id"] for row in report(history.marketer)["items"]]
    # 62,500.55 first; the rest tie at 0 and follow in title order.
    assert ids == [
        history.case_study["id"],
        history.draft["id"],  # "Competitor battlecard (draft)"
        history.email["id"],  # "Follow-up after the demo"
        history.one_pager["id"],  # "Offline mode one-pager"
    ]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-views", ["case_study", "one_pager", "draft", "email"]),
        ("views", ["draft", "email", "one_pager", "case_study"]),
        ("-not_helpful", ["one_pager", "case_study", "draft", "email"]),
        ("-used_in_deals", ["case_study", "email", "one_pager", "draft"]),
        ("win_rate", ["email", "case_study", "draft", "one_pager"]),  # no outcome: last
        ("-win_rate", ["case_study", "email", "draft", "one_pager"]),  # no outcome: last
        ("title", ["draft", "email", "case_study", "one_pager"]),
        ("-title", ["one_pager", "case_study", "email", "draft"]),
    ],
)
def test_sorting(history: History, sort: str, expected: list[str]) -> None:
    names = {getattr(history, name)["id"]: name for name in expected}
    body = report(history.marketer, sort=sort)
    assert [names[row["asset_id"]] for row in body["items"]] == expected


def test_filters_as_on_the_asset_list(history: History) -> None:
    body = report(history.marketer, kind="email_template")
    assert body["total"] == 1
    assert body["items"][0]["asset_id"] == history.email["id"]

    body = report(history.marketer, status="draft")
    assert [r["asset_id"] for r in body["items"]] == [history.draft["id"]]

    body = report(history.marketer, industry="construction")
    assert [r["asset_id"] for r in body["items"]] == [history.case_study["id"]]

    body = report(history.marketer, kind=["one_pager", "case_study"], sort="title")
    assert body["total"] == 2


def test_time_window(history: History) -> None:
    march = by_asset(report(history.marketer, since="2026-03-01T00:00:00Z"))
    # A plain date means midnight UTC.
    assert by_asset(report(history.marketer, since="2026-03-01")) == march
    case_study = march[history.case_study["id"]]
    assert case_study["views"] == 2
    assert (case_study["used_in_deals"], case_study["won"], case_study["lost"]) == (2, 2, 0)
    assert case_study["win_rate"] == 1.0
    assert case_study["influenced_amount"] == 62500.55

    january = by_asset(report(history.marketer, until="2026-03-01T00:00:00Z"))
    case_study = january[history.case_study["id"]]
    assert case_study["views"] == 1
    assert (case_study["used_in_deals"], case_study["won"], case_study["lost"]) == (1, 0, 1)
    assert case_study["win_rate"] == 0.0
    assert figures(january[history.email["id"]]) == ZERO

    # since is inclusive, until exclusive: the March events sit exactly on MARCH.
    exact = by_asset(
        report(history.marketer, since=MARCH.isoformat(), until="2026-03-10T10:00:00.000001Z")
    )
    assert exact[history.case_study["id"]]["views"] == 2
    before = by_asset(
        report(history.marketer, since="2026-02-01T00:00:00Z", until=MARCH.isoformat())
    )
    assert figures(before[history.case_study["id"]]) == ZERO


def test_paging(history: History) -> None:
    first = report(history.marketer, limit=2, sort="title")
    second = report(history.marketer, limit=2, offset=2, sort="title")
    assert first["total"] == second["total"] == 4
    ids = [r["asset_id"] for r in first["items"] + second["items"]]
    assert len(set(ids)) == 4


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "popularity"},
        {"sort": "--views"},
        {"since": "yesterday"},
        {"since": "2026-03-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"},
        {"since": "2026-03-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
        {"kind": "podcast"},
        {"limit": 101},
    ],
)
def test_bad_parameters_are_422(marketer: Actor, params: dict[str, Any]) -> None:
    response = marketer.get(REPORT, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_reps_may_not_read_it(rep: Actor, anonymous: Actor) -> None:
    assert rep.get(REPORT).status_code == 403
    assert anonymous.get(REPORT).status_code == 401


def test_an_empty_library_reports_nothing(marketer: Actor) -> None:
    assert report(marketer) == {"items": [], "total": 0, "limit": 20, "offset": 0}


def test_events_go_with_a_deleted_asset(history: History, admin: Actor) -> None:
    assert admin.delete(f"/v1/assets/{history.case_study['id']}").status_code == 204
    body = report(history.marketer)
    assert body["total"] == 3
    assert history.case_study["id"] not in by_asset(body)
