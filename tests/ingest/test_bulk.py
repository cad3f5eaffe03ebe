"""`baton ingest`: folders of real files into the catalogue, idempotent, failures listed."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from api.cli import app as cli
from api.files.blobs import sha256_of
from api.settings import Settings, get_settings
from tests.ingest import files
from tests.ingest.files import all_formats


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "BATON_DATABASE_URL": settings.catalogue_url,
        "BATON_DATA_DIR": str(settings.data_dir),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield values  # type: ignore[misc]
    get_settings.cache_clear()


def run(*args: str) -> Any:
    # The folders hold one sample text in every format: --force imports each (the same
    # text twice is skipped otherwise; tests/ingest/test_bulk_duplicates.py).
    return CliRunner().invoke(cli, ["ingest", *args, "--no-progress", "--force"])


def rows(settings: Settings, sql: str) -> list[Any]:
    engine = sa.create_engine(settings.catalogue_url)
    with engine.connect() as conn:
        result = list(conn.execute(sa.text(sql)))
    engine.dispose()
    return result


def assets(settings: Settings) -> dict[str, dict[str, Any]]:
    """Imported assets by file name, with their facets."""
    found = {}
    for asset_id, name, title, kind, status in rows(
        settings, "SELECT id, file_name, title, kind, status FROM assets"
    ):
        terms = rows(
            settings,
            "SELECT t.facet, t.slug FROM asset_terms a JOIN terms t ON t.id = a.term_id "
            f"WHERE a.asset_id = '{asset_id}' ORDER BY t.slug",
        )
        tags = rows(settings, f"SELECT tag FROM asset_tags WHERE asset_id = '{asset_id}'")
        found[name] = {
            "title": title,
            "kind": kind,
            "status": status,
            **{facet: [s for f, s in terms if f == facet] for facet in ("stages", "industries")},
            "tags": sorted(t for (t,) in tags),
        }
    return found


def blob_files(settings: Settings) -> list[Path]:
    return [p for p in settings.blob_dir.rglob("*") if p.is_file() and p.parent.name != "tmp"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "collateral"
    (root / "decks").mkdir(parents=True)
    for name, data in all_formats().items():
        target = root / "decks" / name if name.endswith(".pptx") else root / name
        target.write_bytes(data)
    (root / ".DS_Store").write_bytes(b"\x00\x01binary junk")
    return root


def test_a_folder_is_imported_with_cli_defaults_and_a_rerun_skips_everything(
    env: dict[str, str], settings: Settings, folder: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    result = run(
        str(folder),
        "--stage",
        "awareness",
        "--industry",
        "Utilities",
        "--tag",
        "spring-import",
        "--report",
        str(report),
    )
    assert result.exit_code == 0, result.output
    found = assets(settings)
    assert sorted(found) == sorted(all_formats())
    assert found["deck.pptx"]["kind"] == "presentation"
    assert found["follow-up.eml"]["kind"] == "email_template"
    assert found["case-study.pdf"]["title"] == "Cutting Rework on Tunnel Projects"
    for asset in found.values():
        assert asset["status"] == "draft"
        assert asset["stages"] == ["awareness"]
        assert asset["industries"] == ["utilities"]
        assert asset["tags"] == ["spring-import"]
    assert len(blob_files(settings)) == 7
    assert "7 files" in result.output
    assert json.loads(report.read_text())["imported"] == 7

    again = run(str(folder))
    assert again.exit_code == 0, again.output
    assert len(assets(settings)) == 7
    assert len(blob_files(settings)) == 7
    assert "skipped" in again.output


def test_manifest_and_sidecars_set_per_file_metadata(
    env: dict[str, str], settings: Settings, folder: Path
) -> None:
    (folder / "manifest.csv").write_text(
        "path,title,kind,stages,industries,tags,fields.customer\n"
        "case-study.pdf,Brightwater story,case_study,decision;consideration,Construction,"
        "roi,Brightwater Tunnelling\n"
        "notes.txt,,one_pager,,,,\n"
    )
    (folder / "decks" / "deck.pptx.yaml").write_text(
        "kind: battlecard\nstage: decision\ntags: [competitive]\n"
    )
    result = run(str(folder), "--manifest", str(folder / "manifest.csv"), "--kind", "ebook")
    assert result.exit_code == 0, result.output
    found = assets(settings)
    assert "manifest.csv" not in found
    assert "deck.pptx.yaml" not in found
    assert found["case-study.pdf"] | {"status": None} == {
        "title": "Brightwater story",
        "kind": "case_study",
        "status": None,
        "stages": ["consideration", "decision"],
        "industries": ["construction"],
        "tags": ["roi"],
    }
    assert found["notes.txt"]["kind"] == "one_pager"
    assert found["deck.pptx"]["kind"] == "battlecard"
    assert found["deck.pptx"]["tags"] == ["competitive"]
    assert found["case-study.docx"]["kind"] == "ebook"  # the command-line default
    # The command line is the importer's explicit word: it beats what a format implies.
    assert found["follow-up.eml"]["kind"] == "ebook"
    customer = rows(settings, "SELECT fields FROM assets WHERE file_name = 'case-study.pdf'")
    fields = customer[0][0] if isinstance(customer[0][0], dict) else json.loads(customer[0][0])
    assert fields == {"customer": "Brightwater Tunnelling"}


def test_yaml_manifest_as_a_mapping(env: dict[str, str], settings: Settings, folder: Path) -> None:
    manifest = folder / "meta.yaml"
    manifest.write_text("page.html:\n  kind: talking_point\n  tags: [news]\n")
    result = run(str(folder / "page.html"), "--manifest", str(manifest))
    assert result.exit_code == 0, result.output
    assert assets(settings)["page.html"]["kind"] == "talking_point"


def test_failures_are_listed_with_reasons_and_the_exit_status_is_non_zero(
    env: dict[str, str], settings: Settings, folder: Path
) -> None:
    (folder / "locked.pdf").write_bytes(files.encrypted_pdf())
    (folder / "bomb.docx").write_bytes(files.zip_bomb_docx(400))
    (folder / "photo.pdf").write_bytes(files.PNG)
    (folder / "bad-meta.txt").write_text("A file with bad metadata")
    (folder / "bad-meta.txt.yaml").write_text("kind: poster\n")
    result = run(str(folder), str(folder / "missing-folder"))
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "locked.pdf: the PDF is password-protected" in output
    assert "bomb.docx: the document expands to more than 200 MB" in output
    assert "photo.pdf: this is image/png" in output
    assert "bad-meta.txt: bad-meta.txt.yaml.kind: Input should be" in output
    assert "missing-folder: no such file or folder" in output
    assert "5 file(s) failed" in output
    # The good files were imported; the failed ones left nothing behind.
    assert sorted(assets(settings)) == sorted(all_formats())
    assert len(blob_files(settings)) == 7


def test_same_bytes_twice_in_one_run_are_imported_once(
    env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text("The same words")
    (tmp_path / "b.txt").write_text("The same words")
    result = run(str(tmp_path / "a.txt"), str(tmp_path / "b.txt"))
    assert result.exit_code == 0, result.output
    assert len(assets(settings)) == 1


def test_approve_publishes_each_asset(
    env: dict[str, str], settings: Settings, folder: Path
) -> None:
    result = run(str(folder / "notes.md"), "--approve")
    assert result.exit_code == 0, result.output
    assert assets(settings)["notes.md"]["status"] == "approved"
    result = run(str(folder / "notes.txt"), "--submit")
    assert assets(settings)["notes.txt"]["status"] == "in_review"


def test_unknown_stage_on_the_command_line_is_refused_before_any_file_is_read(
    env: dict[str, str], settings: Settings, folder: Path
) -> None:
    result = run(str(folder), "--stage", "nowhere")
    assert result.exit_code == 2
    assert "--stage: unknown stage 'nowhere'" in result.output
    assert "starting" not in result.output
    assert assets(settings) == {}
    assert blob_files(settings) == []


@pytest.mark.slow
def test_an_import_killed_midway_completes_when_run_again(
    env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    source = tmp_path / "many"
    source.mkdir()
    # Enough files that the import is still running when the first commit (100 files)
    # shows, even on a loaded machine.
    total = 1000
    for number in range(total):
        (source / f"note-{number:03}.md").write_text(
            f"# Note {number}\n\nWords about item {number}.\n"
        )
    command = [
        sys.executable,
        "-m",
        "api.cli",
        "ingest",
        str(source),
        "--jobs",
        "1",
        "--no-progress",
    ]
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    watcher = sa.create_engine(settings.catalogue_url)
    try:
        while process.poll() is None:
            done = 0
            with contextlib.suppress(sa.exc.OperationalError, sa.exc.ProgrammingError):
                if settings.data_dir.exists():
                    with watcher.connect() as conn:
                        done = conn.execute(sa.text("SELECT count(*) FROM assets")).scalar_one()
            if done >= 100:
                break
            time.sleep(0.01)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        watcher.dispose()
    before = rows(settings, "SELECT count(*) FROM assets")[0][0]
    assert 0 < before < total, "the import was not stopped midway"

    result = run(str(source))
    assert result.exit_code == 0, result.output
    names = [name for (name,) in rows(settings, "SELECT file_name FROM assets")]
    assert sorted(names) == sorted(f"note-{n:03}.md" for n in range(total))
    blobs = blob_files(settings)
    assert len(blobs) == total
    # Every blob is whole: its name is the digest of its bytes.
    assert all(sha256_of(path) == path.name for path in blobs)
    assert f"{before}" in result.output or "skipped" in result.output


@pytest.mark.slow
def test_a_file_past_its_time_budget_fails_and_the_import_goes_on(
    env: dict[str, str], settings: Settings, folder: Path
) -> None:
    (folder / "shared-stream.pdf").write_bytes(files.shared_stream_pdf())
    result = run(str(folder))
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "shared-stream.pdf: the file took too long to read" in output
    assert "1 file(s) failed" in output
    assert sorted(assets(settings)) == sorted(all_formats())
