"""Share links through the API and their public page (TestClient, both databases): who
may create one, the token kept only as a hash, the page's headers, revocation, expiry,
and an asset archived or made internal stopping its links at once."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from api.db import utcnow
from tests.audiences.helpers import audience, join
from tests.catalogue import create, publish, transition
from tests.conftest import Actor, new_actor
from tests.sharing.helpers import BROWSER_UA, later, path_of, publish_pdf, share

BROWSER = {"User-Agent": BROWSER_UA}


def _page(actor: Actor, url: str, **headers: str) -> Any:
    return actor.client.get(path_of(url), headers={**BROWSER, **headers})


def test_a_rep_shares_a_live_pdf_and_the_buyer_page_opens_without_sign_in(
    app: FastAPI, settings: Any, marketer: Actor, rep: Actor, anonymous: Actor
) -> None:
    asset = publish_pdf(marketer, title="Northwind cuts claims time")
    link = share(rep, asset["id"], recipient_email="cfo@buyer.example.com")
    assert link["url"].startswith("http://testserver/s/")
    token = link["url"].rsplit("/", 1)[1]
    assert len(token) >= 40
    assert link["created_by"]["id"] == rep.id
    assert link["active"] is True and link["revoked_at"] is None
    assert link["engagement"]["opens"] == 0 and link["engagement"]["page_count"] == 3
    assert timedelta(days=29) < _delta(link["expires_at"]) <= timedelta(days=30)

    # Only the token's hash is kept: the database holds nothing that opens the page.
    engine = app.state.engine
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM share_links")).mappings().all()
    assert [r["token_sha256"] for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert all(token not in str(dict(r)) for r in rows)
    assert rep.get(f"/v1/share-links/{link['id']}").json()["url"] is None

    later(app)
    page = _page(anonymous, link["url"])
    assert page.status_code == 200
    assert "Northwind cuts claims time" in page.text
    assert "Claims handled in two days, not ten." in page.text
    assert page.text.count('class="page"') == 3
    csp = page.headers["content-security-policy"]
    for part in ("default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"):
        assert part in csp
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in page.headers["x-robots-tag"]
    assert "download" not in page.text.lower().split("<main>")[0]  # not allowed here
    image = anonymous.client.get(path_of(link["url"]) + "/pages/2.png", headers=BROWSER)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert anonymous.client.get(path_of(link["url"]) + "/pages/4.png").status_code == 404
    assert anonymous.client.get(path_of(link["url"]) + "/download").status_code == 404
    # The rendered page is cached in the data directory.
    assert list((settings.data_dir / "share-pages").rglob("2.png"))

    # The share counts as a use of the asset in the deal.
    report = marketer.get("/v1/reports/asset-performance").json()["items"]
    row = next(r for r in report if r["asset_id"] == asset["id"])
    assert row["shares"] == 1 and row["used_in_deals"] == 1


def _delta(when: str) -> timedelta:
    return datetime.fromisoformat(when) - utcnow()


def test_internal_or_unpublished_assets_are_refused(marketer: Actor, rep: Actor) -> None:
    battlecard = publish(marketer, title="Battlecard: Rival", kind="battlecard")
    refused = rep.post(
        "/v1/share-links", json={"asset_id": battlecard["id"], "opportunity_id": "D-1"}
    )
    assert refused.status_code == 409
    assert refused.json()["reason"] == "internal"
    assert "internal" in refused.json()["detail"]
    draft = create(marketer, title="Draft case study", kind="case_study")
    body = {"asset_id": draft["id"], "opportunity_id": "D-1"}
    assert rep.post("/v1/share-links", json=body).status_code == 404  # reps never see drafts
    not_live = marketer.post("/v1/share-links", json=body)
    assert not_live.status_code == 409 and not_live.json()["reason"] == "not_live"
    live = publish(marketer, title="White paper", kind="white_paper", body="Words.")
    for expires in ("2020-01-01T00:00:00Z", (utcnow() + timedelta(days=400)).isoformat()):
        response = rep.post(
            "/v1/share-links",
            json={"asset_id": live["id"], "opportunity_id": "D-1", "expires_at": expires},
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    no_deal = rep.post("/v1/share-links", json={"asset_id": live["id"]})
    assert no_deal.status_code == 422


def test_a_rep_outside_the_assets_audience_cannot_share_it(
    client: Any, admin: Actor, marketer: Actor, rep: Actor
) -> None:
    audience(admin, "emea")
    insider = new_actor(client, "rep")
    join(admin, "emea", insider)
    asset = publish(
        marketer, title="EMEA customer story", kind="case_study", body="Words.", audiences=["emea"]
    )
    body = {"asset_id": asset["id"], "opportunity_id": "D-9"}
    outsider = rep.post("/v1/share-links", json=body)
    assert outsider.status_code == 404
    assert insider.post("/v1/share-links", json=body).status_code == 201


def test_revoke_expiry_archive_and_internal_stop_links_at_once(
    app: FastAPI, marketer: Actor, rep: Actor, anonymous: Actor
) -> None:
    asset = publish(marketer, title="Customer story: Acme", kind="case_study", body="Acme won.")
    revoked = share(rep, asset["id"])
    short = share(rep, asset["id"], expires_at=(utcnow() + timedelta(days=1)).isoformat())
    kept = share(rep, asset["id"])
    later(app)
    for link in (revoked, short, kept):
        assert _page(anonymous, link["url"]).status_code == 200

    answer = rep.post(f"/v1/share-links/{revoked['id']}/revoke")
    assert answer.status_code == 200 and answer.json()["revoked_at"] is not None
    assert answer.json()["active"] is False
    assert rep.post(f"/v1/share-links/{revoked['id']}/revoke").status_code == 200  # idempotent
    gone = _page(anonymous, revoked["url"])
    assert gone.status_code == 410 and "withdrawn" in gone.text
    assert gone.headers["content-security-policy"].startswith("default-src 'none'")

    later(app, seconds=2 * 86_400)
    assert _page(anonymous, short["url"]).status_code == 410
    assert _page(anonymous, kept["url"]).status_code == 200

    # Made internal: every link stops at once; shareable again, it works again.
    assert marketer.patch(f"/v1/assets/{asset['id']}", json={"shareable": False}).status_code == 200
    assert _page(anonymous, kept["url"]).status_code == 410
    assert rep.get(f"/v1/share-links/{kept['id']}").json()["active"] is False
    marketer.patch(f"/v1/assets/{asset['id']}", json={"shareable": True})
    assert _page(anonymous, kept["url"]).status_code == 200
    transition(marketer, asset["id"], "archive")
    assert _page(anonymous, kept["url"]).status_code == 410
    assert anonymous.client.get("/s/not-a-token").status_code == 404


def test_who_sees_which_links(client: Any, marketer: Actor, rep: Actor) -> None:
    other = new_actor(client, "rep")
    asset = publish(marketer, title="eBook: Claims", kind="ebook", body="Words.")
    mine = share(rep, asset["id"], opportunity_id="D-1")
    theirs = share(other, asset["id"], opportunity_id="D-1")
    listed = rep.get("/v1/share-links", params={"opportunity_id": "D-1"}).json()
    assert [i["id"] for i in listed["items"]] == [mine["id"]] and listed["total"] == 1
    assert rep.get(f"/v1/share-links/{theirs['id']}").status_code == 404
    assert rep.post(f"/v1/share-links/{theirs['id']}/revoke").status_code == 404
    everyone = marketer.get("/v1/share-links", params={"asset_id": asset["id"]}).json()
    assert {i["id"] for i in everyone["items"]} == {mine["id"], theirs["id"]}
    assert marketer.get("/v1/share-links", params={"opportunity_id": "D-2"}).json()["total"] == 0


def test_engagement_counts_people_and_filters_bots(
    app: FastAPI, marketer: Actor, rep: Actor, anonymous: Actor
) -> None:
    asset = publish_pdf(marketer, title="Northwind claims")
    link = share(rep, asset["id"], allow_download=True, opportunity_id="D-7")
    base = path_of(link["url"])
    http = anonymous.client
    # Too fast: fetched right after creation (the rep's own chat unfurling it).
    assert _page(anonymous, link["url"]).status_code == 200
    later(app)
    assert http.head(base, headers=BROWSER).status_code == 200
    assert http.get(base, headers={"User-Agent": "Slackbot-LinkExpanding 1.0"}).status_code == 200
    assert http.get(base, headers={**BROWSER, "Sec-Purpose": "prefetch"}).status_code == 200
    page = _page(anonymous, link["url"])
    visit = page.text.split('data-visit="', 1)[1].split('"', 1)[0]
    assert visit
    assert "/download?v=" in page.text
    beacon = http.post(
        base + "/beacon",
        content=f'{{"v": "{visit}", "visible_ms": 3000, "interacted": true, "pages": [1, 2]}}',
        headers={**BROWSER, "Content-Type": "text/plain"},
    )
    assert beacon.status_code == 204, beacon.text
    download = http.get(base + f"/download?v={visit}", headers=BROWSER)
    assert download.status_code == 200 and download.content.startswith(b"%PDF")

    shown = rep.get("/v1/share-links", params={"opportunity_id": "D-7"}).json()["items"][0]
    engagement = shown["engagement"]
    assert engagement["opens"] == 1
    assert engagement["pages_viewed"] == [1, 2]
    assert engagement["downloads"] == 1
    assert engagement["bots_filtered"] == 4  # too fast, HEAD, Slackbot, prefetch
    assert engagement["seconds_on_page"] >= 2
    report = marketer.get("/v1/reports/asset-performance").json()["items"]
    row = next(r for r in report if r["asset_id"] == asset["id"])
    assert row["buyer_opens"] == 1 and row["buyer_downloads"] == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 422),
        (b"[1, 2]", 422),
        (b'{"v": 5}', 422),
        (b'{"v": "x", "visible_ms": -4}', 422),
        (b'{"v": "' + b"x" * 2000 + b'"}', 413),
        (b'{"v": "no-such-visit", "visible_ms": 100}', 204),
    ],
)
def test_the_beacon_answers_garbage_with_problems(
    app: FastAPI, marketer: Actor, rep: Actor, anonymous: Actor, body: bytes, status: int
) -> None:
    asset = publish(marketer, title="One-pager", kind="one_pager", body="Words.")
    link = share(rep, asset["id"])
    response = anonymous.client.post(path_of(link["url"]) + "/beacon", content=body)
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"]


def test_clients_cannot_record_buyer_events(marketer: Actor, rep: Actor) -> None:
    asset = publish(marketer, title="Deck", kind="presentation", body="Words.")
    response = rep.post("/v1/events", json={"asset_id": asset["id"], "type": "buyer_open"})
    assert response.status_code == 422
    assert "server" in response.json()["detail"]


def test_the_access_log_never_holds_a_token(
    app: FastAPI, marketer: Actor, rep: Actor, anonymous: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    asset = publish(marketer, title="Customer story: Initech", kind="case_study", body="Words.")
    link = share(rep, asset["id"])
    token = link["url"].rsplit("/", 1)[1]
    later(app)
    with caplog.at_level(logging.INFO, logger="baton.access"):
        assert _page(anonymous, link["url"]).status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "baton.access"]
    assert any(line.startswith("GET /s/* 200") for line in lines)
    assert all(token not in line for line in lines)
