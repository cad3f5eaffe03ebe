"""CORS: the origins in BATON_CORS_ORIGINS, browser extensions included, and no others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.main import create_app
from api.settings import Settings
from tests.conftest import ADMIN_KEY, Actor

# SQLite only (`one_database`): CORS is decided by middleware before any service runs.
pytestmark = pytest.mark.one_database

EXTENSION = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
CRM = "https://crm.example.com"
FIREFOX_EXTENSION = "moz-extension://1b2c3d4e-aaaa-bbbb-cccc-0123456789ab"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # As an operator would write them: case, a trailing slash and a default port are forgiven.
    return {
        "cors_origins": "chrome-extension://ABCDEFGHIJKLMNOPABCDEFGHIJKLMNOP/, https://CRM.example.com:443"
    }


def cors_headers(response: Any) -> dict[str, str]:
    return {
        k.lower(): v for k, v in response.headers.items() if k.lower().startswith("access-control-")
    }


def preflight(
    client: TestClient,
    origin: str,
    method: str = "POST",
    headers: str = "authorization, content-type",
) -> Any:
    return client.options(
        "/v1/events",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


def test_settings_normalise_the_origins(settings: Settings) -> None:
    assert settings.cors_origins == [EXTENSION, CRM]


@pytest.mark.parametrize("origin", [EXTENSION, CRM])
def test_allowed_origin_gets_its_own_origin_back(admin: Actor, origin: str) -> None:
    response = admin.get("/v1/me", headers={"Origin": origin})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert "Origin" in response.headers["vary"]
    # Keys travel in the Authorization header, never in cookies.
    assert "access-control-allow-credentials" not in response.headers


def test_errors_carry_cors_headers_so_the_extension_can_read_them(anonymous: Actor) -> None:
    response = anonymous.get("/v1/me", headers={"Origin": EXTENSION})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == EXTENSION
    assert response.json()["type"] == "/problems/unauthorized"


@pytest.mark.parametrize("origin", [EXTENSION, CRM])
def test_preflight_is_answered_for_allowed_origins(client: TestClient, origin: str) -> None:
    response = preflight(client, origin)
    assert response.status_code == 200, response.text
    headers = cors_headers(response)
    assert headers["access-control-allow-origin"] == origin
    methods = {m.strip() for m in headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= methods
    allowed = {h.strip().lower() for h in headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert int(headers["access-control-max-age"]) > 0
    assert all("*" not in value for value in headers.values())


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba",  # another extension
        "https://crm.example.com.evil.example",  # not a prefix match
        "http://crm.example.com",  # another scheme is another origin
        "https://crm.example.com:8443",  # another port too
        "null",  # sandboxed frames and file:// pages
    ],
)
def test_refused_origins_get_no_cors_headers(client: TestClient, admin: Actor, origin: str) -> None:
    simple = admin.get("/v1/me", headers={"Origin": origin})
    assert simple.status_code == 200  # the server answers; the browser withholds it
    assert cors_headers(simple) == {}

    response = preflight(client, origin)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "/problems/cors-refused"
    assert origin in response.json()["detail"]
    assert cors_headers(response) == {}


@pytest.mark.parametrize(
    ("method", "headers", "named"),
    [
        ("POST", "authorization, x-debug", "the header x-debug, which is not allowed"),
        ("TRACE", "authorization", "the method TRACE, which is not allowed"),
        ("POST", "cookie, x-a", "the headers cookie, x-a, which are not allowed"),
        ("TRACE", "x-a", "the method TRACE and the header x-a, which are not allowed"),
    ],
)
def test_preflight_for_other_methods_or_headers_is_refused_naming_them(
    client: TestClient, method: str, headers: str, named: str
) -> None:
    response = preflight(client, EXTENSION, method=method, headers=headers)
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/cors-refused"
    assert response.json()["detail"].startswith(f"the preflight asks for {named}; allowed")
    assert cors_headers(response) == {}


def test_requests_without_origin_are_untouched(admin: Actor) -> None:
    response = admin.get("/v1/me")
    assert response.status_code == 200
    assert cors_headers(response) == {}


def test_without_configured_origins_every_preflight_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    app = create_app(
        Settings(database_url=database_url, data_dir=tmp_path / "d", admin_key=ADMIN_KEY)
    )
    with TestClient(app) as client:
        assert preflight(client, EXTENSION).status_code == 403
        response = client.get(
            "/v1/me", headers={"Origin": EXTENSION, "Authorization": f"Bearer {ADMIN_KEY}"}
        )
        assert cors_headers(response) == {}


def test_origins_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "BATON_CORS_ORIGINS",
        f" {EXTENSION} ,https://app.hubspot.com, {FIREFOX_EXTENSION} ",
    )
    assert Settings().cors_origins == [
        EXTENSION,
        "https://app.hubspot.com",
        FIREFOX_EXTENSION,
    ]


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "https://*.example.com",
        "null",
        "https://crm.example.com/app",
        "crm.example.com",
        "https://crm.example.com?x=1",
        "https://user:secret@crm.example.com",
        "https://crm.example.com:99999",
    ],
)
def test_origins_that_are_not_origins_are_refused_at_start(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(cors_origins=f"{CRM},{value}")


def test_an_unexpected_error_is_a_problem_the_extension_can_read(
    app: FastAPI, client: TestClient, admin: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/v1/broken-for-test", broken)
    response = admin.get("/v1/broken-for-test", headers={"Origin": EXTENSION})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/internal-error"
    assert "a bug" not in response.text
    # Without CORS headers the browser hides the answer from the extension altogether.
    assert response.headers["access-control-allow-origin"] == EXTENSION
    assert "a bug" in caplog.text  # logged with its traceback
