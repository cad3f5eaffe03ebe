"""Rate limits per key and route group: 429 problem+json with Retry-After, counted in
memory by default and in the real Redis at 127.0.0.1:6379 when BATON_REDIS_URL is set.

Budgets are tiny (3 a minute) so that no test waits on a clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.main import create_app
from api.settings import Settings
from tests.conftest import ADMIN_KEY, Actor

# SQLite only (`one_database`): budgets are counted in memory or Redis, not in the catalogue.
pytestmark = pytest.mark.one_database

REDIS_URL = "redis://127.0.0.1:6379/0"
SUGGEST = {"stage": "decision", "text": "Does the field app work offline?"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"rate_limits": {"suggestions": "3/minute", "failed_auth": "3/minute"}}


def assert_rate_limited(response: Any, group: str) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"].isdigit()
    assert 1 <= int(response.headers["retry-after"]) <= 60
    body = response.json()
    assert body["type"] == "/problems/rate-limited"
    assert body["group"] == group
    assert body["request_id"] == response.headers["x-request-id"]
    assert "try again in" in body["detail"]


def test_a_key_over_its_suggestions_budget_gets_429_with_retry_after(
    rep: Actor, marketer: Actor
) -> None:
    answers = [rep.post("/v1/suggestions", json=SUGGEST) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0"]
    assert answers[0].headers["ratelimit-limit"] == "3"
    assert answers[0].headers["ratelimit-policy"] == "3;w=60"
    refused = rep.post("/v1/suggestions", json=SUGGEST)
    assert_rate_limited(refused, "suggestions")
    assert refused.json()["limit"] == 3
    assert refused.headers["ratelimit-remaining"] == "0"
    # Refused before its body is read: a body over the size limit is still a 429.
    huge = rep.post(
        "/v1/suggestions",
        content=b"x" * (11 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert_rate_limited(huge, "suggestions")
    # Other groups of the same key, and other keys, have budgets of their own.
    assert rep.get("/v1/search", params={"q": "offline"}).status_code == 200
    assert marketer.post("/v1/suggestions", json=SUGGEST).status_code == 200
    # The operator's master key is not limited; neither are health and metrics.
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    assert all(
        rep.client.post("/v1/suggestions", json=SUGGEST, headers=admin).status_code == 200
        for _ in range(4)
    )
    assert rep.get("/healthz").status_code == 200


def test_a_flood_of_made_up_keys_is_limited_by_address(rep: Actor, anonymous: Actor) -> None:
    assert rep.get("/v1/me").status_code == 200  # this key is known to work
    for attempt in range(3):
        wrong = anonymous.get("/v1/me", headers={"Authorization": f"Bearer made-up-{attempt}"})
        assert wrong.status_code == 401
    assert_rate_limited(
        anonymous.get("/v1/me", headers={"Authorization": "Bearer made-up-4"}), "failed_auth"
    )
    assert_rate_limited(anonymous.get("/v1/me"), "failed_auth")
    # A person with a working key behind the same address goes on working.
    assert rep.get("/v1/me").status_code == 200


def test_the_429_reaches_a_browser_extension_with_its_headers(
    settings: Settings, rep: Actor
) -> None:
    origin = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    app = create_app(settings.model_copy(update={"cors_origins": [origin]}))
    headers = {"Authorization": f"Bearer {rep.key}", "Origin": origin}
    with TestClient(app) as client:
        for _ in range(3):
            assert client.post("/v1/suggestions", json=SUGGEST, headers=headers).is_success
        refused = client.post("/v1/suggestions", json=SUGGEST, headers=headers)
    assert_rate_limited(refused, "suggestions")
    assert refused.headers["access-control-allow-origin"] == origin
    exposed = {
        h.strip().lower() for h in refused.headers["access-control-expose-headers"].split(",")
    }
    assert {"retry-after", "x-request-id", "ratelimit-remaining"} <= exposed


def test_budgets_are_read_from_the_environment_with_clear_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BATON_RATE_LIMITS", "search=120/minute; suggestions=10 per second")
    budgets = Settings().rate_limits
    assert budgets["search"] == "120/minute"
    assert budgets["suggestions"] == "10/second"
    assert budgets["writes"] == "300/minute"  # the default of a group not named
    monkeypatch.setenv("BATON_RATE_LIMITS", "off")
    assert set(Settings().rate_limits.values()) == {"off"}
    for wrong, says in [
        ("serch=1/minute", "unknown rate limit group 'serch'"),
        ("search=lots", "write N/unit"),
        ("search=0/minute", "N at least 1"),
        ("search", "names no budget"),
    ]:
        monkeypatch.setenv("BATON_RATE_LIMITS", wrong)
        with pytest.raises(ValidationError, match=says):
            Settings()
    monkeypatch.delenv("BATON_RATE_LIMITS")
    with pytest.raises(ValidationError, match="not a Redis URL"):
        Settings(redis_url="http://127.0.0.1:6379")


# Against the real Redis -----------------------------------------------------------------


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own (runs and xdist workers never share counts);
    its keys are deleted afterwards."""
    if not redis_answers():
        pytest.skip(f"Redis does not answer at {REDIS_URL}: the shared-budget tests need it")
    prefix = f"baton-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()


def two_servers(settings: Settings, **update: Any) -> tuple[TestClient, TestClient]:
    """Two apps on one catalogue, as two processes or replicas would be."""
    first = TestClient(create_app(settings.model_copy(update=update)))
    second = TestClient(create_app(settings.model_copy(update=update)))
    return first, second


def test_two_servers_share_one_budget_through_redis(
    settings: Settings, rep: Actor, redis_prefix: str
) -> None:
    first, second = two_servers(settings, redis_url=REDIS_URL, redis_prefix=redis_prefix)
    headers = {"Authorization": f"Bearer {rep.key}"}
    with first, second:
        answers = [
            server.post("/v1/suggestions", json=SUGGEST, headers=headers)
            for server in (first, second, first)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0"]
        assert_rate_limited(
            second.post("/v1/suggestions", json=SUGGEST, headers=headers), "suggestions"
        )
        assert_rate_limited(
            first.post("/v1/suggestions", json=SUGGEST, headers=headers), "suggestions"
        )
        ready = second.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["rate_limits"] == "ok"


def test_without_redis_each_server_counts_alone(settings: Settings, rep: Actor) -> None:
    first, second = two_servers(settings)
    headers = {"Authorization": f"Bearer {rep.key}"}
    with first, second:
        for _ in range(3):
            assert first.post("/v1/suggestions", json=SUGGEST, headers=headers).is_success
        assert_rate_limited(
            first.post("/v1/suggestions", json=SUGGEST, headers=headers), "suggestions"
        )
        assert second.post("/v1/suggestions", json=SUGGEST, headers=headers).is_success
        assert "rate_limits" not in second.get("/readyz").json()


def test_when_redis_is_down_each_server_still_limits_and_readyz_says_so(
    settings: Settings, rep: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    down = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    app = create_app(settings.model_copy(update={"redis_url": down}))
    headers = {"Authorization": f"Bearer {rep.key}"}
    with TestClient(app) as client, caplog.at_level("WARNING", logger="baton.rate_limits"):
        answers = [client.post("/v1/suggestions", json=SUGGEST, headers=headers) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert_rate_limited(
            client.post("/v1/suggestions", json=SUGGEST, headers=headers), "suggestions"
        )
        ready = client.get("/readyz")
    assert ready.status_code == 200  # a limiter outage never takes the API out of service
    assert ready.json()["rate_limits"].startswith("degraded: Redis does not answer")
    warnings = [r.getMessage() for r in caplog.records if r.name == "baton.rate_limits"]
    assert len(warnings) == 1  # once per outage, not once per request
    assert "redis://127.0.0.1:1/0 does not answer" in warnings[0]
