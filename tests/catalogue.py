"""Building catalogue content through the API, as a marketer would."""

from __future__ import annotations

from typing import Any

from tests.conftest import Actor


def create(marketer: Actor, **fields: Any) -> dict[str, Any]:
    """A new draft asset."""
    body: dict[str, Any] = {"title": "Untitled", "kind": "one_pager"}
    body.update(fields)
    response = marketer.post("/v1/assets", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def transition(marketer: Actor, asset_id: str, action: str, **body: Any) -> dict[str, Any]:
    response = marketer.post(f"/v1/assets/{asset_id}/{action}", json=body or None)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return dict(data["asset"]) if action == "submit" else data


def publish(marketer: Actor, **fields: Any) -> dict[str, Any]:
    """A new asset taken through review to approved: what reps can see."""
    asset = create(marketer, **fields)
    transition(marketer, asset["id"], "submit")
    return transition(marketer, asset["id"], "approve")


def revise(marketer: Actor, asset_id: str, **changes: Any) -> dict[str, Any]:
    """A live asset's content changed through its revision, submitted and approved: the
    asset as it then is."""
    patched = marketer.patch(f"/v1/assets/{asset_id}", json=changes)
    assert patched.status_code == 202, patched.text
    rid = patched.json()["pending_revision"]["id"]
    for action in ("submit", "approve"):
        response = marketer.post(f"/v1/assets/{asset_id}/revisions/{rid}/{action}")
        assert response.status_code == 200, response.text
    response = marketer.get(f"/v1/assets/{asset_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def settled(actor: Actor) -> None:
    """Wait for the vectors of everything written so far through `actor`'s app: the
    embedded index embeds after the commit, so a ranking that fuses meaning is only stable
    once they are in (Meilisearch's vectors are sent with the documents)."""
    backend = actor.client.app.state.search.backend  # type: ignore[attr-defined]
    settle = getattr(backend, "settle", None)
    if settle is not None:
        settle()
