"""Assets: create, read, list with filters, patch with the content-vs-metadata rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.test_conventions import assert_problem
from tests.catalogue import create, publish
from tests.conftest import Actor


def test_create_asset_round_trip(marketer: Actor) -> None:
    question = marketer.post("/v1/questions", json={"text": "How long does rollout take?"}).json()
    asset = create(
        marketer,
        title="Rolling out the field app in 30 days",
        kind="case_study",
        summary="How Acme Builders went live in a month.",
        body="Acme Builders rolled out the field app to 400 crews.",
        url="https://example.com/acme",
        stages=["decision"],
        industries=["construction"],
        personas=["cfo", "ops-manager"],
        products=["field-app"],
        tags=["ROI", "rollout"],
        question_ids=[question["id"]],
        fields={"customer": "Acme Builders"},
    )
    assert asset["status"] == "draft"
    assert asset["version"] == 1
    assert asset["live"] is False
    assert asset["approved_at"] is None
    assert asset["expires_at"] is None
    assert asset["file"] is None
    assert asset["owner"] == {"id": marketer.id, "email": asset["owner"]["email"]}
    assert asset["tags"] == ["roi", "rollout"]
    assert asset["personas"] == ["cfo", "ops-manager"]
    assert asset["questions"] == [{"id": question["id"], "text": "How long does rollout take?"}]
    assert asset["fields"] == {"customer": "Acme Builders"}
    fetched = marketer.get(f"/v1/assets/{asset['id']}").json()
    assert asset.pop("similar") == []  # only a create says which assets are nearly the same
    # Only the asset's own GET shows its links and flags.
    assert (asset.pop("links"), asset.pop("flags")) == (None, None)
    assert (fetched.pop("links"), fetched.pop("flags")) == ([], [])
    assert fetched == asset


def test_required_fields(marketer: Actor) -> None:
    assert_problem(marketer.post("/v1/assets", json={"kind": "ebook"}), 422)
    assert_problem(marketer.post("/v1/assets", json={"title": "No kind"}), 422)
    assert_problem(marketer.post("/v1/assets", json={"title": "   ", "kind": "ebook"}), 422)


@pytest.mark.parametrize(
    "extra",
    [
        {"url": "javascript:alert(1)"},
        {"url": "not a url"},
        {"stages": "decision"},
        {"tags": [""]},
        {"tags": ["x" * 101]},
        {"expires_at": "next tuesday"},
        {"fields": {"nested": {"a": 1}}},
        {"question_ids": ["does-not-exist"]},
    ],
)
def test_invalid_asset_fields_are_422(marketer: Actor, extra: dict[str, object]) -> None:
    response = marketer.post("/v1/assets", json={"title": "A", "kind": "ebook", **extra})
    assert_problem(response, 422)
    assert marketer.get("/v1/assets").json()["total"] == 0


def test_kind_specific_fields_are_checked(marketer: Actor) -> None:
    body = assert_problem(
        marketer.post(
            "/v1/assets", json={"title": "Hi", "kind": "email_template", "fields": {"subject": 5}}
        ),
        422,
    )
    assert body["errors"][0]["loc"] == ["body", "fields", "subject"]  # type: ignore[index]
    assert_problem(
        marketer.post(
            "/v1/assets",
            json={"title": "News", "kind": "talking_point", "fields": {"source_url": "ftp://x"}},
        ),
        422,
    )
    ok = create(marketer, kind="email_template", fields={"subject": "Hello {{ first_name }}"})
    assert ok["fields"] == {"subject": "Hello {{ first_name }}"}


def test_talking_point_expires_after_90_days(marketer: Actor) -> None:
    asset = create(marketer, title="Steel prices jump", kind="talking_point")
    created = datetime.fromisoformat(asset["created_at"])
    assert datetime.fromisoformat(asset["expires_at"]) - created == timedelta(days=90)
    explicit = create(marketer, kind="talking_point", expires_at="2030-01-01T00:00:00Z")
    assert explicit["expires_at"].startswith("2030-01-01T00:00:00")
    other = create(marketer, kind="battlecard")
    assert other["expires_at"] is None


def test_kind_changed_to_talking_point_gets_default_expiry(marketer: Actor) -> None:
    asset = create(marketer, kind="one_pager")
    patched = marketer.patch(f"/v1/assets/{asset['id']}", json={"kind": "talking_point"}).json()
    assert patched["expires_at"] is not None


def test_list_is_newest_first(marketer: Actor) -> None:
    ids = [create(marketer, title=f"A{i}")["id"] for i in range(4)]
    assert [a["id"] for a in marketer.get("/v1/assets").json()["items"]] == ids[::-1]


def test_list_filters(marketer: Actor) -> None:
    a = create(
        marketer,
        title="A",
        kind="case_study",
        stages=["decision"],
        industries=["construction"],
        tags=["roi"],
    )
    b = create(
        marketer,
        title="B",
        kind="ebook",
        stages=["awareness"],
        industries=["healthcare"],
        personas=["cfo"],
    )
    c = create(
        marketer,
        title="C",
        kind="case_study",
        stages=["decision", "awareness"],
        industries=["healthcare"],
        products=["field-app"],
        tags=["roi", "safety"],
    )

    def titles(**params: object) -> list[str]:
        response = marketer.get("/v1/assets", params=params)
        assert response.status_code == 200, response.text
        return sorted(item["title"] for item in response.json()["items"])

    assert titles(kind="case_study") == ["A", "C"]
    assert titles(kind=["case_study", "ebook"]) == ["A", "B", "C"]
    assert titles(stage="awareness") == ["B", "C"]
    assert titles(stage=["decision", "awareness"]) == ["A", "B", "C"]
    assert titles(stage="decision", industry="healthcare") == ["C"]
    assert titles(persona="cfo") == ["B"]
    assert titles(product="field-app") == ["C"]
    assert titles(tag="roi") == ["A", "C"]
    assert titles(tag=["safety", "nothing"]) == ["C"]
    assert titles(industry="unknown-industry") == []
    assert titles(status="draft") == ["A", "B", "C"]
    assert titles(status="approved") == []
    assert marketer.get("/v1/assets", params={"kind": "case_study"}).json()["total"] == 2
    assert_problem(marketer.get("/v1/assets", params={"kind": "brochure"}), 422)
    assert_problem(marketer.get("/v1/assets", params={"status": "published"}), 422)
    del a, b, c


def test_get_unknown_asset_is_404(marketer: Actor) -> None:
    assert_problem(marketer.get("/v1/assets/nope"), 404)
    assert_problem(marketer.patch("/v1/assets/nope", json={"title": "x"}), 404)


# --- PATCH: content versus metadata ----------------------------------------------------

CONTENT_CHANGES = [
    {"title": "New title"},
    {"summary": "New summary"},
    {"body": "New body"},
    {"kind": "white_paper"},
    {"url": "https://example.com/new"},
    {"fields": {"customer": "Other Co"}},
]
METADATA_CHANGES = [
    {"stages": ["awareness"]},
    {"industries": ["retail"]},
    {"personas": ["cio"]},
    {"products": ["analytics"]},
    {"tags": ["fresh"]},
    {"expires_at": "2040-01-01T00:00:00Z"},
]


@pytest.mark.parametrize("change", CONTENT_CHANGES, ids=lambda c: next(iter(c)))
def test_content_change_of_an_approved_asset_goes_to_a_pending_revision(
    marketer: Actor, rep: Actor, change: dict[str, object]
) -> None:
    asset = publish(
        marketer, title="Old title", kind="case_study", body="Old body", stages=["decision"]
    )
    assert rep.get(f"/v1/assets/{asset['id']}").status_code == 200
    patched = marketer.patch(f"/v1/assets/{asset['id']}", json=change)
    assert patched.status_code == 202, patched.text
    shown = patched.json()
    assert (shown["status"], shown["version"], shown["title"], shown["body"]) == (
        "approved",
        1,
        "Old title",
        "Old body",
    )
    assert shown["pending_revision"]["status"] == "draft"
    seen = rep.get(f"/v1/assets/{asset['id']}").json()
    assert (seen["title"], seen["body"], seen["pending_revision"]) == (
        "Old title",
        "Old body",
        None,
    )
    assert rep.get("/v1/assets").json()["total"] == 1
    revision = marketer.get(
        f"/v1/assets/{asset['id']}/revisions/{shown['pending_revision']['id']}"
    ).json()
    assert revision["changed"] == [next(iter(change))]


@pytest.mark.parametrize("change", METADATA_CHANGES, ids=lambda c: next(iter(c)))
def test_metadata_change_keeps_asset_approved(
    marketer: Actor, rep: Actor, change: dict[str, object]
) -> None:
    asset = publish(marketer, title="Steady", stages=["decision"], tags=["old"])
    patched = marketer.patch(f"/v1/assets/{asset['id']}", json=change)
    assert patched.status_code == 200, patched.text
    assert patched.json()["status"] == "approved"
    assert rep.get(f"/v1/assets/{asset['id']}").status_code == 200


def test_question_link_change_keeps_asset_approved(marketer: Actor, rep: Actor) -> None:
    asset = publish(marketer, title="Answers")
    question = marketer.post("/v1/questions", json={"text": "Does it work offline?"}).json()
    patched = marketer.patch(f"/v1/assets/{asset['id']}", json={"question_ids": [question["id"]]})
    assert patched.json()["status"] == "approved"
    assert patched.json()["questions"] == [{"id": question["id"], "text": "Does it work offline?"}]
    assert rep.get(f"/v1/assets/{asset['id']}").json()["questions"][0]["id"] == question["id"]


def test_same_content_is_not_a_change(marketer: Actor) -> None:
    asset = publish(marketer, title="Same", body="Body")
    patched = marketer.patch(f"/v1/assets/{asset['id']}", json={"title": "Same", "body": "Body"})
    assert patched.json()["status"] == "approved"


def test_patch_replaces_lists_and_keeps_the_rest(marketer: Actor) -> None:
    asset = create(
        marketer, title="T", stages=["decision"], industries=["construction"], tags=["a", "b"]
    )
    patched = marketer.patch(
        f"/v1/assets/{asset['id']}", json={"tags": ["c"], "industries": []}
    ).json()
    assert patched["tags"] == ["c"]
    assert patched["industries"] == []
    assert patched["stages"] == ["decision"]
    assert patched["title"] == "T"
    assert datetime.fromisoformat(patched["updated_at"]) >= datetime.fromisoformat(
        asset["updated_at"]
    )


def test_patch_validation(marketer: Actor) -> None:
    asset = create(marketer, title="T")
    assert_problem(marketer.patch(f"/v1/assets/{asset['id']}", json={"title": None}), 422)
    assert_problem(marketer.patch(f"/v1/assets/{asset['id']}", json={"kind": None}), 422)
    assert_problem(marketer.patch(f"/v1/assets/{asset['id']}", json={"status": "approved"}), 422)
    assert_problem(marketer.patch(f"/v1/assets/{asset['id']}", json={"stages": ["nowhere"]}), 422)
    assert marketer.get(f"/v1/assets/{asset['id']}").json()["stages"] == []


def test_patch_clears_nullable_fields(marketer: Actor) -> None:
    asset = create(
        marketer,
        title="T",
        url="https://example.com",
        summary="S",
        expires_at="2040-01-01T00:00:00Z",
    )
    patched = marketer.patch(
        f"/v1/assets/{asset['id']}", json={"url": None, "summary": None, "expires_at": None}
    ).json()
    assert (patched["url"], patched["summary"], patched["expires_at"]) == (None, "", None)


def test_failed_patch_changes_nothing(marketer: Actor) -> None:
    asset = create(marketer, title="Before", tags=["keep"])
    response = marketer.patch(
        f"/v1/assets/{asset['id']}", json={"title": "After", "tags": ["new"], "stages": ["nowhere"]}
    )
    assert_problem(response, 422)
    after = marketer.get(f"/v1/assets/{asset['id']}").json()
    assert (after["title"], after["tags"]) == ("Before", ["keep"])


def test_naive_timestamps_are_read_as_utc(marketer: Actor) -> None:
    asset = create(marketer, expires_at="2035-06-01T12:00:00")
    assert datetime.fromisoformat(asset["expires_at"]) == datetime(2035, 6, 1, 12, tzinfo=UTC)


def test_a_refused_create_leaves_nothing_behind(marketer: Actor) -> None:
    # The asset row and its new industry are written before the unknown question is found;
    # the 422 must undo all of it, on SQLite as on PostgreSQL.
    response = marketer.post(
        "/v1/assets",
        json={
            "title": "Half-made",
            "kind": "one_pager",
            "industries": ["aquaculture"],
            "question_ids": ["no-such-question"],
        },
    )
    assert_problem(response, 422)
    assert marketer.get("/v1/assets").json()["total"] == 0
    industries = marketer.get("/v1/taxonomy").json()["industries"]
    assert "aquaculture" not in [term["slug"] for term in industries]


def test_a_refused_patch_leaves_nothing_behind(marketer: Actor) -> None:
    asset = create(marketer, title="Whole", kind="one_pager")
    response = marketer.patch(
        f"/v1/assets/{asset['id']}",
        json={"industries": ["aquaculture"], "question_ids": ["no-such-question"]},
    )
    assert_problem(response, 422)
    industries = marketer.get("/v1/taxonomy").json()["industries"]
    assert "aquaculture" not in [term["slug"] for term in industries]
    assert marketer.get(f"/v1/assets/{asset['id']}").json()["industries"] == []
