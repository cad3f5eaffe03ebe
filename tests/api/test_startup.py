"""What a server tidies when it starts."""

from __future__ import annotations

import os
import time

from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings


def test_stray_staged_blobs_of_crashed_writers_are_removed_at_start(settings: Settings) -> None:
    staging = settings.blob_dir / "tmp"
    staging.mkdir(parents=True)
    stray, fresh = staging / "staged-crashed", staging / "staged-in-flight"
    stray.write_bytes(b"half a deck")
    fresh.write_bytes(b"being written by baton ingest")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stray, (two_days_ago, two_days_ago))
    with TestClient(create_app(settings)):
        assert not stray.exists()
        assert fresh.exists()
