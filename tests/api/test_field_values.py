"""Values JSON cannot hold, or a database would refuse, are a 422 on both databases."""

from __future__ import annotations

import pytest

from tests.api.test_conventions import assert_problem
from tests.conftest import Actor


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_field_that_is_not_a_finite_number_is_422(marketer: Actor, number: str) -> None:
    body = '{"title": "Fuel burn report", "kind": "one_pager", "fields": {"roi": ' + number + "}}"
    response = marketer.post(
        "/v1/assets", content=body, headers={"Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422)
    assert "finite number" in problem["detail"]  # type: ignore[operator]


def test_a_field_name_made_only_of_nul_is_422(marketer: Actor) -> None:
    response = marketer.post(
        "/v1/assets",
        json={"title": "Fuel burn report", "kind": "one_pager", "fields": {"\x00": "x"}},
    )
    assert_problem(response, 422)


def test_a_nul_in_a_question_id_names_no_question(marketer: Actor) -> None:
    response = marketer.post(
        "/v1/assets",
        json={"title": "Fuel burn report", "kind": "one_pager", "question_ids": ["ab\x00cd"]},
    )
    problem = assert_problem(response, 422)
    assert "no question with id abcd" in problem["detail"]  # type: ignore[operator]
