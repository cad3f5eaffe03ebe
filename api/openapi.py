"""The OpenAPI description (`/openapi.json`) and the docs pages that read it (`/docs`,
`/redoc`), served from files in the package: nothing is loaded from a CDN.

What a route can answer is derived from what it depends on, so it cannot drift from the
code: the caller's key (`CallerDep`) gives the bearer security requirement and a 401; a
role (`MarketerDep`, `AdminDep`) a 403; a path parameter a 404 (an unknown id, or a NUL
in the path); `If-Match` a 412; a JSON body 400 (malformed), 413 (too large) and 422;
query or header parameters that can be invalid a 422; the session a 503 (storage
unavailable); every operation a 500. A route declares the rest itself with
`responses=errors(404, DuplicateUpload, ...)`: the errors its service raises, each a
status (the plain `Problem`) or a specialised problem schema carrying its extra members.
Every error response is `application/problem+json`; FastAPI's default 422 shape
(`HTTPValidationError`) never appears.

Each operation has a stable camelCase `operationId` (`listAssets`, `searchAssets`, ...):
routes name theirs explicitly; one that does not gets its function's name in camelCase.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast, get_args

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from api import deps
from api.crm.schemas import CRM_EXAMPLES
from api.problems import PROBLEM_JSON, FieldError, Problem, RateLimited, StaleRevision
from api.rate_limits import RateLimits, route_group
from api.sharing.schemas import SHARING_EXAMPLES

REF = "#/components/schemas/"
BEARER = "bearerAuth"
STATIC = Path(__file__).parent / "static"
STATIC_URL = "/docs/static"

TAGS: list[dict[str, str]] = [
    {"name": "assets", "description": "The catalogue, its files and the review lifecycle."},
    {"name": "search", "description": "Relevance-ranked search and its synonyms."},
    {"name": "suggestions", "description": "What the CRM extension asks for an open deal."},
    {"name": "questions", "description": "Customer questions and their live answers."},
    {
        "name": "collections",
        "description": "Collections (pitch kits): ordered sets of assets for a kind of deal.",
    },
    {"name": "usage", "description": "Usage events, feedback and deal outcomes."},
    {"name": "messaging", "description": "Messaging rules and checking a text against them."},
    {
        "name": "freshness",
        "description": "Review intervals per kind, verifying an asset, overdue content.",
    },
    {"name": "taxonomy", "description": "Kinds, buyer stages, industries, personas, products."},
    {"name": "reports", "description": "The content-gaps report and asset performance."},
    {
        "name": "crm",
        "description": "Deals won and lost, sent by the CRMs (HubSpot, Salesforce, signed "
        "events): no key, each request verified by its signature or shared secret.",
    },
    {
        "name": "sharing",
        "description": "Tracked share links: a public page for a buyer (no sign-in), and "
        "who opened it, for how long, which pages, downloads; bots and scanners not counted.",
    },
    {"name": "users", "description": "People, roles and API keys."},
    {
        "name": "audiences",
        "description": "Audiences (teams, regions, segments, partners) that assets are "
        "restricted to, and who belongs to them.",
    },
    {"name": "audit", "description": "Who changed what, and when."},
    {
        "name": "webhooks",
        "description": "Webhooks for chosen events, signed per Standard Webhooks, and "
        "their delivery log.",
    },
    {"name": "operations", "description": "Liveness, readiness and metrics (no key)."},
]

# What each error status means when a route gives no more precise schema.
DESCRIPTIONS: dict[int, str] = {
    400: "the body is not valid JSON",
    401: "no API key, or an unknown, expired or revoked one (`WWW-Authenticate: Bearer`)",
    403: "the caller's role may not do this",
    404: "no such resource (or one the caller may not see)",
    409: "the request conflicts with the resource's current state",
    412: "`If-Match` names a revision the resource no longer has",
    413: "the body is larger than the server accepts",
    415: "a media type the server does not read",
    422: "the request is invalid: `errors` locates each problem",
    428: "`If-Match` is required",
    429: "too many requests for this key: wait `Retry-After` seconds",
    500: "an unexpected error; it has been logged",
    503: "storage or search is unavailable right now: retry after `Retry-After` seconds",
}

RETRY_AFTER = {
    "description": "seconds to wait before trying again",
    "schema": {"type": "integer"},
}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
    429: {
        "Retry-After": RETRY_AFTER,
        "RateLimit-Limit": {"description": "requests per window", "schema": {"type": "integer"}},
        "RateLimit-Remaining": {"description": "requests left", "schema": {"type": "integer"}},
        "RateLimit-Reset": {
            "description": "seconds until the window frees",
            "schema": {"type": "integer"},
        },
        "RateLimit-Policy": {"description": "`N;w=seconds`", "schema": {"type": "string"}},
    },
    503: {"Retry-After": RETRY_AFTER},
}

# An example body for every operation that takes one (checked against its schema by
# tests/api/test_openapi.py), by operationId.
REQUEST_EXAMPLES: dict[str, Any] = {
    **CRM_EXAMPLES,
    **SHARING_EXAMPLES,
    "updateFreshnessPolicies": {"policies": {"case_study": 180, "testimonial": None}},
    "createWebhook": {
        "url": "https://crm.example.com/hooks/baton",
        "events": ["asset.approved", "asset.updated", "asset.archived"],
        "description": "CRM sidebar cache",
    },
    "updateWebhook": {"active": False},
    "createAudience": {
        "slug": "emea",
        "name": "EMEA sales",
        "kind": "region",
        "description": "Reps selling in Europe, the Middle East and Africa",
    },
    "updateAudience": {"name": "EMEA field sales"},
    "rotateWebhookSecret": {"grace_seconds": 86400},
    "createAsset": {
        "title": "Northwind cut rework by 30% with the field app",
        "kind": "case_study",
        "summary": "A general contractor's first year on Baton's field app.",
        "body": "Northwind Builders rolled the field app out to 40 crews ...",
        "stages": ["decision"],
        "industries": ["construction"],
        "personas": ["cfo"],
        "products": ["field-app"],
        "tags": ["roi"],
    },
    "updateAsset": {"summary": "Rework down 30% in the first year.", "tags": ["roi", "rework"]},
    "renderEmail": {"variables": {"first_name": "Ana", "company": "Northwind"}},
    "rejectAsset": {"comment": "Please cite the source of the 30% figure."},
    "createAssetRevision": {"summary": "Rework down 32% in the first year (2026 audit)."},
    "updateAssetRevision": {"body": "Northwind Builders rolled the field app out to 52 crews ..."},
    "rejectAssetRevision": {"comment": "Keep the 30% figure until the audit is published."},
    "replaceAssetFile": {"file": "(the bytes of northwind-case-study-2026.pdf)"},
    "uploadAsset": {
        "metadata": '{"kind": "white_paper", "stages": ["consideration"], "tags": ["safety"]}'
    },
    "replaceSynonyms": {"roi": ["return on investment"], "deck": ["presentation"]},
    "createSuggestions": {
        "stage": "decision",
        "industry": "construction",
        "persona": "cfo",
        "product": "field-app",
        "text": "They asked whether the app works offline on remote sites.",
        "questions": ["Does it work offline?"],
        "limit": 5,
    },
    "createAssetLink": {"type": "proven_by", "target_id": "7d2e9a4b1c3f4a60"},
    "createCollection": {
        "name": "Healthcare decision kit",
        "description": "The five pieces for a decision-stage hospital deal.",
        "stages": ["decision"],
        "industries": ["healthcare"],
        "personas": ["cfo"],
        "asset_ids": ["0b3f6c1e8a4d4c55", "7d2e9a4b1c3f4a60"],
    },
    "updateCollection": {"asset_ids": ["7d2e9a4b1c3f4a60", "0b3f6c1e8a4d4c55"]},
    "askQuestion": {"text": "Does it work offline?", "stage": "decision"},
    "mergeQuestion": {"into": "5f0c2a9e1b7d4e3f"},
    "bulkEditAssets": {
        "ids": ["0b3f6c1e8a4d4c55", "7d2e9a4b1c3f4a60"],
        "change": {
            "add_tags": ["fy27"],
            "remove_tags": ["fy26"],
            "add": {"industries": ["Healthcare"]},
            "action": "submit",
        },
        "mode": "per_item",
    },
    "recordEvent": {"asset_id": "0b3f6c1e8a4d4c55", "type": "used_in_deal"},
    "recordOutcome": {"outcome": "won", "amount": 48000},
    "replaceMessagingRules": {
        "rules": [
            {
                "type": "banned",
                "phrase": "guaranteed savings",
                "severity": "error",
                "reason": "legal: no guarantees",
            },
            {
                "type": "deprecated",
                "phrase": "FieldPro",
                "replacement": "the field app",
                "severity": "warning",
            },
        ]
    },
    "checkMessaging": {"text": "FieldPro gives guaranteed savings.", "kind": "one_pager"},
    "createTerm": {"label": "Renewable energy"},
    "createUser": {"email": "ana@example.com", "name": "Ana Ruiz", "role": "rep"},
    "updateUser": {"role": "marketer", "active": True},
    "createMyKey": {"name": "CRM extension", "expires_at": "2027-06-30T00:00:00Z"},
}


def _problem_models(model: type[Problem]) -> Iterator[type[Problem]]:
    yield model
    for sub in model.__subclasses__():
        yield from _problem_models(sub)


# The specialised problem an implied status answers with.
IMPLIED_MODELS: dict[int, type[Problem]] = {412: StaleRevision, 429: RateLimited}


def errors(*declared: int | type[Problem]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each error it can answer besides those its dependencies
    imply, a status (answered as `Problem`) or a specialised `Problem` subclass."""
    responses: dict[int | str, dict[str, Any]] = {}
    for entry in declared:
        if isinstance(entry, int):
            status, model, description = entry, Problem, DESCRIPTIONS[entry]
        else:
            assert entry.status_code is not None, entry
            status, model = entry.status_code, entry
            description = " ".join((entry.__doc__ or "").split())
        assert status not in responses, f"{status} declared twice"
        responses[status] = {"model": model, "description": description}
    return responses


def operation_id(route: APIRoute) -> str:
    """The operationId of a route that names none: its function's name in camelCase."""
    first, *rest = route.name.split("_")
    return first + "".join(word.title() for word in rest)


def install(app: FastAPI) -> None:
    """The exact description at /openapi.json, and /docs and /redoc from package files."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount(STATIC_URL, StaticFiles(directory=STATIC), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_URL}/favicon-32x32.png",
            # No validator badge: Swagger UI would send the description to validator.swagger.io.
            swagger_ui_parameters={"persistAuthorization": True, "validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            redoc_js_url=f"{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{STATIC_URL}/favicon-32x32.png",
            with_google_fonts=False,
        )


def describe(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=TAGS,
    )
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    models: list[type[BaseModel]] = [Problem, FieldError, *IMPLIED_MODELS.values()]
    for model in models:
        _add_schema(schemas, model)
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "an API key: `Authorization: Bearer <api key>` (`baton users key`, "
            "POST /v1/users or POST /v1/me/keys make one)",
        }
    }
    limited = any(middleware.cls is RateLimits for middleware in app.user_middleware)
    for route in api_routes(app):
        for method in route.methods or ():
            operation = spec["paths"][route.path_format][method.lower()]
            rate_limited = limited and route_group(method, route.path_format) is not None
            _refine(operation, route, rate_limited=rate_limited)
    return spec


def api_routes(app: FastAPI) -> Iterator[APIRoute]:
    """The app's operations, each as it is served (with its router's prefix and
    dependencies), as FastAPI's own description walks them."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            yield cast(APIRoute, context)


def _add_schema(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    schema = model.model_json_schema(ref_template=REF + "{model}")
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault(model.__name__, schema)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _dependency(annotated: Any) -> Callable[..., Any]:
    """The function behind an `Annotated[..., Depends(f)]` alias of api.deps."""
    return next(m.dependency for m in get_args(annotated)[1:] if hasattr(m, "dependency"))


PROBLEM_REFS = frozenset(REF + model.__name__ for model in _problem_models(Problem))
# A route's caller is checked by one of these; its unit of work is a session or is opened
# by the route itself once its caller is known (`deps.in_one_thread`).
AUTHENTICATES = frozenset(_dependency(alias) for alias in (deps.CallerDep, deps.ReaderDep))
ROLE_CHECKS = frozenset(_dependency(alias) for alias in (deps.MarketerDep, deps.AdminDep))
STORES = frozenset(_dependency(alias) for alias in (deps.SessionDep, deps.ReaderDep))
CONDITIONAL = _dependency(deps.IfMatchDep)


def implied_errors(
    route: APIRoute, operation: dict[str, Any], *, rate_limited: bool = False
) -> set[int]:
    """The error statuses a route can answer because of what it depends on (and 429 when
    the app's rate limits count its requests)."""
    calls = set(_calls(route.dependant))
    implied = {500, 429} if rate_limited else {500}
    if calls & AUTHENTICATES:
        implied.add(401)
    if calls & ROLE_CHECKS:
        implied.add(403)
    if calls & STORES:
        implied.add(503)
    if CONDITIONAL in calls:
        implied.add(412)
    parameters = operation.get("parameters", [])
    if any(p["in"] == "path" for p in parameters):
        implied.add(404)
    if route.body_field is not None:
        implied.update({400, 413, 422})
    if any(_can_be_invalid(p) for p in parameters):
        implied.add(422)
    return implied


def _can_be_invalid(parameter: dict[str, Any]) -> bool:
    """Whether a value sent for this parameter can be refused: a required query or header
    parameter can be missing, and anything but unconstrained text can be wrong."""
    if parameter.get("required") and parameter["in"] != "path":
        return True
    return not _any_text(parameter.get("schema", {}))


def _any_text(schema: dict[str, Any]) -> bool:
    keys = set(schema) - {"title", "description", "default", "examples"}
    if "anyOf" in schema and keys == {"anyOf"}:
        return all(_any_text(s) for s in schema["anyOf"])
    if schema.get("type") == "null" and keys == {"type"}:
        return True
    if schema.get("type") == "array" and keys == {"type", "items"}:
        return _any_text(schema["items"])
    return schema.get("type") == "string" and keys == {"type"}


def _name_inline_body(response: dict[str, Any], operation_id: str) -> None:
    """An unnamed success body (a plain dict) is titled `<OperationId>Response`, not
    FastAPI's `Response Getsynonyms`: generated clients name their models after it."""
    for content in response.get("content", {}).values():
        schema = content.get("schema", {})
        if str(schema.get("title", "")).startswith("Response "):
            schema["title"] = operation_id[0].upper() + operation_id[1:] + "Response"


def _refine(operation: dict[str, Any], route: APIRoute, *, rate_limited: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    default_422 = responses.get("422", {}).get("content", {}).get("application/json", {})
    if default_422.get("schema", {}).get("$ref") == REF + "HTTPValidationError":
        del responses["422"]
    calls = set(_calls(route.dependant))
    if calls & AUTHENTICATES:
        operation["security"] = [{BEARER: []}]
    for status in implied_errors(route, operation, rate_limited=rate_limited):
        model = IMPLIED_MODELS.get(status, Problem)
        responses.setdefault(
            str(status), {"description": DESCRIPTIONS[status], "model_ref": REF + model.__name__}
        )
    for key, response in responses.items():
        if key.isdigit() and int(key) < 400:
            _name_inline_body(response, operation["operationId"])
        if not key.isdigit() or int(key) < 400:
            continue
        status = int(key)
        ref = response.pop("model_ref", REF + Problem.__name__)
        schemas = [c.get("schema", {}) for c in response.get("content", {}).values()]
        if schemas and not any(s.get("$ref") in PROBLEM_REFS for s in schemas):
            continue  # the route's own error body (/readyz's checks)
        schema = schemas[0] if schemas else {"$ref": ref}
        response["content"] = {PROBLEM_JSON: {"schema": schema}}
        if status in HEADERS:
            response["headers"] = copy.deepcopy(HEADERS[status])
    operation["responses"] = dict(sorted(responses.items()))
    example = REQUEST_EXAMPLES.get(operation["operationId"])
    body = operation.get("requestBody", {}).get("content", {})
    if example is not None:
        for media in body.values():
            media.setdefault("example", example)
