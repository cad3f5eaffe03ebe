"""`baton backup` while a real server takes writes, `baton restore` into an empty
installation, and a server started on it: every write acknowledged before the backup's
snapshot is there (the asset, its file byte for byte, its search hit for a rep), a delete
acknowledged before it is not, whatever else came through is whole, and `baton check`
finds nothing. On SQLite and PostgreSQL, with the `baton` commands run as a user runs them.

No timing is asserted: the snapshot's instant comes from the backup's manifest, and a
write in flight across it may land on either side."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import ADMIN_KEY
from tests.databases import PostgresDatabases
from tests.reliability.documents import document, token
from tests.reliability.harness import BatonServer, baton_env

WRITERS = 2
MIN_ACKED_BEFORE_BACKUP = 12
FORMATS = ("md", "txt", "html", "pdf", "docx")
# Keyword search only: loading the model and embedding every write would slow the servers
# and the PostgreSQL restore's reindex; the vectors are derived data like the rest of the
# index (in the catalogue's file on SQLite, rebuilt on PostgreSQL).
QUICK = {"BATON_SEMANTIC": "off"}


@dataclass
class Written:
    """What the server acknowledged about one asset, and when (time.time())."""

    token: str
    title: str
    created: float
    content: bytes | None = None  # an uploaded file's bytes
    approved: float | None = None
    delete_sent: float | None = None
    deleted: float | None = None


@dataclass
class Load:
    server: BatonServer
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    assets: dict[str, Written] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def acked(self) -> int:
        with self.lock:
            return len(self.assets)

    def run(self, seed: int) -> None:
        rng = random.Random(seed)
        mine: list[str] = []
        with (
            self.server.client(self.server.new_key("marketer")) as http,
            self.server.client(ADMIN_KEY) as admin,
        ):
            while not self.stop.is_set():
                try:
                    action = rng.choices(
                        [self.create, self.upload, self.publish, self.delete],
                        weights=[30, 35, 25, 10],
                    )[0]
                    action(admin if action == self.delete else http, rng, mine)
                except httpx.HTTPError as exc:  # the test fails on it, after the load
                    self.failures.append(f"{type(exc).__name__}: {exc}")

    def _expect(self, answer: httpx.Response, code: int, what: str) -> bool:
        if answer.status_code == code:
            return True
        self.failures.append(f"{what}: {answer.status_code} {answer.text[:300]}")
        return False

    def create(self, http: httpx.Client, rng: random.Random, mine: list[str]) -> None:
        word = token(rng)
        title = f"Crane safety {word}"
        answer = http.post(
            "/v1/assets",
            json={"title": title, "kind": "one_pager", "body": f"Words about {word}."},
        )
        if self._expect(answer, 201, "create"):
            with self.lock:
                self.assets[answer.json()["id"]] = Written(word, title, time.time())
            mine.append(answer.json()["id"])

    def upload(self, http: httpx.Client, rng: random.Random, mine: list[str]) -> None:
        word = token(rng)
        suffix = rng.choice(FORMATS)
        content = document(word, suffix)
        answer = http.post("/v1/assets/upload", files={"file": (f"{word}.{suffix}", content)})
        if self._expect(answer, 201, "upload"):
            body = answer.json()
            with self.lock:
                self.assets[body["id"]] = Written(word, body["title"], time.time(), content)
            mine.append(body["id"])

    def publish(self, http: httpx.Client, rng: random.Random, mine: list[str]) -> None:
        drafts = [i for i in mine if self.assets[i].approved is None]
        if not drafts:
            return
        asset_id = rng.choice(drafts)
        if not self._expect(http.post(f"/v1/assets/{asset_id}/submit"), 200, "submit"):
            return
        if self._expect(http.post(f"/v1/assets/{asset_id}/approve"), 200, "approve"):
            with self.lock:
                self.assets[asset_id].approved = time.time()

    def delete(self, admin: httpx.Client, rng: random.Random, mine: list[str]) -> None:
        uploaded = [i for i in mine if self.assets[i].content is not None]
        if len(uploaded) < 3:
            return
        asset_id = rng.choice(uploaded)
        mine.remove(asset_id)
        sent = time.time()
        with self.lock:
            self.assets[asset_id].delete_sent = sent
        if self._expect(admin.delete(f"/v1/assets/{asset_id}"), 204, "delete"):
            with self.lock:
                self.assets[asset_id].deleted = time.time()


def baton(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def restore_target(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """An empty catalogue of the same kind as `database_url`, to restore into."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored-catalogue' / 'baton.db'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    url = databases.create(empty=True)
    yield url
    databases.drop(url)


def test_a_backup_taken_under_write_load_restores_every_acknowledged_write(
    database_url: str, restore_target: str, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    server = BatonServer(database_url, tmp_path / "data", logs)
    server.env.update(QUICK)
    server.start()
    try:
        rep_key = server.new_key("rep")  # in the snapshot: it works on the restored server
        load = Load(server)
        writers = [threading.Thread(target=load.run, args=(seed,)) for seed in range(WRITERS)]
        for writer in writers:
            writer.start()
        try:
            while load.acked() < MIN_ACKED_BEFORE_BACKUP and not load.failures:
                time.sleep(0.05)
            dest = tmp_path / "backup"
            backup = baton("backup", str(dest), env=server.env)
            # Writes go on past the backup: the restored server may hold none of those.
            after = load.acked()
            while load.acked() <= after and not load.failures:
                time.sleep(0.05)
        finally:
            load.stop.set()
            for writer in writers:
                writer.join()
    finally:
        server.stop()
    assert not load.failures, load.failures[:5]
    assert backup.returncode == 0, backup.stderr
    manifest = json.loads((dest / "manifest.json").read_text())
    snapshot = datetime.fromisoformat(manifest["snapshot_at"]).timestamp()

    restored_env = baton_env(restore_target, tmp_path / "restored-data") | QUICK
    restore = baton("restore", str(dest), env=restored_env)
    assert restore.returncode == 0, restore.stderr
    assert "restored the backup" in restore.stdout
    check = baton("check", env=restored_env)
    assert check.returncode == 0, check.stdout + check.stderr

    restored = BatonServer(restore_target, tmp_path / "restored-data", logs)
    restored.env.update(QUICK)
    restored.start()
    try:
        with restored.client(rep_key) as rep, restored.client(ADMIN_KEY) as admin:
            figures = _compare(load.assets, snapshot, admin, rep)
    finally:
        restored.stop()
    assert figures["must be there"] >= MIN_ACKED_BEFORE_BACKUP
    assert figures["approved before the snapshot"] > 0
    assert figures["files compared"] > 0


def _compare(
    assets: dict[str, Written], snapshot: float, admin: httpx.Client, rep: httpx.Client
) -> dict[str, int]:
    """Check each acknowledged asset on the restored server; how many of each kind."""
    figures = {
        "must be there": 0,
        "approved before the snapshot": 0,
        "files compared": 0,
        "deleted before the snapshot": 0,
    }
    for asset_id, written in assets.items():
        answer = admin.get(f"/v1/assets/{asset_id}")
        before = written.created < snapshot
        gone = written.deleted is not None and written.deleted < snapshot
        if gone:
            figures["deleted before the snapshot"] += 1
            assert answer.status_code == 404, f"{asset_id} was deleted before the snapshot"
            continue
        kept = before and (written.delete_sent is None or written.delete_sent > snapshot)
        if kept:
            figures["must be there"] += 1
            assert answer.status_code == 200, f"acknowledged {asset_id} is lost: {answer.text}"
        if answer.status_code == 404:
            continue  # written after the snapshot, or deleted across it
        assert answer.status_code == 200, answer.text
        asset = answer.json()
        assert asset["title"] == written.title
        if written.content is not None:
            file = admin.get(f"/v1/assets/{asset_id}/file")
            assert file.status_code == 200, f"the file of {asset_id} is lost: {file.text}"
            assert file.content == written.content
            figures["files compared"] += 1
        if written.approved is not None and written.approved < snapshot:
            figures["approved before the snapshot"] += 1
            assert asset["status"] == "approved", asset_id
        if asset["status"] == "approved":
            hits = rep.get("/v1/search", params={"q": written.token, "limit": 50})
            assert hits.status_code == 200, hits.text
            found = {hit["asset"]["id"] for hit in hits.json()["hits"]}
            assert asset_id in found, f"a rep's search for {written.token} misses {asset_id}"
    return figures
