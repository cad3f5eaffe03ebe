"""Approved versions by number: numbers outside what is stored are refused (422), and
diffs of very large parts are not run."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from api.assets.models import AssetVersion
from api.revisions.service import DIFF_MAX_LINES
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


def _snapshot(app: Any, aid: str, number: int, **changes: Any) -> None:
    """Version `number` as a copy of version 1 with the given changes (large texts are
    written as snapshots directly: indexing them is not what is tested here)."""
    with Session(app.state.engine) as session:
        first = session.get(AssetVersion, (aid, 1))
        assert first is not None
        values = {**first.model_dump(), "version": number, **changes}
        session.add(AssetVersion(**values))
        session.commit()


def test_a_part_too_large_to_diff_is_marked_and_the_others_are_diffed(
    marketer: Actor, app: Any
) -> None:
    aid = publish(marketer, title="Manual", summary="S", body="Short.")["id"]
    many_lines = "\n".join(f"step {i}" for i in range(DIFF_MAX_LINES + 1))
    _snapshot(app, aid, 2, title="Manual v2", body=many_lines)
    diff = marketer.get(f"/v1/assets/{aid}/versions/2/diff").json()
    changes = {c["field"]: c for c in diff["changes"]}
    assert set(changes) == {"title", "body"}
    assert changes["body"]["too_large"] is True
    assert changes["body"]["diff"] == ""
    assert changes["title"]["too_large"] is False
    assert "+Manual v2" in changes["title"]["diff"]

    # Few lines but too many characters: as large (either side counts).
    long_lines = "\n".join(["x" * 600_000, "y" * 600_000])
    _snapshot(app, aid, 3, body=long_lines)
    diff = marketer.get(f"/v1/assets/{aid}/versions/3/diff", params={"against": 1}).json()
    assert [(c["field"], c["too_large"], c["diff"]) for c in diff["changes"]] == [
        ("body", True, "")
    ]
    diff = marketer.get(f"/v1/assets/{aid}/versions/1/diff", params={"against": 3}).json()
    assert [(c["field"], c["too_large"]) for c in diff["changes"]] == [("body", True)]


def test_a_part_just_under_the_limits_is_diffed(marketer: Actor, app: Any) -> None:
    aid = publish(marketer, title="Manual", summary="S", body="step 0")["id"]
    lines = "\n".join(f"step {i}" for i in range(DIFF_MAX_LINES))
    _snapshot(app, aid, 2, body=lines)
    diff = marketer.get(f"/v1/assets/{aid}/versions/2/diff").json()
    (body,) = diff["changes"]
    assert (body["field"], body["too_large"]) == ("body", False)
    assert f"+step {DIFF_MAX_LINES - 1}" in body["diff"]
