"""Settings come from BATON_ environment variables and refuse what makes no sense."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from api.settings import Settings, SettingsError, load_settings


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
    monkeypatch.setenv("BATON_ADMIN_KEY", "admin-key-value")
    settings = Settings()
    assert settings.catalogue_url == "postgresql+psycopg://u@h/db"
    assert settings.uses_sqlite is False
    assert settings.cors_origins == ["https://crm.example.com", "chrome-extension://abc"]
    assert settings.max_upload_bytes == 5 * 1024 * 1024
    assert settings.admin_key is not None
    assert settings.admin_key.get_secret_value() == "admin-key-value"
    assert "admin-key-value" not in repr(settings)


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


@pytest.fixture
def workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A working directory of its own, and no BATON_ variable but the suite's own."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BATON_ENV_FILE", raising=False)
    return tmp_path


def test_a_dotenv_file_in_the_working_directory_is_read(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / ".env").write_text(
        "# Baton\nBATON_MAX_UPLOAD_MB=7\nBATON_LOG_LEVEL=DEBUG\nOTHER_TOOL=1\n"
    )
    settings = load_settings()
    assert settings.max_upload_mb == 7
    assert settings.log_level == "debug"
    monkeypatch.setenv("BATON_MAX_UPLOAD_MB", "9")  # the environment wins over the file
    assert load_settings().max_upload_mb == 9


def test_baton_env_file_names_another_file(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workdir / ".env").write_text("BATON_MAX_UPLOAD_MB=7\n")
    other = workdir / "prod.env"
    other.write_text("BATON_MAX_UPLOAD_MB=3\n")
    monkeypatch.setenv("BATON_ENV_FILE", str(other))
    assert load_settings().max_upload_mb == 3
    monkeypatch.setenv("BATON_ENV_FILE", "missing.env")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.problems == [f"BATON_ENV_FILE: {workdir / 'missing.env'} is not a file"]


def test_unknown_baton_variables_are_named_with_the_setting_they_resemble(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / ".env").write_text("BATON_LOG_LEVL=debug\nBATON_MAX_UPLOAD_MB=5\n")
    monkeypatch.setenv("BATON_SERCH_BACKEND", "sqlite")
    monkeypatch.setenv("BATON_TEST_SOMETHING", "the test suite's own: not a setting")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.problems == [
        "BATON_SERCH_BACKEND (environment): not a Baton setting; "
        "did you mean BATON_SEARCH_BACKEND?",
        f"BATON_LOG_LEVL ({workdir / '.env'}): not a Baton setting; did you mean BATON_LOG_LEVEL?",
    ]


def test_every_invalid_value_is_reported_at_once_naming_its_variable_and_source(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / ".env").write_text("BATON_MAX_BODY_MB=0\n")
    monkeypatch.setenv("BATON_LOG_LEVEL", "loud")
    monkeypatch.setenv("BATON_DATABASE_URL", "mysql://db/baton")
    monkeypatch.setenv("BATON_METRICS_TOKEN", "short")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    problems = "\n".join(caught.value.problems)
    assert "BATON_LOG_LEVEL='loud' (environment): Input should be 'critical'" in problems
    assert "BATON_DATABASE_URL='mysql://db/baton' (environment): not a database URL" in problems
    assert f"BATON_MAX_BODY_MB='0' ({workdir / '.env'}): " in problems
    assert "BATON_METRICS_TOKEN (environment): " in problems
    assert "short" not in problems  # a secret's value is never printed
    assert len(caught.value.problems) == 4


def test_the_data_directory_is_absolute(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().data_dir == workdir / "data"
    monkeypatch.setenv("BATON_DATA_DIR", "var/../store")
    settings = load_settings()
    assert settings.data_dir == workdir / "store"
    assert settings.catalogue_url == f"sqlite:///{workdir / 'store' / 'baton.db'}"
    (workdir / "file").write_text("")
    monkeypatch.setenv("BATON_DATA_DIR", "file")
    with pytest.raises(SettingsError, match=f"{workdir / 'file'} is a file, not a directory"):
        load_settings()


def test_database_urls(workdir: Path) -> None:
    postgres = Settings(database_url="postgres://u@h:5432/db")
    assert postgres.catalogue_url == "postgresql+psycopg://u@h:5432/db"
    assert Settings(database_url="postgresql://u@h/db").database_url == (
        "postgresql+psycopg://u@h/db"
    )
    with pytest.raises(ValidationError, match=r"sqlite:///path/to/baton\.db"):
        Settings(database_url="baton.db")


def test_meilisearch_needs_its_url(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATON_SEARCH_BACKEND", "meilisearch")
    with pytest.raises(SettingsError, match="needs BATON_MEILI_URL"):
        load_settings()
    monkeypatch.setenv("BATON_MEILI_URL", "localhost:7700")
    with pytest.raises(SettingsError, match="BATON_MEILI_URL='localhost:7700'"):
        load_settings()
    monkeypatch.setenv("BATON_MEILI_URL", "http://127.0.0.1:7700/")
    assert load_settings().meili_url == "http://127.0.0.1:7700"


def test_secret_files_are_read_from_baton_secrets_dir(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = workdir / "secrets"
    secrets.mkdir()
    (secrets / "baton_admin_key").write_text("from-a-file-0123456789\n")
    monkeypatch.setenv("BATON_SECRETS_DIR", str(secrets))
    settings = load_settings()
    assert settings.admin_key is not None
    assert settings.admin_key.get_secret_value() == "from-a-file-0123456789"
    monkeypatch.setenv("BATON_SECRETS_DIR", "nowhere")
    with pytest.raises(SettingsError, match=f"BATON_SECRETS_DIR: {workdir / 'nowhere'} is not"):
        load_settings()
