"""`baton reindex`: rebuild the search index from the catalogue."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from api.commands import catalogue, fail, out, progress_bar, read_settings

if TYPE_CHECKING:  # the backends load when the command runs: `baton reindex --help` is light
    from rich.progress import Progress, TaskID

    from search.base import SearchBackend, SearchDocument


class _Counted:
    """Wraps a backend so that the documents handed to `rebuild` advance a progress bar."""

    def __init__(self, backend: SearchBackend, progress: Progress, task: TaskID) -> None:
        self.backend = backend
        self.progress = progress
        self.task = task

    def __getattr__(self, name: str) -> object:
        return getattr(self.backend, name)

    def rebuild(self, docs: Iterable[SearchDocument], synonyms: Mapping[str, Sequence[str]]) -> int:
        def counted() -> Iterator[SearchDocument]:
            for doc in docs:
                yield doc
                self.progress.advance(self.task)

        return self.backend.rebuild(counted(), synonyms)


def reindex() -> None:
    """Rebuild the configured search backend from the catalogue (safe to run again)."""
    from api.db import session_scope
    from api.discovery.documents import count_assets
    from api.discovery.runtime import make_backend, rebuild

    settings = read_settings()
    backend, _ = make_backend(settings)
    started = time.perf_counter()
    try:
        with catalogue(settings) as engine:
            backend.open()
            with session_scope(engine) as session:
                total = count_assets(session)
            with progress_bar("indexing") as progress:
                task = progress.add_task("assets", total=total)
                counted = _Counted(backend, progress, task)
                indexed = rebuild(engine, counted)  # type: ignore[arg-type]
    except Exception as exc:
        raise fail(f"reindex failed: {exc}") from exc
    finally:
        backend.close()
    elapsed = time.perf_counter() - started
    out.print(f"indexed {indexed} assets into {backend.name} in {elapsed:.1f} s")
