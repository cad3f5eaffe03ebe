"""An audience deleted while another request assigns it: a 409 or 404, never a 500, and no
restriction silently lost."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from api.audiences import service
from tests.audiences.helpers import audience
from tests.catalogue import create
from tests.conftest import Actor


def _delete_meanwhile(app: FastAPI, monkeypatch: pytest.MonkeyPatch, slug: str) -> None:
    """Make `resolve` (the slugs' check) return, then delete the audience from another
    connection before the request writes: the moment the race needs."""
    resolve = service.resolve

    def resolve_then_delete(*args: Any, **kwargs: Any) -> Any:
        found = resolve(*args, **kwargs)
        with app.state.engine.begin() as other:
            other.execute(sa.text("DELETE FROM audiences WHERE slug = :s"), {"s": slug})
        return found

    monkeypatch.setattr(service, "resolve", resolve_then_delete)


def test_an_audience_deleted_while_assigned_is_a_conflict(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, admin: Actor, marketer: Actor
) -> None:
    audience(admin, "emea")
    asset = create(marketer, title="EMEA price sheet")
    _delete_meanwhile(app, monkeypatch, "emea")
    answer = marketer.patch(f"/v1/assets/{asset['id']}", json={"audiences": ["emea"]})
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    monkeypatch.undo()
    assert marketer.get(f"/v1/assets/{asset['id']}").json()["audiences"] == []


def test_a_member_added_to_a_deleted_audience_is_a_404(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, admin: Actor, rep: Actor
) -> None:
    audience(admin, "apac")
    get_audience = service.get_audience

    def get_then_delete(*args: Any, **kwargs: Any) -> Any:
        found = get_audience(*args, **kwargs)
        with app.state.engine.begin() as other:
            other.execute(sa.text("DELETE FROM audiences WHERE slug = 'apac'"))
        return found

    monkeypatch.setattr(service, "get_audience", get_then_delete)
    answer = admin.put(f"/v1/audiences/apac/members/{rep.id}")
    assert answer.status_code == 404, answer.text
    assert "deleted meanwhile" in answer.json()["detail"]
