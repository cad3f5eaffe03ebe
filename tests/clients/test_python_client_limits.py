"""The generated Python client (tests/clients/conftest.py) meets a rate limit: the 429
parses into its `RateLimited` model, with the group, the budget and `Retry-After`."""
# ruff: noqa: PLC0415

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from tests.conftest import Actor

pytestmark = pytest.mark.slow


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"rate_limits": {"suggestions": "2/minute"}}


def test_a_spent_budget_is_a_429_the_client_reads(
    python_client: ModuleType, base_url: str, rep: Actor
) -> None:
    from baton_client.api.suggestions import create_suggestions
    from baton_client.models import RateLimited, SuggestionRequest, SuggestionsOut

    api = python_client.AuthenticatedClient(
        base_url=base_url, token=str(rep.key), raise_on_unexpected_status=True
    )
    deal = SuggestionRequest(text="Does the field app work offline?", limit=3)
    for _ in range(2):
        assert isinstance(create_suggestions.sync(client=api, body=deal), SuggestionsOut)
    refused = create_suggestions.sync_detailed(client=api, body=deal)
    assert refused.status_code == 429
    assert isinstance(refused.parsed, RateLimited)
    assert (refused.parsed.group, refused.parsed.limit) == ("suggestions", 2)
    assert refused.parsed.window_seconds == 60
    assert int(refused.headers["retry-after"]) > 0
