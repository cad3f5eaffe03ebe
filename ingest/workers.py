"""Extraction in worker processes, with a time budget per file and a memory cap per worker.

A hostile or broken file can make a parser spin or allocate without end; in a worker
process both are bounded. Each file has a time budget that grows with its size
(`Limits.budget_seconds`): the worker may spend that many CPU seconds on it (RLIMIT_CPU,
so the kernel stops it even inside a C parser) and twice as many wall-clock seconds
(pebble's timeout); past either the worker is killed, pebble starts a fresh one, and the
file is refused as taking too long to read. Each worker's address space is capped so an
allocation storm ends in a MemoryError instead of exhausting the machine.

Files are read in two lanes, each a pool of its own: files smaller than
`Limits.small_file_bytes` in the small lane, the others in the large lane, so small files
are never queued behind large or pathological ones.
Workers are forked from a clean forkserver process, never from the threaded API server.
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing
import resource
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, TimeoutError
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pebble import ProcessExpired, ProcessPool

from ingest.errors import ExtractionFailed, Reason
from ingest.extract import Extracted, extract_file, read_file, timed_extract
from ingest.limits import MB, Limits

T = TypeVar("T")
Lane = Literal["small", "large"]
PRELOAD = ["ingest.extract"]


def _start_worker(memory_bytes: int) -> None:
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # A worker past its CPU budget is killed by SIGXCPU, which would dump core.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _within_budget(
    cpu_seconds: float | None, function: Callable[..., T], args: tuple[Any, ...]
) -> T:
    """Run `function` in this worker with at most `cpu_seconds` more of CPU time: past it
    the kernel kills the worker (SIGXCPU), whatever it is doing."""
    if cpu_seconds is None:
        return function(*args)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    before, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + cpu_seconds)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    try:
        return function(*args)
    finally:
        resource.setrlimit(resource.RLIMIT_CPU, (before, hard))


class Extractor:
    """Extraction worker processes in two lanes: `small_workers` read the files smaller than
    `Limits.small_file_bytes`, `workers` the others."""

    def __init__(
        self,
        workers: int = 1,
        *,
        small_workers: int | None = None,
        memory_bytes: int = Limits().worker_memory_bytes,
    ) -> None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        counts: dict[Lane, int] = {"small": small_workers or workers, "large": workers}
        self._lanes = {
            lane: ProcessPool(
                max_workers=count,
                initializer=_start_worker,
                initargs=(memory_bytes,),
                context=context,
            )
            for lane, count in counts.items()
        }
        self._lock = threading.Lock()
        self._busy: dict[Lane, int] = dict.fromkeys(self._lanes, 0)

    def submit(self, path: Path, filename: str, limits: Limits) -> Future[Extracted]:
        """Start extracting a file in its lane, within its budget; the future's result
        raises ExtractionFailed on failure (see `outcome`)."""
        return self._schedule(path, limits, extract_file, (path, filename, limits))

    def submit_staged(
        self, path: Path, filename: str, limits: Limits, staged: Path
    ) -> Future[Prepared]:
        """Start extracting a file and copying its bytes to `staged` (see `prepare`)."""
        return self._schedule(path, limits, prepare, (path, filename, limits, staged))

    def extract(self, path: Path, filename: str, limits: Limits) -> Extracted:
        """Extract a file and wait for the outcome."""
        budget = limits.budget_seconds(_size(path))
        return outcome(self.submit(path, filename, limits), budget)

    def run(
        self,
        function: Callable[..., T],
        args: tuple[Any, ...],
        *,
        timeout: float,
        cpu_seconds: float | None = None,
        lane: Lane = "large",
    ) -> Future[T]:
        """Run `function(*args)` in a worker of `lane`, killed past `timeout` wall-clock
        seconds or `cpu_seconds` of CPU time."""
        future: Future[T] = self._lanes[lane].schedule(
            _within_budget, args=(cpu_seconds, function, args), timeout=timeout
        )
        with self._lock:
            self._busy[lane] += 1
        future.add_done_callback(lambda _: self._done(lane))
        return future

    def busy(self) -> dict[Lane, int]:
        """How many tasks each lane holds (running or waiting for a worker)."""
        with self._lock:
            return dict(self._busy)

    def _done(self, lane: Lane) -> None:
        with self._lock:
            self._busy[lane] -= 1

    def _schedule(
        self, path: Path, limits: Limits, function: Callable[..., T], args: tuple[Any, ...]
    ) -> Future[T]:
        size = _size(path)
        return self.run(
            function,
            args,
            timeout=limits.wall_seconds(size),
            cpu_seconds=limits.budget_seconds(size),
            lane="small" if size < limits.small_file_bytes else "large",
        )

    def close(self) -> None:
        for pool in self._lanes.values():
            pool.stop()
        for pool in self._lanes.values():
            pool.join()

    def __enter__(self) -> Extractor:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _size(path: Path) -> int:
    """The file's size, or 0 when it cannot be read (the worker then says why)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def outcome(future: Future[T], budget: float) -> T:
    """The result of a worker's task; a task past its time `budget` (in seconds) or a dead
    worker becomes ExtractionFailed."""
    try:
        return future.result()
    except TimeoutError as exc:
        raise _too_long(budget) from exc
    except ProcessExpired as exc:
        if exc.exitcode == -signal.SIGXCPU:
            raise _too_long(budget) from exc
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


def _too_long(budget: float) -> ExtractionFailed:
    return ExtractionFailed(
        Reason.timeout,
        f"the file took too long to read: it was stopped at its time budget of {budget:g} "
        "seconds (the budget grows with the file's size)",
    )


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
    """An `Extractor` with `workers` in each lane, started on first use (most processes
    never extract a file) and stopped by its owner, such as the running app."""

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
