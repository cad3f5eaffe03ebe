"""Two writers of one asset: the second is told (409, or 412 with If-Match), never lets a
stale read overwrite, and never publishes words nobody reviewed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from api.assets import service as assets
from api.assets.models import Asset
from api.assets.schemas import AssetCreate, AssetUpdate
from api.db import make_engine, session_scope
from api.errors import EditConflict
from api.reviews import service as reviews
from api.users.service import MASTER
from tests.api.test_conventions import assert_problem
from tests.catalogue import create, publish, transition
from tests.conftest import Actor

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)

# --- over HTTP: ETag and If-Match -------------------------------------------------------


def test_get_answers_the_revision_as_etag_and_every_write_moves_it(marketer: Actor) -> None:
    asset = create(marketer, title="Cold chain monitoring")
    first = marketer.get(f"/v1/assets/{asset['id']}").headers["etag"]
    patched = marketer.patch(f"/v1/assets/{asset['id']}", json={"summary": "Reefer trucks"})
    assert patched.status_code == 200
    second = patched.headers["etag"]
    submitted = marketer.post(f"/v1/assets/{asset['id']}/submit")
    assert len({first, second, submitted.headers["etag"]}) == 3
    assert marketer.get(f"/v1/assets/{asset['id']}").headers["etag"] == submitted.headers["etag"]


def test_if_match_with_the_current_etag_writes(marketer: Actor) -> None:
    asset = create(marketer, title="Fleet idling report")
    etag = marketer.get(f"/v1/assets/{asset['id']}").headers["etag"]
    response = marketer.patch(
        f"/v1/assets/{asset['id']}", json={"title": "Fleet idling"}, headers={"If-Match": etag}
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Fleet idling"
    star = marketer.post(f"/v1/assets/{asset['id']}/submit", headers={"If-Match": "*"})
    assert star.status_code == 200


def test_if_match_with_a_stale_etag_is_412_and_changes_nothing(
    marketer: Actor, admin: Actor
) -> None:
    asset = create(marketer, title="Night shift rota")
    stale = marketer.get(f"/v1/assets/{asset['id']}").headers["etag"]
    marketer.patch(f"/v1/assets/{asset['id']}", json={"title": "Night shift rotas"})
    for who, method, path, body in (
        (marketer, "PATCH", "", {"title": "Overwritten"}),
        (marketer, "POST", "/submit", None),
        (marketer, "POST", "/archive", None),
        (admin, "DELETE", "", None),
    ):
        response = who.request(
            method, f"/v1/assets/{asset['id']}{path}", json=body, headers={"If-Match": stale}
        )
        problem = assert_problem(response, 412)
        assert problem["type"].endswith("/precondition-failed")  # type: ignore[union-attr]
    unchanged = marketer.get(f"/v1/assets/{asset['id']}").json()
    assert (unchanged["title"], unchanged["status"]) == ("Night shift rotas", "draft")


@pytest.mark.parametrize("header", ['W/"1"', "1", '"one"', ""])
def test_a_weak_or_malformed_if_match_matches_nothing(marketer: Actor, header: str) -> None:
    asset = create(marketer, title="Depot layout")
    response = marketer.patch(
        f"/v1/assets/{asset['id']}", json={"title": "Depot"}, headers={"If-Match": header}
    )
    assert_problem(response, 412)


def test_a_transition_from_another_state_is_still_an_invalid_transition(
    marketer: Actor,
) -> None:
    asset = publish(marketer, title="Telematics buyer guide")
    etag = marketer.get(f"/v1/assets/{asset['id']}").headers["etag"]
    response = marketer.post(f"/v1/assets/{asset['id']}/approve", headers={"If-Match": etag})
    assert assert_problem(response, 409)["asset_status"] == "approved"
    transition(marketer, asset["id"], "archive")


# --- two writers who read the same revision -----------------------------------------------
# The first writer commits between the second's read and its write: the second is stale.


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _in_review(engine: Engine, body: str = "Reviewed words") -> str:
    with session_scope(engine) as session:
        data = AssetCreate(title="Hazmat handling", kind="one_pager", body=body)
        asset_id = assets.create_asset(session, MASTER, data, now=NOW).id
        reviews.submit(session, asset_id, now=NOW)
    return asset_id


Write = Callable[[Session, str], Any]

WRITES: dict[str, Write] = {
    "edit": lambda s, i: assets.update_asset(
        s, i, AssetUpdate(body="Words nobody reviewed"), now=NOW
    ),
    "approve": lambda s, i: reviews.approve(s, MASTER, i, now=NOW),
    "reject": lambda s, i: reviews.reject(s, i, comment="Not yet", now=NOW),
    "archive": lambda s, i: reviews.archive(s, i, now=NOW),
}


@pytest.mark.parametrize("first", sorted(WRITES))
@pytest.mark.parametrize("second", sorted(WRITES))
def test_the_second_of_two_writers_who_read_the_same_revision_gets_409(
    engine: Engine, first: str, second: str
) -> None:
    asset_id = _in_review(engine)
    stale = Session(engine, expire_on_commit=False)
    try:
        read = stale.get(Asset, asset_id)  # the second writer reads first …
        assert read is not None
        with session_scope(engine) as session:
            WRITES[first](session, asset_id)  # … the first writes and commits …
        with pytest.raises(EditConflict) as raised:
            WRITES[second](stale, asset_id)  # … and the second writes what it read
        stale.rollback()
    finally:
        stale.close()
    with session_scope(engine) as session:
        final = assets.get_asset(session, asset_id)
        assert raised.value.extra["asset_status"] == final.status
        # Only the first write happened: an approved asset holds the reviewed words.
        if final.status == "approved":
            assert final.body == "Reviewed words"
        assert final.revision == 3  # created, submitted, one write


def test_a_new_asset_answers_its_first_revision_as_etag(marketer: Actor) -> None:
    created = marketer.post(
        "/v1/assets", json={"title": "Crew rota one-pager", "kind": "one_pager"}
    )
    uploaded = marketer.post(
        "/v1/assets/upload",
        files={"file": ("rota.txt", b"Crew rota talking points for utilities.", "text/plain")},
    )
    for response in (created, uploaded):
        assert response.status_code == 201, response.text
        etag = response.headers["etag"]
        # The client can edit straight away with If-Match, without reading it first.
        assert marketer.get(f"/v1/assets/{response.json()['id']}").headers["etag"] == etag
        patched = marketer.patch(
            f"/v1/assets/{response.json()['id']}",
            json={"summary": "For the rota meeting."},
            headers={"If-Match": etag},
        )
        assert patched.status_code == 200, patched.text
