"""A rep's share link publishes only what the rep may see (both databases): once its
asset is restricted to audiences the rep is not in, the link stops (410) and the rep no
longer sees its title or the buyer's engagement; a marketer's link goes on."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from tests.audiences.helpers import audience, join
from tests.catalogue import publish
from tests.conftest import Actor
from tests.sharing.helpers import BROWSER_UA, later, path_of, share

BROWSER = {"User-Agent": BROWSER_UA}


def _page(actor: Actor, link: dict[str, Any]) -> Any:
    return actor.client.get(path_of(link["url"]), headers=BROWSER)


def test_a_reps_link_stops_when_the_asset_leaves_the_reps_audiences(
    app: FastAPI, admin: Actor, marketer: Actor, rep: Actor, anonymous: Actor
) -> None:
    audience(admin, "emea")
    asset = publish(marketer, title="Customer story: Globex", kind="case_study", body="Words.")
    reps_link = share(rep, asset["id"])
    marketers_link = share(marketer, asset["id"])
    later(app)
    assert _page(anonymous, reps_link).status_code == 200
    assert anonymous.client.head(path_of(reps_link["url"])).status_code == 200  # a bot
    before = rep.get(f"/v1/share-links/{reps_link['id']}").json()
    assert before["asset_title"] == "Customer story: Globex"
    assert before["engagement"]["bots_filtered"] == 1 and before["active"] is True

    restricted = marketer.patch(f"/v1/assets/{asset['id']}", json={"audiences": ["emea"]})
    assert restricted.status_code == 200, restricted.text

    gone = _page(anonymous, reps_link)
    assert gone.status_code == 410 and "no longer available" in gone.text
    for suffix in ("/seen.gif", "/download"):
        assert anonymous.client.get(path_of(reps_link["url"]) + suffix).status_code == 410
    assert _page(anonymous, marketers_link).status_code == 200

    shown = rep.get(f"/v1/share-links/{reps_link['id']}").json()
    assert shown["active"] is False
    assert shown["asset_title"] == ""
    assert shown["engagement"]["bots_filtered"] == 0 and shown["engagement"]["opens"] == 0
    listed = rep.get("/v1/share-links").json()["items"]
    assert [i["asset_title"] for i in listed] == [""]
    # The asset's owners still see it all, and that the link has stopped.
    owners = marketer.get(f"/v1/share-links/{reps_link['id']}").json()
    assert owners["asset_title"] == "Customer story: Globex"
    assert owners["engagement"]["bots_filtered"] == 1 and owners["active"] is False

    # The rep joins the audience: the link opens again.
    join(admin, "emea", rep)
    assert _page(anonymous, reps_link).status_code == 200
    assert rep.get(f"/v1/share-links/{reps_link['id']}").json()["asset_title"] != ""
