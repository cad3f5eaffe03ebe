"""Near-duplicate and duplicate assets: reported on create, upload and in the gaps report;
the same text again refused (409) unless forced."""

from __future__ import annotations

import dataclasses
from typing import Any

from api.demo import documents as d
from tests.api.test_conventions import assert_problem
from tests.catalogue import create, publish, transition
from tests.conftest import Actor
from tests.ingest.files import SAMPLE

BODY = (
    "Brightwater Tunnelling builds metro and water tunnels in three countries, with around "
    "600 people working underground on any given night. Inspection forms for shotcrete "
    "linings travelled on paper from the tunnel face to the shaft and then to the site "
    "office, and a form filled in on Monday was often typed up on Thursday. Rework fell "
    "from 12% to 3% of lining work in nine months after crews moved to tablets."
)


def _upload(actor: Actor, name: str, data: bytes, **params: Any) -> Any:
    return actor.post("/v1/assets/upload", files={"file": (name, data)}, params=params)


def test_a_near_duplicate_is_reported_on_create(marketer: Actor) -> None:
    first = create(marketer, title="Brightwater case study", body=BODY)
    assert first["similar"] == []
    edited = BODY.replace("three countries", "four countries").replace("Thursday", "Friday")
    second = create(marketer, title="Brightwater case study (v2)", body=edited)
    assert [(s["id"], s["title"], s["status"]) for s in second["similar"]] == [
        (first["id"], "Brightwater case study", "draft")
    ]
    assert 0.6 <= second["similar"][0]["similarity"] < 1.0
    other = create(marketer, title="Pricing", body="A different text about licences " * 5)
    assert other["similar"] == []

    report = marketer.get("/v1/reports/content-gaps").json()
    pairs = [
        (p["first"]["id"], p["second"]["id"], p["similarity"]) for p in report["near_duplicates"]
    ]
    assert pairs == [(first["id"], second["id"], second["similar"][0]["similarity"])]
    assert report["totals"]["near_duplicates"] == 1
    page = marketer.get("/v1/reports/content-gaps.html").text
    assert "Brightwater case study (v2)" in page


def test_the_same_text_is_refused_then_forced(marketer: Actor) -> None:
    first = create(marketer, title="Brightwater case study", body=BODY)
    # Case, spacing and punctuation do not make it another text.
    again = {"title": "BRIGHTWATER  case study!", "kind": "case_study", "body": BODY.upper()}
    refused = marketer.post("/v1/assets", json=again)
    assert_problem(refused, 409)
    assert refused.json()["asset_id"] == first["id"]
    assert "force=true" in refused.json()["detail"]
    forced = marketer.post("/v1/assets", json=again, params={"force": "true"})
    assert forced.status_code == 201, forced.text
    assert [(s["id"], s["similarity"]) for s in forced.json()["similar"]] == [(first["id"], 1.0)]
    # An archived asset is neither live nor pending: its text may come back.
    for asset in (first, forced.json()):
        assert marketer.post(f"/v1/assets/{asset['id']}/archive").status_code == 200
    assert marketer.post("/v1/assets", json=again).status_code == 201


def test_a_title_alone_is_not_judged(marketer: Actor) -> None:
    create(marketer, title="Pricing")
    assert create(marketer, title="Pricing")["similar"] == []


def test_an_edit_keeps_the_signature_current(marketer: Actor) -> None:
    first = create(marketer, title="Brightwater case study", body=BODY)
    marketer.patch(f"/v1/assets/{first['id']}", json={"body": "Now about something else " * 4})
    # The old text is free again; the new text is the one that counts.
    assert create(marketer, title="Brightwater case study", body=BODY)["similar"] == []


def test_near_duplicates_and_duplicates_among_uploaded_files(marketer: Actor) -> None:
    pdf = _upload(marketer, "case-study.pdf", d.pdf_bytes(SAMPLE))
    assert pdf.status_code == 201, pdf.text
    assert pdf.json()["similar"] == []
    # The same document with one more paragraph, as a Word file.
    longer = dataclasses.replace(
        SAMPLE,
        sections=(
            *SAMPLE.sections,
            d.Section("Next", paragraphs=("Crews in Yukon start in spring.",)),
        ),
    )
    docx = _upload(marketer, "case-study.docx", d.docx_bytes(longer))
    assert docx.status_code == 201, docx.text
    assert [s["id"] for s in docx.json()["similar"]] == [pdf.json()["id"]]
    # A regenerated PDF: other bytes (another author), the same text.
    regenerated = d.pdf_bytes(dataclasses.replace(SAMPLE, author="Someone else"))
    refused = _upload(marketer, "case-study-2.pdf", regenerated)
    assert_problem(refused, 409)
    assert refused.json()["asset_id"] == pdf.json()["id"]
    forced = _upload(marketer, "case-study-2.pdf", regenerated, force="true")
    assert forced.status_code == 201, forced.text
    assert pdf.json()["id"] in [s["id"] for s in forced.json()["similar"]]


def test_reps_cannot_create_nor_see_the_report(rep: Actor) -> None:
    assert rep.post("/v1/assets", json={"title": "x", "kind": "one_pager"}).status_code == 403
    assert rep.get("/v1/reports/content-gaps").status_code == 403


NORTHWIND = (
    "Northwind Haulage runs 400 trucks between ports and inland depots. Drivers logged "
    "their hours on paper and the depot office checked them weekly, so breaches of the "
    "driving time rules surfaced days late. With the app, each shift is checked as it "
    "ends and planners see who may drive tomorrow before they build the rota."
)


def test_a_revision_is_judged_against_the_other_assets_not_itself(marketer: Actor) -> None:
    other = create(marketer, title="Brightwater case study", body=BODY, kind="case_study")
    live = publish(marketer, title="Northwind case study", body=NORTHWIND, kind="case_study")
    revisions = f"/v1/assets/{live['id']}/revisions"
    # Its own approved text, a few words changed: nothing similar (it is not its own match).
    opened = marketer.post(revisions, json={"body": NORTHWIND.replace("400", "450")})
    assert opened.status_code == 201, opened.text
    assert opened.json()["similar"] == []
    revision = f"{revisions}/{opened.json()['id']}"

    # Nearly another asset's text: reported.
    near = BODY.replace("three countries", "four countries")
    changed = marketer.patch(revision, json={"title": "Brightwater case study", "body": near})
    assert changed.status_code == 200, changed.text
    assert [(s["id"], s["status"]) for s in changed.json()["similar"]] == [(other["id"], "draft")]

    # Exactly another asset's text: refused, unless forced; through PATCH of the asset too.
    same = {"title": "Brightwater case study", "body": BODY}
    refused = assert_problem(marketer.patch(revision, json=same), 409)
    assert refused["asset_id"] == other["id"] and "force=true" in str(refused["detail"])
    refused = assert_problem(marketer.patch(f"/v1/assets/{live['id']}", json=same), 409)
    assert refused["asset_id"] == other["id"]
    forced = marketer.patch(revision, json=same, params={"force": "true"})
    assert forced.status_code == 200, forced.text
    assert [(s["id"], s["similarity"]) for s in forced.json()["similar"]] == [(other["id"], 1.0)]
    # Reps and the asset itself still see the approved text.
    assert marketer.get(f"/v1/assets/{live['id']}").json()["body"] == NORTHWIND

    # An archived asset's text is free again.
    transition(marketer, other["id"], "archive")
    reopened = marketer.patch(revision, json={"body": BODY + " Again."})
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["similar"] == []


def test_a_replaced_file_is_judged_like_an_upload(marketer: Actor) -> None:
    other = create(marketer, title="Brightwater case study", body=BODY, kind="case_study")
    draft = create(marketer, title="Brightwater case study", body="To be written.")
    path = f"/v1/assets/{draft['id']}/file"
    same = {"file": ("brightwater.txt", BODY.encode(), "text/plain")}
    refused = assert_problem(marketer.put(path, files=same), 409)
    assert refused["asset_id"] == other["id"]
    assert marketer.get(f"/v1/assets/{draft['id']}").json()["file"] is None  # nothing kept
    forced = marketer.put(path, files=same, params={"force": "true"})
    assert forced.status_code == 200, forced.text
    assert [(s["id"], s["similarity"]) for s in forced.json()["similar"]] == [(other["id"], 1.0)]

    # An approved asset's new file goes to its revision, judged the same way.
    live = publish(marketer, title="Northwind case study", body=NORTHWIND, kind="case_study")
    path = f"/v1/assets/{live['id']}/file"
    near = BODY.replace("three countries", "four countries").encode()
    accepted = marketer.put(path, files={"file": ("northwind.txt", near, "text/plain")})
    assert accepted.status_code == 202, accepted.text
    similar = {s["id"] for s in accepted.json()["similar"]}
    assert other["id"] in similar and live["id"] not in similar
