"""Keys are remembered for a second so a search need not read them, and never past what
a person would notice: a change made through this server (revoked key, disabled person,
new role) holds on the very next request; one made by another process or replica holds
within a second."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.main import create_app
from tests.conftest import Actor, new_actor

# What a key opens: every route checks its caller through `get_caller`, but searches and
# suggestions through `get_reader`, which answers a remembered key without a thread.
PROBES = {
    "me": lambda actor: actor.get("/v1/me"),
    "search": lambda actor: actor.get("/v1/search", params={"q": "renewal"}),
    "suggestions": lambda actor: actor.post("/v1/suggestions", json={"text": "renewal"}),
}
ROUTES = pytest.mark.parametrize("route", list(PROBES))


def revoke_elsewhere(app: FastAPI, user_id: str) -> None:
    """Revoke the person's keys as another process or replica would: a write this app's
    sessions never see."""
    other = sa.create_engine(app.state.settings.catalogue_url)
    try:
        with other.begin() as connection:
            connection.execute(
                sa.text("UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP WHERE user_id = :u"),
                {"u": user_id},
            )
    finally:
        other.dispose()


@ROUTES
def test_a_revoked_key_stops_on_the_next_request(rep: Actor, route: str) -> None:
    probe = PROBES[route]
    assert probe(rep).status_code == 200  # remembered now
    key_id = rep.get("/v1/me/keys").json()["items"][0]["id"]
    assert rep.delete(f"/v1/me/keys/{key_id}").status_code == 204
    answer = probe(rep)
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "revoked" in answer.json()["detail"]


def test_a_disabled_person_and_a_new_role_hold_on_the_next_request(
    admin: Actor, marketer: Actor
) -> None:
    assert marketer.get("/v1/me").json()["role"] == "marketer"  # remembered now
    assert admin.patch(f"/v1/users/{marketer.id}", json={"role": "rep"}).status_code == 200
    assert marketer.get("/v1/me").json()["role"] == "rep"

    assert PROBES["search"](marketer).status_code == 200  # remembered by the search route too
    assert admin.patch(f"/v1/users/{marketer.id}", json={"active": False}).status_code == 200
    assert all(probe(marketer).status_code == 401 for probe in PROBES.values())


@ROUTES
def test_a_revocation_by_another_process_holds_within_a_second(
    app: FastAPI, client: TestClient, route: str
) -> None:
    probe = PROBES[route]
    rep = new_actor(client, "rep")
    assert probe(rep).status_code == 200  # remembered now
    # Another replica revokes it: a write this process's sessions never saw.
    revoke_elsewhere(app, rep.id)
    deadline = time.monotonic() + 10  # a bound for a busy machine, not a figure under test
    while probe(rep).status_code == 200:
        assert time.monotonic() < deadline, "the revoked key kept working"
        time.sleep(0.1)
    assert probe(rep).status_code == 401


def test_a_server_answers_only_from_what_it_read_itself(app: FastAPI, client: TestClient) -> None:
    # Two servers in one process (tests, an embedding program): the memory is per
    # database engine, so a server started after a revocation refuses the key at once,
    # however recently the other one remembered it.
    rep = new_actor(client, "rep")
    assert rep.get("/v1/me").status_code == 200  # remembered by the first server
    revoke_elsewhere(app, rep.id)
    with TestClient(create_app(app.state.settings), raise_server_exceptions=False) as second:
        answer = second.get("/v1/me", headers={"Authorization": f"Bearer {rep.key}"})
    assert answer.status_code == 401
    assert "revoked" in answer.json()["detail"]
