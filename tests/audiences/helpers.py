"""Building audiences through the API, as an admin would."""

from __future__ import annotations

from typing import Any

from tests.conftest import Actor


def audience(admin: Actor, slug: str, kind: str = "region", **extra: Any) -> dict[str, Any]:
    body = {"slug": slug, "name": slug.upper(), "kind": kind, **extra}
    response = admin.post("/v1/audiences", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def join(admin: Actor, slug: str, person: Actor) -> None:
    response = admin.put(f"/v1/audiences/{slug}/members/{person.id}")
    assert response.status_code == 204, response.text


def leave(admin: Actor, slug: str, person: Actor) -> None:
    response = admin.delete(f"/v1/audiences/{slug}/members/{person.id}")
    assert response.status_code == 204, response.text
