"""`baton ingest` and duplicate text: the same text in another file is skipped (naming the
asset that has it) unless --force; a near duplicate is imported, its `similar` reported."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from api.cli import app as cli
from api.demo import documents as d
from api.settings import Settings
from tests.ingest.files import SAMPLE
from tests.ingest.test_bulk import assets, env  # noqa: F401 (fixture)


def ingest(*args: str) -> Any:
    return CliRunner().invoke(cli, ["ingest", *args, "--no-progress"])


def test_the_same_text_is_skipped_and_a_near_duplicate_reported(
    env: dict[str, str],  # noqa: F811
    settings: Settings,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "collateral"
    folder.mkdir()
    (folder / "a-case-study.pdf").write_bytes(d.pdf_bytes(SAMPLE))
    longer = dataclasses.replace(
        SAMPLE,
        sections=(*SAMPLE.sections, d.Section("Next", paragraphs=("Crews in Yukon start soon.",))),
    )
    (folder / "b-case-study-longer.docx").write_bytes(d.docx_bytes(longer))
    report = tmp_path / "report.json"
    result = ingest(str(folder), "--report", str(report))
    assert result.exit_code == 0, result.output
    files = {Path(f["path"]).name: f for f in json.loads(report.read_text())["files"]}
    first, near = files["a-case-study.pdf"], files["b-case-study-longer.docx"]
    assert (first["status"], near["status"]) == ("imported", "imported")
    assert [s["id"] for s in near["similar"]] == [first["asset_id"]]

    # The same text again, in other bytes: skipped, naming the asset that has it.
    again = tmp_path / "again"
    again.mkdir()
    (again / "regenerated.pdf").write_bytes(
        d.pdf_bytes(dataclasses.replace(SAMPLE, author="Someone else"))
    )
    result = ingest(str(again), "--report", str(report))
    assert result.exit_code == 0, result.output
    (outcome,) = json.loads(report.read_text())["files"]
    assert (outcome["status"], outcome["asset_id"]) == ("skipped", first["asset_id"])
    assert "same text" in outcome["reason"]
    assert "regenerated.pdf" not in assets(settings)

    forced = ingest(str(again), "--force", "--report", str(report))
    assert forced.exit_code == 0, forced.output
    (outcome,) = json.loads(report.read_text())["files"]
    assert outcome["status"] == "imported"
    assert first["asset_id"] in [s["id"] for s in outcome["similar"]]
    assert "regenerated.pdf" in assets(settings)
