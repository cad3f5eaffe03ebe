"""No log line holds a share link's secret token (both databases): the access log and
the error log both show a share path as /s/*, whatever went wrong."""

from __future__ import annotations

import errno
import logging
from typing import Any

import pytest
from fastapi import FastAPI

from api.logs import loggable_path
from api.sharing import service
from tests.catalogue import publish
from tests.conftest import Actor
from tests.sharing.helpers import BROWSER_UA, later, path_of, share


class _Serialization(Exception):
    sqlstate = "40001"


def test_loggable_path_hides_the_token() -> None:
    assert loggable_path("/s/abcDEF123/pages/2.png") == "/s/*/pages/2.png"
    assert loggable_path("/s//abcDEF123") == "/s/*"
    assert loggable_path("/v1/assets/a-1") == "/v1/assets/a-1"


@pytest.mark.parametrize(
    "failure",
    [
        RuntimeError("boom"),
        OSError(errno.ENOSPC, "No space left on device"),
        _Serialization("could not serialize access"),
    ],
    ids=["unhandled", "storage", "collision"],
)
def test_an_error_on_a_share_path_logs_no_token(
    app: FastAPI,
    marketer: Actor,
    rep: Actor,
    anonymous: Actor,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
) -> None:
    asset = publish(marketer, title="Customer story: Initech", kind="case_study", body="Words.")
    link = share(rep, asset["id"])
    token = link["url"].rsplit("/", 1)[1]
    later(app)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise failure

    monkeypatch.setattr(service, "resolve", broken)
    with caplog.at_level(logging.INFO):
        answer = anonymous.client.get(
            path_of(link["url"]) + "/seen.gif", headers={"User-Agent": BROWSER_UA}
        )
    assert answer.status_code >= 500 or answer.status_code == 409
    assert token not in answer.text
    errors = [r for r in caplog.records if r.name == "baton.errors"]
    assert errors, "the failure was logged"
    assert any("/s/*/seen.gif" in r.getMessage() for r in errors)
    for record in caplog.records:
        if record.name != "httpx":  # the test client's own line, not the server's
            assert token not in record.getMessage()
