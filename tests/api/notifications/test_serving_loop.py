"""The serving process's own loop: with BATON_NOTIFICATIONS_INTERVAL_SECONDS above 0 the
app delivers by itself, woken by the commit that raised the event."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.api.notifications.receivers import Receiver
from tests.catalogue import publish
from tests.conftest import Actor

pytestmark = pytest.mark.slow


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # A long interval: the delivery below comes from the wake-up after the commit.
    return {"webhook_allow_private": True, "notifications_interval_seconds": 3600}


def test_the_running_app_delivers_an_approval_by_itself(
    admin: Actor, marketer: Actor, hook_receiver: Receiver
) -> None:
    created = admin.post(
        "/v1/webhooks", json={"url": hook_receiver.url, "events": ["asset.approved"]}
    )
    assert created.status_code == 201, created.text
    asset = publish(marketer, title="Delivered by the server itself")
    deadline = time.monotonic() + 60  # a bound for a loaded machine, not a measurement
    while not hook_receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)
    (request,) = hook_receiver.received
    assert request.verifies_with(created.json()["secret"])
    assert request.json["data"]["id"] == asset["id"]
