"""The notification settings: SMTP URLs, the public address, webhook delivery."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import Settings, SettingsError, load_settings


def test_smtp_urls_and_the_public_address_are_checked() -> None:
    for url in ("smtp://mail.example.com", "smtp+starttls://u:p@mail:587", "smtps://u:p@m:465"):
        settings = Settings(smtp_url=url)
        assert settings.smtp_url is not None and settings.smtp_url.get_secret_value() == url
    for url in ("ftp://mail.example.com", "smtp://", "smtp://mail:port"):
        with pytest.raises(ValidationError):
            Settings(smtp_url=url)
    assert Settings(smtp_url="").smtp_url is None
    assert Settings(public_url="https://baton.example.com/").public_url == (
        "https://baton.example.com"
    )
    with pytest.raises(ValidationError):
        Settings(public_url="baton.example.com")
    with pytest.raises(ValidationError):
        Settings(webhook_timeout_seconds=0)
    assert Settings().notifications_interval_seconds == 5
    assert Settings().webhook_allow_private is False


def test_the_variables_are_known_and_a_bad_one_is_named_without_its_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BATON_SMTP_URL", "smtps://lead:hunter2@mail.example.com:465")
    monkeypatch.setenv("BATON_SMTP_FROM", "Baton <baton@example.com>")
    monkeypatch.setenv("BATON_WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("BATON_NOTIFICATIONS_INTERVAL_SECONDS", "0")
    settings = load_settings()
    assert settings.webhook_allow_private is True
    assert settings.notifications_interval_seconds == 0
    monkeypatch.setenv("BATON_SMTP_URL", "imap://lead:hunter2@mail.example.com")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "BATON_SMTP_URL" in str(error.value)
    assert "hunter2" not in str(error.value)
