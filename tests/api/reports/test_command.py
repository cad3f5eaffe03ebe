"""`baton report gaps`: the same report, written without a server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.settings import get_settings
from tests.catalogue import publish
from tests.conftest import Actor


@pytest.fixture
def baton(database_url: str, tmp_path: Path) -> Iterator[CliRunner]:
    """A runner whose `baton` reads the test's catalogue."""
    get_settings.cache_clear()
    runner = CliRunner(env={"BATON_DATABASE_URL": database_url, "BATON_DATA_DIR": str(tmp_path)})
    yield runner
    get_settings.cache_clear()


def test_report_gaps_in_each_format(baton: CliRunner, marketer: Actor, tmp_path: Path) -> None:
    publish(marketer, title="Retail ROI", stages=["decision"], industries=["Retail"])
    publish(marketer, title="Mining primer", stages=["awareness"], industries=["Mining"])

    as_json = baton.invoke(app, ["report", "gaps"])
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.stdout)
    assert [i["slug"] for i in body["industries"]] == ["mining", "retail"]
    assert len(body["coverage"]) == 10
    assert sum(cell["live_count"] for cell in body["coverage"]) == 2

    csv_file = tmp_path / "gaps.csv"
    as_csv = baton.invoke(app, ["report", "gaps", "--format", "csv", "-o", str(csv_file)])
    assert as_csv.exit_code == 0, as_csv.output
    assert csv_file.read_bytes().decode().split("\r\n") == [
        "stage,mining,retail,all_industries",
        "awareness,1,0,0",
        "consideration,0,0,0",
        "decision,0,1,0",
        "onboarding,0,0,0",
        "expansion,0,0,0",
        "",
    ]

    html_file = tmp_path / "gaps.html"
    as_html = baton.invoke(
        app, ["report", "gaps", "-f", "html", "-o", str(html_file), "--since", "2026-01-01"]
    )
    assert as_html.exit_code == 0, as_html.output
    page = html_file.read_text()
    assert page.startswith("<!doctype html>")
    assert page.count('class="cell') == 10
    assert "activity from 01 Jan 2026, 00:00 UTC" in page


def test_report_gaps_explains_bad_input(baton: CliRunner, tmp_path: Path) -> None:
    bad_time = baton.invoke(app, ["report", "gaps", "--since", "last week"])
    assert bad_time.exit_code == 2
    assert "ISO 8601" in bad_time.output

    backwards = baton.invoke(
        app, ["report", "gaps", "--since", "2026-02-01", "--until", "2026-01-01"]
    )
    assert backwards.exit_code == 2
    assert "since must be before until" in backwards.output

    empty = CliRunner(env={"BATON_DATABASE_URL": f"sqlite:///{tmp_path}/empty.db"})
    get_settings.cache_clear()
    unmigrated = empty.invoke(app, ["report", "gaps"])
    assert unmigrated.exit_code == 1
    assert "baton db upgrade" in unmigrated.output
