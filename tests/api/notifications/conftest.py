"""Fixtures of the notification tests: a real webhook receiver on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.notifications.receivers import Receiver, receiver


@pytest.fixture
def hook_receiver() -> Iterator[Receiver]:
    with receiver() as state:
        yield state
