"""POST /v1/assets/upload and GET /v1/assets/{id}/file, with real files of every type."""

from __future__ import annotations

import hashlib
import json
import select
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import Session

from api.assets import service as assets
from api.db import make_engine, session_scope
from api.files import service as files_service
from api.files.blobs import BlobStore
from api.settings import Settings
from api.users.service import MASTER
from ingest.limits import Limits
from ingest.workers import Extractor
from tests.catalogue import transition
from tests.conftest import Actor
from tests.ingest import files
from tests.ingest.files import all_formats
from tests.live import serving

EXPECTED = {
    "case-study.pdf": ("application/pdf", "other", "Cutting Rework on Tunnel Projects"),
    "case-study.docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "other",
        "Cutting Rework on Tunnel Projects",
    ),
    "deck.pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "presentation",
        "Cutting Rework on Tunnel Projects",
    ),
    "page.html": ("text/html; charset=utf-8", "other", "Cutting Rework on Tunnel Projects"),
    "notes.md": ("text/markdown; charset=utf-8", "other", "Cutting Rework on Tunnel Projects"),
    "notes.txt": ("text/plain; charset=utf-8", "other", "notes"),
    "follow-up.eml": (
        "message/rfc822; charset=utf-8",
        "email_template",
        "Following up on rework, {{ first_name }}",
    ),
}


def upload(
    actor: Actor, name: str, data: bytes, metadata: dict[str, Any] | str | None = None
) -> Any:
    form = {}
    if metadata is not None:
        form["metadata"] = metadata if isinstance(metadata, str) else json.dumps(metadata)
    return actor.post("/v1/assets/upload", files={"file": (name, data)}, data=form)


def stored(settings: Settings) -> dict[str, int]:
    """What an upload can leave behind: rows, index entries, blobs, temporary files."""
    engine = make_engine(settings.catalogue_url)
    with engine.connect() as conn:
        counts = {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("assets", "search_outbox", "asset_terms", "asset_tags")
        }
    engine.dispose()
    blob_dir = settings.blob_dir
    counts["blobs"] = sum(1 for p in blob_dir.rglob("*") if p.is_file() and p.parent.name != "tmp")
    counts["staged"] = sum(1 for p in (blob_dir / "tmp").glob("*")) if blob_dir.exists() else 0
    return counts


def _stream_upload(port: int, key: str, *, megabytes: int) -> tuple[int, int]:
    """Send a chunked multipart upload of `megabytes` MB until the server answers."""
    head = (
        "POST /v1/assets/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {key}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    part = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
    chunk = b"a" * (1024 * 1024)
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(head.encode() + f"{len(part):x}\r\n".encode() + part + b"\r\n")
        try:
            while sent < megabytes:
                if select.select([conn], [], [], 0)[0]:
                    break  # the server has answered
                conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += 1
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = conn.recv(65536).decode("latin-1")
    return int(answer.split(" ", 2)[1]), sent


NOTHING = {
    "assets": 0,
    "search_outbox": 0,
    "asset_terms": 0,
    "asset_tags": 0,
    "blobs": 0,
    "staged": 0,
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_upload_of_every_format_creates_a_draft_and_serves_the_bytes_back(
    marketer: Actor, settings: Settings, name: str
) -> None:
    data = all_formats()[name]
    response = upload(marketer, name, data)
    assert response.status_code == 201, response.text
    asset = response.json()
    content_type, kind, title = EXPECTED[name]
    assert asset["status"] == "draft"
    assert asset["version"] == 1
    assert asset["kind"] == kind
    assert asset["title"] == title
    assert asset["file"] == {
        "filename": name,
        "content_type": content_type,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    assert "rework" in asset["body"].lower()
    if kind == "email_template":
        assert asset["fields"] == {"subject": title}

    got = marketer.get(f"/v1/assets/{asset['id']}/file")
    assert got.status_code == 200
    assert got.content == data
    assert got.headers["content-type"] == content_type
    assert got.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert got.headers["x-content-type-options"] == "nosniff"
    blob = settings.blob_dir / asset["file"]["sha256"][:2] / asset["file"]["sha256"][2:4]
    assert (blob / asset["file"]["sha256"]).read_bytes() == data


def test_metadata_sets_the_asset_fields_and_beats_the_document(marketer: Actor) -> None:
    data = all_formats()["case-study.pdf"]
    response = upload(
        marketer,
        "case-study.pdf",
        data,
        {
            "title": "Brightwater case study",
            "kind": "case_study",
            "summary": "Rework down from 12% to 3%.",
            "stages": ["decision"],
            "industries": ["Construction"],
            "personas": ["CFO"],
            "products": ["Field App"],
            "tags": ["ROI"],
            "fields": {"customer": "Brightwater Tunnelling"},
        },
    )
    assert response.status_code == 201, response.text
    asset = response.json()
    assert asset["title"] == "Brightwater case study"
    assert asset["kind"] == "case_study"
    assert asset["summary"] == "Rework down from 12% to 3%."
    assert (asset["stages"], asset["industries"], asset["personas"]) == (
        ["decision"],
        ["construction"],
        ["cfo"],
    )
    assert (asset["products"], asset["tags"]) == (["field-app"], ["roi"])
    assert asset["fields"] == {"customer": "Brightwater Tunnelling"}
    assert "Geotechnical logs" in asset["body"]


def test_markdown_front_matter_becomes_metadata(marketer: Actor) -> None:
    source = (
        b"---\ntitle: Rollout checklist\nkind: one_pager\nstage: onboarding\n"
        b"industries: [Utilities]\nauthor: Ana\n---\n# Ignored heading\n\nStep one.\n"
    )
    response = upload(marketer, "checklist.md", source, {"tags": ["rollout"]})
    assert response.status_code == 201, response.text
    asset = response.json()
    assert asset["title"] == "Rollout checklist"
    assert asset["kind"] == "one_pager"
    assert asset["stages"] == ["onboarding"]
    assert asset["industries"] == ["utilities"]
    assert asset["tags"] == ["rollout"]
    assert asset["fields"] == {"author": "Ana"}


def test_same_bytes_again_is_409_naming_the_existing_asset(
    marketer: Actor, settings: Settings
) -> None:
    data = all_formats()["case-study.docx"]
    first = upload(marketer, "a.docx", data).json()
    again = upload(marketer, "renamed.docx", data, {"title": "Another title"})
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["asset_id"] == first["id"]
    assert stored(settings)["assets"] == 1
    assert stored(settings)["blobs"] == 1


@pytest.mark.parametrize(
    ("metadata", "loc"),
    [
        ({"bogus": 1}, ["body", "metadata", "bogus"]),
        ({"kind": "poster"}, ["body", "metadata", "kind"]),
        ({"stages": ["nowhere"]}, ["body", "stages"]),
        ({"question_ids": ["missing"]}, ["body", "question_ids", 0]),
        ("{not json", ["body", "metadata"]),
        ("[1, 2]", ["body", "metadata"]),
    ],
    ids=["unknown-field", "unknown-kind", "unknown-stage", "unknown-question", "not-json", "list"],
)
def test_bad_metadata_is_422_and_nothing_is_stored(
    marketer: Actor, settings: Settings, metadata: Any, loc: list[Any]
) -> None:
    response = upload(marketer, "a.pdf", all_formats()["case-study.pdf"], metadata)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "/problems/invalid"
    assert problem["errors"][0]["loc"] == loc
    assert stored(settings) == NOTHING


@pytest.mark.parametrize(
    ("data", "status", "reason", "words"),
    [
        (files.PNG, 415, "unsupported", "image/png"),
        (files.plain_zip(), 415, "unsupported", "zip archive"),
        (b"", 415, "unsupported", "empty"),
        (files.corrupt_pdf(), 422, "corrupt", "cannot be read"),
        (files.encrypted_pdf(), 422, "encrypted", "password-protected"),
        (files.zip_bomb_docx(400), 422, "too_complex", "zip bomb"),
        (files.lying_zip_bomb_docx(400), 422, "corrupt", "cannot be read"),
    ],
    ids=["png", "zip", "empty", "corrupt-pdf", "encrypted-pdf", "zip-bomb", "lying-zip-bomb"],
)
def test_unreadable_files_are_refused_clearly_and_nothing_is_stored(
    marketer: Actor, settings: Settings, data: bytes, status: int, reason: str, words: str
) -> None:
    response = upload(marketer, "upload.pdf", data)
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["reason"] == reason
    assert words in problem["detail"]
    assert stored(settings) == NOTHING


class TestSizeLimit:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"max_upload_mb": 1}

    def test_a_file_over_the_limit_is_413_and_nothing_is_stored(
        self, marketer: Actor, settings: Settings
    ) -> None:
        response = upload(marketer, "big.txt", b"words " * 200_000)  # 1.2 MB
        assert response.status_code == 413
        assert response.json()["type"] == "/problems/payload-too-large"
        assert "1 MB" in response.json()["detail"]
        assert stored(settings) == NOTHING

    def test_a_body_declared_too_large_is_refused_before_it_is_read(
        self, marketer: Actor, settings: Settings
    ) -> None:
        response = marketer.post(
            "/v1/assets/upload",
            content=b"--x\r\n",
            headers={
                "content-type": "multipart/form-data; boundary=x",
                "content-length": str(200 * 1024 * 1024),
            },
        )
        assert response.status_code == 413
        assert stored(settings) == NOTHING

    def test_a_streamed_body_is_cut_off_once_it_passes_the_limit(
        self, app: FastAPI, marketer: Actor, settings: Settings
    ) -> None:
        # A real server and a raw socket: the test client would buffer the whole body.
        with serving(app) as port:
            status, sent_mb = _stream_upload(port, marketer.key or "", megabytes=400)
        assert status == 413
        assert sent_mb < 100  # refused long before the 400 MB were sent
        assert stored(settings) == NOTHING

    def test_a_file_at_the_limit_is_accepted(self, marketer: Actor) -> None:
        data = (b"words " * 200_000)[: 1024 * 1024]
        assert upload(marketer, "exactly.txt", data).status_code == 201


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("..", "file"),
        ("C:\\Users\\ana\\.hidden.txt", "hidden.txt"),
        ("/abs/path/report.txt", "report.txt"),
    ],
)
def test_file_names_are_sanitised(
    marketer: Actor, settings: Settings, tmp_path: Path, sent: str, kept: str
) -> None:
    response = upload(marketer, sent, b"Plain words for a plain file " + sent.encode())
    assert response.status_code == 201, response.text
    assert response.json()["file"]["filename"] == kept
    got = marketer.get(f"/v1/assets/{response.json()['id']}/file")
    assert "/" not in got.headers["content-disposition"]
    assert "\n" not in got.headers["content-disposition"]
    # Nothing was written outside the data directory.
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and settings.data_dir not in p.parents]
    assert [p for p in outside if p.name in {"passwd.txt", "win.ini", "report.txt"}] == []


def test_non_ascii_file_name_is_sent_back_encoded(marketer: Actor) -> None:
    response = upload(marketer, "Résumé équipe.txt", b"Bonjour")
    asset_id = response.json()["id"]
    disposition = marketer.get(f"/v1/assets/{asset_id}/file").headers["content-disposition"]
    assert disposition == "attachment; filename*=utf-8''R%C3%A9sum%C3%A9%20%C3%A9quipe.txt"


def test_nul_characters_are_removed_on_every_database(marketer: Actor) -> None:
    response = upload(marketer, "nul.txt", b"Null\x00 byte inside", {"summary": "a\u0000b"})
    assert response.status_code == 201, response.text
    assert response.json()["body"] == "Null byte inside"
    assert response.json()["summary"] == "ab"


def test_only_marketers_upload_and_the_body_is_not_read_for_others(
    rep: Actor, anonymous: Actor, settings: Settings
) -> None:
    assert upload(rep, "a.txt", b"hello").status_code == 403
    assert upload(anonymous, "a.txt", b"hello").status_code == 401
    assert stored(settings) == NOTHING


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"json": {"title": "x"}}, 415),
        ({"files": {"document": ("a.txt", b"x")}}, 422),
        ({"files": {"metadata": (None, "{}")}}, 422),
        ({"data": {"metadata": "{}"}}, 415),
        ({"files": {"file": ("a.txt", b"x")}, "data": {"extra": "1"}}, 422),
    ],
    ids=["json-body", "wrong-part-name", "no-file", "url-encoded", "unknown-part"],
)
def test_malformed_upload_requests(
    marketer: Actor, settings: Settings, kwargs: dict[str, Any], status: int
) -> None:
    response = marketer.post("/v1/assets/upload", **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert stored(settings) == NOTHING


def test_reps_get_files_of_live_assets_only(marketer: Actor, rep: Actor) -> None:
    asset = upload(marketer, "a.pdf", all_formats()["case-study.pdf"]).json()
    assert rep.get(f"/v1/assets/{asset['id']}/file").status_code == 404
    transition(marketer, asset["id"], "submit")
    transition(marketer, asset["id"], "approve")
    got = rep.get(f"/v1/assets/{asset['id']}/file")
    assert got.status_code == 200
    assert got.content == all_formats()["case-study.pdf"]


def test_an_asset_without_a_file_has_no_file(marketer: Actor) -> None:
    asset = marketer.post("/v1/assets", json={"title": "No file", "kind": "other"}).json()
    response = marketer.get(f"/v1/assets/{asset['id']}/file")
    assert response.status_code == 404
    assert "no file" in response.json()["detail"]
    assert marketer.get("/v1/assets/nope/file").status_code == 404


def test_deleting_an_asset_removes_its_blob(
    marketer: Actor, admin: Actor, settings: Settings
) -> None:
    asset = upload(marketer, "a.docx", all_formats()["case-study.docx"]).json()
    assert stored(settings)["blobs"] == 1
    assert admin.delete(f"/v1/assets/{asset['id']}").status_code == 204
    assert stored(settings) | {"search_outbox": 0} == NOTHING
    # The same bytes can be uploaded again afterwards.
    assert upload(marketer, "a.docx", all_formats()["case-study.docx"]).status_code == 201


def test_a_rolled_back_delete_keeps_the_blob(marketer: Actor, settings: Settings) -> None:
    asset = upload(marketer, "a.docx", all_formats()["case-study.docx"]).json()
    engine = make_engine(settings.catalogue_url)
    blobs = BlobStore(settings.blob_dir)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        assets.delete_asset(session, asset["id"], blobs=blobs)
        raise RuntimeError("something failed after the delete")
    engine.dispose()
    assert blobs.exists(asset["file"]["sha256"])
    assert marketer.get(f"/v1/assets/{asset['id']}/file").status_code == 200


def test_a_rolled_back_upload_leaves_no_blob(settings: Settings, database_url: str) -> None:
    before = stored(settings)  # a new catalogue's own changes (its synonyms) may be pending
    engine = make_engine(settings.catalogue_url)
    blobs = BlobStore(settings.blob_dir)
    data = all_formats()["deck.pptx"]
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        with blobs.staging() as staged, Extractor(workers=1) as extractor:
            staged.write(data)
            staged.finish()
            files_service.upload(
                session,
                MASTER,
                staged=staged,
                filename="deck.pptx",
                metadata=None,
                extractor=extractor,
                blobs=blobs,
                limits=Limits(),
                now=datetime.now(UTC),
                talking_point_ttl=timedelta(days=90),
            )
        assert blobs.exists(hashlib.sha256(data).hexdigest())
        raise RuntimeError("the commit never happens")
    with Session(engine) as session:
        assert session.exec(sa.text("SELECT count(*) FROM assets")).scalar_one() == 0  # type: ignore[call-overload]
    engine.dispose()
    assert not blobs.exists(hashlib.sha256(data).hexdigest())
    assert stored(settings) == before
    assert before | {"search_outbox": 0} == NOTHING
