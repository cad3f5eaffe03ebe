"""Revisions of live assets: edits reviewed apart while reps keep the approved content."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session

from api.assets.models import AssetVersion
from api.backup.service import collect_blobs
from api.files.blobs import BlobStore
from api.settings import Settings
from tests.api.test_conventions import assert_problem
from tests.catalogue import create, publish, transition
from tests.conftest import Actor
from tests.reliability.harness import check_settled


def _revision(marketer: Actor, asset_id: str) -> dict[str, Any]:
    pending = marketer.get(f"/v1/assets/{asset_id}").json()["pending_revision"]
    assert pending is not None
    response = marketer.get(f"/v1/assets/{asset_id}/revisions/{pending['id']}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def _move(marketer: Actor, asset_id: str, rid: str, action: str, **body: Any) -> dict[str, Any]:
    response = marketer.post(f"/v1/assets/{asset_id}/revisions/{rid}/{action}", json=body or None)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return dict(data["revision"]) if action == "submit" else data


def test_an_edit_to_a_live_asset_stays_hidden_until_its_revision_is_approved(
    marketer: Actor, rep: Actor
) -> None:
    asset = publish(
        marketer, title="Crew fatigue rules", body="Crews rest eleven hours.", tags=["safety"]
    )
    aid = asset["id"]
    patched = marketer.patch(f"/v1/assets/{aid}", json={"body": "Crews rest twelve hours."})
    assert patched.status_code == 202, patched.text
    shown = patched.json()
    assert (shown["status"], shown["body"], shown["version"]) == (
        "approved",
        "Crews rest eleven hours.",
        1,
    )
    assert shown["pending_revision"]["status"] == "draft"
    rid = shown["pending_revision"]["id"]

    seen = rep.get(f"/v1/assets/{aid}").json()
    assert (seen["body"], seen["status"], seen["pending_revision"]) == (
        "Crews rest eleven hours.",
        "approved",
        None,
    )
    assert rep.get(f"/v1/assets/{aid}/revisions").status_code == 404
    assert rep.get(f"/v1/assets/{aid}/revisions/{rid}").status_code == 404
    hits = rep.get("/v1/search", params={"q": "twelve"}).json()
    assert hits["total"] == 0
    hits = rep.get("/v1/search", params={"q": "eleven"}).json()
    assert [h["asset"]["id"] for h in hits["hits"]] == [aid]
    assert "twelve" not in str(hits)

    revision = _revision(marketer, aid)
    assert revision["changed"] == ["body"]
    assert revision["base_version"] == 1
    _move(marketer, aid, rid, "submit")
    approved = _move(marketer, aid, rid, "approve")
    assert (approved["status"], approved["approved_version"]) == ("approved", 2)

    seen = rep.get(f"/v1/assets/{aid}").json()
    assert (seen["body"], seen["version"], seen["status"]) == (
        "Crews rest twelve hours.",
        2,
        "approved",
    )
    assert seen["tags"] == ["safety"]
    hits = rep.get("/v1/search", params={"q": "twelve"}).json()
    assert [h["asset"]["id"] for h in hits["hits"]] == [aid]
    assert marketer.get(f"/v1/assets/{aid}").json()["pending_revision"] is None


def _upload(marketer: Actor, name: str, data: bytes) -> dict[str, Any]:
    response = marketer.post("/v1/assets/upload", files={"file": (name, data)})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _put_file(actor: Actor, asset_id: str, name: str, data: bytes, **headers: str) -> Any:
    return actor.put(f"/v1/assets/{asset_id}/file", files={"file": (name, data)}, headers=headers)


def test_a_file_replacement_is_a_revision_of_a_live_asset(marketer: Actor, rep: Actor) -> None:
    old = b"# Tunnel rework\n\nRework fell by a third on the tunnel job.\n"
    new = b"# Tunnel rework\n\nRework fell by half on the tunnel job.\n"
    asset = _upload(marketer, "tunnel.md", old)
    aid = asset["id"]
    transition(marketer, aid, "submit")
    transition(marketer, aid, "approve")

    replaced = _put_file(marketer, aid, "tunnel-v2.md", new)
    assert replaced.status_code == 202, replaced.text
    assert replaced.json()["file"]["sha256"] == asset["file"]["sha256"]
    revision = _revision(marketer, aid)
    assert revision["changed"] == ["body", "file"]
    assert revision["file"]["filename"] == "tunnel-v2.md"
    assert "by half" in revision["body"]

    assert rep.get(f"/v1/assets/{aid}/file").content == old
    assert "by a third" in rep.get(f"/v1/assets/{aid}").json()["body"]
    assert rep.get("/v1/search", params={"q": "half"}).json()["total"] == 0

    _move(marketer, aid, revision["id"], "submit")
    _move(marketer, aid, revision["id"], "approve")
    download = rep.get(f"/v1/assets/{aid}/file")
    assert download.content == new
    assert "tunnel-v2.md" in download.headers["content-disposition"]
    seen = rep.get(f"/v1/assets/{aid}").json()
    assert "by half" in seen["body"] and seen["version"] == 2
    version_1 = marketer.get(f"/v1/assets/{aid}/versions/1").json()
    assert version_1["file"]["sha256"] == asset["file"]["sha256"]


def test_a_file_replacement_of_a_draft_applies_at_once(marketer: Actor) -> None:
    asset = _upload(marketer, "notes.md", b"# Notes\n\nFirst words about cranes.\n")
    replaced = _put_file(marketer, asset["id"], "notes.md", b"# Notes\n\nOther words on hoists.\n")
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert "hoists" in body["body"] and body["pending_revision"] is None
    assert body["file"]["sha256"] != asset["file"]["sha256"]
    assert marketer.get(f"/v1/assets/{asset['id']}/file").content.endswith(b"hoists.\n")


def test_a_file_replacement_is_refused_like_an_upload(marketer: Actor) -> None:
    first = _upload(marketer, "one.md", b"# One\n\nThe first file.\n")
    second = _upload(marketer, "two.md", b"# Two\n\nThe second file.\n")
    same = _put_file(marketer, second["id"], "one.md", b"# One\n\nThe first file.\n")
    assert_problem(same, 409)
    assert same.json()["asset_id"] == first["id"]
    corrupt = _put_file(marketer, second["id"], "broken.pdf", b"%PDF-1.7\n garbage")
    assert corrupt.status_code in {415, 422}, corrupt.text
    unchanged = marketer.get(f"/v1/assets/{second['id']}").json()
    assert unchanged["file"] == second["file"]


def test_a_restore_opens_a_revision_reviewed_like_any_other(marketer: Actor, rep: Actor) -> None:
    asset = publish(marketer, title="Rotas", summary="S1", body="Night shifts rotate weekly.")
    aid = asset["id"]
    marketer.patch(f"/v1/assets/{aid}", json={"body": "Night shifts rotate monthly."})
    rid = _revision(marketer, aid)["id"]
    _move(marketer, aid, rid, "submit")
    _move(marketer, aid, rid, "approve")

    diff = marketer.get(f"/v1/assets/{aid}/versions/2/diff").json()
    assert diff["against"] == 1
    assert [c["field"] for c in diff["changes"]] == ["body"]
    assert "-Night shifts rotate weekly." in diff["changes"][0]["diff"]
    assert "+Night shifts rotate monthly." in diff["changes"][0]["diff"]

    restored = marketer.post(f"/v1/assets/{aid}/versions/1/restore")
    assert restored.status_code == 201, restored.text
    revision = restored.json()
    assert (revision["restored_from"], revision["status"], revision["changed"]) == (
        1,
        "draft",
        ["body"],
    )
    assert revision["body"] == "Night shifts rotate weekly."
    assert rep.get(f"/v1/assets/{aid}").json()["body"] == "Night shifts rotate monthly."
    _move(marketer, aid, revision["id"], "submit")
    _move(marketer, aid, revision["id"], "approve")
    seen = rep.get(f"/v1/assets/{aid}").json()
    assert (seen["body"], seen["version"]) == ("Night shifts rotate weekly.", 3)
    version = marketer.get(f"/v1/assets/{aid}/versions/3").json()
    assert (version["complete"], version["body"], version["revision_id"]) == (
        True,
        "Night shifts rotate weekly.",
        revision["id"],
    )
    assert rep.get(f"/v1/assets/{aid}/versions/3").status_code == 404
    assert_problem(marketer.get(f"/v1/assets/{aid}/versions/9"), 404)


def test_one_open_revision_at_a_time(marketer: Actor) -> None:
    aid = publish(marketer, title="Crane checks", body="Daily checks.")["id"]
    first = marketer.post(f"/v1/assets/{aid}/revisions", json={"body": "Twice-daily checks."})
    assert first.status_code == 201, first.text
    second = marketer.post(f"/v1/assets/{aid}/revisions", json={"title": "Crane inspections"})
    assert_problem(second, 409)
    assert (second.json()["revision_id"], second.json()["revision_status"]) == (
        first.json()["id"],
        "draft",
    )
    # A PATCH of content goes to the open one.
    patched = marketer.patch(f"/v1/assets/{aid}", json={"title": "Crane inspections"})
    assert patched.status_code == 202
    assert patched.json()["pending_revision"]["id"] == first.json()["id"]
    revision = _revision(marketer, aid)
    assert (revision["title"], revision["body"]) == ("Crane inspections", "Twice-daily checks.")
    # Once it is closed, another may be opened.
    _move(marketer, aid, revision["id"], "reject", comment="Not now")
    again = marketer.post(f"/v1/assets/{aid}/revisions", json={"body": "Hourly checks."})
    assert again.status_code == 201, again.text
    listed = marketer.get(f"/v1/assets/{aid}/revisions").json()
    assert [r["status"] for r in listed["items"]] == ["draft", "rejected"]
    # A draft asset has no revisions: it is edited directly.
    draft = create(marketer, title="Draft")
    assert_problem(marketer.post(f"/v1/assets/{draft['id']}/revisions", json={}), 409)


def test_concurrent_edits_of_a_revision_are_refused_with_412(marketer: Actor) -> None:
    aid = publish(marketer, title="Hoist loads", body="Two tonnes.")["id"]
    opened = marketer.post(f"/v1/assets/{aid}/revisions", json={"body": "Three tonnes."})
    rid = opened.json()["id"]
    etag = opened.headers["etag"]
    url = f"/v1/assets/{aid}/revisions/{rid}"
    one = marketer.patch(url, json={"body": "Four tonnes."}, headers={"If-Match": etag})
    assert one.status_code == 200, one.text
    assert one.headers["etag"] != etag
    two = marketer.patch(url, json={"body": "Five tonnes."}, headers={"If-Match": etag})
    assert_problem(two, 412)
    assert two.json()["writes"] == int(one.headers["etag"].strip('"'))
    late = marketer.post(f"{url}/submit", headers={"If-Match": etag})
    assert_problem(late, 412)
    assert marketer.get(url).json()["body"] == "Four tonnes."
    # The asset's own ETag moved with its pending revision.
    asset_etag = marketer.get(f"/v1/assets/{aid}").headers["etag"]
    marketer.patch(url, json={"body": "Six tonnes."})
    stale = marketer.patch(
        f"/v1/assets/{aid}", json={"body": "Seven tonnes."}, headers={"If-Match": asset_etag}
    )
    assert_problem(stale, 412)


def test_approving_a_revision_keeps_a_later_tag_edit(marketer: Actor, rep: Actor) -> None:
    aid = publish(marketer, title="Ladders", body="Three points.", tags=["safety"])["id"]
    marketer.patch(f"/v1/assets/{aid}", json={"body": "Three points of contact."})
    rid = _revision(marketer, aid)["id"]
    _move(marketer, aid, rid, "submit")
    tagged = marketer.patch(f"/v1/assets/{aid}", json={"tags": ["safety", "ladders"]})
    assert tagged.status_code == 200, tagged.text
    assert tagged.json()["status"] == "approved"
    _move(marketer, aid, rid, "approve")
    seen = rep.get(f"/v1/assets/{aid}").json()
    assert (seen["body"], seen["tags"]) == ("Three points of contact.", ["ladders", "safety"])
    version = marketer.get(f"/v1/assets/{aid}/versions/2").json()
    assert version["tags"] == ["ladders", "safety"]


def test_messaging_errors_block_the_approval_of_a_revision(marketer: Actor, rep: Actor) -> None:
    rules = [{"type": "banned", "phrase": "guarantee*", "severity": "error"}]
    assert marketer.put("/v1/messaging/rules", json={"rules": rules}).status_code == 200
    aid = publish(marketer, title="Savings", body="Customers save fuel.")["id"]
    marketer.patch(f"/v1/assets/{aid}", json={"body": "Guaranteed fuel savings."})
    rid = _revision(marketer, aid)["id"]
    submitted = marketer.post(f"/v1/assets/{aid}/revisions/{rid}/submit")
    assert [f["phrase"] for f in submitted.json()["findings"]] == ["guarantee*"]
    refused = marketer.post(f"/v1/assets/{aid}/revisions/{rid}/approve")
    assert_problem(refused, 422)
    assert refused.json()["findings"][0]["field"] == "body"
    assert rep.get(f"/v1/assets/{aid}").json()["body"] == "Customers save fuel."
    fixed = marketer.patch(
        f"/v1/assets/{aid}/revisions/{rid}", json={"body": "Customers save fuel, often 10%."}
    )
    assert fixed.json()["status"] == "draft"  # back from review: other words now
    _move(marketer, aid, rid, "submit")
    _move(marketer, aid, rid, "approve")
    assert rep.get(f"/v1/assets/{aid}").json()["body"] == "Customers save fuel, often 10%."


def test_old_snapshots_stay_readable(marketer: Actor, app: Any) -> None:
    aid = publish(marketer, title="Old", body="Old words.")["id"]
    with Session(app.state.engine) as session:  # as a snapshot taken before revisions
        row = session.get(AssetVersion, (aid, 1))
        assert row is not None
        row.kind = row.url = row.fields = row.facets = row.tags = row.question_ids = None
        row.file_sha256 = None
        session.add(row)
        session.commit()
    version = marketer.get(f"/v1/assets/{aid}/versions/1").json()
    assert (version["complete"], version["body"], version["kind"], version["tags"]) == (
        False,
        "Old words.",
        None,
        None,
    )
    marketer.patch(f"/v1/assets/{aid}", json={"body": "New words."})
    rid = _revision(marketer, aid)["id"]
    _move(marketer, aid, rid, "submit")
    _move(marketer, aid, rid, "approve")
    diff = marketer.get(f"/v1/assets/{aid}/versions/2/diff", params={"against": 1}).json()
    assert [c["field"] for c in diff["changes"]] == ["body"]
    assert "kind" in diff["not_recorded"]


def test_blobs_gc_keeps_the_files_versions_and_revisions_name(
    marketer: Actor, settings: Settings
) -> None:
    first = b"# Pump maintenance\n\nService the pumps every month.\n"
    second = b"# Pump maintenance\n\nService the pumps every week.\n"
    third = b"# Pump maintenance\n\nService the pumps every day.\n"
    asset = _upload(marketer, "pumps.md", first)
    aid = asset["id"]
    transition(marketer, aid, "submit")
    transition(marketer, aid, "approve")
    assert _put_file(marketer, aid, "pumps.md", second).status_code == 202
    rid = _revision(marketer, aid)["id"]
    _move(marketer, aid, rid, "submit")
    _move(marketer, aid, rid, "approve")
    # A rejected revision still names its file.
    assert _put_file(marketer, aid, "pumps.md", third).status_code == 202
    _move(marketer, aid, _revision(marketer, aid)["id"], "reject", comment="Too often")

    blobs = BlobStore(settings.blob_dir)
    report = collect_blobs(settings, grace=0)
    assert report.orphans == []
    assert not [p for p in check_settled(settings).problems if p.kind == "orphan-blob"]
    for data in (first, second, third):
        assert blobs.path_for(hashlib.sha256(data).hexdigest()).exists()
    # Restoring version 1 brings its file back.
    restored = marketer.post(f"/v1/assets/{aid}/versions/1/restore").json()
    assert restored["file"]["sha256"] == hashlib.sha256(first).hexdigest()
    _move(marketer, aid, restored["id"], "submit")
    _move(marketer, aid, restored["id"], "approve")
    assert marketer.get(f"/v1/assets/{aid}/file").content == first
