"""Taxonomy: fixed kinds, ordered stages, terms created on first use."""

from __future__ import annotations

from tests.api.test_conventions import assert_problem
from tests.catalogue import create
from tests.conftest import Actor

KINDS = [
    "case_study",
    "testimonial",
    "email_template",
    "ebook",
    "white_paper",
    "talking_point",
    "one_pager",
    "battlecard",
    "presentation",
    "other",
]


def test_fresh_catalogue_taxonomy(rep: Actor) -> None:
    body = rep.get("/v1/taxonomy").json()
    assert body["kinds"] == KINDS
    assert [s["slug"] for s in body["stages"]] == [
        "awareness",
        "consideration",
        "decision",
        "onboarding",
        "expansion",
    ]
    assert body["stages"][0] == {"slug": "awareness", "label": "Awareness"}
    assert body["industries"] == body["personas"] == body["products"] == []


def test_create_term_derives_slug(marketer: Actor) -> None:
    response = marketer.post("/v1/taxonomy/products", json={"label": "Field App  Pro"})
    assert response.status_code == 201
    assert response.json() == {"slug": "field-app-pro", "label": "Field App  Pro"}
    products = marketer.get("/v1/taxonomy").json()["products"]
    assert products == [{"slug": "field-app-pro", "label": "Field App  Pro"}]


def test_create_term_with_slug(marketer: Actor) -> None:
    response = marketer.post(
        "/v1/taxonomy/personas", json={"label": "Chief Financial Officer", "slug": "cfo"}
    )
    assert response.json() == {"slug": "cfo", "label": "Chief Financial Officer"}


def test_duplicate_slug_is_409(marketer: Actor) -> None:
    assert (
        marketer.post("/v1/taxonomy/industries", json={"label": "Health Care"}).status_code == 201
    )
    body = assert_problem(
        marketer.post("/v1/taxonomy/industries", json={"label": "health care"}), 409
    )
    assert "health-care" in str(body["detail"])
    assert_problem(marketer.post("/v1/taxonomy/stages", json={"label": "Decision"}), 409)


def test_same_slug_in_another_facet_is_fine(marketer: Actor) -> None:
    assert marketer.post("/v1/taxonomy/industries", json={"label": "Retail"}).status_code == 201
    assert marketer.post("/v1/taxonomy/products", json={"label": "Retail"}).status_code == 201


def test_new_stage_goes_last(marketer: Actor) -> None:
    marketer.post("/v1/taxonomy/stages", json={"label": "Renewal"})
    stages = [s["slug"] for s in marketer.get("/v1/taxonomy").json()["stages"]]
    assert stages[-1] == "renewal" and len(stages) == 6


def test_term_validation(marketer: Actor) -> None:
    assert_problem(marketer.post("/v1/taxonomy/industries", json={"label": ""}), 422)
    assert_problem(marketer.post("/v1/taxonomy/industries", json={"label": "!!!"}), 422)
    assert_problem(
        marketer.post("/v1/taxonomy/industries", json={"label": "A", "slug": "Not A Slug"}), 422
    )
    assert_problem(marketer.post("/v1/taxonomy/colours", json={"label": "Red"}), 422)
    assert_problem(marketer.post("/v1/taxonomy/industries", json={"label": "A", "x": 1}), 422)


def test_terms_created_on_first_use(marketer: Actor) -> None:
    asset = create(
        marketer,
        industries=["Construction", "health care"],
        personas=["CFO"],
        products=["Field App"],
    )
    assert asset["industries"] == ["construction", "health-care"]
    assert asset["personas"] == ["cfo"]
    assert asset["products"] == ["field-app"]
    taxonomy = marketer.get("/v1/taxonomy").json()
    assert [t["slug"] for t in taxonomy["industries"]] == ["construction", "health-care"]
    assert taxonomy["personas"] == [{"slug": "cfo", "label": "CFO"}]
    # Using an existing term does not duplicate it.
    create(marketer, industries=["construction"])
    assert len(marketer.get("/v1/taxonomy").json()["industries"]) == 2


def test_unknown_stage_is_422(marketer: Actor) -> None:
    body = assert_problem(
        marketer.post(
            "/v1/assets", json={"title": "A", "kind": "ebook", "stages": ["negotiation"]}
        ),
        422,
    )
    assert "negotiation" in str(body["detail"])
    assert marketer.get("/v1/assets").json()["total"] == 0
    assert marketer.get("/v1/taxonomy").json()["industries"] == []


def test_stages_listed_in_stage_order(marketer: Actor) -> None:
    asset = create(marketer, stages=["expansion", "awareness", "decision"])
    assert asset["stages"] == ["awareness", "decision", "expansion"]
