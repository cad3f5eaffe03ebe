"""Settings come from BATON_ environment variables and refuse what makes no sense."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from api.settings import Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.catalogue_url == f"sqlite:///{tmp_path / 'data' / 'baton.db'}"
    assert settings.search_backend == "sqlite"
    assert settings.max_upload_mb == 50
    assert settings.admin_key is None
    assert settings.cors_origins == []


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATON_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("BATON_CORS_ORIGINS", "https://crm.example.com/, chrome-extension://abc")
    monkeypatch.setenv("BATON_MAX_UPLOAD_MB", "5")
    monkeypatch.setenv("BATON_ADMIN_KEY", "secret")
    settings = Settings()
    assert settings.catalogue_url == "postgresql+psycopg://u@h/db"
    assert settings.uses_sqlite is False
    assert settings.cors_origins == ["https://crm.example.com", "chrome-extension://abc"]
    assert settings.max_upload_bytes == 5 * 1024 * 1024
    assert settings.admin_key is not None and settings.admin_key.get_secret_value() == "secret"
    assert "secret" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BATON_SEARCH_BACKEND", "elastic"),
        ("BATON_MAX_UPLOAD_MB", "0"),
        ("BATON_CORS_ORIGINS", "*"),
    ],
)
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("BATON_").lower()):
        Settings()
