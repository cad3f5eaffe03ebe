"""Overdue content ranks lower in search and suggestions, and is never hidden."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from tests.catalogue import publish
from tests.conftest import Actor

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
BODY = (
    "The {port} terminal retrofitted its gantry cranes with remote operation. Crane "
    "downtime fell by a third within two quarters; operators moved to a control room."
)


def at(app: FastAPI, moment: datetime) -> None:
    app.state.clock = lambda: moment


def searched(rep: Actor, q: str) -> list[str]:
    response = rep.get("/v1/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [hit["asset"]["id"] for hit in response.json()["hits"]]


def suggested(rep: Actor, text: str) -> list[dict[str, Any]]:
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
