"""The content-gaps report per audience (a pair empty for one audience is a gap for it) and
the shareable share of each cell."""

from __future__ import annotations

from typing import Any

from tests.audiences.helpers import audience
from tests.catalogue import create, publish
from tests.conftest import Actor


def report(marketer: Actor) -> dict[str, Any]:
    response = marketer.get("/v1/reports/content-gaps")
    assert response.status_code == 200, response.text
    return dict(response.json())


def cell(body: dict[str, Any], stage: str, industry: str) -> dict[str, Any]:
    return next(c for c in body["coverage"] if (c["stage"], c["industry"]) == (stage, industry))


def test_a_pair_empty_for_one_audience_is_its_gap(admin: Actor, marketer: Actor) -> None:
    audience(admin, "emea")
    audience(admin, "partners", kind="partner")
    # decision x healthcare: only EMEA's deck; decision x construction: a case study for all.
    publish(
        marketer,
        title="EMEA healthcare decision deck",
        kind="presentation",
        stages=["decision"],
        industries=["healthcare"],
        audiences=["emea"],
    )
    publish(
        marketer,
        title="Crane retrofit case study",
        kind="case_study",
        stages=["decision"],
        industries=["construction"],
    )
    # A generic battlecard (no industry) for partners: every decision pair, for them only.
    publish(
        marketer,
        title="Partner objection handling",
        kind="battlecard",
        stages=["onboarding"],
        audiences=["partners"],
    )
    create(  # a draft counts for nobody
        marketer,
        title="Draft partner deck",
        kind="presentation",
        stages=["decision"],
        industries=["mining"],
        audiences=["partners"],
    )

    body = report(marketer)
    by_slug = {entry["audience"]: entry for entry in body["audience_coverage"]}
    assert list(by_slug) == ["emea", "partners"]
    assert by_slug["emea"]["kind"] == "region" and by_slug["partners"]["name"] == "PARTNERS"
    pairs = len(body["coverage"])
    overall_empty = sum(1 for c in body["coverage"] if c["live_count"] == 0)

    # EMEA sees the case study and its deck: only partners' onboarding content is missing.
    emea_gaps = {(g["stage"], g["industry"]) for g in by_slug["emea"]["gaps"]}
    onboarding = {
        (c["stage"], c["industry"]) for c in body["coverage"] if c["stage"] == "onboarding"
    }
    assert emea_gaps == onboarding
    assert by_slug["emea"]["empty_count"] == overall_empty + len(onboarding)
    # Partners miss EMEA's deck; they see their generic battlecard in every onboarding pair.
    partner_gaps = {(g["stage"], g["industry"]) for g in by_slug["partners"]["gaps"]}
    assert partner_gaps == {("decision", "healthcare")}
    assert by_slug["partners"]["empty_count"] == overall_empty + 1
    assert overall_empty < pairs

    # Shareable with buyers: the case study is, the deck is, the battlecard is internal.
    assert cell(body, "decision", "construction")["shareable_count"] == 1
    assert cell(body, "decision", "healthcare")["shareable_count"] == 1
    onboarding_cell = cell(body, "onboarding", "construction")
    assert onboarding_cell["live_count"] == 1 and onboarding_cell["shareable_count"] == 0


def test_no_audiences_no_audience_coverage(marketer: Actor) -> None:
    publish(marketer, title="Crane case study", kind="case_study", stages=["decision"])
    assert report(marketer)["audience_coverage"] == []


def test_the_page_shows_each_audiences_gaps(admin: Actor, marketer: Actor) -> None:
    audience(admin, "emea")
    publish(
        marketer,
        title="EMEA-only decision deck",
        kind="presentation",
        stages=["decision"],
        industries=["healthcare"],
        audiences=["emea"],
    )
    audience(admin, "partners", kind="partner")
    page = marketer.get("/v1/reports/content-gaps.html")
    assert page.status_code == 200
    assert 'id="audience-coverage"' in page.text
    section = page.text.split('id="audience-coverage"', 1)[1].split("</section>", 1)[0]
    # Partners miss the EMEA deck; EMEA misses nothing others have.
    assert "PARTNERS" in section and "decision × healthcare" in section
    assert "1 shareable with buyers" in page.text
