"""Keeping the search index in step with the catalogue.

Asset services call `asset_changed` / `asset_removed` (and the synonyms service
`synonyms_changed`) inside their unit of work. What happens depends on the route the
running app registered for the session's engine (`api.discovery.indexing.Indexer`):

- transactional (SQLite catalogue, `sqlite` backend): the FTS5 rows are written through
  the session's own connection, in the same transaction, so a 2xx write is searchable at
  once and a rollback drops them;
- otherwise (PostgreSQL catalogue, or Meilisearch): a row goes into the `search_outbox`
  table in the same transaction; right after the commit the running app applies it (so
  the next search sees it), and a background worker retries whatever failed.

Without a registered route (a CLI process) the outbox rows wait for the app's worker.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from api.db import after_commit, after_rollback
from api.discovery.models import SearchOutbox

SYNONYMS_OP = "synonyms"
_PENDING = "baton.search.pending"


class IndexRoute(Protocol):
    """How changes reach the index of one engine's catalogue."""

    transactional: bool

    def write_in(self, session: Session, asset_ids: Sequence[str]) -> None: ...

    def synonyms_in(self, session: Session) -> None: ...

    def after_commit(self, asset_ids: Sequence[str], synonyms: bool) -> None: ...


_routes: weakref.WeakKeyDictionary[Engine, IndexRoute] = weakref.WeakKeyDictionary()


def register(engine: Engine, route: IndexRoute) -> None:
    """Send this engine's catalogue changes along `route` (the app does this on start)."""
    _routes[engine] = route


def unregister(engine: Engine) -> None:
    _routes.pop(engine, None)


def _route(session: Session) -> IndexRoute | None:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else getattr(bind, "engine", None)
    return _routes.get(engine) if engine is not None else None


def _queue(session: Session, asset_id: str, op: str) -> None:
    route = _route(session)
    if route is not None and route.transactional:
        if op == SYNONYMS_OP:
            route.synonyms_in(session)
        else:
            route.write_in(session, [asset_id])
        return
    session.add(SearchOutbox(asset_id=asset_id, op=op))
    if route is not None:
        pending: dict[str, Any] | None = session.info.get(_PENDING)
        if pending is None:
            pending = session.info[_PENDING] = {"ids": set(), "syn": False}
            after_commit(session, lambda: _apply(session))
            after_rollback(session, lambda: session.info.pop(_PENDING, None))
        if op == SYNONYMS_OP:
            pending["syn"] = True
        else:
            pending["ids"].add(asset_id)


def asset_changed(session: Session, asset_id: str) -> None:
    """The asset's searchable content, facets or visibility changed."""
    _queue(session, asset_id, "upsert")


def asset_removed(session: Session, asset_id: str) -> None:
    """The asset is gone from the catalogue."""
    _queue(session, asset_id, "delete")


def synonyms_changed(session: Session) -> None:
    """The synonyms were replaced."""
    _queue(session, "", SYNONYMS_OP)


def _apply(session: Session) -> None:
    """Once the catalogue's transaction has committed, apply what it queued (read your
    writes); the outbox worker retries whatever fails."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    route = _route(session)
    if route is not None:
        route.after_commit(sorted(pending["ids"]), pending["syn"])


@event.listens_for(OrmSession, "after_rollback")
def _forget_after_rollback(session: OrmSession) -> None:
    session.info.pop(_PENDING, None)
