"""Clients at once against a real server: a lost race is a 409, never a 500, never a
silent overwrite, never words nobody reviewed going live."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.main import create_app
from api.settings import Settings
from tests.catalogue import create, transition
from tests.conftest import Actor
from tests.live import at_once, serving

ROUNDS = 8


@pytest.fixture
def server(settings: Settings, client: Any) -> Iterator[str]:
    """A second app on the same catalogue, served over real HTTP with its own threads."""
    with serving(create_app(settings)) as port:
        yield f"http://127.0.0.1:{port}"


def _client(server: str, actor: Actor) -> httpx.Client:
    return httpx.Client(
        base_url=server, headers={"Authorization": f"Bearer {actor.key}"}, timeout=30
    )


def test_concurrent_approvals_approve_once(server: str, marketer: Actor) -> None:
    with _client(server, marketer) as http:
        for round_ in range(ROUNDS):
            asset = create(marketer, title=f"Tank farm inspections {round_}")
            transition(marketer, asset["id"], "submit")
            path = f"/v1/assets/{asset['id']}/approve"
            answers = at_once([lambda p=path: http.post(p) for _ in range(4)])
            codes = sorted(a.status_code for a in answers)
            assert codes == [200, 409, 409, 409], [a.text for a in answers]
            versions = marketer.get(f"/v1/assets/{asset['id']}/versions").json()
            assert versions["total"] == 1


def test_an_approval_and_an_edit_at_once_never_publish_unreviewed_words(
    server: str, marketer: Actor
) -> None:
    with _client(server, marketer) as http:
        for round_ in range(ROUNDS):
            asset = create(marketer, title=f"Boiler safety {round_}", body="Reviewed words")
            transition(marketer, asset["id"], "submit")
            path = f"/v1/assets/{asset['id']}"
            answers = at_once(
                [
                    lambda p=path: http.post(f"{p}/approve"),
                    lambda p=path: http.patch(p, json={"body": "Words nobody reviewed"}),
                ]
            )
            codes = [a.status_code for a in answers]
            assert all(c in {200, 202, 409} for c in codes), [a.text for a in answers]
            assert sum(c in {200, 202} for c in codes) >= 1
            final = marketer.get(path).json()
            if final["status"] == "approved":
                # An edit after the approval waits in a revision (202).
                assert final["body"] == "Reviewed words"
                assert (final["pending_revision"] is not None) == (codes[1] == 202)
            else:
                assert final["status"] == "draft"


def test_identical_uploads_at_once_store_one_asset(server: str, marketer: Actor) -> None:
    with _client(server, marketer) as http:
        for round_ in range(ROUNDS):
            data = f"Forklift daily checks, round {round_}.".encode()
            answers = at_once(
                [
                    lambda d=data: http.post("/v1/assets/upload", files={"file": ("checks.txt", d)})
                    for _ in range(4)
                ]
            )
            codes = sorted(a.status_code for a in answers)
            assert codes == [201, 409, 409, 409], [a.text for a in answers]
            created = next(a for a in answers if a.status_code == 201).json()["id"]
            assert all(a.json()["asset_id"] == created for a in answers if a.status_code == 409)
