"""The search side of a running app: the backend, its indexer (a change-log consumer) and
the search log."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from api.changes import feed
from api.changes.log import Subject, record_change
from api.db import session_scope
from api.discovery.documents import all_documents, count_assets
from api.discovery.indexing import CONSUMER, Indexer
from api.discovery.log import SearchLogWriter
from api.discovery.synonyms import get_synonyms
from api.errors import storage_failure
from api.metrics import Metrics
from api.settings import Settings
from search.base import SearchBackend
from search.fts5 import Fts5Backend
from search.meili import MeiliBackend

log = logging.getLogger("baton.search")

SEARCH_FILE = "search.db"


def make_backend(settings: Settings) -> tuple[SearchBackend, bool]:
    """The configured backend, and whether it writes in the catalogue's own transaction."""
    if settings.search_backend == "meilisearch":
        if not settings.meili_url:
            raise ValueError("BATON_SEARCH_BACKEND=meilisearch needs BATON_MEILI_URL")
        key = settings.meili_key.get_secret_value() if settings.meili_key else None
        return MeiliBackend(settings.meili_url, key, settings.meili_index), False
    if settings.uses_sqlite:
        database = make_url(settings.catalogue_url).database
        if database and database != ":memory:":
            return Fts5Backend(Path(database)), True
    return Fts5Backend(settings.data_dir / SEARCH_FILE), False


def rebuild(engine: Engine, backend: SearchBackend) -> int:
    """Rebuild the backend from the catalogue; the changes it covers count as applied.

    The consumer is not held while the backend is rebuilt (that may take minutes), so
    writes meanwhile go on being applied; the position moves to what the rebuild read."""
    with session_scope(engine) as session:
        # Read first: every change of a transaction that has ended is in what follows.
        covered = feed.last(session)
        indexed = backend.rebuild(all_documents(session), get_synonyms(session))
    if covered is not None:
        with session_scope(engine) as session:
            consumer = feed.claim(session, CONSUMER)
            if consumer is not None:
                feed.advance(session, consumer, covered)
    return indexed


@dataclass
class SearchRuntime:
    backend: SearchBackend
    indexer: Indexer
    log: SearchLogWriter

    @classmethod
    def start(cls, settings: Settings, engine: Engine, metrics: Metrics) -> SearchRuntime:
        """Open the backend, catch up, start the index's worker."""
        backend, transactional = make_backend(settings)
        try:
            backend.open()
        except Exception as exc:
            reason = storage_failure(exc)
            if reason is None:
                raise
            # A read-only or full data directory: serve anyway, so /readyz can say so.
            log.critical("the search index cannot be opened, searches fail: %s (%s)", reason, exc)
        else:
            cls._catch_up_at_start(engine, backend, transactional=transactional)
        indexer = Indexer(
            engine, backend, transactional=transactional, on_lag=metrics.index_lag.set
        )
        indexer.start()
        search_log = SearchLogWriter(engine, on_lost=metrics.search_log_failures.inc)
        return cls(backend=backend, indexer=indexer, log=search_log)

    @classmethod
    def _catch_up_at_start(
        cls, engine: Engine, backend: SearchBackend, *, transactional: bool
    ) -> None:
        try:
            cls._catch_up(engine, backend, transactional=transactional)
        except Exception as exc:
            if not isinstance(exc, OperationalError) and storage_failure(exc) is None:
                raise
            # The catalogue does not answer or its storage refuses writes: serve anyway,
            # so /readyz can say so (503); the next start or `baton reindex` catches the
            # index up.
            log.error("search index not caught up at start: %s", exc)

    @staticmethod
    def _catch_up(engine: Engine, backend: SearchBackend, *, transactional: bool) -> None:
        with session_scope(engine) as session:
            feed.register(session, CONSUMER)  # the migration made it; a restore may not
        if isinstance(backend, Fts5Backend):
            # The embedded index is derived data: when it does not hold one document per
            # asset (new, or the catalogue was rebuilt or restored), build it again.
            with session_scope(engine) as session:
                assets = count_assets(session)
            if backend.count() != assets:
                log.info("search index out of step; building it from %d assets", assets)
                rebuild(engine, backend)
        if not transactional:
            # Synonyms may have changed while this backend was away: send them again.
            with session_scope(engine) as session:
                record_change(session, Subject.synonyms)

    def stop(self) -> None:
        self.indexer.stop()
        self.log.close()
        self.backend.close()
