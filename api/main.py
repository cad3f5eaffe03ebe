"""The Baton application: `create_app(settings)`; `api.main:app` for ASGI servers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from api import openapi
from api.accounts.routes import pages as account_pages
from api.accounts.routes import router as accounts_router
from api.assets.routes import router as assets_router
from api.audiences.routes import router as audiences_router
from api.audit.routes import router as audit_router
from api.body_limit import BodyLimit
from api.bulk.routes import router as bulk_router
from api.collections.routes import reports as collection_reports_router
from api.collections.routes import router as collections_router
from api.cors import install_cors
from api.crm.routes import router as crm_router
from api.db import make_engine, probe_directory, utcnow
from api.discovery.routes import router as search_router
from api.discovery.runtime import SearchRuntime
from api.events.routes import router as events_router
from api.events.usage import UsageRecorder
from api.files.blobs import BlobStore
from api.files.routes import UPLOAD_PATH
from api.files.routes import router as files_router
from api.freshness.routes import router as freshness_router
from api.links.routes import router as links_router
from api.logs import configure_logging
from api.messaging.routes import router as messaging_router
from api.metrics import Metrics
from api.notifications import sealing
from api.notifications.routes import router as webhooks_router
from api.notifications.worker import Notifier
from api.operations import router as operations_router
from api.problems import UnexpectedErrors, install_problem_handlers
from api.questions.routes import router as questions_router
from api.rate_limits import Budgets, RateLimits
from api.read_your_writes import ReadYourWrites
from api.reports.routes import router as reports_router
from api.reports.snapshots import Snapshots
from api.request_context import RequestContext
from api.request_guard import NulGuard
from api.request_metrics import MetricsMiddleware
from api.reviews.routes import router as reviews_router
from api.revisions.routes import FILE_PATH
from api.revisions.routes import router as revisions_router
from api.settings import Settings, get_settings
from api.sharing.headers import ShareHeaders
from api.sharing.public import STATIC_URL as SHARE_STATIC_URL
from api.sharing.routes import public as share_pages_router
from api.sharing.routes import router as share_links_router
from api.sharing.staticfiles import ShareStatic
from api.suggestions.memory import SuggestionMemory
from api.suggestions.routes import router as suggestions_router
from api.taxonomy.routes import router as taxonomy_router
from api.users.routes import router as users_router
from api.users.usage import KeyUsage
from api.web import pages as web_pages
from api.web.routers import routers as web_routers
from ingest.workers import ExtractorOnDemand

log = logging.getLogger("baton")

DESCRIPTION = """
Baton is the content hub between marketing and sales: marketers publish and approve
collateral, reps find it, the CRM extension asks for suggestions, marketing sees the gaps.

Every `/v1` call needs `Authorization: Bearer <api key>`. Errors are
`application/problem+json`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application. Nothing touches the disk or the network until it starts."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        check_data_dir(settings)
        open_secrets(settings, app.state.engine)
        # Temporary files of writers that crashed (a day old: none is still being written).
        app.state.blobs.clean_stale()
        # The index judges documents (which linked assets are live) at the app's clock,
        # read at each use: tests replace `app.state.clock`.
        clock = lambda: app.state.clock()  # noqa: E731, PLW0108
        search = SearchRuntime.start(settings, app.state.engine, app.state.metrics, clock=clock)
        app.state.search = search
        app.state.search_health = search.backend.health
        notifier = Notifier(app.state.engine, settings)
        notifier.start()  # webhooks, reminders, digests (off when the interval is 0)
        try:
            yield
        finally:
            notifier.stop()
            search.stop()
            await app.state.rate_limits.close()
            app.state.key_usage.stop()
            app.state.usage.close()
            app.state.extractor.close()
            app.state.engine.dispose()

    app = FastAPI(
        title="Baton",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # /docs and /redoc come from api.openapi (package files, no CDN).
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=openapi.operation_id,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.catalogue_url)
    app.state.blobs = BlobStore(settings.blob_dir)
    # Uploads are read in worker processes, started at the first upload.
    app.state.extractor = ExtractorOnDemand(workers=2)
    app.state.clock = utcnow
    app.state.metrics = Metrics()
    app.state.suggestions = SuggestionMemory()
    app.state.rate_limits = Budgets(settings)
    app.state.key_usage = KeyUsage(app.state.engine)
    # Views, downloads and renders the server records, queued and written in batches.
    app.state.usage = UsageRecorder(app.state.engine)
    # The slow reports' pages, shown from their last computation for a while.
    app.state.report_snapshots = Snapshots(
        app.state.engine,
        lambda: app.state.clock(),  # noqa: PLW0108 (read at each use: tests replace it)
        settings.report_snapshot_seconds,
    )

    install_problem_handlers(app)
    # Routes are matched in this order, each tried in turn: the hottest first (a search
    # tried every other route before its own, about 0.2 ms per request). The description's
    # sections keep their order (`openapi.TAGS`).
    for router in (
        search_router,
        suggestions_router,
        operations_router,
        users_router,
        accounts_router,
        account_pages,
        audiences_router,
        taxonomy_router,
        files_router,
        bulk_router,
        assets_router,
        reviews_router,
        links_router,
        freshness_router,
        revisions_router,
        questions_router,
        messaging_router,
        reports_router,
        collections_router,
        collection_reports_router,
        events_router,
        crm_router,
        audit_router,
        webhooks_router,
        share_links_router,
        share_pages_router,
        *web_routers,
    ):
        app.include_router(router)
    web_pages.install(app)
    # The public share page's script and styles (package files: no CDN, no third party).
    app.mount(SHARE_STATIC_URL, ShareStatic(), name="share-static")
    openapi.install(app)
    app.add_middleware(UnexpectedErrors)
    app.add_middleware(NulGuard)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        streamed={files_router.prefix + UPLOAD_PATH, revisions_router.prefix + FILE_PATH},
    )
    # Read your writes: a write's answer carries its Baton-Position; a read sending one
    # back waits (bounded) for this replica's search index to reach it.
    app.add_middleware(
        ReadYourWrites,
        reached=lambda position: app.state.search.indexer.reached(position),  # noqa: PLW0108 (made at start)
        wait_seconds=settings.position_wait_seconds,
    )
    # Rate limits: before the body is read, inside CORS so that browsers see the 429.
    master = settings.admin_key.get_secret_value() if settings.admin_key else None
    app.add_middleware(RateLimits, budgets=app.state.rate_limits, master_key=master)
    install_cors(app, settings.cors_origins)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    # The share pages' security headers on every answer under /s/ and /share-static, the
    # 429s, 413s and 500s of the middleware above included.
    app.add_middleware(ShareHeaders)
    # Outermost: the request id (logs, problem bodies, X-Request-ID) and the access log.
    app.add_middleware(RequestContext)
    return app


def open_secrets(settings: Settings, engine: Engine) -> None:
    """Take the key of the webhooks' secrets (written once to the data directory when
    `BATON_SECRET_KEY` is unset), then seal any secret still stored plain. A data directory
    refusing writes, or a database refusing the sealing, is said loudly; the server starts
    anyway, as for `check_data_dir`."""
    try:
        sealing.configure(settings)
    except OSError as exc:
        log.critical("the key of the webhooks' secrets cannot be written: %s", exc)
        return
    try:
        if sa.inspect(engine).has_table("webhooks"):
            sealing.seal_plain_rows(engine)
    except sa.exc.SQLAlchemyError as exc:  # read as they are meanwhile: nothing is lost
        log.error("webhook secrets stored plain stay so until a later start: %s", exc)


def check_data_dir(settings: Settings) -> None:
    """Make the data directory; say loudly when it does not accept writes. The server
    still starts, so that /readyz answers 503 naming it and reads go on being served."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.critical(
            "THE DATA DIRECTORY %s CANNOT BE CREATED: %s. Nothing can be stored; "
            "/readyz answers 503 until it can.",
            settings.data_dir,
            exc,
        )
        return
    problem = probe_directory(settings.data_dir)
    if problem is not None:
        log.critical(
            "THE DATA DIRECTORY DOES NOT ACCEPT WRITES: %s %s. Uploads and (on SQLite) "
            "every write will be refused with 503 storage-unavailable, and /readyz answers "
            "503, until it does (a read-only mount? a full disk?).",
            settings.data_dir,
            problem,
        )


@cache
def _default_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)


def __getattr__(name: str) -> Any:
    # `api.main:app` for uvicorn and other ASGI servers, built on first access so that
    # importing this module reads no settings (tests build their own apps).
    if name == "app":
        return _default_app()
    raise AttributeError(name)
