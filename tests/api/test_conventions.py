"""API-wide conventions: problem+json everywhere, the list envelope, strict request bodies."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.catalogue import create
from tests.conftest import Actor

PROBLEM = "application/problem+json"


def assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_unknown_route_is_a_problem(marketer: Actor) -> None:
    body = assert_problem(marketer.get("/v1/no-such-thing"), 404)
    assert body["type"] == "/problems/not-found"


def test_unknown_route_outside_v1_is_a_problem(anonymous: Actor) -> None:
    assert_problem(anonymous.get("/nowhere"), 404)


def test_wrong_method_is_a_problem(marketer: Actor) -> None:
    body = assert_problem(marketer.request("PUT", "/v1/taxonomy"), 405)
    assert "not allowed" in str(body["detail"])


def test_malformed_json_is_400(marketer: Actor) -> None:
    response = marketer.post(
        "/v1/assets",
        content=b'{"title": "x", "kind": ',
        headers={"content-type": "application/json"},
    )
    body = assert_problem(response, 400)
    assert body["type"] == "/problems/malformed-json"


def test_unknown_field_is_rejected_with_its_location(marketer: Actor) -> None:
    response = marketer.post("/v1/assets", json={"title": "A", "kind": "ebook", "colour": "red"})
    body = assert_problem(response, 422)
    assert body["errors"] == [{"loc": ["body", "colour"], "msg": "unknown field"}]
    assert "colour" in str(body["detail"])
    assert marketer.get("/v1/assets").json()["total"] == 0


def test_validation_errors_name_every_field(marketer: Actor) -> None:
    response = marketer.post("/v1/assets", json={"title": "", "kind": "brochure"})
    body = assert_problem(response, 422)
    locations = sorted(tuple(e["loc"]) for e in body["errors"])  # type: ignore[union-attr]
    assert locations == [("body", "kind"), ("body", "title")]
    for error in body["errors"]:  # type: ignore[union-attr]
        assert error["msg"]


def test_body_must_be_an_object(marketer: Actor) -> None:
    assert_problem(marketer.post("/v1/assets", json=["title", "kind"]), 422)


def test_list_envelope_defaults(marketer: Actor) -> None:
    for index in range(3):
        create(marketer, title=f"Asset {index}")
    body = marketer.get("/v1/assets").json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert (body["total"], body["limit"], body["offset"], len(body["items"])) == (3, 20, 0, 3)


def test_paging(marketer: Actor) -> None:
    titles = [create(marketer, title=f"Asset {index}")["title"] for index in range(5)]
    page = marketer.get("/v1/assets", params={"limit": 2, "offset": 2}).json()
    assert page["total"] == 5
    assert [a["title"] for a in page["items"]] == list(reversed(titles))[2:4]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "x"}])
def test_bad_paging_is_422(marketer: Actor, params: dict[str, object]) -> None:
    body = assert_problem(marketer.get("/v1/assets", params=params), 422)
    assert body["errors"][0]["loc"][0] == "query"  # type: ignore[index]


def test_limit_100_is_allowed(marketer: Actor) -> None:
    assert marketer.get("/v1/assets", params={"limit": 100}).json()["limit"] == 100


def test_timestamps_are_rfc3339_utc(marketer: Actor) -> None:
    asset = create(marketer, title="Clocks", expires_at="2031-01-02T03:04:05+02:00")
    for name in ("created_at", "updated_at", "expires_at"):
        parsed = datetime.fromisoformat(asset[name])
        assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0
    assert datetime.fromisoformat(asset["expires_at"]).hour == 1


def test_nul_characters_are_dropped_not_fatal(marketer: Actor) -> None:
    asset = create(marketer, title="Null\x00 byte", body="a\x00b", tags=["x\x00y"])
    assert asset["title"] == "Null byte"
    assert asset["body"] == "ab"
    assert asset["tags"] == ["xy"]
    assert marketer.get(f"/v1/assets/{asset['id']}").json()["title"] == "Null byte"


def test_ids_are_opaque_strings(marketer: Actor) -> None:
    first, second = create(marketer), create(marketer)
    assert isinstance(first["id"], str) and first["id"] != second["id"]


def test_openapi_and_docs_are_served(anonymous: Actor) -> None:
    spec = anonymous.get("/openapi.json").json()
    for path in ("/v1/assets", "/v1/assets/{asset_id}/approve", "/v1/questions", "/v1/me"):
        assert path in spec["paths"]
    assert anonymous.get("/docs").status_code == 200


def test_oversized_title_is_422(marketer: Actor) -> None:
    assert_problem(marketer.post("/v1/assets", json={"title": "x" * 301, "kind": "ebook"}), 422)
    assert create(marketer, title="x" * 300)["title"] == "x" * 300
