"""Overdue content ranks lower in search and suggestions, and is never hidden."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from search.fts5.schema import SCHEMA_VERSION
from tests.catalogue import publish, settled
from tests.conftest import Actor, new_actor

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
BODY = (
    "The {port} terminal retrofitted its gantry cranes with remote operation. Crane "
    "downtime fell by a third within two quarters; operators moved to a control room."
)


def at(app: FastAPI, moment: datetime) -> None:
    app.state.clock = lambda: moment


def searched(rep: Actor, q: str) -> list[str]:
    """The ids found, once every vector is in: a ranking that fuses meaning is stable only
    then (the embedded index embeds after the commit)."""
    settled(rep)
    response = rep.get("/v1/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [hit["asset"]["id"] for hit in response.json()["hits"]]


def suggested(rep: Actor, text: str) -> list[dict[str, Any]]:
    settled(rep)  # as `searched`
    response = rep.post("/v1/suggestions", json={"text": text, "limit": 5})
    assert response.status_code == 200, response.text
    return list(response.json()["suggestions"])


def test_an_overdue_case_study_ranks_below_an_equal_fresh_one(
    app: FastAPI, marketer: Actor, rep: Actor
) -> None:
    at(app, NOW)
    # The same story twice over (one port each); the first ranks first while both are fresh.
    first = publish(
        marketer,
        title="Crane retrofit: Rotterdam",
        kind="case_study",
        summary="Crane retrofit",
        body=BODY.format(port="Rotterdam"),
    )
    second = publish(
        marketer,
        title="Crane retrofit: Antwerp",
        kind="case_study",
        body=BODY.format(port="Antwerp"),
    )
    both = {first["id"], second["id"]}
    marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 30}})
    settled(rep)  # both found by meaning too: the order no longer waits on the embedder

    at(app, NOW + timedelta(days=20))
    assert searched(rep, "crane retrofit")[:2] == [first["id"], second["id"]]
    ranked = [
        s["asset"]["id"] for s in suggested(rep, "crane retrofit") if s["asset"]["id"] in both
    ]
    assert ranked == [first["id"], second["id"]]
    # The second one's owner checks it is still right: its clock restarts.
    assert marketer.post(f"/v1/assets/{second['id']}/verify").status_code == 200

    # Ten days past the first one's review date, without any write: it is overdue.
    at(app, NOW + timedelta(days=40))
    hits = rep.get("/v1/search", params={"q": "crane retrofit"}).json()["hits"]
    assert [h["asset"]["id"] for h in hits][:2] == [second["id"], first["id"]]  # not hidden
    assert hits[1]["asset"]["freshness"]["state"] == "overdue"  # reps see it, too
    assert hits[0]["asset"]["freshness"]["state"] == "due"  # due soon: not demoted
    shown = [s for s in suggested(rep, "crane retrofit") if s["asset"]["id"] in both]
    assert [s["asset"]["id"] for s in shown] == [second["id"], first["id"]]
    assert "overdue for review: ranked lower" in shown[1]["reasons"]

    # Verified in turn, it is back on top.
    assert marketer.post(f"/v1/assets/{first['id']}/verify").status_code == 200
    assert searched(rep, "crane retrofit")[:2] == [first["id"], second["id"]]


def last_change(app: FastAPI) -> int:
    """The id of the newest change in the change log (each change: a document for the
    index to write again)."""
    with app.state.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM changes")).scalar_one())


def changes_since(app: FastAPI, last: int) -> int:
    with app.state.engine.connect() as conn:
        query = sa.text("SELECT count(*) FROM changes WHERE id > :last")
        return int(conn.execute(query, {"last": last}).scalar_one())


def test_a_policy_change_demotes_at_once_and_reindexes_nothing(
    app: FastAPI, marketer: Actor, rep: Actor
) -> None:
    at(app, NOW)
    first = publish(
        marketer,
        title="Crane retrofit: Hamburg",
        kind="case_study",
        summary="Crane retrofit",
        body=BODY.format(port="Hamburg"),
    )
    second = publish(
        marketer,
        title="Crane retrofit: Gdansk",
        kind="case_study",
        body=BODY.format(port="Gdansk"),
    )
    for n in range(3):
        publish(marketer, title=f"Harbour case study {n}", kind="case_study")
    at(app, NOW + timedelta(days=15))
    assert marketer.post(f"/v1/assets/{second['id']}/verify").status_code == 200
    at(app, NOW + timedelta(days=20))
    # A year's interval by default: both fresh, in their keyword order.
    assert searched(rep, "crane retrofit")[:2] == [first["id"], second["id"]]

    before = last_change(app)
    response = marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 10}})
    assert response.status_code == 200, response.text
    # One row changed, not one change per approved case study (five here, thousands in
    # a real library): no document is written again.
    assert changes_since(app, before) == 0

    # The very next search follows the new policy: the first is ten days overdue (approved
    # twenty days ago), the second, verified five days ago, is not.
    hits = rep.get("/v1/search", params={"q": "crane retrofit"}).json()["hits"]
    assert [h["asset"]["id"] for h in hits][:2] == [second["id"], first["id"]]
    assert hits[1]["asset"]["freshness"]["state"] == "overdue"
    assert hits[0]["asset"]["freshness"]["state"] == "due"

    # Lengthened again: nothing is overdue, the keyword order is back at once.
    marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 365}})
    assert changes_since(app, before) == 0
    assert searched(rep, "crane retrofit")[:2] == [first["id"], second["id"]]
    # Short again, then "never" (null): never overdue either.
    marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 10}})
    assert searched(rep, "crane retrofit")[:2] == [second["id"], first["id"]]
    marketer.put("/v1/freshness/policies", json={"policies": {"case_study": None}})
    assert searched(rep, "crane retrofit")[:2] == [first["id"], second["id"]]
    assert changes_since(app, before) == 0


def test_an_index_made_before_reviewed_at_is_rebuilt_at_start(settings: Settings) -> None:
    """An embedded index whose documents carry the old due date (schema 2) is dropped
    when the upgraded app opens it and rebuilt from the catalogue at start: overdue
    demotion works on it at once."""
    app = create_app(settings)
    at(app, NOW)
    with TestClient(app, raise_server_exceptions=False) as client:
        marketer = new_actor(client, "marketer")
        first = publish(
            marketer,
            title="Crane retrofit: Bremen",
            kind="case_study",
            summary="Crane retrofit",
            body=BODY.format(port="Bremen"),
        )
        second = publish(
            marketer, title="Crane retrofit: Kiel", kind="case_study", body=BODY.format(port="Kiel")
        )
        marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 10}})
        path = app.state.search.backend.path
    # What Baton wrote before this change: schema 2, documents with review_due_at only.
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE fts_meta SET value = '2' WHERE key = 'schema'")
        conn.execute(
            "UPDATE fts_docs SET meta = json_remove(json_set(meta, '$.review_due_at', 0),"
            " '$.reviewed_at')"
        )

    again = create_app(settings)
    with TestClient(again, raise_server_exceptions=False) as client:
        at(again, NOW + timedelta(days=5))
        rep = new_actor(client, "rep")
        assert searched(rep, "crane retrofit")[:2] == [first["id"], second["id"]]
        marketer = new_actor(client, "marketer")
        assert marketer.post(f"/v1/assets/{second['id']}/verify").status_code == 200
        at(again, NOW + timedelta(days=12))
        assert searched(rep, "crane retrofit")[:2] == [second["id"], first["id"]]
    with sqlite3.connect(path) as conn:
        (schema,) = conn.execute("SELECT value FROM fts_meta WHERE key = 'schema'").fetchone()
        metas = [json.loads(m) for (m,) in conn.execute("SELECT meta FROM fts_docs")]
    assert schema == SCHEMA_VERSION
    assert all("reviewed_at" in m and "review_due_at" not in m for m in metas)
