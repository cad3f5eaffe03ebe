"""`baton serve` as an operator runs it: JSON log lines on stderr with request ids and the
caller, never the key; two servers sharing one rate-limit budget through the real Redis."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

pytestmark = pytest.mark.slow

REDIS_URL = "redis://127.0.0.1:6379/0"
ADMIN_KEY = "serve-operations-master-key-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """One `baton serve` process; its stderr (the log) kept in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        with log.open("w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                text=True,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"baton serve did not start:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def served_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"Redis does not answer at {REDIS_URL}: the shared-budget test needs it")
    prefix = f"baton-test-{uuid.uuid4().hex[:12]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    env.update(
        BATON_DATA_DIR=str(tmp_path / "data"),
        BATON_ADMIN_KEY=ADMIN_KEY,
        BATON_SEMANTIC="off",
        BATON_LOG_FORMAT="json",
        BATON_LOG_LEVEL="info",
        BATON_REDIS_URL=REDIS_URL,
        BATON_REDIS_PREFIX=prefix,
        BATON_RATE_LIMITS="suggestions=3/minute",
    )
    yield env
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_two_servers_share_the_budget_and_log_json(
    served_env: dict[str, str], tmp_path: Path
) -> None:
    first = Served(served_env, tmp_path / "first.log")
    try:
        second = Served(served_env, tmp_path / "second.log")
        try:
            made = httpx.post(
                f"{first.base}/v1/users",
                json={"email": "rep@example.com", "role": "rep"},
                headers={"Authorization": f"Bearer {ADMIN_KEY}"},
            )
            assert made.status_code == 201, made.text
            key, rep_id = made.json()["api_key"], made.json()["id"]

            def suggest(server: Served, request_id: str) -> httpx.Response:
                return httpx.post(
                    f"{server.base}/v1/suggestions",
                    json={"text": "Does it work offline?"},
                    headers={"Authorization": f"Bearer {key}", "X-Request-ID": request_id},
                    timeout=30,
                )

            answers = [
                suggest(first, "live-1"),
                suggest(second, "live-2"),
                suggest(first, "live-3"),
            ]
            assert [a.status_code for a in answers] == [200, 200, 200]
            refused = suggest(second, "live-4")
            assert refused.status_code == 429
            assert refused.headers["retry-after"].isdigit()
            assert refused.json()["request_id"] == "live-4"
            assert httpx.get(f"{second.base}/readyz").json()["rate_limits"] == "ok"
        finally:
            second.stop()
    finally:
        first.stop()

    records: list[dict[str, Any]] = []
    for log in (first.log_path, second.log_path):
        text = log.read_text()
        assert key not in text
        assert ADMIN_KEY not in text
        # Every line is one JSON object, uvicorn's own included.
        records += [json.loads(line) for line in text.splitlines() if line.strip()]
    assert any(r["logger"].startswith("uvicorn") for r in records)
    access = {r["request_id"]: r for r in records if r["logger"] == "baton.access"}
    assert {"live-1", "live-2", "live-3", "live-4"} <= set(access)
    assert access["live-1"]["route"] == "/v1/suggestions"
    assert access["live-1"]["status"] == 200
    assert access["live-1"]["user_id"] == rep_id
    assert access["live-4"]["status"] == 429
    assert not any(r["logger"] == "uvicorn.access" for r in records)


def test_a_wrong_log_format_is_named_without_a_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    env.update(BATON_DATA_DIR=str(tmp_path / "data"), BATON_LOG_FORMAT="yaml")
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "BATON_LOG_FORMAT" in result.stderr
    assert "'text' or 'json'" in result.stderr
    assert "Traceback" not in result.stderr
