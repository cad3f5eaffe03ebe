"""The asset-level `shareable` flag: the kind's default, settable on create, upload and
PATCH (a metadata edit that applies at once, even to an approved asset)."""

from __future__ import annotations

import json

import pytest

from api.assets.kinds import KINDS, Kind
from tests.catalogue import create, publish
from tests.conftest import Actor


def test_each_kind_has_its_default(marketer: Actor) -> None:
    for kind in (Kind.battlecard, Kind.white_paper, Kind.talking_point, Kind.case_study):
        asset = create(marketer, title=f"A {kind.value}", kind=kind.value)
        assert asset["shareable"] is KINDS[kind].shareable
    assert KINDS[Kind.battlecard].shareable is False
    assert KINDS[Kind.white_paper].shareable is True


@pytest.mark.parametrize("given", [True, False])
def test_create_sets_it(marketer: Actor, given: bool) -> None:
    asset = create(marketer, title="Pricing deck", kind="presentation", shareable=given)
    assert asset["shareable"] is given
    assert marketer.get(f"/v1/assets/{asset['id']}").json()["shareable"] is given


def test_upload_sets_it(marketer: Actor) -> None:
    files = {"file": ("notes.md", b"# Competitor notes\n\nWhere we win.", "text/markdown")}
    data = {"metadata": json.dumps({"kind": "case_study", "shareable": False})}
    response = marketer.post("/v1/assets/upload", files=files, data=data)
    assert response.status_code == 201, response.text
    assert response.json()["shareable"] is False


def test_patch_applies_at_once_to_an_approved_asset(marketer: Actor, rep: Actor) -> None:
    asset = publish(marketer, title="Customer story: Acme", kind="case_study")
    assert asset["shareable"] is True
    response = marketer.patch(f"/v1/assets/{asset['id']}", json={"shareable": False})
    assert response.status_code == 200, response.text  # no revision: metadata
    assert response.json()["shareable"] is False
    assert response.json()["pending_revision"] is None
    assert rep.get(f"/v1/assets/{asset['id']}").json()["shareable"] is False
    # null: back to the kind's default
    response = marketer.patch(f"/v1/assets/{asset['id']}", json={"shareable": None})
    assert response.json()["shareable"] is True
    log = marketer.get("/v1/audit", params={"subject_id": asset["id"]})
    if log.status_code == 200:
        changes = [e for e in log.json()["items"] if e["action"] == "asset.updated"]
        assert any((e.get("after") or {}).get("shareable") is False for e in changes)


def test_reps_cannot_change_it(marketer: Actor, rep: Actor) -> None:
    asset = publish(marketer, title="Battlecard: Rival", kind="battlecard")
    response = rep.patch(f"/v1/assets/{asset['id']}", json={"shareable": True})
    assert response.status_code == 403
