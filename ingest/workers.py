"""Extraction in worker processes, with a time limit per file and a memory cap per worker.

A hostile or broken file can make a parser spin or allocate without end; in a worker
process both are bounded: a file that runs past `Limits.timeout_seconds` has its worker
killed (pebble starts a fresh one), and each worker's address space is capped so an
allocation storm ends in a MemoryError instead of exhausting the machine.
Workers are forked from a clean forkserver process, never from the threaded API server.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import resource
import threading
from collections.abc import Callable
from concurrent.futures import Future, TimeoutError
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool

from ingest.errors import ExtractionFailed, Reason
from ingest.extract import Extracted, extract_file, read_file, timed_extract
from ingest.limits import MB, Limits

T = TypeVar("T")
PRELOAD = ["ingest.extract"]


def _start_worker(memory_bytes: int) -> None:
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


class Extractor:
    """A pool of extraction worker processes."""

    def __init__(self, workers: int = 1, *, memory_bytes: int = Limits().worker_memory_bytes):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        self._pool = ProcessPool(
            max_workers=workers,
            initializer=_start_worker,
            initargs=(memory_bytes,),
            context=context,
        )

    def submit(self, path: Path, filename: str, limits: Limits) -> Future[Extracted]:
        """Start extracting a file; the future's result raises ExtractionFailed on failure."""
        return self.run(extract_file, (path, filename, limits), timeout=limits.timeout_seconds)

    def run(
        self, function: Callable[..., T], args: tuple[Any, ...], *, timeout: float
    ) -> Future[T]:
        return self._pool.schedule(function, args=args, timeout=timeout)

    def submit_staged(
        self, path: Path, filename: str, limits: Limits, staged: Path
    ) -> Future[Prepared]:
        """Start extracting a file and copying its bytes to `staged` (see `prepare`)."""
        return self.run(prepare, (path, filename, limits, staged), timeout=limits.timeout_seconds)

    def extract(self, path: Path, filename: str, limits: Limits) -> Extracted:
        """Extract a file and wait for the outcome."""
        return outcome(self.submit(path, filename, limits), limits.timeout_seconds)

    def close(self) -> None:
        self._pool.stop()
        self._pool.join()

    def __enter__(self) -> Extractor:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def outcome(future: Future[T], timeout: float) -> T:
    """The result of a worker's task; a timeout or a dead worker becomes ExtractionFailed."""
    try:
        return future.result()
    except TimeoutError as exc:
        raise ExtractionFailed(
            Reason.timeout,
            f"reading the file took longer than {timeout:g} seconds; it was stopped",
        ) from exc
    except ProcessExpired as exc:
        raise ExtractionFailed(
            Reason.too_complex,
            f"the reader crashed on this file (exit code {exc.exitcode}); it cannot be read",
        ) from exc
    except MemoryError as exc:
        raise ExtractionFailed(
            Reason.too_complex,
            f"reading the file needed more than the {Limits().worker_memory_bytes // MB} MB "
            "allowed",
        ) from exc


@dataclass(frozen=True)
class Prepared:
    """A file read once in a worker: its extraction, and a copy of its bytes ready to be
    renamed into the blob store."""

    extracted: Extracted
    sha256: str


def prepare(path: Path, filename: str, limits: Limits, staged: Path) -> Prepared:
    """Read a file, write its bytes to `staged` (not flushed to disk: the importer does
    that before it commits), and extract it. Bulk import runs this in its workers, so the
    importing process itself only checks digests and writes rows."""
    data = read_file(path, limits)
    staged.write_bytes(data)
    try:
        extracted = timed_extract(data, filename, limits)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return Prepared(extracted, hashlib.sha256(data).hexdigest())


class ExtractorOnDemand:
    """An `Extractor` started on first use (most processes never extract a file) and
    stopped by its owner, such as the running app."""

    def __init__(self, workers: int = 2) -> None:
        self._workers = workers
        self._lock = threading.Lock()
        self._pool: Extractor | None = None

    def get(self) -> Extractor:
        with self._lock:
            if self._pool is None:
                self._pool = Extractor(workers=self._workers)
            return self._pool

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
