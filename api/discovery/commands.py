"""`baton reindex`: rebuild the search index from the catalogue."""

from __future__ import annotations

import time

from api.commands import catalogue, fail, out, progress_bar, read_settings, require_schema


def reindex() -> None:
    """Rebuild the configured search backend from the catalogue (safe to run again)."""
    from api.db import session_scope
    from api.discovery.documents import count_assets
    from api.discovery.runtime import index_consumer, make_backend, rebuild

    settings = read_settings()
    require_schema(settings)
    backend, transactional = make_backend(settings)
    # On a replica, its own place in the change log moves to what the rebuild read.
    consumer = index_consumer(settings, transactional=transactional)[0]
    started = time.perf_counter()
    try:
        with catalogue(settings) as engine:
            backend.open()
            with session_scope(engine) as session:
                total = count_assets(session)
            with progress_bar("indexing") as progress:
                task = progress.add_task("assets", total=total)
                indexed = rebuild(
                    engine, backend, advance=lambda: progress.advance(task), consumer=consumer
                )
    except Exception as exc:
        raise fail(f"reindex failed: {exc}") from exc
    finally:
        backend.close()
    elapsed = time.perf_counter() - started
    out.print(f"indexed {indexed} assets into {backend.name} in {elapsed:.1f} s")
