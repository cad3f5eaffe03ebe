"""What the reliability tests share: `baton serve` as a real process (which they may kill),
HTTP clients per role, calls released at once, and the consistency check."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from api.consistency import Report, check_installation
from api.db import make_engine
from api.settings import Settings
from tests.conftest import ADMIN_KEY

START_SECONDS = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def baton_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """The environment of a `baton` process on this catalogue and data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    env.update(
        BATON_DATABASE_URL=database_url,
        BATON_DATA_DIR=str(data_dir),
        BATON_ADMIN_KEY=ADMIN_KEY,
        BATON_LOG_LEVEL="warning",
        # Load, races and crashes are measured here, not the per-key rate limits.
        BATON_RATE_LIMITS="off",
    )
    return env


class BatonServer:
    """`baton serve` in its own process, on a free port; `start` again after `kill`."""

    def __init__(self, database_url: str, data_dir: Path, log_dir: Path) -> None:
        self.env = baton_env(database_url, data_dir)
        self.settings = Settings(database_url=database_url, data_dir=data_dir)
        self.log_dir = log_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.url = ""

    def start(self) -> None:
        port = free_port()
        self.starts += 1
        log = (self.log_dir / f"serve-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"baton serve did not become ready:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no cleanup."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)

    def log(self) -> str:
        return "".join(
            p.read_text(errors="replace") for p in sorted(self.log_dir.glob("serve-*.log"))
        )[-6000:]

    def client(self, key: str, **options: Any) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {key}"},
            timeout=options.pop("timeout", 60),
            **options,
        )

    def new_key(self, role: str) -> str:
        """A new user of `role`; their API key."""
        with self.client(ADMIN_KEY) as admin:
            answer = admin.post(
                "/v1/users",
                json={"email": f"{role}-{uuid.uuid4().hex[:10]}@example.com", "role": role},
            )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["api_key"])


@contextmanager
def served(database_url: str, data_dir: Path, log_dir: Path) -> Iterator[BatonServer]:
    server = BatonServer(database_url, data_dir, log_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run the calls on their own threads, released together by a barrier."""
    start = threading.Barrier(len(calls))
    answers: list[httpx.Response | BaseException | None] = [None] * len(calls)

    def run(index: int) -> None:
        start.wait()
        try:
            answers[index] = calls[index]()
        except BaseException as exc:  # reported below, on the test's thread
            answers[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return [a for a in answers if isinstance(a, httpx.Response)]


def check(settings: Settings) -> Report:
    """`baton check` on the catalogue and data folder of `settings` (in this process)."""
    engine = make_engine(settings.catalogue_url)
    try:
        return check_installation(settings, engine)
    finally:
        engine.dispose()


def check_settled(settings: Settings, *, wait: float = 60) -> Report:
    """The check, once no index difference is still waiting in the change log (a running
    server's indexer applies those within seconds), or the last report after `wait`."""
    deadline = time.monotonic() + wait
    while True:
        report = check(settings)
        if not report.unsettled:
            return report
        if time.monotonic() > deadline:
            return report
        time.sleep(0.5)
