"""Email reminders and the weekly digest through a real SMTP server (aiosmtpd), the
webhook routes' rules (admins only, URLs checked, audited), and `baton notifications`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.cli import app as cli
from api.db import utcnow
from api.notifications.models import NotificationEmail
from api.notifications.schedule import digest_period
from api.notifications.worker import run_once
from api.settings import Settings, get_settings
from tests.api.notifications.receivers import smtp_server
from tests.catalogue import create, publish
from tests.conftest import Actor, new_actor

pytestmark = pytest.mark.slow

MONDAY_MORNING = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_the_weekly_digest_reaches_the_marketing_leads_once(
    app: FastAPI, settings: Settings, client: Any, marketer: Actor, rep: Actor
) -> None:
    lead = new_actor(client, "marketer", "lead@example.com")
    boss = new_actor(client, "admin", "boss@example.com")
    asked = rep.post("/v1/questions", json={"text": "Does the app work offline on site?"})
    assert asked.status_code in {200, 201}, asked.text
    publish(marketer, title="Fatigue rule talking point", stages=["decision"])
    with smtp_server() as (url, mailbox):
        mailing = settings.model_copy(
            update={"smtp_url": SecretStr(url), "smtp_from": "Baton <baton@example.com>"}
        )
        done = run_once(app.state.engine, mailing, now=MONDAY_MORNING)
        assert done.emailed == 3  # lead, boss, and the marketer fixture; never the rep
        run_once(app.state.engine, mailing, now=MONDAY_MORNING + timedelta(hours=3))
        assert len(mailbox.messages) == 3
        assert sorted(rcpt[0] for _, rcpt in mailbox.envelopes) == sorted(
            ["lead@example.com", "boss@example.com", marketer_email(client, marketer)]
        )
        (message,) = mailbox.to("lead@example.com")
        print("\n--- the digest as received ---\n" + mailbox.raw[0].decode())
    assert message["Subject"] == "Baton weekly content gaps: 2026-W50"
    assert message["From"] == "Baton <baton@example.com>"
    assert message["Auto-Submitted"] == "auto-generated"
    text = body_of(message)
    assert "Unanswered customer questions: 1" in text
    assert '"Does the app work offline on site?" (asked 1x)' in text
    assert "Stage x industry pairs without live content:" in text
    assert "The whole report: /v1/reports/content-gaps" in text
    assert boss.id and lead.id
    # The next week's digest is due next Monday.
    assert digest_period(MONDAY_MORNING + timedelta(days=7, hours=-2)) is None


def marketer_email(client: Any, marketer: Actor) -> str:
    return str(marketer.get("/v1/me").json()["email"])


def test_an_expired_asset_reminds_its_owner_by_email(
    app: FastAPI, settings: Settings, marketer: Actor
) -> None:
    soon = (utcnow() + timedelta(days=1)).isoformat()
    asset = publish(
        marketer, title="Q3 pricing talking point", kind="talking_point", expires_at=soon
    )
    with smtp_server() as (url, mailbox):
        mailing = settings.model_copy(update={"smtp_url": SecretStr(url)})
        # The week's digest goes out in the same round; the owner's reminder is the other.
        run_once(app.state.engine, mailing, now=utcnow() + timedelta(days=2))
        reminders = [m for m in mailbox.messages if m["Subject"].startswith("Expired: ")]
    (reminder,) = reminders
    assert reminder["To"] == marketer_email(app, marketer)
    assert reminder["Subject"] == "Expired: Q3 pricing talking point"
    assert f"/v1/assets/{asset['id']}" in body_of(reminder)
    assert "reps no longer see it" in body_of(reminder)


def test_a_failing_smtp_server_is_retried_until_it_accepts(
    app: FastAPI, settings: Settings, marketer: Actor
) -> None:
    with smtp_server() as (url, _):
        dead = url  # the server stops at the end of this block: its port refuses
    mailing = settings.model_copy(update={"smtp_url": SecretStr(dead)})
    done = run_once(app.state.engine, mailing, now=MONDAY_MORNING)
    assert done.emailed == 0 and done.failed_emails == 1
    with Session(app.state.engine) as session:
        (email,) = session.exec(select(NotificationEmail)).all()
    assert email.status == "pending" and email.attempts == 1 and email.last_error
    with smtp_server() as (url, mailbox):
        mailing = settings.model_copy(update={"smtp_url": SecretStr(url)})
        assert run_once(app.state.engine, mailing, now=MONDAY_MORNING).emailed == 0  # not due
        later = MONDAY_MORNING + timedelta(hours=1)
        assert run_once(app.state.engine, mailing, now=later).emailed == 1
        (message,) = mailbox.messages
    assert message["Message-ID"] == f"<{email.id}@baton.notifications>"


def test_webhooks_are_for_admins_with_checked_urls_and_audited(
    admin: Actor, marketer: Actor
) -> None:
    good = {"url": "https://hooks.example.com/baton", "events": ["asset.approved"]}
    assert marketer.post("/v1/webhooks", json=good).status_code == 403
    assert marketer.get("/v1/webhooks").status_code == 403
    refused = {
        "ftp://example.com/x": "http:// or https://",
        "https://user:pw@example.com/x": "no credentials",
        "http://127.0.0.1:9/x": "private or local",
        "http://10.1.2.3/x": "private or local",
        "http://169.254.169.254/latest/meta-data": "private or local",
        "http://[::1]/x": "private or local",
        "http://localhost:8000/x": "private or local",
    }
    for url, detail in refused.items():
        response = admin.post("/v1/webhooks", json={**good, "url": url})
        assert response.status_code == 422, url
        assert detail in response.json()["detail"], (url, response.json())
    assert admin.post("/v1/webhooks", json={**good, "events": ["asset.nope"]}).status_code == 422
    assert admin.post("/v1/webhooks", json={**good, "events": []}).status_code == 422

    created = admin.post("/v1/webhooks", json=good)
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["active"] is True and hook["events"] == ["asset.approved"]
    patched = admin.patch(
        f"/v1/webhooks/{hook['id']}", json={"active": False, "events": ["asset.expired"]}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["active"] is False
    assert "secret" not in patched.json()
    listed = admin.get("/v1/webhooks").json()
    assert [h["id"] for h in listed["items"]] == [hook["id"]]
    rotated = admin.post(f"/v1/webhooks/{hook['id']}/rotate-secret")
    assert rotated.status_code == 200
    assert admin.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"] == []
    assert admin.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
    assert admin.get(f"/v1/webhooks/{hook['id']}").status_code == 404

    entries = admin.get("/v1/audit", params={"subject": "webhook"}).json()["items"]
    actions = sorted(e["action"] for e in entries)
    assert actions == [
        "webhook.created",
        "webhook.deleted",
        "webhook.secret_rotated",
        "webhook.updated",
    ]
    dumped = json.dumps(entries)
    assert hook["secret"] not in dumped and rotated.json()["secret"] not in dumped
    assert "whsec_" not in dumped


def test_baton_notifications_run_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, marketer: Actor
) -> None:
    create(marketer, title="A draft")
    monkeypatch.setenv("BATON_DATABASE_URL", settings.catalogue_url)
    monkeypatch.setenv("BATON_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["notifications", "run-once"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "scheduled" in result.output and "dispatched" in result.output


def test_a_nul_in_a_webhooks_text_is_dropped_never_a_500(admin: Actor) -> None:
    made = admin.post(
        "/v1/webhooks",
        json={
            "url": "https://hooks.example.com/\x00baton",
            "events": ["asset.approved"],
            "description": "CRM \x00sync",
        },
    )
    assert made.status_code == 201, made.text
    hook = made.json()
    assert hook["url"] == "https://hooks.example.com/baton"
    assert hook["description"] == "CRM sync"
    changed = admin.patch(f"/v1/webhooks/{hook['id']}", json={"description": "\x00x"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["description"] == "x"
