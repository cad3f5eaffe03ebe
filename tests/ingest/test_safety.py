"""Hostile and broken files are refused quickly, with a reason a person can act on."""

from __future__ import annotations

import resource
import signal
import time
from pathlib import Path

import pytest
from pebble import ProcessExpired

from api.demo import documents as d
from ingest.errors import ExtractionFailed, Reason
from ingest.extract import extract, extract_file
from ingest.limits import Limits
from ingest.workers import Extractor, outcome
from tests.ingest import files
from tests.ingest.files import SAMPLE


def refused(data: bytes, name: str = "file", limits: Limits | None = None) -> ExtractionFailed:
    with pytest.raises(ExtractionFailed) as caught:
        extract(data, name, limits or Limits())
    return caught.value


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    return files.zip_bomb_docx(400)


def test_zip_bomb_is_refused_without_inflating_it(zip_bomb: bytes) -> None:
    assert len(zip_bomb) < 1024 * 1024  # 400 MB of zeros in less than 1 MB
    before = peak_rss_mb()
    failure = refused(zip_bomb, "bomb.docx")
    assert failure.reason is Reason.too_complex
    assert "zip bomb" in failure.detail
    # Nothing near the 400 MB was ever held in memory.
    assert peak_rss_mb() - before < 50


def test_zip_bomb_with_a_lying_directory_is_refused_as_corrupt() -> None:
    before = peak_rss_mb()
    failure = refused(files.lying_zip_bomb_docx(400), "liar.docx")
    assert failure.reason is Reason.corrupt
    assert peak_rss_mb() - before < 50


def test_compression_ratio_is_bounded_even_under_the_size_limit() -> None:
    bomb = files.zip_bomb_docx(20)  # 20 MB at about 1000:1, under the 200 MB total limit
    failure = refused(bomb, "ratio.docx")
    assert failure.reason is Reason.too_complex
    assert "compressed" in failure.detail


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_encrypted_pdf_is_refused_as_encrypted(algorithm: str) -> None:
    failure = refused(files.encrypted_pdf(algorithm=algorithm), "locked.pdf")
    assert failure.reason is Reason.encrypted
    assert "password" in failure.detail


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_pdf_protected_only_against_editing_is_read(algorithm: str) -> None:
    extracted = extract(files.encrypted_pdf(user_password="", algorithm=algorithm), "open.pdf")
    assert "Brightwater Tunnelling" in extracted.body


@pytest.mark.parametrize(
    "data",
    [files.corrupt_pdf(), files.truncated(d.pdf_bytes(SAMPLE))],
    ids=["garbage", "truncated"],
)
def test_corrupt_pdf_is_refused_as_corrupt(data: bytes) -> None:
    failure = refused(data, "broken.pdf")
    assert failure.reason is Reason.corrupt
    assert "PDF" in failure.detail


@pytest.mark.parametrize(
    "data", [files.truncated(d.docx_bytes(SAMPLE)), files.truncated(d.pptx_bytes(SAMPLE))]
)
def test_truncated_office_files_are_refused_as_corrupt(data: bytes) -> None:
    assert refused(data).reason is Reason.corrupt


def test_pdf_page_limit() -> None:
    failure = refused(d.pdf_bytes(SAMPLE), "x.pdf", Limits(max_pdf_pages=0))
    assert failure.reason is Reason.too_complex
    assert "pages" in failure.detail


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (files.PNG, "image/png"),
        (files.plain_zip(), "zip archive"),
        (files.xlsx(), "Excel"),
        (files.LEGACY_DOC, "legacy Office"),
        (bytes(range(256)) * 64, "binary data"),
        (b"", "empty"),
    ],
    ids=["png", "zip", "xlsx", "legacy-doc", "binary", "empty"],
)
def test_unsupported_types_are_named(data: bytes, words: str) -> None:
    failure = refused(data, "report.pdf")
    assert failure.reason is Reason.unsupported
    assert words in failure.detail


def test_password_protected_office_file_is_refused_as_encrypted() -> None:
    assert refused(files.ENCRYPTED_OFFICE, "locked.docx").reason is Reason.encrypted


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 2048)
    with pytest.raises(ExtractionFailed) as caught:
        extract_file(path, "big.txt", Limits(max_file_bytes=1024))
    assert caught.value.reason is Reason.too_large


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    pool = Extractor(workers=1)
    yield pool  # type: ignore[misc]
    pool.close()


def test_workers_extract_real_files(extractor: Extractor, tmp_path: Path) -> None:
    path = tmp_path / "x.pptx"
    path.write_bytes(d.pptx_bytes(SAMPLE))
    assert "permafrost" in extractor.extract(path, "x.pptx", Limits()).body


def test_worker_failures_come_back_as_extraction_failures(
    extractor: Extractor, tmp_path: Path
) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(files.encrypted_pdf())
    with pytest.raises(ExtractionFailed) as caught:
        extractor.extract(path, "locked.pdf", Limits())
    assert caught.value.reason is Reason.encrypted


def test_a_task_past_its_time_limit_is_stopped_and_the_pool_goes_on(
    extractor: Extractor, tmp_path: Path
) -> None:
    with pytest.raises(ExtractionFailed) as caught:
        outcome(extractor.run(time.sleep, (30,), timeout=0.2), 0.2)
    assert caught.value.reason is Reason.timeout
    path = tmp_path / "ok.txt"
    path.write_bytes(b"still working")
    assert extractor.extract(path, "ok.txt", Limits()).body == "still working"


def _allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def test_a_worker_cannot_exhaust_memory() -> None:
    pool = Extractor(workers=1, memory_bytes=512 * 1024 * 1024)
    try:
        with pytest.raises(ExtractionFailed) as caught:
            outcome(pool.run(_allocate, (1024,), timeout=30), 30)
        assert caught.value.reason is Reason.too_complex
    finally:
        pool.close()


def test_the_time_budget_grows_with_the_size_and_is_capped() -> None:
    limits = Limits()
    assert limits.budget_seconds(0) == 2
    assert limits.budget_seconds(1024 * 1024) == 6
    assert limits.budget_seconds(50 * 1024 * 1024) == limits.timeout_seconds
    assert limits.wall_seconds(1024 * 1024) == 12
    assert limits.wall_seconds(50 * 1024 * 1024) == limits.timeout_seconds


def _spin() -> None:
    while True:
        pass


def test_a_task_past_its_cpu_budget_is_killed_by_the_kernel_and_the_pool_goes_on(
    extractor: Extractor, tmp_path: Path
) -> None:
    with pytest.raises(ExtractionFailed) as caught:
        outcome(extractor.run(_spin, (), timeout=600, cpu_seconds=1), 1)
    assert caught.value.reason is Reason.timeout
    assert "took too long to read" in caught.value.detail
    # The CPU limit stopped it (SIGXCPU), long before the wall clock would have.
    assert isinstance(caught.value.__cause__, ProcessExpired)
    assert caught.value.__cause__.exitcode == -signal.SIGXCPU
    path = tmp_path / "ok.txt"
    path.write_bytes(b"still working")
    assert extractor.extract(path, "ok.txt", Limits()).body == "still working"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("nested.md", files.nested_markdown()),
        ("spaces.txt", b"words" + b" " * 4 * 1024 * 1024 + b"more words\n"),
    ],
    ids=["3000-nested-lists", "4-mb-of-spaces"],
)
def test_long_runs_of_spaces_are_read_within_the_budget(
    extractor: Extractor, tmp_path: Path, name: str, data: bytes
) -> None:
    # Trailing spaces were once removed with a regex that took minutes on these.
    path = tmp_path / name
    path.write_bytes(data)
    extracted = extractor.extract(path, name, Limits())
    assert extracted.body.startswith(("- item", "words"))


@pytest.mark.slow
def test_a_small_file_is_read_while_a_large_one_holds_its_lane(
    extractor: Extractor, tmp_path: Path
) -> None:
    slow = tmp_path / "slow.pdf"
    slow.write_bytes(files.shared_stream_pdf())
    small = tmp_path / "small.txt"
    small.write_bytes(b"a few words")
    pending = extractor.submit(slow, "slow.pdf", Limits())
    # One worker in each lane: the small file does not wait for the PDF.
    assert extractor.extract(small, "small.txt", Limits()).body == "a few words"
    assert not pending.done()
    with pytest.raises(ExtractionFailed) as caught:
        outcome(pending, Limits().budget_seconds(slow.stat().st_size))
    assert caught.value.reason is Reason.timeout
