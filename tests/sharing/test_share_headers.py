"""Every answer under /s/ and /share-static carries the share page's security headers
(both databases), whoever answers: validation errors, wrong methods, unknown paths,
oversized reports, rate limits and unexpected errors included."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from api.sharing import service
from tests.catalogue import publish
from tests.conftest import Actor
from tests.sharing.helpers import BROWSER_UA, later, path_of, share

BROWSER = {"User-Agent": BROWSER_UA}


def _secured(answer: httpx.Response, *, cached: bool = False) -> None:
    headers = answer.headers
    csp = headers.get("content-security-policy", "")
    for part in ("default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"):
        assert part in csp, (answer.status_code, answer.request.url.path, dict(headers))
    assert headers["referrer-policy"] == "no-referrer"
    assert "noindex" in headers["x-robots-tag"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    if not cached:
        assert headers["cache-control"] == "no-store"


@pytest.fixture
def base(app: FastAPI, marketer: Actor, rep: Actor) -> str:
    asset = publish(marketer, title="Customer story: Initech", kind="case_study", body="Words.")
    later(app)
    return path_of(share(rep, asset["id"])["url"])


@pytest.mark.parametrize(
    ("method", "suffix", "body", "expected"),
    [
        ("GET", "/pages/0.png", None, 422),
        ("GET", "/pages/abc.png", None, 422),
        ("POST", "/beacon", b"not json", 422),
        ("POST", "/beacon", b"x" * 5000, 413),
        ("POST", "", b"", 405),
        ("GET", "/whatever", None, 404),
    ],
)
def test_errors_on_a_link_carry_the_headers(
    base: str,
    anonymous: Actor,
    method: str,
    suffix: str,
    body: bytes | None,
    expected: int,
) -> None:
    answer = anonymous.client.request(method, base + suffix, content=body, headers=BROWSER)
    assert answer.status_code == expected, answer.text
    _secured(answer)


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/s/" + "x" * 101, 422), ("/s/", 404), ("/s", 404), ("/share-static/nope.js", 404)],
)
def test_errors_off_any_link_carry_the_headers(anonymous: Actor, path: str, expected: int) -> None:
    answer = anonymous.client.get(path, headers=BROWSER)
    assert answer.status_code == expected, answer.text
    _secured(answer)


def test_an_unexpected_error_carries_the_headers(
    base: str, anonymous: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "resolve", broken)
    answer = anonymous.client.get(base, headers=BROWSER)
    assert answer.status_code == 500
    _secured(answer)


def test_the_static_files_keep_their_cache_time_and_the_api_is_untouched(
    anonymous: Actor, rep: Actor
) -> None:
    script = anonymous.client.get("/share-static/share.js")
    assert script.status_code == 200
    _secured(script, cached=True)
    assert "max-age" in script.headers["cache-control"]
    api = rep.get("/v1/share-links")
    assert "x-robots-tag" not in api.headers


def test_rate_limited_share_requests_carry_the_headers(settings: Settings) -> None:
    limited = settings.model_copy(
        update={"rate_limits": {**settings.rate_limits, "share": "1/minute"}}
    )
    with TestClient(create_app(limited), raise_server_exceptions=False) as client:
        client.get("/s/" + "x" * 43, headers=BROWSER)
        refused = client.get("/s/" + "x" * 43, headers=BROWSER)
        assert refused.status_code == 429
        _secured(refused)
