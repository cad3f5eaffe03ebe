"""The OpenAPI description is exact: every operation has a stable camelCase operationId, a
tag and a summary; /v1 operations need the bearer key and declare its 401; every 4xx and
5xx is declared as problem+json (the one `Problem` schema or a specialised one), never
FastAPI's default 422 shape; every request body has an example its own schema accepts;
the file download names its media types. Routes added later are held to the same rules."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter

from api import openapi
from ingest.formats import MEDIA_TYPES
from tests.conftest import Actor

# SQLite only (`one_database`): the description is built from the routes; no database is read.
pytestmark = pytest.mark.one_database

CAMEL_CASE = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)*$")
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture
def spec(anonymous: Actor) -> dict[str, Any]:
    response = anonymous.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = spec["components"]["schemas"][ref.removeprefix(openapi.REF)]
    return resolved


def test_every_operation_has_a_readable_unique_id_a_tag_and_a_summary(
    spec: dict[str, Any],
) -> None:
    ids = [op["operationId"] for _, _, op in operations(spec)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    tags = {tag["name"] for tag in spec["tags"]}
    for method, path, op in operations(spec):
        where = f"{method} {path}"
        assert CAMEL_CASE.match(op["operationId"]), (where, op["operationId"])
        assert op.get("tags") and set(op["tags"]) <= tags, (where, op.get("tags"))
        assert op.get("summary"), where
        for code, response in op["responses"].items():
            for content in response.get("content", {}).values():
                title = str(content.get("schema", {}).get("title", ""))
                assert not title.startswith("Response "), (where, code, title)
    by_id = {op["operationId"]: (method, path) for method, path, op in operations(spec)}
    for name, where in {
        "listAssets": ("GET", "/v1/assets"),
        "getAsset": ("GET", "/v1/assets/{asset_id}"),
        "createAsset": ("POST", "/v1/assets"),
        "updateAsset": ("PATCH", "/v1/assets/{asset_id}"),
        "deleteAsset": ("DELETE", "/v1/assets/{asset_id}"),
        "submitAsset": ("POST", "/v1/assets/{asset_id}/submit"),
        "approveAsset": ("POST", "/v1/assets/{asset_id}/approve"),
        "uploadAsset": ("POST", "/v1/assets/upload"),
        "downloadAssetFile": ("GET", "/v1/assets/{asset_id}/file"),
        "searchAssets": ("GET", "/v1/search"),
        "createSuggestions": ("POST", "/v1/suggestions"),
    }.items():
        assert by_id.get(name) == where, name


def test_the_key_is_a_bearer_scheme_every_v1_operation_needs(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"][openapi.BEARER]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    for method, path, op in operations(spec):
        # The CRM endpoints take no key: each checks its CRM's signature (tests/crm).
        if not path.startswith("/v1/") or path.startswith("/v1/crm/"):
            continue
        assert op.get("security") == [{openapi.BEARER: []}], (method, path)
        unauthorized = op["responses"].get("401")
        assert unauthorized is not None, (method, path)
        assert "WWW-Authenticate" in unauthorized["headers"], (method, path)


def test_every_error_is_a_declared_problem_never_the_default_422(
    spec: dict[str, Any],
) -> None:
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    problem = schemas["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert problem["properties"]["errors"]["items"]["$ref"].endswith("/FieldError")
    for method, path, op in operations(spec):
        where = f"{method} {path}"
        codes = {int(code) for code in op["responses"]}
        assert 500 in codes, where
        for code, response in op["responses"].items():
            if int(code) < 400 or path == "/readyz":
                continue
            assert list(response["content"]) == ["application/problem+json"], (where, code)
            schema = resolve(spec, response["content"]["application/problem+json"]["schema"])
            assert {"type", "title", "status", "detail"} <= set(schema["required"]), (where, code)
        if path.startswith("/v1/"):
            assert {429, 503} <= codes, where
        if "requestBody" in op and "application/json" in op["requestBody"]["content"]:
            assert {400, 413, 422} <= codes, where


def _problem_of(spec: dict[str, Any], operation_id: str, status: int) -> dict[str, Any]:
    for _, _, op in operations(spec):
        if op["operationId"] == operation_id:
            content = op["responses"][str(status)]["content"]["application/problem+json"]
            return resolve(spec, content["schema"])
    raise AssertionError(operation_id)


def test_errors_with_extra_members_have_their_own_schemas(spec: dict[str, Any]) -> None:
    duplicate = _problem_of(spec, "uploadAsset", 409)
    assert "asset_id" in duplicate["required"]
    refused = _problem_of(spec, "approveAsset", 422)
    assert "findings" in refused["required"]
    assert refused["properties"]["findings"]["items"]["$ref"].endswith("/Finding")
    assert "missing" in _problem_of(spec, "renderEmail", 422)["properties"]
    stale = _problem_of(spec, "updateAsset", 412)
    assert "revision" in stale["required"]
    conflict = _problem_of(spec, "submitAsset", 409)
    assert "asset_status" in conflict["required"]
    assert "slug" in _problem_of(spec, "createTerm", 409)["required"]
    limited = _problem_of(spec, "createSuggestions", 429)
    assert {"group", "limit", "window_seconds"} <= set(limited["required"])
    for _, _, op in operations(spec):
        limited = op["responses"].get("429")
        if limited is not None:
            assert "Retry-After" in limited["headers"], op["operationId"]


def test_the_file_download_names_its_media_types(spec: dict[str, Any]) -> None:
    content = spec["paths"]["/v1/assets/{asset_id}/file"]["get"]["responses"]["200"]["content"]
    assert set(content) == set(MEDIA_TYPES.values())
    assert all(c["schema"] == {"type": "string", "format": "binary"} for c in content.values())
    csv = spec["paths"]["/v1/reports/content-gaps.csv"]["get"]["responses"]["200"]["content"]
    assert list(csv) == ["text/csv"]


def test_every_request_body_has_an_example_its_schema_accepts(
    app: FastAPI, spec: dict[str, Any]
) -> None:
    bodies = {
        (method, route.path_format): route
        for route in openapi.api_routes(app)
        for method in route.methods
    }
    for method, path, op in operations(spec):
        if "requestBody" not in op:
            continue
        for media_type, content in op["requestBody"]["content"].items():
            assert "example" in content, (method, path, media_type)
        route = bodies[method, path]
        example = openapi.REQUEST_EXAMPLES[op["operationId"]]
        if route.body_field is not None:
            TypeAdapter(route.body_field.field_info.annotation).validate_python(example)
    ids = {op["operationId"] for _, _, op in operations(spec) if "requestBody" in op}
    assert set(openapi.REQUEST_EXAMPLES) <= ids, "examples of no operation"


def test_docs_pages_load_their_assets_from_the_package(anonymous: Actor) -> None:
    for page in ("/docs", "/redoc"):
        html = anonymous.get(page).text
        assert "https://" not in html and "http://" not in html, page
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets and all(a.startswith(openapi.STATIC_URL + "/") for a in assets), assets
        for asset in assets:
            response = anonymous.get(asset)
            assert response.status_code == 200, asset
            assert len(response.content) > 500, asset
    assert "persistAuthorization" in anonymous.get("/docs").text
