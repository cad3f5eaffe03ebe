"""Files that take a reader a minute: refused within their time budget as taking too long
to read, and never in the way of the small uploads sent meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.main import create_app
from api.settings import Settings
from ingest.limits import Limits
from tests.api.test_files import NOTHING, stored, upload
from tests.conftest import Actor
from tests.ingest import files
from tests.live import serving

# SQLite only (`one_database`): reading a file is the ingest lanes' work, the same whatever
# the catalogue; storing an upload is tested on both databases (tests/api/test_files.py).
pytestmark = pytest.mark.one_database


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "data"),
    [("shared-stream.pdf", files.shared_stream_pdf()), ("nested.html", files.nested_html())],
    ids=["pdf-1999-pages-one-8-mb-stream", "html-100000-nested-elements"],
)
def test_a_file_past_its_budget_is_refused_as_taking_too_long_to_read(
    marketer: Actor, settings: Settings, name: str, data: bytes
) -> None:
    response = upload(marketer, name, data)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["reason"] == "timeout"
    assert problem["errors"][0]["loc"] == ["body", "file"]
    budget = Limits().budget_seconds(len(data))
    assert problem["detail"].startswith("the file took too long to read")
    assert f"time budget of {budget:g} seconds" in problem["detail"]
    assert stored(settings) == NOTHING


@pytest.mark.slow
def test_deeply_nested_markdown_is_read(marketer: Actor) -> None:
    response = upload(marketer, "nested.md", files.nested_markdown())
    assert response.status_code == 201, response.text
    assert response.json()["body"].startswith("- item")


@pytest.fixture
def served(settings: Settings, client: Any) -> Iterator[tuple[FastAPI, str]]:
    """A second app on the same catalogue, served over real HTTP: its own threads and its
    own extraction workers (two in each lane)."""
    app = create_app(settings)
    with serving(app) as port:
        yield app, f"http://127.0.0.1:{port}"


@pytest.mark.slow
def test_a_small_upload_completes_while_two_pathological_files_are_being_read(
    served: tuple[FastAPI, str], marketer: Actor
) -> None:
    app, base = served
    headers = {"Authorization": f"Bearer {marketer.key}"}
    finished: list[str] = []
    answers: dict[str, httpx.Response] = {}
    lock = threading.Lock()

    def send(name: str, data: bytes) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=300) as http:
            response = http.post("/v1/assets/upload", files={"file": (name, data)})
        with lock:
            finished.append(name)
            answers[name] = response

    slow = [
        threading.Thread(target=send, args=(f"slow-{seed}.pdf", files.shared_stream_pdf(seed=seed)))
        for seed in (1, 2)
    ]
    for thread in slow:
        thread.start()
    # Both large files are in the hands of the extraction workers (or have failed early).
    lanes = app.state.extractor.get()
    while lanes.busy()["large"] < 2 and any(thread.is_alive() for thread in slow):
        threading.Event().wait(0.05)
    assert lanes.busy()["large"] == 2, answers

    send("small.txt", b"Forty bytes of notes from the site visit.")

    with lock:
        assert finished == ["small.txt"]  # the large files are still being read
        assert answers["small.txt"].status_code == 201, answers["small.txt"].text
    for thread in slow:
        thread.join()
    assert finished[0] == "small.txt"
    for seed in (1, 2):
        problem = answers[f"slow-{seed}.pdf"]
        assert problem.status_code == 422, problem.text
        assert problem.json()["reason"] == "timeout"
        assert "took too long to read" in problem.json()["detail"]
