"""Storage that refuses writes: a read-only data directory, a full disk, a SQLite file
deleted under the running server, a read-only PostgreSQL. The server says so (503 from
/readyz naming the check, 503 `storage-unavailable` with Retry-After for a write, an error
in the log, a counter for lost search-log entries), stores nothing half-way, goes on
serving reads, and takes writes again once the storage does.

Real storage, no stand-ins: the data directory lives on a small tmpfs of its own, made
read-only with a read-only bind mount over it and filled with a file until it is full.
The tests run as root, whom file permissions do not stop, so mounting is the one way to
refuse writes; without the right to mount (not root, no CAP_SYS_ADMIN) they are skipped.
PostgreSQL's own disk cannot be filled from here: on that leg the full disk is the data
directory's (blobs), and a read-only database is `default_transaction_read_only`.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from api.main import create_app
from api.settings import Settings
from tests.catalogue import create, publish
from tests.conftest import ADMIN_KEY, Actor

pytestmark = pytest.mark.reliability

DISK_SIZE = "4m"
PROBLEM_TYPE = "/problems/storage-unavailable"


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


class Disk:
    """A tmpfs of DISK_SIZE mounted for one test: made read-only, filled, and back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler"
        self.bound = False

    def read_only(self) -> None:
        """A read-only bind mount over the disk: every new open for writing is EROFS.

        (`mount -o remount,ro` of the tmpfs itself is refused while the server holds
        files open for writing, as a real system's would be; the kernel's own remount
        after an I/O error is not.)"""
        for command in (
            ("mount", "--bind", str(self.path), str(self.path)),
            ("mount", "-o", "remount,bind,ro", str(self.path)),
        ):
            done = _run(*command)
            assert done.returncode == 0, done.stderr
            self.bound = True

    def writable(self) -> None:
        """Take the read-only bind mount away (lazily: files opened through it stay as
        they are, read-only, as they would on a disk remounted read-write)."""
        if self.bound:
            done = _run("umount", "-l", str(self.path))
            assert done.returncode == 0, done.stderr
            self.bound = False

    def fill(self) -> int:
        """Write a file until the disk refuses one more byte; the bytes it took."""
        written = 0
        with self.filler.open("ab", buffering=0) as handle:
            for size in (1024 * 1024, 4096, 1):
                chunk = b"\0" * size
                while True:
                    try:
                        written += handle.write(chunk) or 0
                    except OSError as exc:
                        assert exc.errno == errno.ENOSPC, exc
                        break
        return written

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CAP_SYS_ADMIN); storage failures not tested")
    done = _run("mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(mount_point))
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs CAP_SYS_ADMIN): {done.stderr.strip()}")
    mounted = Disk(mount_point)
    try:
        yield mounted
    finally:
        mounted.writable()
        if _run("umount", str(mount_point)).returncode != 0:
            _run("umount", "-l", str(mount_point))  # a file still open: detach it


@pytest.fixture
def settings(database_url: str, disk: Disk) -> Settings:
    """The data directory on the test's own disk, with the SQLite catalogue inside it
    (the default layout), so that the disk's failures are the catalogue's too."""
    data_dir = disk.path / "data"
    data_dir.mkdir()
    if database_url.startswith("sqlite"):
        path = data_dir / "baton.db"
        shutil.copyfile(str(make_url(database_url).database), path)
        database_url = f"sqlite:///{path}"
    return Settings(database_url=database_url, data_dir=data_dir, admin_key=ADMIN_KEY)


def uses_sqlite(settings: Settings) -> bool:
    return settings.catalogue_url.startswith("sqlite")


def reopen_connections(app: FastAPI) -> None:
    """Open the catalogue's connections again, as a restarted server would.

    A read-only bind mount, unlike a real read-only disk, leaves writable the files the
    process opened before it; the pool's connections are dropped so that the next ones
    are opened through it (the search index keeps its own)."""
    app.state.engine.dispose()


def upload(actor: Actor, data: bytes, title: str) -> Any:
    files = {"file": ("notes.txt", data)}
    return actor.post(
        "/v1/assets/upload", files=files, data={"metadata": f'{{"title": "{title}"}}'}
    )


def text_file(label: str) -> bytes:
    return f"Field notes {label}: rework on tunnel projects fell by a third.\n".encode() * 20


def assert_storage_unavailable(response: Any, reason: str = "") -> None:
    """A 503 storage-unavailable problem with Retry-After; its detail names `reason`."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"].isdigit()
    body = response.json()
    assert body["type"] == PROBLEM_TYPE
    assert body["status"] == 503
    assert "cannot store data right now" in body["detail"]
    assert "Nothing was stored" in body["detail"]
    assert reason in body["detail"], body["detail"]


def readiness(client: TestClient) -> tuple[int, dict[str, str], Any]:
    response = client.get("/readyz")
    return response.status_code, response.json(), response.headers


def blob_files(settings: Settings) -> set[str]:
    """Names of the stored blobs and of the temporary files under tmp/."""
    root = settings.blob_dir
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def titles(actor: Actor) -> set[str]:
    response = actor.get("/v1/assets", params={"limit": 100})
    assert response.status_code == 200, response.text
    return {item["title"] for item in response.json()["items"]}


def metric(client: TestClient, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not in /metrics")


# --- a read-only data directory ----------------------------------------------------------


def test_a_read_only_data_directory_refuses_writes_and_serves_reads(
    app: FastAPI, client: TestClient, marketer: Actor, rep: Actor, disk: Disk, settings: Settings
) -> None:
    before = upload(marketer, text_file("before"), "Stored before")
    assert before.status_code == 201, before.text
    asset = publish(marketer, title="Tunnel rework one-pager", summary="rework on tunnels")
    blobs_before = blob_files(settings)

    disk.read_only()
    reopen_connections(app)

    status, body, headers = readiness(client)
    assert status == 503, body
    assert headers["retry-after"].isdigit()
    assert body["data_dir"] == "error: does not accept writes: Read-only file system"
    assert body["search"] == "ok"
    if uses_sqlite(settings):
        assert body["database"] == "error: the database is read-only"
    else:
        assert body["database"] == "ok"

    # Writes: an upload on both legs; on SQLite every write (the catalogue is in there).
    assert_storage_unavailable(
        upload(marketer, text_file("refused"), "Refused upload"),
        "the data directory refuses the write: Read-only file system",
    )
    refused_create = marketer.post("/v1/assets", json={"title": "Refused", "kind": "one_pager"})
    if uses_sqlite(settings):
        assert_storage_unavailable(refused_create, "the database is read-only")
    else:
        assert refused_create.status_code == 201, refused_create.text
    assert blob_files(settings) == blobs_before

    # Reads go on.
    assert marketer.get(f"/v1/assets/{asset['id']}").status_code == 200
    download = marketer.get(f"/v1/assets/{before.json()['id']}/file")
    assert download.status_code == 200 and download.content == text_file("before")
    found = rep.get("/v1/search", params={"q": "tunnel rework"})
    assert found.status_code == 200, found.text
    assert [hit["asset"]["id"] for hit in found.json()["hits"]] == [asset["id"]]

    # Writable again: ready, and writes are taken (the read-only connections reopened).
    disk.writable()
    status, body, _ = readiness(client)
    assert status == 200, body
    after = upload(marketer, text_file("after"), "Stored after")
    assert after.status_code == 201, after.text
    assert marketer.get(f"/v1/assets/{after.json()['id']}/file").content == text_file("after")
    assert "Refused upload" not in titles(marketer)


def test_the_server_starts_on_a_read_only_data_directory_and_says_so(
    app: FastAPI, settings: Settings, disk: Disk, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(app):
        pass  # a first start makes the files (on PostgreSQL's leg, the search index's)
    disk.read_only()
    caplog.set_level(logging.CRITICAL, logger="baton")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        status, body, headers = readiness(client)
        listed = Actor(client, ADMIN_KEY, role="admin", user_id="admin").get("/v1/assets")
    assert any(
        r.levelno == logging.CRITICAL and "DOES NOT ACCEPT WRITES" in r.getMessage()
        for r in caplog.records
    ), [r.getMessage() for r in caplog.records]
    assert status == 503 and headers["retry-after"].isdigit()
    assert "Read-only file system" in body["data_dir"], body
    assert body["search"].startswith("error: "), body
    if uses_sqlite(settings):
        # A WAL database whose -wal and -shm files are gone cannot even be read from a
        # read-only directory: every request is a 503 that says so, not a 500.
        assert body["database"] == "error: the database file cannot be opened", body
        assert listed.status_code == 503, listed.text
        assert listed.json()["type"] == PROBLEM_TYPE
        assert "cannot read its data right now" in listed.json()["detail"]
    else:
        assert body["database"] == "ok", body
        assert listed.status_code == 200, listed.text


# --- a full disk -------------------------------------------------------------------------


def test_a_full_disk_refuses_writes_stores_nothing_half_way_and_recovers(
    app: FastAPI, client: TestClient, marketer: Actor, disk: Disk, settings: Settings
) -> None:
    asset = create(marketer, title="Stored before the disk filled")
    blobs_before = blob_files(settings)

    assert disk.fill() > 0
    status, body, headers = readiness(client)
    assert status == 503, body
    assert headers["retry-after"].isdigit()
    assert body["data_dir"] == "error: does not accept writes: No space left on device"

    refused = text_file("refused")
    assert_storage_unavailable(
        upload(marketer, refused, "Refused upload"),
        "the data directory refuses the write: No space left on device",
    )
    created = marketer.post("/v1/assets", json={"title": "Refused", "kind": "one_pager"})
    if uses_sqlite(settings):
        assert_storage_unavailable(created, "the disk holding the database is full")
    else:  # the catalogue is not on this disk
        assert created.status_code == 201, created.text
    # Nothing half-written: no staged file left holding space, no blob, no row.
    assert blob_files(settings) == blobs_before
    assert not (settings.blob_dir / hashlib.sha256(refused).hexdigest()[:2]).exists()
    assert marketer.get(f"/v1/assets/{asset['id']}").status_code == 200
    assert "Refused upload" not in titles(marketer)

    disk.free()
    status, body, _ = readiness(client)
    assert status == 200, body
    again = upload(marketer, refused, "Stored once space was freed")
    assert again.status_code == 201, again.text
    assert marketer.get(f"/v1/assets/{again.json()['id']}/file").content == refused
    assert create(marketer, title="Created once space was freed")["id"]
    assert "Refused upload" not in titles(marketer)


# --- the SQLite file deleted under the running server -----------------------------------


def test_a_deleted_sqlite_file_is_not_written_into(
    client: TestClient, marketer: Actor, settings: Settings
) -> None:
    if not uses_sqlite(settings):
        pytest.skip("a SQLite catalogue only")
    create(marketer, title="Stored in the file that will be deleted")
    path = Path(str(make_url(settings.catalogue_url).database))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)

    status, body, headers = readiness(client)
    assert status == 503, body
    assert headers["retry-after"].isdigit()
    # "... deleted or replaced": the search index's next connection makes a new, empty
    # file at the path, as any SQLite connection to a missing file does.
    deleted = "the database file was deleted"
    assert deleted in body["database"], body

    assert_storage_unavailable(
        marketer.post("/v1/assets", json={"title": "Would be lost", "kind": "one_pager"}),
        deleted,
    )
    blobs_before = blob_files(settings)
    assert_storage_unavailable(upload(marketer, text_file("lost"), "Would be lost too"), deleted)
    # The blob placed for the refused row was removed again.
    assert blob_files(settings) == blobs_before


def test_a_replaced_sqlite_file_is_not_written_into(
    client: TestClient, marketer: Actor, settings: Settings, sqlite_template: Path
) -> None:
    if not uses_sqlite(settings):
        pytest.skip("a SQLite catalogue only")
    create(marketer, title="Stored in the file that will be replaced")
    path = Path(str(make_url(settings.catalogue_url).database))
    shutil.copyfile(sqlite_template, path.with_name("restored.db"))
    os.replace(path.with_name("restored.db"), path)  # a restore while the server runs

    status, body, _ = readiness(client)
    assert status == 503, body
    assert body["database"] == (
        "error: the database file was deleted or replaced while the server had it open"
    )
    assert_storage_unavailable(
        marketer.post("/v1/assets", json={"title": "Would be lost", "kind": "one_pager"})
    )


# --- a read-only database, and the search log --------------------------------------------


def make_database_read_only(app: FastAPI, settings: Settings, disk: Disk) -> None:
    """SQLite: its directory read-only. PostgreSQL: read-only transactions by default, as
    a standby's; both as new connections see them."""
    if uses_sqlite(settings):
        disk.read_only()
    else:
        name = make_url(settings.catalogue_url).database
        with app.state.engine.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
            conn.commit()
    reopen_connections(app)


def test_a_read_only_database_refuses_writes_and_serves_reads(
    app: FastAPI, client: TestClient, marketer: Actor, rep: Actor, disk: Disk, settings: Settings
) -> None:
    asset = publish(marketer, title="Tunnel rework one-pager", summary="rework on tunnels")
    make_database_read_only(app, settings, disk)

    status, body, _ = readiness(client)
    assert status == 503 and body["database"] == "error: the database is read-only", body
    read_only = "the database is read-only"
    assert_storage_unavailable(
        marketer.post("/v1/assets", json={"title": "Refused", "kind": "one_pager"}), read_only
    )
    assert_storage_unavailable(marketer.post(f"/v1/assets/{asset['id']}/archive"), read_only)
    assert marketer.get(f"/v1/assets/{asset['id']}").json()["status"] == "approved"
    assert rep.get("/v1/search", params={"q": "tunnel"}).status_code == 200


def test_a_search_log_write_that_fails_is_counted_and_logged(
    app: FastAPI,
    client: TestClient,
    marketer: Actor,
    rep: Actor,
    disk: Disk,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    publish(marketer, title="Tunnel rework one-pager", summary="rework on tunnels")
    assert rep.get("/v1/search", params={"q": "tunnel"}).status_code == 200
    app.state.search.log.flush()
    assert metric(client, "baton_search_log_failures_total") == 0

    make_database_read_only(app, settings, disk)
    caplog.set_level(logging.ERROR, logger="baton.search.log")
    for query in ("tunnel", "bridge roi", "no such thing"):
        found = rep.get("/v1/search", params={"q": query})
        assert found.status_code == 200, found.text  # the search itself answers
    app.state.search.log.flush()

    assert metric(client, "baton_search_log_failures_total") == 3
    messages = [r.getMessage() for r in caplog.records if r.name == "baton.search.log"]
    assert any(
        "lost for the content-gaps report" in m and "the database is read-only" in m
        for m in messages
    ), messages
