"""Request ids (X-Request-ID, problem bodies, log records) and the access log."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from api.logs import configure_logging
from tests.conftest import Actor

# SQLite only (`one_database`): request ids and the access log are middleware's.
pytestmark = pytest.mark.one_database


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Baton's JSON logging, as `BATON_LOG_FORMAT=json` sets it up, into a buffer."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_sane_request_id_comes_back_and_a_missing_one_is_made(rep: Actor) -> None:
    given = rep.get("/v1/assets", headers={"X-Request-ID": "crm-7f3a:42"})
    assert given.status_code == 200
    assert given.headers["x-request-id"] == "crm-7f3a:42"
    made = rep.get("/v1/assets")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert rep.get("/v1/assets").headers["x-request-id"] != made.headers["x-request-id"]


@pytest.mark.parametrize("unsafe", [b"x" * 129, b"two words", "é".encode()])
def test_an_unsafe_request_id_is_replaced(rep: Actor, unsafe: bytes) -> None:
    response = rep.get("/v1/assets", headers={"X-Request-ID": unsafe})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


def test_every_problem_names_its_request_id(rep: Actor, anonymous: Actor) -> None:
    answers = [
        rep.get("/v1/assets/nope", headers={"X-Request-ID": "r-404"}),
        anonymous.get("/v1/assets", headers={"X-Request-ID": "r-401"}),
        rep.post("/v1/suggestions", json={"limit": 0}, headers={"X-Request-ID": "r-422"}),
        rep.post(
            "/v1/suggestions",
            content=b"{" * 10,
            headers={"X-Request-ID": "r-400", "Content-Type": "application/json"},
        ),
        rep.get("/v1/nowhere", headers={"X-Request-ID": "r-404b"}),
    ]
    for answer in answers:
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["request_id"] == answer.headers["x-request-id"]
    assert [a.json()["request_id"] for a in answers] == [
        "r-404",
        "r-401",
        "r-422",
        "r-400",
        "r-404b",
    ]
    # Answers that are not problems keep their shape.
    assert "request_id" not in rep.get("/v1/assets").json()


def test_the_access_log_names_route_status_and_user_but_never_the_key(
    rep: Actor, anonymous: Actor, json_log: io.StringIO
) -> None:
    rep.get("/v1/assets/missing-id", headers={"X-Request-ID": "trace-1"})
    anonymous.get("/v1/assets", headers={"X-Request-ID": "trace-2"})
    access = {
        line["request_id"]: line for line in lines(json_log) if line["logger"] == "baton.access"
    }
    first = access["trace-1"]
    assert first["level"] == "INFO"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["time"])
    assert (first["method"], first["path"], first["route"], first["status"]) == (
        "GET",
        "/v1/assets/missing-id",
        "/v1/assets/{asset_id}",
        404,
    )
    assert first["user_id"] == rep.id
    assert isinstance(first["duration_ms"], float)
    assert access["trace-2"]["user_id"] == "anonymous"
    assert access["trace-2"]["status"] == 401
    assert rep.key is not None
    assert rep.key not in json_log.getvalue()
    assert "Bearer" not in json_log.getvalue()


def test_records_made_while_serving_carry_the_request_id(
    app: FastAPI, rep: Actor, json_log: io.StringIO
) -> None:
    def broken() -> None:
        logging.getLogger("baton.test").warning("about to fail")
        raise RuntimeError("a bug")

    app.add_api_route("/v1/broken-for-test", broken)
    response = rep.get("/v1/broken-for-test", headers={"X-Request-ID": "bug-report-9"})
    assert response.status_code == 500
    assert response.json()["request_id"] == "bug-report-9"
    mine = [line for line in lines(json_log) if line.get("request_id") == "bug-report-9"]
    by_logger = {line["logger"]: line for line in mine}
    assert by_logger["baton.test"]["message"] == "about to fail"
    assert "RuntimeError: a bug" in by_logger["baton.errors"]["exc_info"]
    assert by_logger["baton.access"]["status"] == 500
