"""`baton reindex` rebuilds the configured backend from the catalogue, as often as asked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from api.settings import Settings, get_settings
from tests.catalogue import create, publish
from tests.conftest import Actor
from tests.search.conftest import ids, search


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("BATON_DATABASE_URL", settings.catalogue_url)
    monkeypatch.setenv("BATON_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BATON_SEARCH_BACKEND", settings.search_backend)
    monkeypatch.setenv("BATON_MEILI_INDEX", settings.meili_index)
    if settings.meili_url:
        monkeypatch.setenv("BATON_MEILI_URL", settings.meili_url)
    if settings.meili_key:
        monkeypatch.setenv("BATON_MEILI_KEY", settings.meili_key.get_secret_value())
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_reindex_is_idempotent_and_the_running_app_follows(
    client: TestClient, marketer: Actor, rep: Actor, cli_env: None, search_backend: str
) -> None:
    live = publish(marketer, title="Offline mode one-pager", body="Works without signal.")
    create(marketer, title="Offline draft")
    marketer.put("/v1/search/synonyms", json={"no signal": ["offline"]})
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(cli, ["reindex"])
        assert result.exit_code == 0, result.output
        assert f"indexed 2 assets into {search_backend}" in result.output
        assert ids(search(rep, "offline")) == [live["id"]]
        assert ids(search(rep, "no signal")) == [live["id"]]
        assert search(marketer, "offline")["total"] == 2
