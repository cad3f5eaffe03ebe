"""`baton reindex`: rebuild the search index from the catalogue."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from api.db import make_engine, session_scope
from api.discovery.documents import count_assets
from api.discovery.runtime import make_backend, rebuild
from api.settings import Settings, get_settings
from search.base import SearchBackend, SearchDocument

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


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
    try:
        settings: Settings = get_settings()
    except Exception as exc:
        err.print(f"[red]Invalid BATON_ settings:[/red] {exc}")
        raise typer.Exit(2) from exc
    engine = make_engine(settings.catalogue_url)
    backend, _ = make_backend(settings)
    started = time.perf_counter()
    try:
        backend.open()
        with session_scope(engine) as session:
            total = count_assets(session)
        with Progress(
            TextColumn("indexing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as progress:
            task = progress.add_task("assets", total=total)
            counted = _Counted(backend, progress, task)
            indexed = rebuild(engine, counted)  # type: ignore[arg-type]
    except Exception as exc:
        err.print(f"[red]error:[/red] reindex failed: {exc}")
        raise typer.Exit(1) from exc
    finally:
        backend.close()
        engine.dispose()
    elapsed = time.perf_counter() - started
    out.print(f"indexed {indexed} assets into {backend.name} in {elapsed:.1f} s")
