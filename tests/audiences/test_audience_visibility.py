"""For a rep outside an asset's audiences the asset does not exist: 404 on it and on
everything hanging off it, and no trace in derived data (hits, totals, facet counts,
corrections, highlights, suggestions, question answers, collections, links, the
taxonomy). A rep inside sees it, marketers see everything, and membership changes apply
at once."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.audiences.helpers import audience, join, leave
from tests.catalogue import publish
from tests.conftest import Actor, new_actor

# Words only the partner-only asset holds (and a facet value only it carries).
SECRET_WORDS = ("reseller", "discount", "wholesale", "acmeparts", "kickback")


def _catalogue(admin: Actor, marketer: Actor) -> dict[str, str]:
    """One asset for everyone and one for the Acme partner audience, both about pricing."""
    audience(admin, "acme", kind="partner")
    audience(admin, "emea")
    open_ = publish(
        marketer,
        title="Pricing overview",
        body="Our list pricing for every customer.",
        industries=["utilities"],
        stages=["consideration"],
    )
    secret = publish(
        marketer,
        title="Reseller discount pricing",
        summary="Wholesale pricing for Acmeparts resellers.",
        body="Reseller discount tiers and wholesale pricing, no kickback.",
        industries=["wholesale-distribution"],
        stages=["consideration"],
        tags=["acmeparts"],
        audiences=["acme"],
    )
    return {"open": open_["id"], "secret": secret["id"]}


def _found(actor: Actor, query: str) -> set[str]:
    result = actor.get("/v1/search", params={"q": query}).json()
    return {hit["asset"]["id"] for hit in result["hits"]}


def _assert_no_secret(payload: Any) -> None:
    text = json.dumps(payload).lower()
    for word in SECRET_WORDS:
        assert word not in text, f"{word!r} leaked: {text[:500]}"


def test_a_rep_outside_the_audience_gets_404_everywhere_the_asset_is_named(
    client: TestClient, admin: Actor, marketer: Actor, rep: Actor
) -> None:
    ids = _catalogue(admin, marketer)
    secret = ids["secret"]
    for path in (
        f"/v1/assets/{secret}",
        f"/v1/assets/{secret}/file",
        f"/v1/assets/{secret}/links",
        f"/v1/assets/{secret}/versions/1",
    ):
        response = rep.get(path)
        assert response.status_code == 404, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        _assert_no_secret(response.json())
    # A draft's 404 and this one read the same: nothing tells them apart.
    assert rep.get(f"/v1/assets/{secret}").json()["detail"] == f"no asset with id {secret}"
    for body in ({"asset_id": secret, "type": "copy"}, {"asset_id": secret, "type": "helpful"}):
        event = rep.post("/v1/events", json=body)
        assert event.status_code == 404, event.text
    verify = rep.post(f"/v1/assets/{secret}/verify")
    assert verify.status_code == 404, verify.text
    listed = rep.get("/v1/assets").json()
    assert [a["id"] for a in listed["items"]] == [ids["open"]]
    assert listed["total"] == 1
    # Marketers see everything.
    assert marketer.get(f"/v1/assets/{secret}").status_code == 200
    assert marketer.get("/v1/assets").json()["total"] == 2


def test_search_hits_counts_facets_and_corrections_hold_only_the_reps_audiences(
    client: TestClient, admin: Actor, marketer: Actor, rep: Actor
) -> None:
    ids = _catalogue(admin, marketer)
    for query in ("pricing", "", "reseller", "wholesale pricing", "discount"):
        result = rep.get("/v1/search", params={"q": query}).json()
        assert {h["asset"]["id"] for h in result["hits"]} <= {ids["open"]}, query
        assert result["total"] == len(result["hits"])
        _assert_no_secret({k: result[k] for k in ("hits", "facets", "corrected_query")})
    # A typo of a word only the hidden asset holds is never corrected to it.
    typo = rep.get("/v1/search", params={"q": "reseler"}).json()
    assert typo["corrected_query"] is None or "reseller" not in typo["corrected_query"]
    only_hidden = rep.get("/v1/search", params={"industry": "wholesale-distribution"}).json()
    assert only_hidden["total"] == 0 and only_hidden["facets"]["industries"] == {}
    # A rep of the audience finds it, highlights and all; so does a marketer.
    insider = new_actor(client, "rep")
    join(admin, "acme", insider)
    found = insider.get("/v1/search", params={"q": "reseller"}).json()
    assert found["hits"][0]["asset"]["id"] == ids["secret"]
    assert "<mark>" in json.dumps(found["hits"][0]["highlights"])
    assert found["facets"]["industries"].get("wholesale-distribution") == 1
    assert ids["secret"] in _found(insider, "reseler")
    assert ids["secret"] in _found(marketer, "reseller")


def test_membership_changes_apply_at_once(
    client: TestClient, admin: Actor, marketer: Actor, rep: Actor
) -> None:
    ids = _catalogue(admin, marketer)
    secret = ids["secret"]
    assert rep.get(f"/v1/assets/{secret}").status_code == 404
    join(admin, "acme", rep)
    seen = rep.get(f"/v1/assets/{secret}")
    assert seen.status_code == 200
    # A rep is not told which audiences it is for; a marketer is.
    assert seen.json()["audiences"] is None
    assert marketer.get(f"/v1/assets/{secret}").json()["audiences"] == ["acme"]
    hits = rep.get("/v1/search", params={"q": "reseller"}).json()["hits"]
    assert all(hit["asset"]["audiences"] is None for hit in hits)
    assert secret in _found(rep, "reseller")
    leave(admin, "acme", rep)
    assert rep.get(f"/v1/assets/{secret}").status_code == 404
    assert secret not in _found(rep, "reseller")
    # Being in another audience does not help; being in any of the asset's does.
    join(admin, "emea", rep)
    assert rep.get(f"/v1/assets/{secret}").status_code == 404
    marketer.patch(f"/v1/assets/{secret}", json={"audiences": ["acme", "emea"]})
    assert rep.get(f"/v1/assets/{secret}").status_code == 200
    assert secret in _found(rep, "reseller")
    # Restricting it again hides it from search at once too (the index was re-written).
    marketer.patch(f"/v1/assets/{secret}", json={"audiences": ["acme"]})
    assert secret not in _found(rep, "reseller")
    # Made for everyone: every rep sees it.
    marketer.patch(f"/v1/assets/{secret}", json={"audiences": []})
    assert new_actor(client, "rep").get(f"/v1/assets/{secret}").status_code == 200


def test_suggestions_questions_collections_links_and_taxonomy_hold_only_what_the_rep_may_see(
    client: TestClient, admin: Actor, marketer: Actor, rep: Actor
) -> None:
    ids = _catalogue(admin, marketer)
    asked = "Do partners get better terms on large orders?"
    question = rep.post("/v1/questions", json={"text": asked}).json()
    for asset_id in ids.values():
        patched = marketer.patch(f"/v1/assets/{asset_id}", json={"question_ids": [question["id"]]})
        assert patched.status_code == 200, patched.text
    kit = marketer.post(
        "/v1/collections", json={"name": "Partner kit", "asset_ids": [ids["secret"]]}
    ).json()
    both = marketer.post(
        "/v1/collections", json={"name": "Pricing kit", "asset_ids": list(ids.values())}
    ).json()
    link = marketer.post(
        f"/v1/assets/{ids['open']}/links", json={"target_id": ids["secret"], "type": "follow_up"}
    )
    assert link.status_code == 201, link.text

    # Questions: only the answer the rep may see.
    shown = rep.get(f"/v1/questions/{question['id']}").json()
    assert shown["assets"] == [ids["open"]]
    # Suggestions: neither the asset nor its words.
    deal = {
        "industry": "wholesale-distribution",
        "stage": "consideration",
        "text": "Reseller wants a wholesale discount on pricing.",
        "questions": [asked],
    }
    body = rep.post("/v1/suggestions", json=deal).json()
    assert ids["secret"] not in {s["asset"]["id"] for s in body["suggestions"]}
    _assert_no_secret(body["suggestions"])
    for matched in body["questions"]:
        assert ids["secret"] not in matched["assets"]
    # Collections: the members hidden; one with no member the rep may see is 404.
    assert rep.get(f"/v1/collections/{kit['id']}").status_code == 404
    members = rep.get(f"/v1/collections/{both['id']}").json()["assets"]
    assert [a["id"] for a in members] == [ids["open"]]
    assert {c["id"] for c in rep.get("/v1/collections").json()["items"]} == {both["id"]}
    # Links: the hidden end is left out, in GET …/links and in the asset itself.
    assert rep.get(f"/v1/assets/{ids['open']}/links").json()["links"] == []
    assert rep.get(f"/v1/assets/{ids['open']}").json()["links"] == []
    # Taxonomy: the industry only the hidden asset is tagged with is not shown.
    industries = {t["slug"] for t in rep.get("/v1/taxonomy").json()["industries"]}
    assert "wholesale-distribution" not in industries

    # A rep of the audience sees all of it.
    insider = new_actor(client, "rep")
    join(admin, "acme", insider)
    assert set(insider.get(f"/v1/questions/{question['id']}").json()["assets"]) == set(ids.values())
    assert insider.get(f"/v1/collections/{kit['id']}").status_code == 200
    assert len(insider.get(f"/v1/assets/{ids['open']}/links").json()["links"]) == 1
    assert len(insider.get(f"/v1/assets/{ids['open']}").json()["links"]) == 1
    industries = {t["slug"] for t in insider.get("/v1/taxonomy").json()["industries"]}
    assert "wholesale-distribution" in industries
    suggested = insider.post("/v1/suggestions", json=deal).json()
    assert ids["secret"] in {s["asset"]["id"] for s in suggested["suggestions"]}


def test_a_restricted_assets_title_does_not_make_a_linked_asset_findable(
    admin: Actor, marketer: Actor, rep: Actor
) -> None:
    ids = _catalogue(admin, marketer)
    marketer.post(
        f"/v1/assets/{ids['open']}/links", json={"target_id": ids["secret"], "type": "follow_up"}
    )
    # The open asset's search document does not carry the partner asset's title: a word
    # only that title holds finds nothing for a rep outside the audience.
    result = rep.get("/v1/search", params={"q": "reseller discount"}).json()
    assert result["match"] in ("none", "semantic"), result


def test_bulk_edit_adds_and_removes_audiences(admin: Actor, marketer: Actor, rep: Actor) -> None:
    ids = _catalogue(admin, marketer)
    added = marketer.post(
        "/v1/assets/bulk",
        json={"ids": [ids["open"]], "change": {"add_audiences": ["emea"]}},
    )
    assert added.status_code == 200, added.text
    assert marketer.get(f"/v1/assets/{ids['open']}").json()["audiences"] == ["emea"]
    assert rep.get(f"/v1/assets/{ids['open']}").status_code == 404
    unknown = marketer.post(
        "/v1/assets/bulk",
        json={"ids": [ids["open"]], "change": {"add_audiences": ["mars"]}},
    )
    assert unknown.status_code == 422, unknown.text
    assert "mars" in json.dumps(unknown.json())
    removed = marketer.post(
        "/v1/assets/bulk",
        json={"ids": list(ids.values()), "change": {"remove_audiences": ["emea", "acme"]}},
    )
    assert removed.status_code == 200, removed.text
    assert rep.get(f"/v1/assets/{ids['secret']}").status_code == 200


def test_an_uploaded_file_restricted_by_its_metadata_is_served_to_its_audience_only(
    client: TestClient, admin: Actor, marketer: Actor, rep: Actor
) -> None:
    audience(admin, "acme", kind="partner")
    uploaded = marketer.post(
        "/v1/assets/upload",
        files={"file": ("partner-prices.txt", b"Reseller price list for partners.\n")},
        data={"metadata": json.dumps({"kind": "one_pager", "audiences": ["acme"]})},
    )
    assert uploaded.status_code == 201, uploaded.text
    asset_id = uploaded.json()["id"]
    assert uploaded.json()["audiences"] == ["acme"]
    for action in ("submit", "approve"):
        assert marketer.post(f"/v1/assets/{asset_id}/{action}").status_code == 200
    assert rep.get(f"/v1/assets/{asset_id}/file").status_code == 404
    insider = new_actor(client, "rep")
    join(admin, "acme", insider)
    served = insider.get(f"/v1/assets/{asset_id}/file")
    assert served.status_code == 200
    assert served.content == b"Reseller price list for partners.\n"
    bad = marketer.post(
        "/v1/assets/upload",
        files={"file": ("other.txt", b"Something else entirely.\n")},
        data={"metadata": json.dumps({"kind": "one_pager", "audiences": ["nowhere"]})},
    )
    assert bad.status_code == 422, bad.text
    assert "nowhere" in bad.json()["detail"]


def test_a_replacement_never_names_an_asset_restricted_from_the_rep(
    admin: Actor, marketer: Actor, rep: Actor
) -> None:
    """`replaced_by` is for pieces the rep once could use; one restricted to an audience the
    rep is not in answers the plain 404 an unknown id does."""
    audience(admin, "partners", kind="partner")
    old = publish(marketer, title="Direct price sheet", kind="one_pager", audiences=["partners"])
    new = publish(marketer, title="Direct price sheet 2026", kind="one_pager")
    made = marketer.post(
        f"/v1/assets/{new['id']}/links", json={"type": "replaces", "target_id": old["id"]}
    )
    assert made.status_code == 201, made.text
    restricted = rep.get(f"/v1/assets/{old['id']}")
    unknown = rep.get("/v1/assets/000000000000000000000000")
    assert restricted.status_code == unknown.status_code == 404
    assert "replaced_by" not in restricted.json()
    assert new["id"] not in restricted.text
