"""Webhook secrets sealed at rest: never stored, shown (after creation), logged or audited
plain; the key from BATON_SECRET_KEY or a 0600 file in the data directory; secrets stored
plain before are sealed at start; a database without its key says so in the delivery log."""

from __future__ import annotations

import shutil
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.backup.service import restore_backup, take_backup
from api.db import make_engine, utcnow
from api.main import create_app
from api.notifications import sealing
from api.notifications.worker import run_once
from api.settings import Settings
from tests.api.notifications.receivers import Receiver
from tests.api.test_backup import target  # noqa: F401 (fixture)
from tests.catalogue import publish
from tests.conftest import Actor


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"webhook_allow_private": True, "webhook_timeout_seconds": 1.0}


def stored(app: FastAPI, hook_id: str) -> tuple[str, str | None]:
    with app.state.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT secret, previous_secret FROM webhooks WHERE id = :id"), {"id": hook_id}
        ).one()
    return row[0], row[1]


def register(admin: Actor, url: str) -> dict[str, Any]:
    response = admin.post("/v1/webhooks", json={"url": url, "events": ["asset.approved"]})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_secret_is_stored_sealed_and_shown_only_on_creation(
    app: FastAPI,
    settings: Settings,
    admin: Actor,
    marketer: Actor,
    hook_receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    hook = register(admin, hook_receiver.url)
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    sealed, _ = stored(app, hook["id"])
    assert secret not in sealed and not sealed.startswith("whsec_")
    # The key was written once to the data directory, for its owner only.
    key = settings.data_dir / sealing.KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert Fernet(key.read_bytes().strip()).decrypt(sealed.encode()).decode() == secret

    rotated = admin.post(f"/v1/webhooks/{hook['id']}/rotate-secret", json={"grace_seconds": 60})
    new = rotated.json()["secret"]
    current, previous = stored(app, hook["id"])
    assert previous is not None and secret not in previous and new not in current

    # Never shown again, never audited, never logged.
    for response in (
        admin.get(f"/v1/webhooks/{hook['id']}"),
        admin.get("/v1/webhooks"),
        admin.patch(f"/v1/webhooks/{hook['id']}", json={"description": "CRM"}),
        admin.get("/v1/audit", params={"limit": 100}),
    ):
        assert response.status_code == 200, response.text
        assert secret not in response.text and new not in response.text
        assert sealed not in response.text and current not in response.text
    publish(marketer, title="Signed with the sealed secret")
    assert run_once(app.state.engine, settings, now=utcnow()).delivered == 1
    assert hook_receiver.received[-1].verifies_with(new)
    assert hook_receiver.received[-1].verifies_with(secret)  # in its grace period
    assert all(secret not in r.getMessage() and new not in r.getMessage() for r in caplog.records)


def test_secrets_stored_plain_are_sealed_at_start(
    app: FastAPI, settings: Settings, admin: Actor, marketer: Actor, hook_receiver: Receiver
) -> None:
    hook = register(admin, hook_receiver.url)
    plain = hook["secret"]
    # As a database from before sealing holds it.
    with app.state.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE webhooks SET secret = :plain WHERE id = :id"),
            {"plain": plain, "id": hook["id"]},
        )
    # Read meanwhile as it is: deliveries keep working.
    publish(marketer, title="Before the restart")
    assert run_once(app.state.engine, settings, now=utcnow()).delivered == 1
    assert hook_receiver.received[-1].verifies_with(plain)

    with TestClient(create_app(settings)):  # a start
        pass
    sealed, _ = stored(app, hook["id"])
    assert not sealed.startswith("whsec_") and plain not in sealed
    publish(marketer, title="After the restart")
    assert run_once(app.state.engine, settings, now=utcnow()).delivered == 1
    assert hook_receiver.received[-1].verifies_with(plain)


def test_a_database_restored_without_its_key_says_so_in_the_delivery_log(
    app: FastAPI, settings: Settings, admin: Actor, marketer: Actor, hook_receiver: Receiver
) -> None:
    hook = register(admin, hook_receiver.url)
    publish(marketer, title="Sealed with another key")
    other = settings.model_copy(update={"secret_key": SecretStr(Fernet.generate_key().decode())})
    try:
        done = run_once(app.state.engine, other, now=utcnow())
    finally:
        sealing.configure(settings)
    assert done.failed_attempts == 1 and hook_receiver.received == []
    (delivery,) = admin.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert "BATON_SECRET_KEY" in delivery["last_error"]
    assert "BATON_SECRET_KEY" in delivery["attempt_log"][0]["error"]
    # With its key back, the retry is delivered.
    done = run_once(app.state.engine, settings, now=utcnow() + timedelta(days=1))
    assert done.delivered == 1


def test_the_secret_key_setting_must_be_a_fernet_key(settings: Settings) -> None:
    with pytest.raises(ValueError, match="Fernet key"):
        Settings(data_dir=settings.data_dir, secret_key="not a key")
    key = Fernet.generate_key().decode()
    given = Settings(data_dir=settings.data_dir, secret_key=key).secret_key
    assert given is not None and given.get_secret_value() == key


def test_a_backup_carries_the_sealed_secret_and_restores_with_its_key(
    app: FastAPI,
    settings: Settings,
    admin: Actor,
    hook_receiver: Receiver,
    target: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    hook = register(admin, hook_receiver.url)
    secret = hook["secret"]
    backup = tmp_path / "backup"
    take_backup(settings, backup)
    written = b"".join(p.read_bytes() for p in backup.rglob("*") if p.is_file())
    sealed, _ = stored(app, hook["id"])
    assert secret.encode() not in written

    # Restored, then given its key (the data directory's secret.key copied, as documented):
    # the row holds the same ciphertext, which that key opens.
    restore_backup(target, backup)
    shutil.copy(settings.data_dir / sealing.KEY_FILE, target.data_dir / sealing.KEY_FILE)
    engine = make_engine(target.catalogue_url)
    try:
        with engine.connect() as conn:
            restored = conn.execute(
                sa.text("SELECT secret FROM webhooks WHERE id = :id"), {"id": hook["id"]}
            ).scalar_one()
        sealing.configure(target)
        assert restored == sealed and sealing.unseal(restored) == secret
    finally:
        engine.dispose()
        sealing.configure(settings)
