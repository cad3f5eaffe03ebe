"""A collection made (or its members changed) while one of its member assets is deleted,
over real HTTP on one catalogue: the collection either holds the asset until the delete
removes it from every collection, or is refused with the 422 naming the asset; never a 500."""

from __future__ import annotations

from functools import partial

import httpx
import pytest

from tests.api.test_races import _client, server  # noqa: F401 (fixture)
from tests.catalogue import create
from tests.conftest import Actor
from tests.live import at_once

ROUNDS = 12
pytestmark = pytest.mark.slow


def _deleted(http: httpx.Client, asset_id: str) -> httpx.Response:
    return http.delete(f"/v1/assets/{asset_id}")


def test_a_member_deleted_while_its_collection_is_made_is_a_422_or_a_member(
    server: str,  # noqa: F811
    marketer: Actor,
    admin: Actor,
) -> None:
    with _client(server, marketer) as making, _client(server, admin) as deleting:
        for round_ in range(ROUNDS):
            keep = create(marketer, title=f"Staffing deck {round_}")["id"]
            victim = create(marketer, title=f"Rota sheet {round_}")["id"]
            made = partial(making.post, "/v1/collections")
            answers = at_once(
                [
                    partial(made, json={"name": f"Kit A{round_}", "asset_ids": [keep, victim]}),
                    partial(made, json={"name": f"Kit B{round_}", "asset_ids": [keep, victim]}),
                    partial(_deleted, deleting, victim),
                ]
            )
            assert answers[2].status_code == 204, answers[2].text
            for answer in answers[:2]:
                assert answer.status_code in {201, 422}, answer.text
                if answer.status_code == 422:
                    problem = answer.json()
                    assert f"no asset with id {victim}" in problem["detail"], problem
                    assert problem["errors"][0]["loc"] == ["body", "asset_ids", 1], problem
                else:
                    # Made before the delete: the delete then took the asset out of it.
                    kit = making.get(f"/v1/collections/{answer.json()['id']}").json()
                    assert [m["id"] for m in kit["assets"]] == [keep], kit


def test_a_member_deleted_while_the_members_change_is_a_422_or_a_member(
    server: str,  # noqa: F811
    marketer: Actor,
    admin: Actor,
) -> None:
    with _client(server, marketer) as changing, _client(server, admin) as deleting:
        for round_ in range(ROUNDS):
            keep = create(marketer, title=f"Shift guide {round_}")["id"]
            victim = create(marketer, title=f"Overtime sheet {round_}")["id"]
            kit = changing.post(
                "/v1/collections", json={"name": f"Kit {round_}", "asset_ids": [keep]}
            )
            assert kit.status_code == 201, kit.text
            path = f"/v1/collections/{kit.json()['id']}"
            answers = at_once(
                [
                    partial(changing.patch, path, json={"asset_ids": [keep, victim]}),
                    partial(_deleted, deleting, victim),
                ]
            )
            assert answers[1].status_code == 204, answers[1].text
            assert answers[0].status_code in {200, 409, 412, 422}, answers[0].text
            members = [m["id"] for m in changing.get(path).json()["assets"]]
            assert members == [keep]
