"""`baton serve --workers N`: several processes serve one port from the same catalogue,
and none of them shows what another has changed out of date: an archived asset is gone
from every worker's search at once, a new one found by all."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.test_serve_operations import free_port

pytestmark = pytest.mark.slow

ADMIN_KEY = "serve-workers-master-key-0123456789abcdef"


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(p) for p in found]


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")


def test_workers_share_one_catalogue_and_never_serve_a_stale_asset(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    env.update(
        BATON_DATA_DIR=str(tmp_path / "data"),
        BATON_ADMIN_KEY=ADMIN_KEY,
        BATON_SEMANTIC="off",
        BATON_RATE_LIMITS="off",
        BATON_LOG_LEVEL="warning",
    )
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=stderr,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        admin = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        # Two worker processes under the supervisor (multiprocessing's spawned children).
        workers = [p for p in _children(server.pid) if "spawn_main" in _cmdline(p)]
        assert len(workers) == 2, [_cmdline(p) for p in _children(server.pid)]

        def key(role: str) -> str:
            made = admin.post("/v1/users", json={"email": f"{role}@workers.test", "role": role})
            assert made.status_code == 201, made.text
            return str(made.json()["api_key"])

        marketer = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {key('marketer')}"}
        )
        rep = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key('rep')}"})
        created = marketer.post(
            "/v1/assets",
            json={
                "title": "Zephyrine turbine retrofit case study",
                "kind": "case_study",
                "summary": "How a mill cut downtime.",
                "body": "Zephyrine retrofit.",
            },
        )
        assert created.status_code == 201, created.text
        asset = created.json()["id"]
        assert marketer.post(f"/v1/assets/{asset}/submit").status_code == 200
        approver = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key('admin')}"})
        assert approver.post(f"/v1/assets/{asset}/approve").status_code == 200

        # Each connection may land on either worker: every answer must agree.
        for _ in range(30):
            with httpx.Client(base_url=base, headers=rep.headers) as fresh:
                found = fresh.get("/v1/search", params={"q": "zephyrine"}).json()
            assert [h["asset"]["id"] for h in found["hits"]] == [asset]

        assert approver.post(f"/v1/assets/{asset}/archive").status_code == 200
        for _ in range(30):
            with httpx.Client(base_url=base, headers=rep.headers) as fresh:
                found = fresh.get("/v1/search", params={"q": "zephyrine"}).json()
                assert found["total"] == 0 and found["hits"] == []
                assert fresh.get(f"/v1/assets/{asset}").status_code == 404
    finally:
        server.terminate()
        server.wait(timeout=60)
