"""Issue 12, weak searches: every search answers a `search_id` and how it matched; a hit
opened with the search id is linked to its search once; a typing session keeps one log
entry; the content-gaps report lists the searches that found nothing useful."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import Session, col, select

from api.db import make_engine, utcnow
from api.discovery import log as log_module
from api.discovery.log import SearchLogWriter
from api.discovery.models import SearchLog, SearchOpen
from api.discovery.service import match_of
from api.main import create_app
from api.settings import Settings
from search.base import SearchHit, SearchResult
from tests.catalogue import create, publish
from tests.conftest import Actor, new_actor
from tests.live import at_once, serving


def search(actor: Actor, q: str, **params: Any) -> dict[str, Any]:
    response = actor.get("/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


def log_rows(app: FastAPI) -> list[SearchLog]:
    app.state.search.log.flush()
    with Session(app.state.engine) as session:
        return list(session.exec(select(SearchLog).order_by(SearchLog.id)).all())  # type: ignore[arg-type]


def opens(app: FastAPI) -> list[tuple[str, str, str | None, str]]:
    with Session(app.state.engine) as session:
        rows = session.exec(select(SearchOpen)).all()
        return sorted((o.search_id, o.asset_id, o.user_id, o.via) for o in rows)


@contextmanager
def later(app: FastAPI, after: timedelta) -> Iterator[None]:
    """The app's clock `after` ahead for the requests inside."""
    clock = app.state.clock
    app.state.clock = lambda: clock() + after
    try:
        yield
    finally:
        app.state.clock = clock


def report(
    marketer: Actor, app: FastAPI, *, after: timedelta = timedelta(hours=1), **params: Any
) -> dict[str, Any]:
    """The content-gaps report read `after` the searches (reps get a grace period to open a
    hit before a search counts as finding nothing useful)."""
    app.state.search.log.flush()
    with later(app, after):
        response = marketer.get("/v1/reports/content-gaps", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture
def offline(marketer: Actor) -> dict[str, Any]:
    return publish(
        marketer,
        title="Offline mode for field crews",
        summary="Works without signal on remote job sites.",
        body="Crews capture inspections offline; everything syncs when back in coverage.",
    )


# --- the response -------------------------------------------------------------------


def test_each_search_answers_its_id_and_how_it_matched(
    app: FastAPI, rep: Actor, offline: dict[str, Any]
) -> None:
    full = search(rep, "offline crews")
    assert full["match"] == "all" and full["total"] == 1
    partial = search(rep, "offline zeppelin")
    assert partial["match"] == "partial"
    assert [hit["asset"]["id"] for hit in partial["hits"]] == [offline["id"]]
    nothing = search(rep, "zzqx")
    assert (nothing["match"], nothing["total"]) == ("none", 0)
    browse = search(rep, "")
    assert browse["match"] == "all"

    ids = [answer["search_id"] for answer in (full, partial, nothing, browse)]
    assert all(isinstance(i, str) and 0 < len(i) <= 32 for i in ids)
    assert len(set(ids)) == 4
    logged = {row.search_id: (row.query, row.match, row.total) for row in log_rows(app)}
    assert logged == {
        ids[0]: ("offline crews", "all", 1),
        ids[1]: ("offline zeppelin", "partial", 1),
        ids[2]: ("zzqx", "none", 0),
        ids[3]: ("", "all", 1),
    }


def test_no_hits_is_none_whatever_the_backend_leaves() -> None:
    assert match_of(SearchResult(hits=[], total=0)) == "none"
    assert match_of(SearchResult(hits=[], total=0, match="partial")) == "none"
    hit = SearchHit(id="a", score=1.0)
    assert match_of(SearchResult(hits=[hit], total=1)) == "all"
    assert match_of(SearchResult(hits=[hit], total=1, match="semantic")) == "semantic"
    assert match_of(SearchResult(hits=[hit], total=1, match="none")) == "all"
    assert match_of(SearchResult(hits=[hit], total=1, match="something new")) == "all"


# --- opening a hit ------------------------------------------------------------------


def test_opening_a_hit_links_it_to_the_search_once(
    app: FastAPI, rep: Actor, offline: dict[str, Any]
) -> None:
    found = search(rep, "offline")
    search_id = found["search_id"]
    # At once, before the search log's background writer may have written the row.
    path = f"/v1/assets/{offline['id']}"
    assert rep.get(path, params={"search_id": search_id}).status_code == 200
    assert rep.get(path, params={"search_id": search_id}).status_code == 200
    event = rep.post(
        "/v1/events", json={"asset_id": offline["id"], "type": "copy", "search_id": search_id}
    )
    assert event.status_code == 202, event.text
    log_rows(app)
    assert opens(app) == [(search_id, offline["id"], rep.id, "view")]

    # Another search, opened through a usage event only: linked, once.
    again = search(rep, "field crews")["search_id"]
    log_rows(app)
    for kind in ("share", "view"):
        body = {"asset_id": offline["id"], "type": kind, "search_id": again}
        assert rep.post("/v1/events", json=body).status_code == 202
    assert (again, offline["id"], rep.id, "share") in opens(app)
    assert len(opens(app)) == 2


def test_a_download_with_the_search_id_links_it(app: FastAPI, marketer: Actor, rep: Actor) -> None:
    uploaded = marketer.post(
        "/v1/assets/upload",
        files={"file": ("turbine.txt", b"Turbine maintenance checklist for wind farms.\n")},
    )
    assert uploaded.status_code == 201, uploaded.text
    asset_id = uploaded.json()["id"]
    for action in ("submit", "approve"):
        assert marketer.post(f"/v1/assets/{asset_id}/{action}").status_code == 200
    search_id = search(rep, "turbine maintenance")["search_id"]
    for _ in range(2):
        got = rep.get(f"/v1/assets/{asset_id}/file", params={"search_id": search_id})
        assert got.status_code == 200 and got.content.startswith(b"Turbine")
    assert opens(app) == [(search_id, asset_id, rep.id, "download")]


def test_not_helpful_feedback_is_not_an_open(
    app: FastAPI, rep: Actor, offline: dict[str, Any]
) -> None:
    search_id = search(rep, "offline")["search_id"]
    body = {"asset_id": offline["id"], "type": "not_helpful", "search_id": search_id}
    assert rep.post("/v1/events", json=body).status_code == 202
    assert opens(app) == []


def test_another_callers_or_an_unknown_search_id_is_ignored(
    app: FastAPI, client: Any, marketer: Actor, rep: Actor, offline: dict[str, Any]
) -> None:
    other = new_actor(client, "rep")
    mine = search(rep, "offline")["search_id"]
    path = f"/v1/assets/{offline['id']}"
    # Another rep passing my search id back: the view works, nothing is linked.
    assert other.get(path, params={"search_id": mine}).status_code == 200
    log_rows(app)
    assert other.get(path, params={"search_id": mine}).status_code == 200
    body = {"asset_id": offline["id"], "type": "view", "search_id": mine}
    assert other.post("/v1/events", json=body).status_code == 202
    assert marketer.get(path, params={"search_id": mine}).status_code == 200
    # Unknown ids, of any shape up to 64 characters, are ignored the same way.
    for unknown in ("nope", "0" * 24, "x" * 64, "'; DROP TABLE search_log; --"):
        assert rep.get(path, params={"search_id": unknown}).status_code == 200
        body = {"asset_id": offline["id"], "type": "view", "search_id": unknown}
        assert rep.post("/v1/events", json=body).status_code == 202
    assert opens(app) == []
    # Longer than any search id: a validation problem, like any oversized parameter.
    for response in (
        rep.get(path, params={"search_id": "x" * 65}),
        rep.post(
            "/v1/events", json={"asset_id": offline["id"], "type": "view", "search_id": "x" * 65}
        ),
    ):
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")


def test_a_hidden_asset_is_never_linked(app: FastAPI, marketer: Actor, rep: Actor) -> None:
    draft = create(marketer, title="Offline roadmap draft")
    search_id = search(rep, "offline roadmap")["search_id"]
    log_rows(app)
    missing = rep.get(f"/v1/assets/{draft['id']}", params={"search_id": search_id})
    assert missing.status_code == 404
    body = {"asset_id": draft["id"], "type": "view", "search_id": search_id}
    assert rep.post("/v1/events", json=body).status_code == 404
    assert opens(app) == []


# --- search as you type -------------------------------------------------------------


def test_a_typing_session_keeps_one_log_entry(
    app: FastAPI, client: Any, rep: Actor, offline: dict[str, Any]
) -> None:
    typed = ["o", "of", "offl", "offline", "offline cr", "offline crews"]
    answers = [search(rep, prefix, typing_session="tab-1 #7") for prefix in typed]
    assert len({answer["search_id"] for answer in answers}) == 1
    search_id = answers[0]["search_id"]
    # Another session of the same rep, and the same session name from another rep, are
    # other entries.
    elsewhere = search(rep, "offline", typing_session="tab-2")["search_id"]
    other = new_actor(client, "rep")
    theirs = search(other, "offline", typing_session="tab-1 #7")["search_id"]
    plain = search(rep, "offline")["search_id"]
    assert len({search_id, elsewhere, theirs, plain}) == 4

    rows = log_rows(app)
    assert len(rows) == 4
    session_row = next(row for row in rows if row.search_id == search_id)
    assert (session_row.query, session_row.normalized_query) == ("offline crews", "offline crews")
    assert (session_row.total, session_row.match, session_row.user_id) == (1, "all", rep.id)

    # An open links to the session's entry; typing on afterwards keeps the one entry.
    assert (
        rep.get(f"/v1/assets/{offline['id']}", params={"search_id": search_id}).status_code == 200
    )
    search(rep, "offline crews zeppelin", typing_session="tab-1 #7")
    rows = log_rows(app)
    assert len(rows) == 4
    assert [row.match for row in rows if row.search_id == search_id] == ["partial"]
    assert opens(app) == [(search_id, offline["id"], rep.id, "view")]


def test_a_typing_session_longer_than_64_characters_is_refused(rep: Actor) -> None:
    response = rep.get("/v1/search", params={"q": "offline", "typing_session": "s" * 65})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_log_writers_upsert_a_session_atomically(app: FastAPI) -> None:
    """Two processes' writers and one batch holding the same search id twice: one row, the
    latest query; an older entry written late does not replace a newer one."""
    engine = app.state.engine
    writers = [SearchLogWriter(engine), SearchLogWriter(engine)]
    base = {"filters": {}, "role": "rep", "user_id": None, "search_id": "t-session"}
    start = threading.Barrier(2)

    def typing(writer: SearchLogWriter, words: list[str]) -> None:
        start.wait()
        for text in words:
            writer.record(query=text, total=1, **base)
        writer.flush()

    prefixes = [["r", "ro", "roi"], ["ro", "roi c", "roi case"]]
    threads = [
        threading.Thread(target=typing, args=(w, p)) for w, p in zip(writers, prefixes, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for writer in writers:
        writer.close()
    with Session(engine) as session:
        rows = session.exec(select(SearchLog).where(SearchLog.search_id == "t-session")).all()
        assert len(rows) == 1
        assert rows[0].query in {"roi", "roi case"}
        newest = rows[0].created_at

    # A late batch with an older search of the session leaves the newer row alone.
    late = SearchLogWriter(engine)
    late._queue.put_nowait(
        {
            **base,
            "query": "r",
            "normalized_query": "r",
            "total": 9,
            "match": "all",
            "created_at": newest - timedelta(seconds=5),
        }
    )
    late._ensure_started()
    late.flush()
    late.close()
    with Session(engine) as session:
        row = session.exec(select(SearchLog).where(SearchLog.search_id == "t-session")).one()
        assert (row.query, row.created_at) == (rows[0].query, newest)
    assert newest <= utcnow()


def test_searches_close_together_are_written_in_one_transaction_and_flush_waits_for_none(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer waits a moment for more searches before it writes (one transaction per
    search took a search's share of Python's lock right after each answer); `flush`
    writes what is queued at once, however long the writer would have waited."""
    monkeypatch.setattr(log_module, "LINGER", 60.0)
    engine = make_engine(app.state.settings.catalogue_url)  # its commits are the writer's
    commits: list[object] = []
    sa.event.listen(engine, "commit", commits.append)
    writer = SearchLogWriter(engine)
    try:
        for i in range(5):
            writer.record(query=f"linger {i}", filters={}, total=i, role="rep", user_id=None)
        flushed = threading.Thread(target=writer.flush)
        flushed.start()
        flushed.join(timeout=30)  # a bound for a busy machine: the writer would wait 60 s
        assert not flushed.is_alive(), "flush waited for the writer's linger"
    finally:
        writer.close()
        engine.dispose()
    assert len(commits) == 1
    with Session(app.state.engine) as session:
        logged = session.exec(select(SearchLog.query).where(col(SearchLog.total) >= 0)).all()
    assert sorted(q for q in logged if q.startswith("linger ")) == [f"linger {i}" for i in range(5)]


@pytest.fixture
def servers(settings: Settings, client: Any) -> Iterator[list[tuple[FastAPI, str]]]:
    """Two more apps on the same catalogue, each with its own search log writer (as two
    processes would have), served over real HTTP with their own threads."""
    first, second = create_app(settings), create_app(settings)
    with serving(first) as one, serving(second) as two:
        yield [(first, f"http://127.0.0.1:{one}"), (second, f"http://127.0.0.1:{two}")]


def test_concurrent_searches_and_opens_of_one_session_on_two_servers(
    app: FastAPI, servers: list[tuple[FastAPI, str]], rep: Actor, offline: dict[str, Any]
) -> None:
    headers = {"Authorization": f"Bearer {rep.key}"}
    clients = [httpx.Client(base_url=url, headers=headers, timeout=30) for _, url in servers]
    try:
        params = {"typing_session": "race"}
        calls: list[Callable[[], httpx.Response]] = [
            lambda http=http, q=q: http.get("/v1/search", params={"q": q, **params})
            for q in ("off", "offl", "offli", "offlin")
            for http in clients
        ]
        answers = at_once(calls)
        assert [a.status_code for a in answers] == [200] * len(calls)
        ids = {a.json()["search_id"] for a in answers}
        assert len(ids) == 1
        for served, _ in servers:
            served.state.search.log.flush()
        rows = [row for row in log_rows(app) if row.search_id in ids]
        assert len(rows) == 1 and rows[0].query in {"off", "offl", "offli", "offlin"}

        (search_id,) = ids
        path = f"/v1/assets/{offline['id']}"
        view = {"asset_id": offline["id"], "type": "view", "search_id": search_id}
        opened = at_once(
            [
                *(
                    lambda http=http: http.get(path, params={"search_id": search_id})
                    for http in clients
                ),
                *(lambda http=http: http.post("/v1/events", json=view) for http in clients),
            ]
        )
        assert sorted(a.status_code for a in opened) == [200, 200, 202, 202]
    finally:
        for http in clients:
            http.close()
    assert [(o[0], o[1]) for o in opens(app)] == [(search_id, offline["id"])]


# --- the content-gaps report --------------------------------------------------------


def test_the_report_lists_searches_that_found_nothing_useful(
    app: FastAPI, client: Any, marketer: Actor, rep: Actor, offline: dict[str, Any]
) -> None:
    secret = create(marketer, title="Zeppelin pricing secret draft", body="zeppelin discount")
    # A rep whose client never passes search ids back: only weak matches count.
    for _ in range(3):
        search(rep, "offline zeppelin")  # partial: the draft that has both words is hidden
    search(rep, "offline crews")  # a full match, never opened: says nothing
    search(rep, "zzqx")  # nothing at all: a zero-result search, not a weak one

    # A rep whose client does: a search before its first linked one does not count ...
    linking = new_actor(client, "rep")
    search(linking, "field crews")
    first = search(linking, "offline")["search_id"]
    assert (
        linking.get(f"/v1/assets/{offline['id']}", params={"search_id": first}).status_code == 200
    )
    # ... from then on, a search with hits and nothing opened does, and one opened does not.
    search(linking, "remote job sites")
    search(linking, "Remote  JOB sites!")
    opened = search(linking, "offline zeppelin")["search_id"]  # partial, but opened
    body = {"asset_id": offline["id"], "type": "download", "search_id": opened}
    assert linking.post("/v1/events", json=body).status_code == 202
    # Marketers' searches never count.
    search(marketer, "zeppelin offline crews")
    search(marketer, "offline zeppelin")

    body = report(marketer, app)
    assert [(s["query"], s["count"]) for s in body["weak_searches"]] == [
        ("offline zeppelin", 3),
        ("remote job sites", 2),
    ]
    assert all(set(s) == {"query", "count", "last_searched_at"} for s in body["weak_searches"])
    assert body["totals"]["weak_searches"] == 2
    assert [(s["query"], s["count"]) for s in body["zero_result_searches"]] == [("zzqx", 1)]
    # Queries only: no hidden asset (nor any asset) reaches these lists.
    text = str(body["weak_searches"]) + str(body["zero_result_searches"])
    assert secret["id"] not in text and "secret" not in text.lower()
    assert secret["id"] not in str(body)

    with later(app, timedelta(hours=1)):
        page = marketer.get("/v1/reports/content-gaps.html")
    assert page.status_code == 200
    assert 'id="weak-searches"' in page.text
    assert "Searches that found nothing useful" in page.text
    assert "remote job sites" in page.text
    assert secret["id"] not in page.text and "Zeppelin pricing" not in page.text

    limited = report(marketer, app, limit=1)
    assert limited["totals"]["weak_searches"] == 2
    assert [s["query"] for s in limited["weak_searches"]] == ["offline zeppelin"]


def test_a_search_is_judged_only_after_the_grace_period(
    app: FastAPI, marketer: Actor, rep: Actor, offline: dict[str, Any]
) -> None:
    search(rep, "offline zeppelin")  # partial, nothing opened yet
    assert report(marketer, app, after=timedelta(minutes=5))["weak_searches"] == []
    later = report(marketer, app, after=timedelta(minutes=31))
    assert [(s["query"], s["count"]) for s in later["weak_searches"]] == [("offline zeppelin", 1)]
