"""Times at the edge of the calendar are a 422 or handled, never a 500."""

from __future__ import annotations

import pytest

from tests.api.test_conventions import assert_problem
from tests.conftest import Actor

BEYOND_UTC = ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"]


@pytest.mark.parametrize("moment", BEYOND_UTC)
def test_a_time_that_leaves_the_calendar_in_utc_is_422(marketer: Actor, moment: str) -> None:
    created = marketer.post(
        "/v1/assets", json={"title": "Port crane audit", "kind": "one_pager", "expires_at": moment}
    )
    problem = assert_problem(created, 422)
    assert "outside the years 1 to 9999" in problem["detail"]  # type: ignore[operator]
    report = marketer.get("/v1/reports/content-gaps", params={"since": moment})
    assert_problem(report, 422)


def test_the_gaps_report_until_the_first_day_there_is(marketer: Actor) -> None:
    response = marketer.get("/v1/reports/content-gaps", params={"until": "0001-01-01"})
    assert response.status_code == 200, response.text
