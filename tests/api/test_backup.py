"""Backups and restores that cannot be done are refused clearly and touch nothing; an older
schema is migrated on restore; `baton blobs gc` removes only blobs no row names and staged
files, both past the grace period, and never while a backup copies the blob store.

The backup taken under write load is in test_backup_under_load.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from api import migrations
from api.backup.service import BackupError, collect_blobs, restore_backup, take_backup
from api.consistency import check_installation
from api.db import make_engine
from api.files.blobs import BlobStore
from api.main import create_app
from api.settings import Settings
from tests.conftest import ADMIN_KEY, Actor
from tests.databases import PostgresDatabases
from tests.reliability.documents import document

OLDER_REVISION = "20261129_change_log"
HOURS_AGO = time.time() - 2 * 3600


def baton(*args: str, settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    env.update(
        BATON_DATABASE_URL=settings.catalogue_url,
        BATON_DATA_DIR=str(settings.data_dir),
        BATON_SEMANTIC="off",
    )
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def target(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """An empty installation of the same kind as `database_url`, to restore into."""
    data_dir = tmp_path / "target-data"
    if make_url(database_url).get_backend_name() == "sqlite":
        url = f"sqlite:///{tmp_path / 'target' / 'baton.db'}"
        yield Settings(database_url=url, data_dir=data_dir, admin_key=ADMIN_KEY)
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    url = databases.create(empty=True)
    yield Settings(database_url=url, data_dir=data_dir, admin_key=ADMIN_KEY)
    databases.drop(url)


def tables(settings: Settings) -> list[str]:
    if settings.uses_sqlite:
        path = Path(str(make_url(settings.catalogue_url).database))
        if not path.exists():
            return []
    engine = make_engine(settings.catalogue_url)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def upload(marketer: Actor, word: str) -> dict[str, object]:
    answer = marketer.post(
        "/v1/assets/upload", files={"file": (f"{word}.md", document(word, "md"))}
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_what_cannot_be_restored_is_refused_before_anything_is_touched(
    settings: Settings, target: Settings, marketer: Actor, tmp_path: Path
) -> None:
    uploaded = upload(marketer, "zqbackupword")
    backup = tmp_path / "backup"
    take_backup(settings, backup)

    # A backup goes into a new or empty folder only; the command says so, no traceback.
    answer = baton("backup", str(backup), settings=settings)
    assert answer.returncode == 1
    assert f"{backup} is not empty" in answer.stderr
    assert "Traceback" not in answer.stderr
    # A restore goes into an empty installation only.
    not_empty = re.escape(f"the data directory {settings.data_dir} is not empty")
    with pytest.raises(BackupError, match=not_empty):
        restore_backup(settings, backup)

    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    sha256 = str(uploaded["file"]["sha256"])  # type: ignore[index]
    blob = damaged / "blobs" / sha256[:2] / sha256[2:4] / sha256
    blob.write_bytes(blob.read_bytes()[:-1] + b"!")
    with pytest.raises(BackupError, match="is damaged, nothing was restored"):
        restore_backup(target, damaged)

    newer = tmp_path / "newer"
    shutil.copytree(backup, newer)
    manifest = json.loads((newer / "manifest.json").read_text())
    manifest["schema_revision"] = "29991231_from_the_future"
    (newer / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="29991231_from_the_future is newer than this Baton"):
        restore_backup(target, newer)

    (newer / "manifest.json").unlink()
    with pytest.raises(
        BackupError, match=r"has no manifest\.json: not a Baton backup, or an unfinished"
    ):
        restore_backup(target, newer)

    assert not target.data_dir.exists()
    assert tables(target) == []

    result = restore_backup(target, backup)
    assert result.migrated_from is None
    engine = make_engine(target.catalogue_url)
    try:
        report = check_installation(target, engine)
    finally:
        engine.dispose()
    assert report.ok, report.problems
    assert report.counts["assets"] == report.counts["files"] == 1
    # Restoring again: the installation is no longer empty.
    with pytest.raises(BackupError, match=r"exists|is not empty"):
        restore_backup(target.model_copy(update={"data_dir": tmp_path / "other"}), backup)


def test_a_postgresql_backup_without_pg_dump_says_what_to_run(
    postgres_databases: PostgresDatabases, tmp_path: Path
) -> None:
    url = postgres_databases.create()
    try:
        settings = Settings(database_url=url, data_dir=tmp_path / "data")
        dest = tmp_path / "backup"
        with pytest.raises(BackupError) as refused:
            take_backup(settings, dest, pg_dump="/nowhere/pg_dump")
        assert "/nowhere/pg_dump was not found" in str(refused.value)
        assert f"pg_dump --format=custom --no-password --file={dest}/catalogue.pgdump" in str(
            refused.value
        )
        assert not dest.exists()
    finally:
        postgres_databases.drop(url)


def test_a_restore_migrates_a_backup_of_an_older_schema(
    database_url: str, target: Settings, tmp_path: Path
) -> None:
    migrations.downgrade(database_url, OLDER_REVISION)
    old = Settings(database_url=database_url, data_dir=tmp_path / "old-data")
    backup = take_backup(old, tmp_path / "backup")
    assert backup.manifest["schema_revision"] == OLDER_REVISION

    result = restore_backup(target, tmp_path / "backup")
    assert result.migrated_from == OLDER_REVISION
    assert migrations.current_revision(target.catalogue_url) == migrations.head_revision()
    with TestClient(create_app(target)) as client:
        answer = client.get("/v1/assets", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert answer.status_code == 200


def _age(path: Path) -> Path:
    os.utime(path, (HOURS_AGO, HOURS_AGO))
    return path


def test_blobs_gc_removes_unnamed_blobs_and_staged_files_past_the_grace_period(
    settings: Settings, client: TestClient, marketer: Actor
) -> None:
    named = upload(marketer, "zqnamedword")
    blobs = BlobStore(settings.blob_dir)
    with blobs.staging() as staged:
        staged.write(b"an orphan: its row never committed")
        old_orphan = blobs.path_for(staged.finish())
        blobs.keep_file(staged.path, staged.sha256)
    _age(old_orphan)
    with blobs.staging() as staged:
        staged.write(b"a young orphan: its row may still commit")
        young_orphan = blobs.path_for(staged.finish())
        blobs.keep_file(staged.path, staged.sha256)
    old_staged = blobs.staging_folder() / "staged-left-by-a-crash"
    old_staged.write_bytes(b"left by a crash")
    _age(old_staged)
    young_staged = blobs.staging_folder() / "staged-being-written"
    young_staged.write_bytes(b"an upload under way")

    dry = baton("blobs", "gc", "--dry-run", settings=settings)
    assert dry.returncode == 0, dry.stderr
    assert f"would remove orphan blob {old_orphan}" in dry.stdout
    assert f"would remove staged file {old_staged}" in dry.stdout
    assert "would remove 1 orphan blob(s) and 1 staged file(s)" in dry.stdout
    assert old_orphan.exists() and old_staged.exists()

    assert "kept 1 named blob(s), 1 unnamed and 1 staged younger than 1h" in dry.stdout

    swept = collect_blobs(settings)  # what `baton blobs gc` runs, with its default grace
    assert (swept.orphans, swept.staged) == ([old_orphan], [old_staged])
    assert swept.freed == len(b"an orphan: its row never committed") + len(b"left by a crash")
    assert not old_orphan.exists() and not old_staged.exists()
    assert young_orphan.exists() and young_staged.exists()
    file = marketer.get(f"/v1/assets/{named['id']}/file")
    assert file.status_code == 200
    assert file.content == document("zqnamedword", "md")

    report = collect_blobs(settings, grace=0)
    assert report.orphans == [young_orphan]
    assert report.staged == [young_staged]
    assert blobs.path_for(str(named["file"]["sha256"])).exists()  # type: ignore[index]


def test_a_backup_keeps_deleted_blobs_in_place_and_gc_waits_for_it(
    settings: Settings, client: TestClient, marketer: Actor, admin: Actor
) -> None:
    uploaded = upload(marketer, "zqdeletedword")
    blobs = BlobStore(settings.blob_dir)
    path = blobs.path_for(str(uploaded["file"]["sha256"]))  # type: ignore[index]
    with blobs.copying():  # what `baton backup` holds while it copies blobs
        assert admin.delete(f"/v1/assets/{uploaded['id']}").status_code == 204
        assert path.exists()  # the backup's snapshot may name it
        with pytest.raises(BackupError, match="a backup is copying the blob store"):
            collect_blobs(settings, grace=0)
    report = collect_blobs(settings, grace=0)
    assert report.orphans == [path]
    assert not path.exists()
