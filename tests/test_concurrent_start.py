"""Several processes starting at once on an empty database (replicas behind a proxy, a
migrate job beside them): each succeeds, and the schema is migrated exactly once, on
SQLite (a file lock) and PostgreSQL (an advisory lock)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api import migrations

PROCESSES = 3


def _env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    env["BATON_DATA_DIR"] = str(tmp_path / "data")
    env["BATON_DATABASE_URL"] = database_url
    env["BATON_SEMANTIC"] = "off"
    return env


def test_three_db_upgrades_at_once_migrate_once(empty_database_url: str, tmp_path: Path) -> None:
    env = _env(tmp_path, empty_database_url)
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "api.cli", "db", "upgrade"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    results = [process.communicate(timeout=300) for process in started]
    assert [p.returncode for p in started] == [0] * PROCESSES, results
    outputs = [stdout for stdout, _ in results]
    assert sum("migrated:" in out for out in outputs) == 1, outputs
    assert sum("already at head:" in out for out in outputs) == PROCESSES - 1, outputs
    assert migrations.current_revision(empty_database_url) == migrations.head_revision()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_three_servers_started_at_once_on_an_empty_database_all_serve(
    empty_database_url: str, tmp_path: Path
) -> None:
    env = _env(tmp_path, empty_database_url)
    ports = [_free_port() for _ in range(PROCESSES)]
    logs = [(tmp_path / f"serve-{port}.log").open("w+") for port in ports]
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for port, log in zip(ports, logs, strict=True)
    ]
    try:
        waiting = set(ports)
        deadline = time.monotonic() + 180
        while waiting and time.monotonic() < deadline:
            for port, process in zip(ports, started, strict=True):
                assert process.poll() is None, (tmp_path / f"serve-{port}.log").read_text()
                if port not in waiting:
                    continue
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).is_success:
                        waiting.discard(port)
                except httpx.TransportError:
                    pass
            time.sleep(0.2)
        assert not waiting, "servers never answered /healthz"
        for port in ports:
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=30)
            assert ready.json()["database"] == "ok"
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=30)
        for log in logs:
            log.close()
    texts = [(tmp_path / f"serve-{port}.log").read_text() for port in ports]
    assert sum("to the latest schema" in text for text in texts) == 1, texts
    assert migrations.current_revision(empty_database_url) == migrations.head_revision()
