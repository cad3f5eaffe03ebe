"""The search side of a running app: the backend, its indexer (a change-log consumer) and
the search log.

Which consumer of the change log the index is (`index_consumer`): "search" when there is
one index for the whole catalogue (the FTS5 tables inside a SQLite catalogue's own file,
or Meilisearch); "search@<replica id>" for an embedded index in the data directory beside
a PostgreSQL catalogue: each data directory is then a replica of its own, registered with
a heartbeat, built at its first start (or after it expired) from a snapshot of the
catalogue plus the log since, and following the log from its own position.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from api.changes import feed
from api.changes.log import Subject, record_change
from api.db import session_scope, utcnow
from api.discovery.documents import all_documents, count_assets
from api.discovery.indexing import CONSUMER, Indexer
from api.discovery.log import SearchLogWriter
from api.discovery.synonyms import get_synonyms
from api.errors import storage_failure
from api.metrics import Metrics
from api.settings import Settings
from search.base import SearchBackend, SearchDocument
from search.fts5 import Fts5Backend
from search.semantic import Embedder, availability

log = logging.getLogger("baton.search")

SEARCH_FILE = "search.db"
REPLICA_FILE = "replica-id"
_REPLICA_ID = re.compile(r"\A[A-Za-z0-9_.-]{1,24}\Z")


def replica_id(settings: Settings) -> str:
    """This data directory's replica id: `BATON_REPLICA_ID`, or the one made at its first
    start and kept in `<data_dir>/replica-id` (every process of the directory reads the
    same one)."""
    if settings.replica_id:
        return settings.replica_id
    path = settings.data_dir / REPLICA_FILE
    for _ in range(3):
        try:
            found = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            pass
        else:
            if _REPLICA_ID.match(found):
                return found
            raise ValueError(f"{path} does not hold a replica id (letters, digits, . _ -)")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue  # another process of this directory made it a moment ago
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(6) + "\n")
    return path.read_text(encoding="ascii").strip()


def index_consumer(settings: Settings, *, transactional: bool) -> tuple[str, bool]:
    """The name the search index reads the change log under, and whether it is a
    replica's (its own index file beside a shared catalogue: it expires when not heard of).
    """
    if transactional or settings.search_backend == "meilisearch":
        return CONSUMER, False
    return f"{CONSUMER}@{replica_id(settings)}", True


def _say_what_replicas_share(settings: Settings, engine: Engine, consumer: str) -> None:
    """Other replicas follow this catalogue: say what they do not share by themselves."""
    try:
        with session_scope(engine) as session:
            others = feed.replicas(
                session, now=utcnow(), within=timedelta(seconds=settings.replica_expiry_seconds)
            )
    except Exception as exc:
        log.warning("the other replicas could not be listed: %s", exc)
        return
    others = [name for name in others if name != consumer]
    if not others:
        return
    log.info("replica %s: %d other replica(s) follow this catalogue", consumer, len(others))
    limited = any(rate != "off" for rate in settings.rate_limits.values())
    if limited and not settings.redis_url:
        log.warning(
            "several replicas and no BATON_REDIS_URL: each replica counts rate limits in its "
            "own memory, so a key may spend its budget once per replica; set BATON_REDIS_URL "
            "to share them"
        )


@contextmanager
def _beating(engine: Engine, consumer: str, every: float) -> Iterator[None]:
    """Renew a replica's heartbeat while the block runs (a rebuild may outlast expiry)."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every):
            try:
                with session_scope(engine) as session:
                    feed.heartbeat(session, consumer, now=utcnow())
            except Exception as exc:
                log.warning("replica heartbeat failed: %s", exc)

    thread = threading.Thread(target=beat, name="baton-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)


@cache
def _shared_embedder() -> Embedder:
    """One model per process (every app and command of a process shares its session)."""
    return Embedder()


def semantic_setup(settings: Settings) -> tuple[Embedder | None, str]:
    """The embedder semantic search uses, or None, and its state for /readyz: "ok", "off"
    (BATON_SEMANTIC=off) or "unavailable: <why>"."""
    if settings.semantic == "off":
        return None, "off"
    reason = availability()
    if reason is not None:
        return None, f"unavailable: {reason}"
    return _shared_embedder(), "ok"


def make_backend(settings: Settings) -> tuple[SearchBackend, bool]:
    """The configured backend, and whether it writes in the catalogue's own transaction."""
    embedder, _ = semantic_setup(settings)
    if settings.search_backend == "meilisearch":
        if not settings.meili_url:
            raise ValueError("BATON_SEARCH_BACKEND=meilisearch needs BATON_MEILI_URL")
        from search.meili import MeiliBackend  # noqa: PLC0415 (baton[meilisearch], optional)

        key = settings.meili_key.get_secret_value() if settings.meili_key else None
        meili = MeiliBackend(settings.meili_url, key, settings.meili_index, embedder=embedder)
        return meili, False
    if settings.uses_sqlite:
        database = make_url(settings.catalogue_url).database
        if database and database != ":memory:":
            return Fts5Backend(Path(database), embedder=embedder), True
    return Fts5Backend(settings.data_dir / SEARCH_FILE, embedder=embedder), False


def rebuild(
    engine: Engine,
    backend: SearchBackend,
    *,
    embed: bool = True,
    advance: Callable[[], None] | None = None,
    consumer: str = CONSUMER,
) -> int:
    """Rebuild the backend from the catalogue; the changes it covers count as applied.

    The consumer is not held while the backend is rebuilt (that may take minutes), so
    writes meanwhile go on being applied; the position moves to what the rebuild read.
    With `embed`, the documents whose text changed are embedded before it returns (the
    embedded index embeds after its rebuild's commit, never holding the write lock);
    otherwise the backend's worker embeds them later. `advance` is called once per document
    handed to the backend (a progress bar). `consumer`: whose position moves (a replica's
    index: "search@<replica id>")."""
    with session_scope(engine) as session:
        # Read first: every change of a transaction that has ended is in what follows.
        covered = feed.last(session)
        docs = all_documents(session)
        if advance is not None:
            docs = _advancing(docs, advance)
        indexed = backend.rebuild(docs, get_synonyms(session))
    if covered is not None:
        with session_scope(engine) as session:
            row = feed.claim(session, consumer)
            if row is not None:
                feed.advance(session, row, covered)
    embed_pending = getattr(backend, "embed_pending", None)
    if embed and embed_pending is not None:
        embed_pending()
    return indexed


def _advancing(
    docs: Iterable[SearchDocument], advance: Callable[[], None]
) -> Iterator[SearchDocument]:
    for doc in docs:
        yield doc
        advance()


def prepare(settings: Settings, engine: Engine) -> None:
    """Register this data directory's consumer and build its index when it needs it, once,
    before the workers of one server start (`baton serve --workers N`): each worker then
    finds it ready instead of several building it at once."""
    backend, transactional = make_backend(settings)
    consumer, replica = index_consumer(settings, transactional=transactional)
    backend.open()
    try:
        SearchRuntime._catch_up(
            engine, backend, transactional=transactional, consumer=consumer, replica=replica
        )
    finally:
        backend.close()


@dataclass
class SearchRuntime:
    backend: SearchBackend
    indexer: Indexer
    log: SearchLogWriter
    # "ok", "off" or "unavailable: ..." when semantic search was set up (see semantic_health).
    semantic: str = "off"

    @classmethod
    def start(
        cls,
        settings: Settings,
        engine: Engine,
        metrics: Metrics,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> SearchRuntime:
        """Open the backend, catch up, start the index's worker, which judges documents
        (which linked assets are live) at `clock`, the app's."""
        backend, transactional = make_backend(settings)
        consumer, replica = index_consumer(settings, transactional=transactional)
        expiry = settings.replica_expiry_seconds
        opened = True
        try:
            backend.open()
        except Exception as exc:
            reason = storage_failure(exc)
            if reason is None:
                raise
            # A read-only or full data directory: serve anyway, so /readyz can say so.
            log.critical("the search index cannot be opened, searches fail: %s (%s)", reason, exc)
            opened = False
        else:
            cls._catch_up_at_start(
                engine, backend, transactional=transactional, consumer=consumer, replica=replica
            )

        def build_again() -> None:  # the replica expired while it was away or stalled
            with session_scope(engine) as session:
                feed.register(session, consumer, replica=True)
            with _beating(engine, consumer, expiry / 10):
                rebuild(engine, backend, embed=False, consumer=consumer)

        indexer = Indexer(
            engine,
            backend,
            transactional=transactional,
            on_lag=metrics.index_lag.set,
            judged_at=clock,
            consumer=consumer,
            replica=replica,
            heartbeat_seconds=expiry / 10,
            expire_after=timedelta(seconds=expiry),
            listen=replica,
            poll_seconds=settings.replica_poll_seconds,
            on_lost=build_again if replica else None,
        )
        indexer.start()
        if replica:
            _say_what_replicas_share(settings, engine, consumer)
        search_log = SearchLogWriter(engine, on_lost=metrics.search_log_failures.inc)
        _, semantic = semantic_setup(settings)
        runtime = cls(backend=backend, indexer=indexer, log=search_log, semantic=semantic)
        # Loads the model now rather than in the first search; says why it cannot.
        state = runtime.semantic_health()
        if state.startswith("unavailable"):
            log.error("semantic search %s; searches match words only", state)
        elif opened and isinstance(backend, Fts5Backend):
            if backend.lacks_vectors():
                # An index built without semantic search, or writes whose vectors were
                # not embedded yet: the worker embeds them in the background (an hour per
                # ~100k assets on one core), never holding the start; searches find those
                # documents by their words meanwhile.
                log.info("semantic search: embedding the documents that have no vectors")
            backend.vectors_due()
        return runtime

    def semantic_health(self) -> str:
        """Semantic search: "ok", "off" (BATON_SEMANTIC=off, or a backend without it) or
        "unavailable: <why>" (the runtime or the model is missing or does not load)."""
        if self.semantic != "ok":
            return self.semantic
        check = getattr(self.backend, "semantic_health", None)
        return "off" if check is None else str(check())

    @classmethod
    def _catch_up_at_start(
        cls,
        engine: Engine,
        backend: SearchBackend,
        *,
        transactional: bool,
        consumer: str = CONSUMER,
        replica: bool = False,
    ) -> None:
        try:
            cls._catch_up(
                engine, backend, transactional=transactional, consumer=consumer, replica=replica
            )
        except Exception as exc:
            if not isinstance(exc, OperationalError) and storage_failure(exc) is None:
                raise
            # The catalogue does not answer or its storage refuses writes: serve anyway,
            # so /readyz can say so (503); the next start or `baton reindex` catches the
            # index up.
            log.error("search index not caught up at start: %s", exc)

    @staticmethod
    def _catch_up(
        engine: Engine,
        backend: SearchBackend,
        *,
        transactional: bool,
        consumer: str = CONSUMER,
        replica: bool = False,
    ) -> None:
        with session_scope(engine) as session:
            # The migration made "search"; a restore, or a replica's first start, may not.
            new = feed.register(session, consumer, replica=replica)
            if replica and session.get_bind().dialect.name == "postgresql":
                # Replicas each follow the log under their own name: the shared consumer
                # of a single server would hold the log back for ever.
                feed.retire(session, CONSUMER)
        if isinstance(backend, Fts5Backend):
            # The embedded index is derived data: when it does not hold one document per
            # asset (new, or the catalogue was rebuilt or restored), build it again; a
            # replica's index also when the replica is new here (or expired while away),
            # and it may differ by what it has still to read from the log.
            with session_scope(engine) as session:
                assets = count_assets(session)
                behind = feed.lag(session, consumer, {Subject.asset}) if replica else 0
            if (new and replica) or abs(backend.count() - assets) > behind:
                log.info("search index out of step; building it from %d assets", assets)
                with _beating(engine, consumer, 5.0):
                    rebuild(engine, backend, embed=False, consumer=consumer)
        if not transactional:
            # Synonyms may have changed while this backend was away: send them again.
            with session_scope(engine) as session:
                record_change(session, Subject.synonyms)

    def stop(self) -> None:
        self.indexer.stop()
        self.log.close()
        self.backend.close()
