"""The `baton` command, run as a user runs it: in a separate process."""

from __future__ import annotations

import importlib.metadata
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import api.main
from api import migrations
from api.main import create_app
from api.settings import Settings, get_settings
from tests.live import wait_until_healthy

KEY = re.compile(r"\bbk_[A-Za-z0-9_-]{20,}")


def baton(
    *args: str, env: dict[str, str], timeout: float = 60, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    values["BATON_DATA_DIR"] = str(tmp_path / "data")
    return values


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_db_upgrade_on_an_empty_database(empty_database_url: str, env: dict[str, str]) -> None:
    env["BATON_DATABASE_URL"] = empty_database_url
    result = baton("db", "upgrade", env=env)
    assert result.returncode == 0, result.stderr
    head = migrations.head_revision()
    assert f"database at revision {head}" in result.stdout
    current = baton("db", "current", env=env)
    assert f"current: {head}" in current.stdout


@pytest.mark.parametrize(
    "command",
    [
        ("users", "add", "boss@example.com", "--role", "admin"),
        ("reindex",),
        ("check",),
        ("report", "gaps"),
    ],
    ids=["users-add", "reindex", "check", "report"],
)
def test_a_command_on_a_catalogue_never_migrated_says_to_migrate(
    empty_database_url: str, env: dict[str, str], command: tuple[str, ...]
) -> None:
    env["BATON_DATABASE_URL"] = empty_database_url
    result = baton(*command, env=env)
    assert result.returncode == 1
    assert "has no tables yet: run `baton db upgrade` first" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    # Nothing was made on the way: the database is still empty.
    assert migrations.current_revision(empty_database_url) is None


def test_a_command_on_an_older_schema_names_both_revisions(
    empty_database_url: str, env: dict[str, str]
) -> None:
    env["BATON_DATABASE_URL"] = empty_database_url
    assert baton("db", "upgrade", env=env).returncode == 0
    assert baton("db", "downgrade", "--", "-1", env=env).returncode == 0
    older = migrations.current_revision(empty_database_url)
    result = baton("users", "list", env=env)
    assert result.returncode == 1
    assert f"at schema revision {older}" in result.stderr
    assert f"needs {migrations.head_revision()}: run `baton db upgrade` first" in result.stderr
    assert baton("db", "upgrade", env=env).returncode == 0
    assert baton("users", "list", env=env).returncode == 0


@pytest.mark.one_database  # a process; the users service is tested on both
def test_users_add_prints_a_working_key(database_url: str, env: dict[str, str]) -> None:
    env["BATON_DATABASE_URL"] = database_url
    result = baton(
        "users", "add", "Ana@Example.com", "--role", "marketer", "--name", "Ana", env=env
    )
    assert result.returncode == 0, result.stderr
    assert "created marketer ana@example.com" in result.stdout
    keys = KEY.findall(result.stdout)
    assert len(keys) == 1

    app = create_app(Settings(database_url=database_url, data_dir=Path(env["BATON_DATA_DIR"])))
    with TestClient(app) as client:
        me = client.get("/v1/me", headers={"Authorization": f"Bearer {keys[0]}"})
    assert me.json()["email"] == "ana@example.com"
    assert me.json()["role"] == "marketer"


@pytest.mark.one_database  # a process; the users service is tested on both
def test_users_add_refuses_bad_input(database_url: str, env: dict[str, str]) -> None:
    env["BATON_DATABASE_URL"] = database_url
    assert baton("users", "add", "a@example.com", "--role", "rep", env=env).returncode == 0
    duplicate = baton("users", "add", "A@example.com", "--role", "rep", env=env)
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr
    assert not KEY.search(duplicate.stdout)
    bad_email = baton("users", "add", "nobody", "--role", "rep", env=env)
    assert bad_email.returncode == 2
    assert "email" in bad_email.stderr
    bad_role = baton("users", "add", "b@example.com", "--role", "boss", env=env)
    assert bad_role.returncode == 2


def test_invalid_settings_are_reported(env: dict[str, str], tmp_path: Path) -> None:
    """Every problem at once, each naming its variable and where it was set; exit 2, no
    traceback."""
    env["BATON_SEARCH_BACKEND"] = "elastic"
    env["BATON_LOG_LEVEL"] = "loud"
    (tmp_path / ".env").write_text("BATON_MAX_UPLOD_MB=5\nEDITOR=vi\n")
    result = baton("db", "current", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "error: invalid settings (see README.md, Configuration):"
    assert lines[1:] == [
        f"  BATON_MAX_UPLOD_MB ({tmp_path / '.env'}): not a Baton setting; "
        "did you mean BATON_MAX_UPLOAD_MB?",
        "  BATON_SEARCH_BACKEND='elastic' (environment): Input should be 'sqlite' or 'meilisearch'",
        "  BATON_LOG_LEVEL='loud' (environment): Input should be 'critical', 'error', "
        "'warning', 'info' or 'debug'",
    ]


def test_a_relative_data_directory_is_named_by_its_absolute_path(
    env: dict[str, str], tmp_path: Path
) -> None:
    env["BATON_DATA_DIR"] = "store"
    result = baton("db", "upgrade", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"migrated: {tmp_path / 'store' / 'baton.db'}" in result.stdout
    (tmp_path / "blocked").write_text("a file where a folder should be")
    env["BATON_DATA_DIR"] = "blocked/data"
    blocked = baton("db", "upgrade", env=env, cwd=tmp_path)
    assert blocked.returncode == 2
    assert f"cannot create the data directory {tmp_path / 'blocked' / 'data'}" in (
        blocked.stderr.replace("\n", "")
    )


# What `baton --help` and each command's help must not import: the app, the web stack,
# the database layer, the demo corpus and the heavy libraries behind ingest and suggestions.
HEAVY = (
    "api.main",
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "api.demo.corpus",
    "docx",
    "pptx",
    "pypdf",
    "wordfreq",
    "onnxruntime",
    "psycopg",
    "meilisearch",
)


def imported_by(*args: str) -> tuple[str, set[str]]:
    """What `baton ARGS` prints and the modules it imported."""
    code = (
        "import sys\n"
        f"sys.argv = ['baton', *{list(args)!r}]\n"
        "from api.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    printed, _, modules = result.stdout.rpartition("MODULES ")
    return printed, set(modules.split())


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (("--help",), ()),
        (("-h",), ()),
        (("--version",), ()),
        (("serve", "--help"), ()),
        (("db", "--help"), ()),
        (("demo", "--help"), ()),
        (("reindex", "--help"), ()),
        (("check", "--help"), ()),
        # Its options list the kinds and the facets, which are model enums.
        (("ingest", "--help"), ("sqlalchemy",)),
    ],
)
def test_help_imports_only_what_it_shows(args: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    printed, modules = imported_by(*args)
    assert printed.strip()
    heavy = set(HEAVY) - set(allowed)
    assert sorted(m for m in modules if m.split(".")[0] in heavy or m in heavy) == []


def test_help_lists_every_command_and_version_prints_it() -> None:
    printed, _ = imported_by("--help")
    for name in ("serve", "demo", "ingest", "reindex", "check", "db", "users", "report"):
        assert re.search(rf"│ {name} +\S", printed), name
    assert "-h" in printed and "--version" in printed
    version, _ = imported_by("--version")
    assert version.strip() == f"baton {importlib.metadata.version('baton')}"


def test_serve_help_shows_flags_as_flags(env: dict[str, str]) -> None:
    result = baton("serve", "-h", env=env)
    assert result.returncode == 0
    assert re.search(r"--demo +--no-demo +load the demo library", result.stdout)
    assert "<bool>" not in result.stdout
    assert "[default: 8000]" in result.stdout


def test_serve_on_a_busy_port_says_so_before_migrating_or_printing_keys(
    env: dict[str, str],
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = baton("serve", "--demo", "--port", str(port), env=env)
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert f"port {port} on 127.0.0.1 is already in use" in message
    assert f"baton serve --port {port + 1}" in message
    assert f"make run PORT={port + 1}" in message
    assert "Traceback" not in result.stderr
    assert not KEY.search(result.stdout)
    assert not Path(env["BATON_DATA_DIR"]).exists()  # nothing migrated, nothing loaded


def test_ingest_refuses_an_unknown_stage_before_any_worker_starts(
    database_url: str, env: dict[str, str], tmp_path: Path
) -> None:
    env["BATON_DATABASE_URL"] = database_url
    (tmp_path / "a.txt").write_text("Crane inspections, weekly.")
    result = baton("ingest", str(tmp_path / "a.txt"), "--stage", "nonsense", env=env)
    assert result.returncode == 2
    assert "--stage: unknown stage 'nonsense'; known: awareness" in result.stderr
    assert "starting" not in result.stderr
    assert "Import summary" not in result.stdout
    imported = baton("ingest", str(tmp_path / "a.txt"), "--stage", "Awareness", env=env)
    assert imported.returncode == 0, imported.stderr
    assert "starting 4 extraction workers (2 for small files, 2 for the others)" in (
        imported.stderr
    )


@pytest.fixture
def served(tmp_path: Path, env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`baton serve --demo` on a fresh data directory, as `make run` starts it."""
    port = free_port()
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, Path(log.name), seconds=60)
        log.flush()
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_serve_demo_migrates_prints_keys_and_serves(
    served: tuple[str, subprocess.Popen[str]], tmp_path: Path
) -> None:
    base, _ = served
    output = (tmp_path / "serve.log").read_text()
    assert f"{base}/docs" in output
    keys = dict(re.findall(r"^\s+(admin|marketer|rep)\s+\S+\s+(bk_\S+)$", output, re.MULTILINE))
    assert set(keys) == {"admin", "marketer", "rep"}
    assert f"curl -H 'Authorization: Bearer {keys['rep']}' {base}/v1/assets" in output
    # Each migration step is said; the libraries' start-up chatter is not (debug level).
    assert "Running upgrade  -> 20261124_initial" in output
    assert "setup plugin" not in output and "Could not load library" not in output

    rep = {"Authorization": f"Bearer {keys['rep']}"}
    listed = httpx.get(f"{base}/v1/assets", headers=rep, timeout=30)  # a busy CI machine
    assert listed.status_code == 200
    assert set(listed.json()) == {"items", "total", "limit", "offset"}
    marketer = {"Authorization": f"Bearer {keys['marketer']}"}
    me = httpx.get(f"{base}/v1/me", headers=marketer, timeout=30)
    assert me.json()["role"] == "marketer"
    ready = httpx.get(f"{base}/readyz", timeout=30).json()
    assert ready.pop("semantic") in ("ok", "off")
    assert ready == {"data_dir": "ok", "database": "ok", "search": "ok"}


def test_asgi_app_attribute_builds_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BATON_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    api.main._default_app.cache_clear()
    try:
        app = api.main.app
        assert app is api.main.app
        assert app.state.settings.data_dir == tmp_path
    finally:
        get_settings.cache_clear()
        api.main._default_app.cache_clear()


def test_check_passes_a_sound_catalogue_and_names_each_break(
    database_url: str, env: dict[str, str], tmp_path: Path
) -> None:
    """`baton check` is read-only: ok (exit 0) on a sound data folder; after a blob is
    deleted, a stray blob added, another's bytes changed, approved words changed behind the
    review and a row removed behind the index, it names each problem and exits 1."""
    env["BATON_DATABASE_URL"] = database_url
    data_dir = Path(env["BATON_DATA_DIR"])
    settings = Settings(database_url=database_url, data_dir=data_dir, admin_key="check-key")
    admin = {"Authorization": "Bearer check-key"}
    with TestClient(create_app(settings)) as client:
        first = client.post(
            "/v1/assets/upload",
            files={"file": ("a.txt", b"Crane inspections, weekly.")},
            headers=admin,
        ).json()
        second = client.post(
            "/v1/assets/upload", files={"file": ("b.txt", b"Scaffold tags, daily.")}, headers=admin
        ).json()
        for action in ("submit", "approve"):
            assert client.post(f"/v1/assets/{second['id']}/{action}", headers=admin).is_success
        ghost = client.post(
            "/v1/assets", json={"title": "Ghost", "kind": "one_pager"}, headers=admin
        ).json()

    sound = baton("check", env=env)
    assert sound.returncode == 0, sound.stdout + sound.stderr
    assert "ok: 3 assets, 2 files, 2 blobs" in sound.stdout
    before = _files(data_dir)

    blobs = data_dir / "blobs"
    first_blob = blobs / first["file"]["sha256"][:2] / first["file"]["sha256"][2:4]
    (first_blob / first["file"]["sha256"]).unlink()
    stray = "ab" * 32
    (blobs / "ab" / "ab").mkdir(parents=True)
    (blobs / "ab" / "ab" / stray).write_bytes(b"nobody's")
    sha = second["file"]["sha256"]
    second_blob = blobs / sha[:2] / sha[2:4] / sha
    second_blob.write_bytes(b"X" * second_blob.stat().st_size)  # same size, other bytes
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE assets SET body = 'Unreviewed words' WHERE id = :id"),
            {"id": second["id"]},
        )
        conn.execute(sa.text("DELETE FROM assets WHERE id = :id"), {"id": ghost["id"]})
    engine.dispose()

    broken = baton("check", env=env)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    found = broken.stdout
    assert f"missing-blob: {first['id']}" in found
    assert f"orphan-blob: {stray}" in found
    assert f"unreviewed: {second['id']}: approved, but its body differ" in found
    assert f"ghost-document: {ghost['id']}" in found
    assert f"damaged-blob: {second['id']}: blob {sha} holds other bytes" in found
    assert "5 problem(s)" in broken.stderr
    # Without re-reading the bytes, only what the sizes and names show.
    quick = baton("check", "--no-hash", env=env)
    assert quick.returncode == 1
    assert "damaged-blob" not in quick.stdout
    assert "4 problem(s)" in quick.stderr
    # Read-only: the check added or removed no file.
    removed = first_blob.relative_to(data_dir) / first["file"]["sha256"]
    added = Path("blobs/ab/ab") / stray
    assert _files(data_dir) == (before - {removed}) | {added}


def _files(folder: Path) -> set[Path]:
    """The files under `folder`, SQLite's write-ahead log and shared memory aside."""
    return {
        p.relative_to(folder)
        for p in folder.rglob("*")
        if p.is_file() and not p.name.endswith(("-wal", "-shm", "-journal"))
    }
