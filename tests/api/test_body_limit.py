"""Bodies are size-limited while they are read, before they are parsed or the key checked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_conventions import assert_problem
from tests.conftest import Actor

# SQLite only (`one_database`): bodies are refused while read, before any service runs.
pytestmark = pytest.mark.one_database

MB = 1024 * 1024


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_body_mb": 1}


def _title_of(size: int) -> bytes:
    return json.dumps({"title": "x" * size, "kind": "one_pager"}).encode()


def test_a_declared_body_over_the_limit_is_413_before_the_key_is_checked(
    client: TestClient,
) -> None:
    response = client.post(
        "/v1/assets",
        content=_title_of(2 * MB),
        headers={"Content-Type": "application/json"},  # and no key at all
    )
    problem = assert_problem(response, 413)
    assert problem["type"].endswith("/payload-too-large")  # type: ignore[union-attr]
    assert "BATON_MAX_BODY_MB" in problem["detail"]  # type: ignore[operator]
    assert problem["limit_bytes"] == MB


def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(marketer: Actor) -> None:
    def chunks() -> Iterator[bytes]:
        body = _title_of(2 * MB)
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = marketer.post(
        "/v1/suggestions", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413)


def test_a_body_within_the_limit_is_read(marketer: Actor) -> None:
    response = marketer.post(
        "/v1/assets", content=_title_of(100), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text


def test_uploads_keep_their_own_larger_limit(marketer: Actor) -> None:
    text = ("Forklift pre-use inspection checklist. " * 40_000).encode()  # about 1.5 MB
    assert len(text) > MB
    response = marketer.post("/v1/assets/upload", files={"file": ("checklist.txt", text)})
    assert response.status_code == 201, response.text


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_json_body_nested_too_deeply_is_422_before_it_is_parsed(marketer: Actor) -> None:
    for depth in (33, 100_000):  # 100,000 levels once ended in a RecursionError
        body = '{"title": "Deep", "kind": "one_pager", "fields": {"x": ' + _nested(depth) + "}}"
        response = marketer.post(
            "/v1/assets", content=body, headers={"Content-Type": "application/json"}
        )
        problem = assert_problem(response, 422)
        assert "32 levels" in problem["detail"]  # type: ignore[operator]
    # Nothing was created by the refused bodies.
    assert marketer.get("/v1/assets", params={"q": "Deep"}).json()["total"] == 0


def test_brackets_inside_text_and_ordinary_nesting_are_accepted(marketer: Actor) -> None:
    body = {
        "title": "[[[[ Brackets " + "{" * 200,
        "kind": "one_pager",
        "summary": "]]]} closing brackets in text do not count either",
        "fields": {"region": "[APAC] {EMEA}"},
    }
    response = marketer.post("/v1/assets", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["title"].startswith("[[[[ Brackets {{{")


def test_upload_metadata_nested_too_deeply_is_422(marketer: Actor) -> None:
    for depth in (33, 100_000):
        response = marketer.post(
            "/v1/assets/upload",
            files={"file": ("note.txt", b"Renewal talking points for hospitals.", "text/plain")},
            data={"metadata": '{"fields": {"x": ' + _nested(depth) + "}}"},
        )
        problem = assert_problem(response, 422)
        assert "metadata" in problem["detail"]  # type: ignore[operator]
        assert "32 levels" in problem["detail"]  # type: ignore[operator]
