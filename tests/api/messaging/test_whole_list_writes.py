"""The settings replaced as a whole (messaging rules, search synonyms, freshness policies):
GET answers their version as an `ETag`; a PUT with `If-Match` writes only over the version
it names, so of two marketers saving from the same version one wins and the other gets a
412 naming the version now, never a silent overwrite. Without `If-Match` a PUT works as it
always did. On both databases, and at once against a real server."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.api.test_conventions import assert_problem
from tests.api.test_races import _client, server  # noqa: F401 (fixture)
from tests.conftest import Actor
from tests.live import at_once


@dataclass(frozen=True)
class Setting:
    path: str
    body: Callable[[int], dict[str, Any]]  # a different value for each number
    shown: Callable[[dict[str, Any]], Any]  # what a GET's answer holds of it


def _rules(n: int) -> dict[str, Any]:
    return {"rules": [{"type": "banned", "phrase": f"world class {n}", "severity": "error"}]}


def _synonyms(n: int) -> dict[str, Any]:
    return {"roi": [f"return on investment {n}"]}


def _policies(n: int) -> dict[str, Any]:
    return {"policies": {"case_study": 100 + n}}


SETTINGS = {
    "rules": Setting(
        "/v1/messaging/rules", _rules, lambda got: [r["phrase"] for r in got["rules"]]
    ),
    "synonyms": Setting("/v1/search/synonyms", _synonyms, lambda got: got.get("roi")),
    "policies": Setting(
        "/v1/freshness/policies",
        _policies,
        lambda got: next(p["review_days"] for p in got["policies"] if p["kind"] == "case_study"),
    ),
}


@pytest.fixture(params=list(SETTINGS))
def setting(request: pytest.FixtureRequest) -> Setting:
    return SETTINGS[request.param]


def _etag(response: Any) -> str:
    assert response.status_code == 200, response.text
    tag: str = response.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('"') and tag[1:-1].isdigit(), tag
    return tag


def test_two_puts_from_the_same_version_one_wins_the_other_is_told_the_version_now(
    marketer: Actor, setting: Setting
) -> None:
    read = _etag(marketer.get(setting.path))
    first = marketer.put(setting.path, json=setting.body(1), headers={"If-Match": read})
    now = _etag(first)
    assert now != read
    second = marketer.put(setting.path, json=setting.body(2), headers={"If-Match": read})
    problem = assert_problem(second, 412)
    assert problem["type"] == "/problems/precondition-failed"
    assert f'"{problem["revision"]}"' == now
    assert str(problem["revision"]) in str(problem["detail"])
    got = marketer.get(setting.path)
    assert setting.shown(got.json()) == setting.shown(first.json())  # the first one's, kept
    assert _etag(got) == now
    # Read again, the same change is saved.
    again = marketer.put(setting.path, json=setting.body(2), headers={"If-Match": now})
    assert _etag(again) not in {read, now}
    assert setting.shown(again.json()) != setting.shown(first.json())
    assert setting.shown(marketer.get(setting.path).json()) == setting.shown(again.json())


def test_a_put_without_if_match_works_and_changes_the_etag(
    marketer: Actor, setting: Setting
) -> None:
    before = _etag(marketer.get(setting.path))
    saved = marketer.put(setting.path, json=setting.body(3))
    after = _etag(saved)
    assert after != before
    got = marketer.get(setting.path)
    assert _etag(got) == after
    assert setting.shown(got.json()) == setting.shown(saved.json())
    # `*` matches any version, as with assets.
    assert marketer.put(setting.path, json=setting.body(4), headers={"If-Match": "*"}).is_success


def test_a_weak_or_malformed_if_match_matches_nothing(marketer: Actor, setting: Setting) -> None:
    read = _etag(marketer.get(setting.path))
    for header in (f"W/{read}", read.strip('"'), '"abc"'):
        answer = marketer.put(setting.path, json=setting.body(5), headers={"If-Match": header})
        assert_problem(answer, 412)
    assert _etag(marketer.get(setting.path)) == read  # nothing was written
    # One of several tags naming the version now is enough.
    listed = f'"1", {read}'
    assert marketer.put(setting.path, json=setting.body(5), headers={"If-Match": listed}).is_success


def test_the_same_if_match_at_once_never_succeeds_twice(
    server: str,  # noqa: F811
    marketer: Actor,
    setting: Setting,
) -> None:
    with _client(server, marketer) as http:
        for round_ in range(4):
            read = _etag(http.get(setting.path))

            def put(n: int, read: str = read) -> httpx.Response:
                return http.put(setting.path, json=setting.body(n), headers={"If-Match": read})

            answers = at_once([functools.partial(put, 10 * round_ + n) for n in range(3)])
            codes = sorted(a.status_code for a in answers)
            assert codes == [200, 412, 412], [a.text for a in answers]
            (won,) = [a for a in answers if a.status_code == 200]
            now = http.get(setting.path)
            assert setting.shown(now.json()) == setting.shown(won.json())
            assert _etag(now) == won.headers["ETag"]
            for lost in answers:
                if lost.status_code == 412:
                    assert f'"{lost.json()["revision"]}"' == won.headers["ETag"]
