"""`baton ingest`: a manifest or sidecar restricts an imported file to audiences."""

from __future__ import annotations

from pathlib import Path

from api.audiences.schemas import AudienceCreate
from api.audiences.service import create_audience, slugs_of_assets
from api.db import make_engine, session_scope, utcnow
from api.settings import Settings
from tests.ingest.test_bulk import env, folder, rows, run

__all__ = ["env", "folder"]  # the fixtures, used by name


def test_a_manifest_restricts_files_to_audiences(
    env: dict[str, str], settings: Settings, folder: Path
) -> None:
    engine = make_engine(settings.catalogue_url)
    with session_scope(engine) as session:
        for slug in ("emea", "apac"):
            create_audience(
                session, AudienceCreate(slug=slug, name=slug, kind="region"), now=utcnow()
            )
    (folder / "manifest.csv").write_text(
        "path,kind,audiences\ncase-study.pdf,case_study,emea;apac\nnotes.txt,one_pager,\n"
    )
    (folder / "decks" / "deck.pptx.yaml").write_text("kind: battlecard\naudience: emea\n")
    result = run(str(folder), "--manifest", str(folder / "manifest.csv"))
    assert result.exit_code == 0, result.output
    ids = dict(rows(settings, "SELECT file_name, id FROM assets"))
    with session_scope(engine) as session:
        restricted = slugs_of_assets(session, ids.values())
    engine.dispose()
    assert restricted[ids["case-study.pdf"]] == ["apac", "emea"]
    assert restricted[ids["deck.pptx"]] == ["emea"]
    assert ids["notes.txt"] not in restricted


def test_an_unknown_audience_in_a_manifest_fails_that_file(
    env: dict[str, str], settings: Settings, folder: Path
) -> None:
    (folder / "manifest.csv").write_text("path,kind,audiences\nnotes.txt,one_pager,mars\n")
    result = run(str(folder / "notes.txt"), "--manifest", str(folder / "manifest.csv"))
    assert result.exit_code != 0
    assert "mars" in result.output
    assert rows(settings, "SELECT id FROM assets") == []
