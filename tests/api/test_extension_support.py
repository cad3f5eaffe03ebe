"""What the CRM extension leans on: suggestions that leave out what was sent in the deal,
usage the server records itself (views once an hour, downloads, renders), and the
comments of ratings that marketers read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from api.db import session_scope
from api.events.models import Event
from api.main import create_app
from api.settings import Settings
from tests.catalogue import create, publish, transition
from tests.conftest import Actor, new_actor
from tests.live import already_started, at_once, serving

TEN_O_FIVE = datetime(2026, 11, 30, 10, 5, tzinfo=UTC)
TEN_FIFTY = datetime(2026, 11, 30, 10, 50, tzinfo=UTC)
ELEVEN_O_ONE = datetime(2026, 11, 30, 11, 1, tzinfo=UTC)


def at(app: FastAPI, moment: datetime) -> None:
    app.state.clock = lambda: moment


def events_of(app: FastAPI, asset_id: str) -> list[Event]:
    """The asset's events as stored, oldest first, once what was queued is written."""
    app.state.usage.flush()
    with session_scope(app.state.engine) as session:
        rows = session.exec(
            select(Event).where(col(Event.asset_id) == asset_id).order_by(col(Event.id))
        ).all()
        return [Event.model_validate(row) for row in rows]


def report_row(marketer: Actor, asset_id: str) -> dict[str, Any]:
    response = marketer.get("/v1/reports/asset-performance", params={"limit": 100})
    assert response.status_code == 200, response.text
    (row,) = [r for r in response.json()["items"] if r["asset_id"] == asset_id]
    return dict(row)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body


def suggest(actor: Actor, **body: Any) -> dict[str, Any]:
    response = actor.post("/v1/suggestions", json={"limit": 20, **body})
    assert response.status_code == 200, response.text
    return dict(response.json())


def uploaded(marketer: Actor, name: str, data: bytes) -> dict[str, Any]:
    """A live asset made from an uploaded file."""
    response = marketer.post("/v1/assets/upload", files={"file": (name, data)})
    assert response.status_code == 201, response.text
    asset_id = response.json()["id"]
    transition(marketer, asset_id, "submit")
    return transition(marketer, asset_id, "approve")


# --- suggestions and what was already sent ----------------------------------------------


def test_an_asset_sent_in_the_deal_is_not_suggested_again_and_is_listed(
    marketer: Actor, rep: Actor
) -> None:
    sent = publish(marketer, title="Harbor Construction cut overtime 30%", kind="case_study")
    other = publish(marketer, title="Offline mode one-pager")
    colleague = new_actor(marketer.client, "rep")
    response = colleague.post(
        "/v1/events", json={"asset_id": sent["id"], "type": "send", "opportunity_id": "006-ACME"}
    )
    assert response.status_code == 202, response.text

    # Sent by a colleague in this deal: left out for anyone working it, and said so.
    for_acme = suggest(rep, opportunity_id=" 006-ACME ")
    ids = [s["asset"]["id"] for s in for_acme["suggestions"]]
    assert sent["id"] not in ids and other["id"] in ids
    (listed,) = for_acme["already_sent"]
    assert listed["asset_id"] == sent["id"]
    assert listed["title"] == "Harbor Construction cut overtime 30%"
    assert listed["sent_at"]

    # Another deal, or no deal: suggested as before.
    for_globex = suggest(rep, opportunity_id="006-GLOBEX")
    assert sent["id"] in [s["asset"]["id"] for s in for_globex["suggestions"]]
    assert for_globex["already_sent"] == []
    assert sent["id"] in [s["asset"]["id"] for s in suggest(rep)["suggestions"]]
    assert suggest(rep)["already_sent"] == []

    # `exclude` still works beside it.
    both = suggest(rep, opportunity_id="006-ACME", exclude=[other["id"]])
    assert not {sent["id"], other["id"]} & {s["asset"]["id"] for s in both["suggestions"]}


def test_a_share_counts_as_sent_and_the_latest_time_is_given(
    app: FastAPI, marketer: Actor, rep: Actor
) -> None:
    asset = publish(marketer, title="ROI calculator")
    for moment, kind in ((TEN_O_FIVE, "share"), (ELEVEN_O_ONE, "send"), (TEN_FIFTY, "copy")):
        at(app, moment)
        body = {"asset_id": asset["id"], "type": kind, "opportunity_id": "opp-1"}
        assert rep.post("/v1/events", json=body).status_code == 202
    (listed,) = suggest(rep, opportunity_id="opp-1")["already_sent"]
    assert listed["sent_at"] == "2026-11-30T11:01:00Z"


def test_a_hidden_asset_never_appears_in_already_sent_for_a_rep(
    marketer: Actor, rep: Actor
) -> None:
    draft = create(marketer, title="Competitor battlecard (draft)", kind="battlecard")
    live = publish(marketer, title="Security overview")
    for asset in (draft, live):
        body = {"asset_id": asset["id"], "type": "send", "opportunity_id": "opp-7"}
        assert marketer.post("/v1/events", json=body).status_code == 202

    for_rep = suggest(rep, opportunity_id="opp-7")
    assert [s["asset_id"] for s in for_rep["already_sent"]] == [live["id"]]
    assert "battlecard" not in str(for_rep)
    # A marketer sees drafts, so sees it listed (it is never suggested: not live).
    for_marketer = suggest(marketer, opportunity_id="opp-7")
    assert {s["asset_id"] for s in for_marketer["already_sent"]} == {draft["id"], live["id"]}


@pytest.mark.parametrize("bad", ["", "   ", "opp\x07", "x" * 201])
def test_a_bad_opportunity_id_is_422(marketer: Actor, rep: Actor, bad: str) -> None:
    asset = publish(marketer, title="Pricing sheet")
    assert_problem(rep.post("/v1/suggestions", json={"opportunity_id": bad}), 422)
    assert_problem(rep.get(f"/v1/assets/{asset['id']}", params={"opportunity_id": bad}), 422)
    event = {"asset_id": asset["id"], "type": "copy", "opportunity_id": bad}
    assert_problem(rep.post("/v1/events", json=event), 422)
    assert report_row(marketer, asset["id"])["views"] == 0


# --- usage the server records ------------------------------------------------------------


def test_opening_an_asset_records_one_view_per_hour(
    app: FastAPI, marketer: Actor, rep: Actor
) -> None:
    asset = publish(marketer, title="Offline mode one-pager")
    path = f"/v1/assets/{asset['id']}"
    at(app, TEN_O_FIVE)
    assert rep.get(path, params={"opportunity_id": "opp-1"}).status_code == 200
    at(app, TEN_FIFTY)
    assert rep.get(path).status_code == 200
    assert report_row(marketer, asset["id"])["views"] == 1

    (view,) = events_of(app, asset["id"])
    assert (view.type, view.user_id, view.role) == ("view", rep.id, "rep")
    assert view.opportunity_id == "opp-1"  # the first open of the hour is the one counted
    assert view.meta == {"recorded_by": "server"}

    # A client that still reports the view is heard, and not counted twice.
    again = rep.post("/v1/events", json={"asset_id": asset["id"], "type": "view"})
    assert again.status_code == 202
    assert again.json()["id"] == str(view.id)

    # The next hour is another view; another rep's open is theirs.
    at(app, ELEVEN_O_ONE)
    assert rep.get(path).status_code == 200
    assert new_actor(marketer.client, "rep").get(path).status_code == 200
    assert report_row(marketer, asset["id"])["views"] == 3


def test_downloads_count_each_time_with_the_deal_and_renders_are_recorded(
    app: FastAPI, marketer: Actor, rep: Actor
) -> None:
    document = uploaded(marketer, "rollout.md", b"# Rollout checklist\n\nTrain the crews first.\n")
    at(app, TEN_O_FIVE)
    for opportunity in ("opp-1", "opp-1", None):
        params = {"opportunity_id": opportunity} if opportunity else {}
        got = rep.get(f"/v1/assets/{document['id']}/file", params=params)
        assert got.status_code == 200 and got.content.startswith(b"# Rollout")
    downloads = events_of(app, document["id"])
    assert [(e.type, e.opportunity_id) for e in downloads] == [
        ("download", "opp-1"),
        ("download", "opp-1"),
        ("download", None),
    ]
    assert {e.user_id for e in downloads} == {rep.id}

    email = publish(
        marketer,
        title="Follow-up after the demo",
        kind="email_template",
        body="Hi {{ first_name }}, thanks for your time.",
        fields={"subject": "Next steps"},
    )
    rendered = rep.post(
        f"/v1/assets/{email['id']}/render",
        params={"opportunity_id": "opp-9"},
        json={"variables": {"first_name": "Dana"}},
    )
    assert rendered.status_code == 200, rendered.text
    assert rendered.json()["body"] == "Hi Dana, thanks for your time."
    (render,) = events_of(app, email["id"])
    assert (render.type, render.opportunity_id, render.user_id) == ("render", "opp-9", rep.id)

    row = report_row(marketer, document["id"])
    assert (row["views"], row["downloads"], row["renders"]) == (0, 3, 0)
    assert report_row(marketer, email["id"])["renders"] == 1
    # Used, so neither is unused in the content-gaps report.
    gaps = marketer.get("/v1/reports/content-gaps", params={"limit": 50}).json()
    unused = {a["id"] for a in gaps["unused"]}
    assert document["id"] not in unused and email["id"] not in unused


def test_a_failed_read_records_nothing(app: FastAPI, marketer: Actor, rep: Actor) -> None:
    draft = create(marketer, title="Draft pricing", kind="email_template", body="Hi {{ name }}")
    live = publish(
        marketer, title="Intro email", kind="email_template", body="Hi {{ name }}, hello."
    )
    one_pager = publish(marketer, title="Offline mode one-pager")

    assert_problem(rep.get(f"/v1/assets/{draft['id']}"), 404)  # hidden from a rep
    assert_problem(rep.get(f"/v1/assets/{draft['id']}/file"), 404)
    assert_problem(rep.get("/v1/assets/no-such-asset"), 404)
    assert_problem(rep.post(f"/v1/assets/{live['id']}/render", json={"variables": {}}), 422)
    assert_problem(rep.post(f"/v1/assets/{one_pager['id']}/render", json={"variables": {}}), 409)
    assert rep.get(f"/v1/assets/{one_pager['id']}/file").status_code == 404  # no file
    # The list records nothing either.
    assert rep.get("/v1/assets").status_code == 200

    for asset in (draft, live, one_pager):
        assert events_of(app, asset["id"]) == []


def test_an_open_from_a_search_links_it_once_and_names_it(
    app: FastAPI, marketer: Actor, rep: Actor
) -> None:
    asset = publish(marketer, title="Offline mode one-pager", body="Works without a signal.")
    found = rep.get("/v1/search", params={"q": "offline"}).json()
    search_id = found["search_id"]
    for _ in range(2):
        got = rep.get(f"/v1/assets/{asset['id']}", params={"search_id": search_id})
        assert got.status_code == 200
    (view,) = events_of(app, asset["id"])
    assert view.meta == {"recorded_by": "server", "search_id": search_id}


@pytest.fixture
def second_server(settings: Settings, client: Any) -> Iterator[str]:
    """Another app on the same catalogue (another server process would do the same)."""
    with serving(create_app(settings)) as port:
        yield f"http://127.0.0.1:{port}"


def test_concurrent_opens_on_two_servers_record_one_view(
    app: FastAPI, second_server: str, marketer: Actor, rep: Actor
) -> None:
    assets = [publish(marketer, title=f"Rollout guide {n}") for n in range(3)]
    headers = {"Authorization": f"Bearer {rep.key}"}
    with (
        already_started(app) as first_server,
        httpx.Client(base_url=first_server, headers=headers, timeout=30) as one,
        httpx.Client(base_url=second_server, headers=headers, timeout=30) as two,
    ):
        for asset in assets:
            path = f"/v1/assets/{asset['id']}"
            answers = at_once([lambda p=path, c=c: c.get(p) for c in (one, two) * 4])
            assert [a.status_code for a in answers] == [200] * 8
    # The second server wrote its queue when it stopped; the first is flushed by the report.
    for asset in assets:
        assert report_row(marketer, asset["id"])["views"] == 1
        assert [e.type for e in events_of(app, asset["id"])] == ["view"]


def test_a_failure_to_record_never_fails_the_read(
    app: FastAPI, marketer: Actor, rep: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    asset = publish(marketer, title="Offline mode one-pager")
    assert report_row(marketer, asset["id"])["views"] == 0
    # The database refuses the write (a stand-in engine that cannot connect).
    recorder = app.state.usage
    working, recorder.engine = recorder.engine, _broken_engine()
    try:
        got = rep.get(f"/v1/assets/{asset['id']}")
        assert got.status_code == 200 and got.json()["id"] == asset["id"]
        recorder.flush()
    finally:
        recorder.engine = working
    assert "could not record the view" in caplog.text
    assert report_row(marketer, asset["id"])["views"] == 0


def _broken_engine() -> Any:
    import sqlalchemy as sa  # noqa: PLC0415

    return sa.create_engine("sqlite:////nonexistent-directory/baton.db")


# --- feedback comments ---------------------------------------------------------------------


def rate(actor: Actor, asset_id: str, kind: str, **extra: Any) -> Any:
    return actor.post("/v1/events", json={"asset_id": asset_id, "type": kind, **extra})


def test_a_marketer_reads_the_comments_of_ratings_newest_first(
    app: FastAPI, marketer: Actor
) -> None:
    asset = publish(marketer, title="Pricing sheet")
    ana = new_actor(marketer.client, "rep", "ana@example.com")
    rep = new_actor(marketer.client, "rep", "ben@example.com")
    at(app, TEN_O_FIVE)
    first = rate(ana, asset["id"], "helpful")
    assert first.status_code == 202 and first.json()["comment"] is None
    at(app, TEN_FIFTY)
    said = rate(
        rep,
        asset["id"],
        "not_helpful",
        comment="  The pricing is last year's; the customer noticed.\n",
        opportunity_id="opp-3",
    )
    assert said.status_code == 202, said.text
    assert said.json()["comment"] == "The pricing is last year's; the customer noticed."
    at(app, ELEVEN_O_ONE)
    assert rate(ana, asset["id"], "helpful", comment="Good for CFOs").status_code == 202
    assert rate(ana, asset["id"], "copy").status_code == 202  # not a rating

    path = f"/v1/assets/{asset['id']}/feedback"
    body = marketer.get(path).json()
    assert (body["total"], body["limit"], body["offset"]) == (3, 20, 0)
    assert body["counts"] == {"helpful": 2, "not_helpful": 1}
    assert body["items"] == [
        {
            "type": "helpful",
            "comment": "Good for CFOs",
            "user": {"id": ana.id, "email": "ana@example.com"},
            "opportunity_id": None,
            "created_at": "2026-11-30T11:01:00Z",
        },
        {
            "type": "not_helpful",
            "comment": "The pricing is last year's; the customer noticed.",
            "user": {"id": rep.id, "email": "ben@example.com"},
            "opportunity_id": "opp-3",
            "created_at": "2026-11-30T10:50:00Z",
        },
        {
            "type": "helpful",
            "comment": None,
            "user": {"id": ana.id, "email": "ana@example.com"},
            "opportunity_id": None,
            "created_at": "2026-11-30T10:05:00Z",
        },
    ]

    unhelpful = marketer.get(path, params={"type": "not_helpful"}).json()
    assert [i["type"] for i in unhelpful["items"]] == ["not_helpful"]
    assert unhelpful["total"] == 1 and unhelpful["counts"] == body["counts"]
    commented = marketer.get(path, params={"commented": "true"}).json()
    assert [i["comment"] for i in commented["items"]] == [
        "Good for CFOs",
        "The pricing is last year's; the customer noticed.",
    ]
    assert commented["total"] == 2
    paged = marketer.get(path, params={"limit": 1, "offset": 1}).json()
    assert paged["total"] == 3 and [i["created_at"] for i in paged["items"]] == [
        "2026-11-30T10:50:00Z"
    ]


def test_feedback_is_for_marketers_and_of_a_real_asset(marketer: Actor, rep: Actor) -> None:
    asset = publish(marketer, title="Pricing sheet")
    assert rate(rep, asset["id"], "not_helpful", comment="Outdated").status_code == 202
    path = f"/v1/assets/{asset['id']}/feedback"
    assert_problem(rep.get(path), 403)
    assert_problem(marketer.get("/v1/assets/no-such-asset/feedback"), 404)
    assert_problem(marketer.get(path, params={"type": "copy"}), 422)
    draft = create(marketer, title="Draft")
    assert marketer.get(f"/v1/assets/{draft['id']}/feedback").json()["total"] == 0


def test_bad_comments_are_422_and_record_nothing(app: FastAPI, marketer: Actor, rep: Actor) -> None:
    asset = publish(marketer, title="Pricing sheet")
    too_long = rate(rep, asset["id"], "not_helpful", comment="x" * 2001)
    assert "2000" in str(assert_problem(too_long, 422)["errors"])
    on_a_copy = rate(rep, asset["id"], "copy", comment="Copied it")
    assert "helpful" in assert_problem(on_a_copy, 422)["detail"] + str(on_a_copy.json())
    assert_problem(rate(rep, asset["id"], "helpful", comment=["not", "text"]), 422)
    # Whitespace around the limit is not counted; blank is no comment.
    assert rate(rep, asset["id"], "helpful", comment=" " + "y" * 2000 + " ").status_code == 202
    assert rate(rep, asset["id"], "helpful", comment="   ").json()["comment"] is None
    assert [e.type for e in events_of(app, asset["id"])] == ["helpful", "helpful"]
