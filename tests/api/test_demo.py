"""The demo library: realistic, complete, loaded through the real ingest path."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.assets.kinds import Kind
from api.assets.models import Asset
from api.cli import app
from api.db import make_engine
from api.demo import corpus
from api.demo.load import load_if_empty
from api.files.blobs import BlobStore, sha256_of
from api.settings import Settings, get_settings
from tests.conftest import Actor
from tests.prebuilt import (
    catalogue_copied_for,
    prebuilt,  # noqa: F401 (a fixture)
)


def _load_demo(app: FastAPI, people: dict[str, Actor]) -> None:
    engine = make_engine(app.state.settings.catalogue_url)
    blobs = BlobStore(app.state.settings.blob_dir)
    summary = load_if_empty(engine, blobs)
    assert summary is not None
    assert summary.assets == len(corpus.ASSETS)
    # A second load finds the catalogue full and adds nothing.
    assert load_if_empty(engine, blobs) is None
    engine.dispose()


# The demo is loaded once per test process and database kind (a few seconds of real
# ingest), and each test that asks for `loaded` gets a copy of it (tests/prebuilt.py).
database_url = catalogue_copied_for("loaded", name="demo", build=_load_demo, roles={})


@pytest.fixture
def loaded(settings: Settings) -> Settings:
    """The settings of a catalogue holding the demo library."""
    return settings


def all_assets(marketer: Actor) -> list[dict]:
    items: list[dict] = []
    while True:
        page = marketer.get("/v1/assets", params={"limit": 100, "offset": len(items)}).json()
        items += page["items"]
        if len(items) >= page["total"]:
            return items


def test_the_demo_covers_every_kind_stage_and_status(loaded: Settings, marketer: Actor) -> None:
    items = all_assets(marketer)
    assert len(items) >= 40
    assert {a["kind"] for a in items} == {k.value for k in Kind}
    stages = [s["slug"] for s in marketer.get("/v1/taxonomy").json()["stages"]]
    assert {s for a in items for s in a["stages"]} == set(stages)
    assert {a["status"] for a in items} == {"draft", "in_review", "approved", "archived"}
    assert len({i for a in items for i in a["industries"]}) >= 4
    assert len({p for a in items for p in a["personas"]}) >= 4
    assert len({p for a in items for p in a["products"]}) >= 3
    # Every asset came from a real file, of every format Baton reads.
    formats = Counter(a["file"]["content_type"].split(";")[0] for a in items)
    assert set(formats) == {
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "text/html",
        "text/markdown",
        "text/plain",
        "message/rfc822",
    }
    rejected = [a for a in items if a["review_comment"]]
    assert len(rejected) == 1 and rejected[0]["status"] == "draft"


def test_reps_see_live_pieces_only_and_expiry_is_realistic(
    loaded: Settings, marketer: Actor, rep: Actor
) -> None:
    items = all_assets(marketer)
    live = [a for a in items if a["live"]]
    assert rep.get("/v1/assets", params={"limit": 100}).json()["total"] == len(live)
    talking_points = [a for a in items if a["kind"] == "talking_point"]
    assert any(not a["live"] and a["status"] == "approved" for a in talking_points)  # expired
    assert all(a["expires_at"] for a in talking_points)


def test_files_are_served_and_every_blob_is_whole(loaded: Settings, rep: Actor) -> None:
    asset = rep.get("/v1/assets", params={"kind": "presentation"}).json()["items"][0]
    got = rep.get(f"/v1/assets/{asset['id']}/file")
    assert got.status_code == 200
    assert got.content.startswith(b"PK")
    blobs = [p for p in loaded.blob_dir.rglob("*") if p.is_file() and p.parent.name != "tmp"]
    assert len(blobs) == len(corpus.ASSETS)
    assert all(sha256_of(p) == p.name for p in blobs)


def test_a_word_found_only_inside_a_pdf_is_in_that_assets_body(loaded: Settings) -> None:
    word = corpus.PDF_ONLY_WORD
    engine = make_engine(loaded.catalogue_url)
    with Session(engine) as session:
        rows = session.exec(select(Asset)).all()
    engine.dispose()
    holders = [a for a in rows if word in a.body.lower()]
    assert len(holders) == 1
    (pdf,) = holders
    assert pdf.file_content_type == "application/pdf"
    assert word not in (pdf.title + pdf.summary).lower()
    assert all(word not in (a.title + a.summary + str(a.fields)).lower() for a in rows)


def test_reps_find_the_pdf_only_word_by_search(loaded: Settings, rep: Actor) -> None:
    word = corpus.PDF_ONLY_WORD
    result = rep.get("/v1/search", params={"q": word}).json()
    assert result["total"] == 1
    hit = result["hits"][0]
    assert hit["asset"]["file"]["content_type"] == "application/pdf"
    assert "<mark>" in hit["highlights"]["body"]
    # Half-typed and misspelt, it is still found.
    assert rep.get("/v1/search", params={"q": word[:5]}).json()["total"] >= 1
    misspelt = word[:3] + word[4] + word[3] + word[5:]
    typo = rep.get("/v1/search", params={"q": misspelt}).json()
    assert typo["hits"][0]["asset"]["id"] == hit["asset"]["id"]
    assert typo["corrected_query"] == word


def test_synonyms_are_in_force(loaded: Settings, rep: Actor) -> None:
    in_force = rep.get("/v1/search/synonyms").json()
    for term, synonyms in corpus.SYNONYMS.items():  # the company's own, beside the defaults
        assert set(synonyms) <= set(in_force[term])
    assert "single sign-on" in in_force["sso"]
    by_acronym = {
        h["asset"]["id"] for h in rep.get("/v1/search", params={"q": "roi"}).json()["hits"]
    }
    spelled_out = rep.get("/v1/search", params={"q": "return on investment"}).json()["hits"]
    assert by_acronym & {h["asset"]["id"] for h in spelled_out}


def test_questions_some_answered_some_not(loaded: Settings, rep: Actor) -> None:
    questions = rep.get("/v1/questions", params={"limit": 100}).json()["items"]
    assert len(questions) == len(corpus.QUESTIONS)
    assert questions[0]["asked_count"] == max(q.asked for q in corpus.QUESTIONS)
    unanswered = rep.get("/v1/questions", params={"unanswered": "true"}).json()["items"]
    assert {q["text"] for q in unanswered} >= {
        "Can drivers log cold-chain temperatures on delivery?",
        "Where is our data stored, and can it stay in the EU?",
    }
    assert any(q["answered"] for q in questions)


def test_email_templates_keep_their_subject_and_placeholders(loaded: Settings, rep: Actor) -> None:
    emails = rep.get("/v1/assets", params={"kind": "email_template"}).json()["items"]
    assert emails
    for email in emails:
        assert email["fields"]["subject"]
        assert "{{ first_name }}" in email["body"]


def test_messaging_rules_are_in_force(loaded: Settings, marketer: Actor) -> None:
    rules = marketer.get("/v1/messaging/rules").json()["rules"]
    assert [(r["type"], r["phrase"]) for r in rules] == [
        (r["type"], r["phrase"]) for r in corpus.MESSAGING_RULES
    ]
    check = marketer.post("/v1/messaging/check", json={"text": "Guaranteed savings for all!"})
    assert [f["phrase"] for f in check.json()["findings"]] == ["guaranteed savings"]


def test_usage_and_outcomes_feed_the_reports(loaded: Settings, marketer: Actor) -> None:
    events, outcomes = corpus.usage()
    performance = marketer.get("/v1/reports/asset-performance", params={"limit": 100}).json()[
        "items"
    ]
    assert sum(row["views"] for row in performance) == sum(e.type == "view" for e in events)
    assert sum(row["helpful"] for row in performance) == sum(e.type == "helpful" for e in events)
    assert any(row["won"] > 0 and row["influenced_amount"] > 0 for row in performance)
    assert {o.outcome for o in outcomes} == {"won", "lost"}

    gaps = marketer.get("/v1/reports/content-gaps").json()
    unused = {row["title"] for row in gaps["unused"]}
    titles = {a.key: a.title for a in corpus.ASSETS}
    assert {titles["reference-list"], titles["deck-qbr"], titles["op-insights"]} <= unused
    assert titles["quote-northgrid"] in {row["title"] for row in gaps["low_rated"]}
    assert gaps["unanswered_questions"]


def test_baton_demo_command(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATON_DATABASE_URL", settings.catalogue_url)
    monkeypatch.setenv("BATON_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(app, ["demo"])
        second = CliRunner().invoke(app, ["demo"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert "Loaded the demo library: 42 assets" in " ".join(first.output.split())
    assert "messaging rules" in " ".join(first.output.split())
    assert "synonyms" in " ".join(first.output.split())
    assert "already holds assets" in second.output
    assert Path(settings.blob_dir).is_dir()
