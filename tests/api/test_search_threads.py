"""BATON_SEARCH_THREADS: searches and suggestions run a few at a time per process, the
others wait their turn; every one is answered, and other requests are not held up."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from api.settings import Settings, SettingsError, load_settings
from tests.catalogue import publish
from tests.conftest import Actor


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"search_threads": 1}


def test_searches_and_suggestions_beyond_the_limit_wait_and_are_all_answered(
    marketer: Actor, rep: Actor
) -> None:
    for n in range(6):
        publish(marketer, title=f"Route planning guide {n}", summary="Fewer miles per visit.")
    wanted = rep.get("/v1/search", params={"q": "route planning"}).json()
    assert wanted["total"] == 6

    def search(_: int) -> Any:
        return rep.get("/v1/search", params={"q": "route planning"})

    def suggest(_: int) -> Any:
        return rep.post("/v1/suggestions", json={"text": "they want route planning"})

    def other(_: int) -> Any:
        return rep.get("/v1/assets", params={"limit": 5})

    with ThreadPoolExecutor(max_workers=12) as pool:
        searches = list(pool.map(search, range(16)))
        suggestions = list(pool.map(suggest, range(8)))
        others = list(pool.map(other, range(8)))
    assert [r.status_code for r in searches + suggestions + others] == [200] * 32
    assert {tuple(h["asset"]["id"] for h in r.json()["hits"]) for r in searches} == {
        tuple(h["asset"]["id"] for h in wanted["hits"])
    }
    assert all(r.json()["suggestions"] for r in suggestions)
    limiter = rep.client.app.state.search_threads  # type: ignore[attr-defined]
    assert limiter.total_tokens == 1
    assert limiter.borrowed_tokens == 0  # every turn given back


def test_the_setting_is_two_by_default_and_at_least_one(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.model_fields["search_threads"].default == 2
    monkeypatch.setenv("BATON_SEARCH_THREADS", "0")
    with pytest.raises(SettingsError, match="BATON_SEARCH_THREADS"):
        load_settings()
