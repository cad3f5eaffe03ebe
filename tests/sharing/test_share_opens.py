"""One client cannot pass for many buyers (both databases): its page loads within an
hour count as one real open, whatever user agents it sends, and that open's time on page
is at most the wall time its visits spanned."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI

from api.db import utcnow
from tests.catalogue import publish
from tests.conftest import Actor
from tests.sharing.helpers import BROWSER_UA, path_of, share


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _visit(anonymous: Actor, path: str, clock: _Clock, agent: str, seconds: int) -> None:
    page = anonymous.client.get(path, headers={"User-Agent": agent})
    assert page.status_code == 200
    visit = page.text.split("seen.gif?v=", 1)[1].split('"', 1)[0]
    clock.now += timedelta(seconds=seconds)
    report = {"v": visit, "visible_ms": 60_000, "interacted": True, "pages": []}
    beacon = anonymous.client.post(path + "/beacon", json=report, headers={"User-Agent": agent})
    assert beacon.status_code == 204, beacon.text


def test_one_client_with_many_user_agents_is_one_open(
    app: FastAPI, marketer: Actor, rep: Actor, anonymous: Actor
) -> None:
    asset = publish(marketer, title="Customer story: Hooli", kind="case_study", body="Words.")
    link = share(rep, asset["id"], opportunity_id="D-OPENS")
    path = path_of(link["url"])
    clock = _Clock(utcnow() + timedelta(minutes=5))
    app.state.clock = clock
    start = clock.now
    for number in range(12):
        clock.now = start  # all at once, each reporting a minute on the page
        _visit(anonymous, path, clock, f"{BROWSER_UA} agent/{number}", 60)

    def engagement() -> Any:
        return rep.get(f"/v1/share-links/{link['id']}").json()["engagement"]

    shown = engagement()
    assert shown["opens"] == 1
    assert shown["seconds_on_page"] <= 60 + 2  # the wall time the visits spanned
    report = marketer.get("/v1/reports/asset-performance").json()["items"]
    row = next(r for r in report if r["asset_id"] == asset["id"])
    assert row["buyer_opens"] == 1

    # The same client two hours later: another open.
    clock.now = start + timedelta(hours=2)
    _visit(anonymous, path, clock, BROWSER_UA, 30)
    assert engagement()["opens"] == 2
