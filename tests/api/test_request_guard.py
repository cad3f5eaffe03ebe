"""NUL characters in URLs are answered as client errors on every database, never a 500."""

from __future__ import annotations

import pytest

from tests.catalogue import publish
from tests.conftest import Actor


@pytest.mark.parametrize(
    "path",
    ["/v1/assets/abc%00def", "/v1/questions/abc%00def", "/v1/assets/abc%00def/versions"],
)
def test_nul_in_the_path_is_404(marketer: Actor, path: str) -> None:
    response = marketer.get(path)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "path", ["/v1/assets?tag=a%00b", "/v1/assets?industry=a%00b", "/v1/questions?stage=%00"]
)
def test_nul_in_the_query_is_removed(marketer: Actor, path: str) -> None:
    publish(marketer, tags=["ab"], industries=["ab"])
    response = marketer.get(path)
    assert response.status_code == 200, response.text
    # `a%00b` is read as `ab`, the way NUL is dropped from request bodies.
    expected = 0 if "questions" in path else 1
    assert response.json()["total"] == expected


def test_nul_in_a_patch_path_is_404(marketer: Actor) -> None:
    response = marketer.patch("/v1/assets/abc%00def", json={"title": "x"})
    assert response.status_code == 404, response.text
