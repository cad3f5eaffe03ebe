"""kill -9: of the server while uploads stream in, and of `baton ingest` mid-way. After
each crash nothing acknowledged is lost, and the catalogue, the blob store and the search
index agree (the consistency check, `baton check`), once what the crash interrupted is
sent again (a client retries an upload that got no answer; an import is run again).

What a crash may leave, and the check reports: the blob of a write that was in flight
(placed, its row not yet committed), an orphan until the same bytes come again; staged
temporary files (removed when the server starts, once a day old)."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from tests.reliability.documents import FORMATS, document, token
from tests.reliability.harness import BatonServer, baton_env, check, check_settled, served

UPLOADERS = 4
ACKNOWLEDGED_BEFORE_KILL = 12
IMPORT_FILES = 180
COMMIT_EVERY = 100  # `baton ingest` commits every 100 files
DAY = 24 * 3600


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _kind(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


def _staged(data_dir: Path) -> list[Path]:
    tmp = data_dir / "blobs" / "tmp"
    return [p for p in tmp.iterdir() if p.is_file()] if tmp.is_dir() else []


def test_kill_9_during_uploads_loses_nothing_acknowledged(
    database_url: str, tmp_path: Path, figures: Callable[[str, dict[str, Any]], None]
) -> None:
    data_dir = tmp_path / "data"
    server = BatonServer(database_url, data_dir, tmp_path)
    server.start()
    try:
        key = server.new_key("marketer")
        sent: dict[str, tuple[str, bytes]] = {}
        acknowledged: dict[str, str] = {}
        unexpected: list[str] = []
        lock = threading.Lock()
        enough = threading.Event()

        def upload(seed: int) -> None:
            rng = random.Random(seed)
            with server.client(key, timeout=60) as http:
                while True:
                    word = token(rng)
                    suffix = rng.choice(FORMATS)
                    name, data = f"{word}.{suffix}", document(word, suffix)
                    with lock:
                        sent[_sha256(data)] = (name, data)
                    try:
                        answer = http.post("/v1/assets/upload", files={"file": (name, data)})
                    except httpx.TransportError:
                        return  # the server is gone: this upload was in flight
                    with lock:
                        if answer.status_code == 201:
                            acknowledged[_sha256(data)] = answer.json()["id"]
                        else:
                            unexpected.append(f"{answer.status_code} {answer.text[:200]}")
                        if len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL:
                            enough.set()

        threads = [threading.Thread(target=upload, args=(seed,)) for seed in range(UPLOADERS)]
        for thread in threads:
            thread.start()
        enough.wait(timeout=180)
        server.kill()
        for thread in threads:
            thread.join()
        assert enough.is_set(), server.log()
        assert not unexpected, unexpected

        in_flight = set(sent) - set(acknowledged)
        staged = _staged(data_dir)
        after_kill = check(server.settings)
        # The only disagreement a crash may leave: blobs of uploads that got no answer.
        assert {p.kind for p in after_kill.problems} <= {"orphan-blob"}, after_kill.problems
        orphans = {p.subject for p in after_kill.problems}
        assert orphans <= in_flight, orphans - in_flight

        # Temporary files a day old are removed when the server starts.
        for path in staged:
            os.utime(path, (time.time() - 2 * DAY, time.time() - 2 * DAY))
        server.start()
        assert _staged(data_dir) == []

        with server.client(key) as http:
            for sha256, asset_id in acknowledged.items():
                asset = http.get(f"/v1/assets/{asset_id}")
                assert asset.status_code == 200, asset.text
                assert asset.json()["file"]["sha256"] == sha256
                stored = http.get(f"/v1/assets/{asset_id}/file")
                assert _sha256(stored.content) == sha256
            # The clients whose uploads got no answer send them again.
            retried: Counter[int] = Counter()
            for sha256 in sorted(in_flight):
                name, data = sent[sha256]
                answer = http.post("/v1/assets/upload", files={"file": (name, data)})
                retried[answer.status_code] += 1
                assert answer.status_code in {201, 409}, answer.text
                if answer.status_code == 409:  # it was stored before the kill
                    assert answer.json()["asset_id"]
        settled = check_settled(server.settings)
    finally:
        server.stop()
    figures(
        f"kill -9 during uploads ({_kind(database_url)})",
        {
            "uploads acknowledged before the kill": len(acknowledged),
            "uploads in flight at the kill": len(in_flight),
            "acknowledged uploads lost": 0,
            "staged temporary files left by the kill": len(staged),
            "problems right after the kill": after_kill.kinds() or "none",
            "retries of in-flight uploads": {str(k): v for k, v in sorted(retried.items())},
            "check problems after restart and retries": len(settled.problems),
        },
    )
    assert settled.ok, [str(p) for p in settled.problems]


def _import_folder(folder: Path) -> dict[str, str]:
    """A folder of real files of every format; their SHA-256 -> unique word."""
    rng = random.Random(11)
    folder.mkdir()
    words = {}
    for n in range(IMPORT_FILES):
        word = token(rng)
        suffix = FORMATS[n % len(FORMATS)] if n % 4 == 0 else rng.choice(("md", "txt", "html"))
        data = document(word, suffix)
        (folder / f"{n:04d}-{word}.{suffix}").write_bytes(data)
        words[_sha256(data)] = word
    return words


def _assets(engine: sa.Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, file_sha256 FROM assets")).all()
    return [(str(r[0]), str(r[1])) for r in rows]


def test_kill_9_during_ingest_then_ingest_again(
    database_url: str, tmp_path: Path, figures: Callable[[str, dict[str, Any]], None]
) -> None:
    folder = tmp_path / "library"
    words = _import_folder(folder)
    data_dir = tmp_path / "data"
    env = baton_env(database_url, data_dir)
    command = [sys.executable, "-m", "api.cli", "ingest", str(folder), "--approve", "--no-progress"]
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    try:
        with (tmp_path / "ingest-1.log").open("wb") as log:
            first = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            # Killed once the first batch is committed, while the second is being written.
            deadline = time.monotonic() + 300
            while first.poll() is None and time.monotonic() < deadline:
                if len(_assets(engine)) >= COMMIT_EVERY:
                    break
                time.sleep(0.05)
            assert first.poll() is None, "the import ended before it could be killed"
            time.sleep(random.Random(3).uniform(0.0, 0.1))
            first.kill()
            first.wait(timeout=30)
        committed = len(_assets(engine))
        assert 0 < committed < IMPORT_FILES
        staged = _staged(data_dir)
        settings = BatonServer(database_url, data_dir, tmp_path).settings
        after_kill = check(settings)
        assert {p.kind for p in after_kill.problems} <= {"orphan-blob"}, after_kill.problems
        assert {p.subject for p in after_kill.problems} <= set(words)

        again = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        assert again.returncode == 0, again.stdout + again.stderr
        assets = _assets(engine)
        shas = [sha for _, sha in assets]
        assert len(assets) == IMPORT_FILES, "every file once, no duplicate"
        assert set(shas) == set(words)
        after_again = check(settings)
        assert after_again.ok, [str(p) for p in after_again.problems]

        # A server started on it catches the index up; a rep finds each published file.
        with served(database_url, data_dir, tmp_path) as server:
            settled = check_settled(server.settings)
            missed = []
            with server.client(server.new_key("rep")) as rep:
                for asset_id, sha256 in assets:
                    hits = rep.get("/v1/search", params={"q": words[sha256]}).json()["hits"]
                    if asset_id not in {hit["asset"]["id"] for hit in hits}:
                        missed.append(asset_id)
    finally:
        engine.dispose()
    figures(
        f"kill -9 during baton ingest of {IMPORT_FILES} files, then ingest again "
        f"({_kind(database_url)})",
        {
            "assets committed before the kill": committed,
            "staged temporary files left by the kill": len(staged),
            "problems right after the kill": after_kill.kinds() or "none",
            "assets after ingesting again": len(assets),
            "duplicates": len(shas) - len(set(shas)),
            "check problems after ingesting again": len(after_again.problems),
            "check problems with a server running": len(settled.problems),
            "published files a rep's search missed": len(missed),
        },
    )
    assert settled.ok, [str(p) for p in settled.problems]
    assert not missed, missed[:10]
