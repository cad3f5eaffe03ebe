"""Approved versions by number: numbers outside what is stored are refused (422), and
diffs of very large parts are not run."""

from __future__ import annotations

import pytest

from tests.api.test_conventions import assert_problem
from tests.catalogue import publish
from tests.conftest import Actor

OUT_OF_RANGE = [0, -1, 2**31, 2**63, 2**70]


@pytest.mark.parametrize("number", OUT_OF_RANGE)
def test_a_version_number_out_of_range_is_a_422_on_every_version_route(
    marketer: Actor, number: int
) -> None:
    aid = publish(marketer, title="Rotas", summary="S", body="Night shifts rotate weekly.")["id"]
    for response in (
        marketer.get(f"/v1/assets/{aid}/versions/{number}"),
        marketer.get(f"/v1/assets/{aid}/versions/{number}/diff"),
        marketer.get(f"/v1/assets/{aid}/versions/1/diff", params={"against": number}),
        marketer.post(f"/v1/assets/{aid}/versions/{number}/restore"),
    ):
        assert_problem(response, 422)
    assert marketer.get(f"/v1/assets/{aid}").json()["pending_revision"] is None


def test_the_largest_version_number_is_a_plain_404(marketer: Actor) -> None:
    aid = publish(marketer, title="Rotas", summary="S", body="Night shifts rotate weekly.")["id"]
    largest = 2**31 - 1
    assert_problem(marketer.get(f"/v1/assets/{aid}/versions/{largest}"), 404)
    assert_problem(
        marketer.get(f"/v1/assets/{aid}/versions/1/diff", params={"against": largest}), 404
    )
    assert_problem(marketer.post(f"/v1/assets/{aid}/versions/{largest}/restore"), 404)
