"""Two clients creating the same thing at once: one creates it, the other gets what exists
(or a 409 naming it), never a 500 from a unique index."""

from __future__ import annotations

import functools

import httpx
import pytest

from tests.api.test_races import _client, server  # noqa: F401 (fixture)
from tests.catalogue import create
from tests.conftest import Actor
from tests.live import at_once

ROUNDS = 6


@pytest.mark.slow
def test_the_same_question_asked_at_once_is_one_question(server: str, rep: Actor) -> None:  # noqa: F811
    with _client(server, rep) as http:
        for round_ in range(ROUNDS):
            text = f"Does the field app work offline in tunnels, case {round_}?"

            def ask(text: str = text) -> httpx.Response:
                return http.post("/v1/questions", json={"text": text})

            answers = at_once([ask] * 4)
            codes = [a.status_code for a in answers]
            assert all(code < 500 for code in codes), [a.text for a in answers]
            ids = {a.json().get("id") or a.json().get("question_id") for a in answers}
            assert len(ids) == 1, [a.json() for a in answers]


@pytest.mark.slow
def test_new_terms_named_at_once_are_created_once(server: str, marketer: Actor) -> None:  # noqa: F811
    with _client(server, marketer) as http:
        for round_ in range(ROUNDS):
            industry = f"aerospace-{round_}"

            def create(n: int, industry: str = industry) -> httpx.Response:
                return http.post(
                    "/v1/assets",
                    json={"title": f"Hangar {n}", "kind": "one_pager", "industries": [industry]},
                )

            answers = at_once([functools.partial(create, n) for n in range(4)])
            assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
        taxonomy = http.get("/v1/taxonomy").json()
        slugs = [t["slug"] for t in taxonomy["industries"]]
        assert len(slugs) == len(set(slugs))


@pytest.mark.slow
def test_the_same_text_created_at_once_is_one_asset(server: str, marketer: Actor) -> None:  # noqa: F811
    with _client(server, marketer) as http:
        for round_ in range(ROUNDS):
            body = (
                f"Round {round_}: the retrofit kit cuts crane downtime to one shift, "
                "installed by two technicians without welding."
            )

            def create(n: int, body: str = body) -> httpx.Response:
                # The same normalised text: case and punctuation do not count.
                title = "Crane retrofit kit" if n % 2 else "CRANE retrofit kit!"
                return http.post(
                    "/v1/assets", json={"title": title, "kind": "one_pager", "body": body}
                )

            answers = at_once([functools.partial(create, n) for n in range(4)])
            codes = sorted(a.status_code for a in answers)
            assert codes == [201, 409, 409, 409], [a.text for a in answers]
            made = next(a.json()["id"] for a in answers if a.status_code == 201)
            refused = [a.json() for a in answers if a.status_code == 409]
            assert all(p["asset_id"] == made for p in refused), refused


@pytest.mark.slow
def test_bulk_edits_of_the_same_assets_in_opposite_orders(server: str, marketer: Actor) -> None:  # noqa: F811
    """Two bulk edits of overlapping assets at once, listed in opposite orders: each is
    applied whole, one after the other, never a deadlock's 500."""
    ids = [create(marketer, title=f"Bulk race piece {i}")["id"] for i in range(20)]
    with _client(server, marketer) as http:
        for round_ in range(4):

            def edit(order: list[str], tag: str) -> httpx.Response:
                body = {"ids": order, "change": {"add_tags": [tag]}}
                return http.post("/v1/assets/bulk", json=body)

            answers = at_once(
                [
                    functools.partial(edit, ids, f"forward-{round_}"),
                    functools.partial(edit, list(reversed(ids)), f"backward-{round_}"),
                ]
            )
            assert all(a.status_code < 500 for a in answers), [a.text for a in answers]
            for answer in answers:
                if answer.status_code == 200:
                    assert [r["id"] for r in answer.json()["results"]] in (
                        ids,
                        list(reversed(ids)),
                    )
                else:  # a collision the database broke off: a 409 to retry
                    assert answer.status_code == 409, answer.text


@pytest.mark.slow
def test_replaces_both_ways_at_once_makes_no_cycle(server: str, marketer: Actor) -> None:  # noqa: F811
    """A replaces B and B replaces A asked at once: one link is made, the other is the
    cycle's 409."""
    with _client(server, marketer) as http:
        for round_ in range(4):
            a = create(marketer, title=f"Price sheet {round_} old")["id"]
            b = create(marketer, title=f"Price sheet {round_} new")["id"]

            def link(source: str, target: str) -> httpx.Response:
                body = {"target_id": target, "type": "replaces"}
                return http.post(f"/v1/assets/{source}/links", json=body)

            answers = at_once([functools.partial(link, a, b), functools.partial(link, b, a)])
            codes = sorted(answer.status_code for answer in answers)
            assert codes == [201, 409], [answer.text for answer in answers]
