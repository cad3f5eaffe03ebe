"""Several `baton serve` processes on one catalogue, each a replica with its own data
directory (its own search index), driven over real HTTP; used by the replica tests and
`bench/replicas.py`."""

from __future__ import annotations

import os
import random
import signal
import socket
import string
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ADMIN_KEY = "replicas-master-key-0123456789abcdef"
POSITION = "Baton-Position"
STALE = "Baton-Stale"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def word(rng: random.Random) -> str:
    """A word no other document holds (letters only: the index splits digits off)."""
    return "zq" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))


class Replica:
    """One `baton serve` process with its own data directory; SIGKILL and restart keep
    the directory (and so its replica id and index file)."""

    def __init__(self, name: str, database_url: str, root: Path, **env: str) -> None:
        self.name = name
        self.database_url = database_url
        self.data_dir = root / name
        self.log_path = root / f"{name}.log"
        self.extra_env = env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None
        self.http = httpx.Client(base_url=self.base, timeout=30)
        self.started = 0
        self.ready = False  # serving (answered /healthz since its last start)

    def start(self, *, wait: float = 240) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
        env.update(
            BATON_DATA_DIR=str(self.data_dir),
            BATON_DATABASE_URL=self.database_url,
            BATON_ADMIN_KEY=ADMIN_KEY,
            BATON_SEMANTIC="off",
            BATON_RATE_LIMITS="off",
            BATON_NOTIFICATIONS_INTERVAL_SECONDS="0",
            BATON_LOG_LEVEL="warning",
            **self.extra_env,
        )
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
                text=True,
            )
        self.started += 1
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} stopped:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    self.ready = True
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"{self.name} did not start:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown at all (a crash, an OOM kill)."""
        self.ready = False
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.http.close()

    def alive(self) -> bool:
        return self.ready and self.process is not None and self.process.poll() is None


@dataclass
class Written:
    """A write as its client saw it: the asset, its word, the position token, when."""

    asset_id: str
    word: str
    position: str
    at: float
    replica: str


@dataclass
class Cluster:
    """The replicas of one catalogue, a marketer and a rep made through the first one."""

    database_url: str
    root: Path
    replicas: dict[str, Replica] = field(default_factory=dict)
    marketer: str = ""
    rep: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, **env: str) -> Replica:
        replica = Replica(name, self.database_url, self.root, **env)
        with self.lock:
            self.replicas[name] = replica  # stopped with the others even if it fails
        replica.start()
        return replica

    def people(self) -> None:
        first = next(iter(self.replicas.values()))
        admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
        for role in ("marketer", "rep"):
            made = first.http.post(
                "/v1/users", json={"email": f"{role}@example.com", "role": role}, headers=admin
            )
            assert made.status_code == 201, made.text
            setattr(self, role, made.json()["api_key"])

    def live(self) -> list[Replica]:
        with self.lock:
            return [r for r in self.replicas.values() if r.alive()]

    def stop(self) -> None:
        for replica in self.replicas.values():
            replica.stop()

    # --- writing (as the marketer) ---------------------------------------------------

    def _post(
        self, replica: Replica, path: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        auth = {"Authorization": f"Bearer {self.marketer}"}
        response = replica.http.post(path, json=body, headers=auth)
        assert response.status_code in (200, 201), f"{replica.name} {path}: {response.text}"
        return response

    def publish(self, on: Iterable[Replica], text: str) -> Written:
        """Create, submit and approve an asset, each step on the next replica given."""
        steps = list(on)
        made = self._post(
            steps[0], "/v1/assets", {"title": f"Playbook {text}", "kind": "one_pager"}
        )
        asset_id = made.json()["id"]
        self._post(steps[1 % len(steps)], f"/v1/assets/{asset_id}/submit")
        approved = self._post(steps[2 % len(steps)], f"/v1/assets/{asset_id}/approve")
        at = time.monotonic()
        return Written(asset_id, text, approved.headers[POSITION], at, steps[2 % len(steps)].name)

    def archive(self, on: Replica, written: Written) -> Written:
        archived = self._post(on, f"/v1/assets/{written.asset_id}/archive")
        at = time.monotonic()
        return Written(written.asset_id, written.word, archived.headers[POSITION], at, on.name)

    # --- reading (as the rep) --------------------------------------------------------

    def search(
        self, replica: Replica, text: str, *, position: str | None = None
    ) -> tuple[list[str], bool]:
        """The ids a rep finds on `replica`, and whether it answered as maybe stale."""
        headers = {"Authorization": f"Bearer {self.rep}"}
        if position is not None:
            headers[POSITION] = position
        response = replica.http.get("/v1/search", params={"q": text}, headers=headers)
        assert response.status_code == 200, f"{replica.name}: {response.text}"
        ids = [hit["asset"]["id"] for hit in response.json()["hits"]]
        return ids, response.headers.get(STALE) == "true"

    def everything(self, replica: Replica) -> set[str]:
        """Every asset a rep's browse lists on `replica` (all pages)."""
        headers = {"Authorization": f"Bearer {self.rep}"}
        found: set[str] = set()
        offset = 0
        while True:
            response = replica.http.get(
                "/v1/search", params={"q": "", "limit": 100, "offset": offset}, headers=headers
            )
            assert response.status_code == 200, f"{replica.name}: {response.text}"
            body = response.json()
            found.update(hit["asset"]["id"] for hit in body["hits"])
            offset += 100
            if not body["hits"] or offset >= body["total"]:
                return found

    def seen_after(
        self, replica: Replica, written: Written, *, present: bool, timeout: float = 15
    ) -> float | None:
        """Seconds from the write's answer until `replica` shows it (or, for an archive,
        no longer shows it); None when it did not within `timeout` or the replica died."""
        deadline = written.at + timeout
        while time.monotonic() < deadline:
            try:
                ids, _ = self.search(replica, written.word)
            except (httpx.TransportError, AssertionError):
                if not replica.alive():
                    return None
                time.sleep(0.05)
                continue
            if (written.asset_id in ids) == present:
                return time.monotonic() - written.at
            time.sleep(0.01)
        return None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def catalogue_live(cluster: Cluster, replica: Replica) -> set[str]:
    """What the catalogue itself (one database, always current) lists to a rep: the ids
    every replica's search must hold, no more, no less."""
    headers = {"Authorization": f"Bearer {cluster.rep}"}
    found: set[str] = set()
    offset = 0
    while True:
        response = replica.http.get(
            "/v1/assets", params={"limit": 100, "offset": offset}, headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        found.update(item["id"] for item in body["items"])
        offset += 100
        if not body["items"] or offset >= body["total"]:
            return found
