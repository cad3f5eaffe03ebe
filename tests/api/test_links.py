"""Typed links between assets: validation, both ends, what reps see, and `replaced_by`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlmodel import col, select

from api.audit.service import act_as
from api.db import session_scope
from api.notifications.models import OutboxEvent
from api.notifications.schedule import expired_assets
from api.notifications.worker import WORKER, run_once
from api.settings import Settings
from tests.api.test_conventions import assert_problem
from tests.catalogue import create, publish, transition
from tests.conftest import Actor


def _link(marketer: Actor, asset_id: str, kind: str, target_id: str) -> dict[str, Any]:
    response = marketer.post(
        f"/v1/assets/{asset_id}/links", json={"type": kind, "target_id": target_id}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _links(actor: Actor, asset_id: str) -> list[tuple[str, str]]:
    response = actor.get(f"/v1/assets/{asset_id}/links")
    assert response.status_code == 200, response.text
    return [(link["type"], link["asset"]["id"]) for link in response.json()["links"]]


def test_a_link_is_shown_from_both_ends_and_reps_see_live_ones_only(
    marketer: Actor, rep: Actor
) -> None:
    point = publish(marketer, title="Fatigue rule talking point", kind="talking_point")
    study = publish(marketer, title="Northwind fatigue case study", kind="case_study")
    email = publish(marketer, title="Fatigue rule follow-up email", kind="email_template")
    draft = create(marketer, title="Unreleased fatigue study", kind="case_study")
    made = _link(marketer, point["id"], "proven_by", study["id"])
    assert made["type"] == "proven_by" and made["asset"] == {
        "id": study["id"],
        "title": "Northwind fatigue case study",
        "kind": "case_study",
        "status": "approved",
    }
    _link(marketer, email["id"], "follow_up", point["id"])
    _link(marketer, draft["id"], "proves", point["id"])
    assert _links(marketer, study["id"]) == [("proves", point["id"])]
    assert _links(marketer, email["id"]) == [("follow_up", point["id"])]
    assert _links(marketer, point["id"]) == [
        ("proven_by", study["id"]),
        ("followed_up_by", email["id"]),
        ("proven_by", draft["id"]),
    ]
    # The rep does not see the draft among the links.
    assert _links(rep, point["id"]) == [
        ("proven_by", study["id"]),
        ("followed_up_by", email["id"]),
    ]
    assert_problem(rep.get(f"/v1/assets/{draft['id']}/links"), 404)

    # Removed from the other end, it is gone from both.
    assert marketer.delete(f"/v1/assets/{study['id']}/links/{made['id']}").status_code == 204
    assert _links(marketer, study["id"]) == []
    assert ("proven_by", study["id"]) not in _links(marketer, point["id"])
    assert_problem(marketer.delete(f"/v1/assets/{study['id']}/links/{made['id']}"), 404)


def test_links_are_validated(marketer: Actor) -> None:
    a = create(marketer, title="Old battlecard", kind="battlecard")
    b = create(marketer, title="New battlecard", kind="battlecard")
    c = create(marketer, title="Newest battlecard", kind="battlecard")
    path = f"/v1/assets/{a['id']}/links"
    itself = assert_problem(marketer.post(path, json={"type": "proves", "target_id": a["id"]}), 422)
    assert "itself" in str(itself["detail"])
    unknown = assert_problem(marketer.post(path, json={"type": "proves", "target_id": "nope"}), 422)
    assert "no asset with id nope" in str(unknown["detail"])
    assert_problem(marketer.post(path, json={"type": "inspires", "target_id": b["id"]}), 422)
    assert_problem(
        marketer.post("/v1/assets/nope/links", json={"type": "proves", "target_id": a["id"]}), 404
    )

    _link(marketer, a["id"], "proves", b["id"])
    assert_problem(marketer.post(path, json={"type": "proves", "target_id": b["id"]}), 409)
    # The inverse posted from the other end is the same link.
    again = marketer.post(
        f"/v1/assets/{b['id']}/links", json={"type": "proven_by", "target_id": a["id"]}
    )
    assert_problem(again, 409)

    # c replaces b replaces a: a replacing c would close a cycle.
    _link(marketer, b["id"], "replaces", a["id"])
    _link(marketer, c["id"], "replaces", b["id"])
    cycle = assert_problem(
        marketer.post(path, json={"type": "replaces", "target_id": c["id"]}), 409
    )
    assert "cycle" in str(cycle["detail"]) or "replaces" in str(cycle["detail"])
    assert_problem(
        marketer.post(
            f"/v1/assets/{b['id']}/links", json={"type": "replaces", "target_id": c["id"]}
        ),
        409,
    )


def test_reps_are_refused_link_writes(marketer: Actor, rep: Actor) -> None:
    a = publish(marketer, title="Live one", kind="one_pager")
    b = publish(marketer, title="Live two", kind="one_pager")
    link = _link(marketer, a["id"], "follow_up", b["id"])
    made = rep.post(f"/v1/assets/{a['id']}/links", json={"type": "proves", "target_id": b["id"]})
    assert_problem(made, 403)
    assert_problem(rep.delete(f"/v1/assets/{a['id']}/links/{link['id']}"), 403)
    assert _links(rep, a["id"]) == [("follow_up", b["id"])]


def test_a_rep_asking_for_a_replaced_asset_is_pointed_to_the_live_replacement(
    marketer: Actor, rep: Actor
) -> None:
    old = publish(marketer, title="2025 pricing one-pager", kind="one_pager")
    new = create(marketer, title="2026 pricing one-pager", kind="one_pager")
    _link(marketer, new["id"], "replaces", old["id"])
    transition(marketer, old["id"], "archive")
    # The replacement is not live yet: a plain 404.
    gone = assert_problem(rep.get(f"/v1/assets/{old['id']}"), 404)
    assert "replaced_by" not in gone
    transition(marketer, new["id"], "submit")
    transition(marketer, new["id"], "approve")
    pointed = assert_problem(rep.get(f"/v1/assets/{old['id']}"), 404)
    assert pointed["replaced_by"] == new["id"]
    assert rep.get(f"/v1/assets/{new['id']}").status_code == 200
    # Marketers still open the old one.
    assert marketer.get(f"/v1/assets/{old['id']}").json()["status"] == "archived"


def test_a_chain_of_replacements_points_to_the_newest_live_one(marketer: Actor, rep: Actor) -> None:
    first = publish(marketer, title="2024 rate card", kind="one_pager")
    second = publish(marketer, title="2025 rate card", kind="one_pager")
    third = publish(marketer, title="2026 rate card", kind="one_pager")
    _link(marketer, second["id"], "replaces", first["id"])
    _link(marketer, third["id"], "replaces", second["id"])
    # Still live, the first stays visible: a replaces link withdraws nothing by itself.
    assert rep.get(f"/v1/assets/{first['id']}").status_code == 200
    transition(marketer, first["id"], "archive")
    transition(marketer, second["id"], "archive")
    # The 2025 card is archived too: the rep is pointed past it to the 2026 one.
    pointed = assert_problem(rep.get(f"/v1/assets/{first['id']}"), 404)
    assert pointed["replaced_by"] == third["id"]
    assert assert_problem(rep.get(f"/v1/assets/{second['id']}"), 404)["replaced_by"] == third["id"]


def _found(rep: Actor, words: str) -> list[str]:
    response = rep.get("/v1/search", params={"q": words})
    assert response.status_code == 200, response.text
    return [hit["asset"]["id"] for hit in response.json()["hits"]]


def test_a_live_linked_title_finds_the_linking_asset_until_it_is_archived(
    app: FastAPI, marketer: Actor, rep: Actor
) -> None:
    point = publish(
        marketer,
        title="Fatigue rule talking point",
        kind="talking_point",
        body="Shifts over twelve hours need a rest break under the new rule.",
    )
    study = create(marketer, title="Quarrymaster crane audit", kind="case_study")
    _link(marketer, point["id"], "proven_by", study["id"])
    # The case study is a draft: its title is nobody's context yet.
    assert point["id"] not in _found(rep, "quarrymaster")
    transition(marketer, study["id"], "submit")
    transition(marketer, study["id"], "approve")
    assert point["id"] in _found(rep, "quarrymaster")
    assert study["id"] in _found(rep, "quarrymaster")
    transition(marketer, study["id"], "archive")
    assert _found(rep, "quarrymaster") == []
    # The talking point, proven by it, is announced as depending on an archived asset.
    with session_scope(app.state.engine) as session:
        events = session.exec(
            select(OutboxEvent).where(col(OutboxEvent.type) == "asset.dependency_expired")
        ).all()
        announced = [(e.subject_id, e.payload["depends_on"]) for e in events]
    assert announced == [(point["id"], study["id"])]


def test_an_expiring_talking_point_flags_the_email_template_that_follows_it_up(
    app: FastAPI, marketer: Actor, rep: Actor
) -> None:
    expires = datetime.now(UTC) + timedelta(days=1)
    point = publish(
        marketer,
        title="Fatigue rule talking point",
        kind="talking_point",
        expires_at=expires.isoformat(),
    )
    email = publish(marketer, title="Fatigue rule follow-up email", kind="email_template")
    study = publish(marketer, title="Crane fatigue case study", kind="case_study")
    _link(marketer, email["id"], "follow_up", point["id"])
    _link(marketer, study["id"], "proves", email["id"])
    path = f"/v1/assets/{email['id']}/links"
    assert marketer.get(path).json()["flags"] == []

    later = expires + timedelta(hours=1)
    app.state.clock = lambda: later
    shown = marketer.get(path).json()
    assert shown["flags"] == [{"type": "depends_on_expired", "asset_id": point["id"]}]
    # Reps see neither the expired talking point nor the flag.
    assert rep.get(path).json() == {"links": [{**shown["links"][1]}], "flags": []}
    gaps = marketer.get("/v1/reports/content-gaps").json()
    assert [(d["id"], d["depends_on"]["id"]) for d in gaps["dependants_of_expired"]] == [
        (email["id"], point["id"])
    ]
    # The talking point depends on nothing: no flag of its own.
    assert marketer.get(f"/v1/assets/{point['id']}/links").json()["flags"] == []

    # The expiry pass announces the dependant once, naming what it depends on.
    for _ in range(2):
        with session_scope(app.state.engine) as session:
            act_as(session, WORKER)
            expired_assets(session, later)
    with session_scope(app.state.engine) as session:
        events = session.exec(
            select(OutboxEvent).where(col(OutboxEvent.type) == "asset.dependency_expired")
        ).all()
        announced = [(e.subject_id, e.payload["id"], e.payload["depends_on"]) for e in events]
    assert announced == [(email["id"], email["id"], point["id"])]


def test_the_asset_itself_shows_its_links_and_what_it_depends_on_that_expired(
    app: FastAPI, marketer: Actor, rep: Actor
) -> None:
    expires = datetime.now(UTC) + timedelta(days=1)
    point = publish(
        marketer,
        title="Fatigue rule talking point",
        kind="talking_point",
        expires_at=expires.isoformat(),
    )
    email = publish(marketer, title="Fatigue rule follow-up email", kind="email_template")
    draft = create(marketer, title="Unreleased crane study", kind="case_study")
    _link(marketer, email["id"], "follow_up", point["id"])
    _link(marketer, draft["id"], "proves", email["id"])

    def shown(actor: Actor, asset_id: str) -> tuple[list[tuple[str, str]], list[Any]]:
        response = actor.get(f"/v1/assets/{asset_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        return [(link["type"], link["asset"]["id"]) for link in body["links"]], body["flags"]

    assert shown(marketer, email["id"]) == (
        [("follow_up", point["id"]), ("proven_by", draft["id"])],
        [],
    )
    assert shown(marketer, point["id"]) == ([("followed_up_by", email["id"])], [])
    # The rep sees the link to the live talking point, not the draft proving the email.
    assert shown(rep, email["id"]) == ([("follow_up", point["id"])], [])

    app.state.clock = lambda: expires + timedelta(hours=1)
    flagged = [{"type": "depends_on_expired", "asset_id": point["id"]}]
    assert shown(marketer, email["id"]) == (
        [("follow_up", point["id"]), ("proven_by", draft["id"])],
        flagged,
    )
    # The talking point expired: the rep sees no link and no flag.
    assert shown(rep, email["id"]) == ([], [])
    # Lists stay lean: links and flags are on the asset alone.
    listed = marketer.get("/v1/assets", params={"kind": "email_template"}).json()["items"]
    assert [(a["id"], a["links"], a["flags"]) for a in listed] == [(email["id"], None, None)]


def test_a_talking_point_expiring_by_date_stops_finding_the_email_that_follows_it_up(
    app: FastAPI, settings: Settings, marketer: Actor, rep: Actor
) -> None:
    expires = datetime.now(UTC) + timedelta(days=1)
    point = publish(
        marketer,
        title="Zephyrine braking rule talking point",
        kind="talking_point",
        body="Cranes stop within the new distance.",
        expires_at=expires.isoformat(),
    )
    email = publish(
        marketer,
        title="Braking rule follow-up email",
        kind="email_template",
        body="Thanks for your time today; here is what we discussed.",
    )
    _link(marketer, email["id"], "follow_up", point["id"])
    # While the talking point is live, its title is the email's context.
    assert sorted(_found(rep, "zephyrine")) == sorted([point["id"], email["id"]])

    later = expires + timedelta(hours=1)
    app.state.clock = lambda: later
    # The expired talking point itself is hidden at once (judged at query time).
    assert point["id"] not in _found(rep, "zephyrine")
    # The worker's time-based pass re-indexes what linked to it: the email no longer
    # counts the expired title.
    run_once(app.state.engine, settings, now=later)
    assert _found(rep, "zephyrine") == []
    assert email["id"] in _found(rep, "braking follow-up")
