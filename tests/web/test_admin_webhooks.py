"""A webhook's delivery log as an admin reads it: each delivery with its status and every
attempt (time, answer or error, duration), redelivery, and the refusal for a disabled
webhook; and an invitation emailed when an SMTP server is configured."""

from __future__ import annotations

import html
import re
import socket
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from api.db import utcnow
from api.notifications.worker import run_once
from api.settings import Settings
from tests.api.notifications.receivers import smtp_server
from tests.catalogue import publish
from tests.conftest import Actor
from tests.web.conftest import signed_in_client
from tests.web.test_admin import post, text


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The webhook points at 127.0.0.1 (a port nobody listens on): allowed here only.
    return {"webhook_allow_private": True, "webhook_timeout_seconds": 1.0}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_delivery_log_shows_every_attempt_and_a_delivery_can_be_sent_again(
    app: FastAPI, settings: Settings, admin: Actor, marketer: Actor, people: Any
) -> None:
    browser = signed_in_client(app, people("admin"))
    url = f"http://127.0.0.1:{closed_port()}/hook"
    made = admin.post("/v1/webhooks", json={"url": url, "events": ["asset.approved"]})
    assert made.status_code == 201, made.text
    hook = made.json()
    page = browser.get(f"/admin/webhooks/{hook['id']}")
    assert "No deliveries yet." in text(page)

    publish(marketer, title="Battlecard")
    assert run_once(app.state.engine, settings, now=utcnow()).failed_attempts == 1
    page = browser.get(f"/admin/webhooks/{hook['id']}")
    said = text(page)
    assert "asset.approved pending" in said
    attempt = re.search(
        r'<th scope="row">1</th>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>\s*<td>(\d+) ms</td>',
        page.text,
    )
    assert attempt, page.text
    assert attempt.group(1).endswith("UTC")
    assert attempt.group(2).strip()  # why it failed: the receiver never answered
    (delivery_id,) = re.findall(r"/deliveries/(\w+)/redeliver", page.text)

    assert "asset.approved" in text(browser.get(f"/admin/webhooks/{hook['id']}?status=pending"))
    delivered = browser.get(f"/admin/webhooks/{hook['id']}?status=delivered")
    assert "No deliveries in this state yet." in text(delivered)
    bad = browser.get(f"/admin/webhooks/{hook['id']}?status=lost")
    assert bad.status_code == 422

    again = post(browser, f"/admin/webhooks/{hook['id']}/deliveries/{delivery_id}/redeliver")
    assert "The delivery is queued again" in text(again)
    (row,) = admin.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert row["status"] == "pending" and row["attempts"] == 0

    admin.patch(f"/v1/webhooks/{hook['id']}", json={"active": False})
    refused = post(browser, f"/admin/webhooks/{hook['id']}/deliveries/{delivery_id}/redeliver")
    assert refused.status_code == 409
    assert "the webhook is inactive: activate it before redelivering" in text(refused)


def test_an_invitation_is_emailed_when_an_smtp_server_is_set(
    app: FastAPI, admin: Actor, people: Any
) -> None:
    browser = signed_in_client(app, people("admin"))
    with smtp_server() as (url, mailbox):
        app.state.settings.smtp_url = SecretStr(url)
        answer = post(browser, "/admin/people", email="mo@example.com", name="Mo", role="rep")
        assert answer.status_code == 200
        said = text(answer)
        assert "mo@example.com is invited: the link was emailed to them." in said
        assert 'id="invite-url"' not in answer.text
        (message,) = mailbox.to("mo@example.com")
    link = re.search(r"http://testserver(/account/invite/\S+)", message.get_content())
    assert link, message.get_content()
    assert "Welcome to Baton" in html.unescape(browser.get(link.group(1)).text)


def test_an_invitation_that_cannot_be_emailed_says_so_and_invites_nobody(
    app: FastAPI, admin: Actor, people: Any
) -> None:
    browser = signed_in_client(app, people("admin"))
    app.state.settings.smtp_url = SecretStr(f"smtp://127.0.0.1:{closed_port()}")
    answer = post(browser, "/admin/people", email="lu@example.com", name="Lu", role="rep")
    assert answer.status_code == 503
    assert "the email to lu@example.com could not be sent" in text(answer)
    assert 'value="lu@example.com"' in answer.text  # the form is kept to try again
    listed = admin.get("/v1/users", params={"limit": 100}).json()["items"]
    assert "lu@example.com" not in {p["email"] for p in listed}
