"""Safety limits for reading untrusted files.

Every limit is checked before the expensive work it guards: a zip's central directory is
read before anything is inflated, a PDF's page count before its text.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

from ingest.errors import ExtractionFailed, Reason

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How much a single file may cost to read."""

    max_file_bytes: int = 50 * MB
    # Zip-based formats (DOCX, PPTX): total inflated size, members, and compression ratio.
    # Real Office files inflate 2-20 times; a zip bomb inflates hundreds or thousands of times.
    max_unzipped_bytes: int = 200 * MB
    max_zip_members: int = 5_000
    max_zip_ratio: int = 100
    # A member smaller than this may have any ratio (tiny XML parts compress very well).
    ratio_floor_bytes: int = 1 * MB
    max_pdf_pages: int = 2_000
    # Extracted text beyond this is cut (the catalogue's body holds at most 5 million chars).
    max_text_chars: int = 5_000_000
    # The time budget of one file grows with its size: `budget_base_seconds` plus
    # `budget_seconds_per_mb` for each MB, at most `timeout_seconds`. Reading a file is
    # bounded by the budget in CPU seconds (RLIMIT_CPU in the worker) and by
    # `wall_clock_factor` times the budget in wall-clock seconds (for a reader that waits,
    # and so that a machine short of cores does not refuse good files); past either the
    # worker is killed and the file refused as taking too long to read.
    # Why these figures: a dense, text-only PDF (the slowest real format, pypdf) is read at
    # about 0.33 MB/s on a 2-core machine, 3 s per MB (and stops at the text limit, 5
    # million characters, after about 12 s); DOCX at 0.4 MB/s of dense text, PPTX and
    # Markdown at 2 MB/s, HTML and text faster. 2 s + 4 s per MB (6 s for a 1 MB file)
    # leaves a real file about twice what it needs, while a hostile one (a 1.4 MB PDF
    # whose 2,000 pages share one 8 MB content stream: 48 s for its first page alone;
    # 100,000 nested HTML elements) is stopped in seconds, not a minute.
    budget_base_seconds: float = 2.0
    budget_seconds_per_mb: float = 4.0
    wall_clock_factor: float = 2.0
    timeout_seconds: float = 60.0
    # Files smaller than this are read by workers of their own (the small lane), so a
    # document that takes its whole budget never holds up a small upload; a small file's
    # budget is short (at most 6 s), so one bad small file holds its worker only briefly.
    small_file_bytes: int = 1 * MB
    # Address-space cap of an extraction worker, so a hostile file cannot exhaust memory.
    worker_memory_bytes: int = 2048 * MB

    def budget_seconds(self, size: int) -> float:
        """The CPU seconds a file of `size` bytes may take to read (to a tenth of a second)."""
        budget = self.budget_base_seconds + self.budget_seconds_per_mb * size / MB
        return round(min(self.timeout_seconds, budget), 1)

    def wall_seconds(self, size: int) -> float:
        """The wall-clock seconds a file of `size` bytes may take to read."""
        return min(self.timeout_seconds, self.wall_clock_factor * self.budget_seconds(size))


DEFAULT_LIMITS = Limits()


def check_zip(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse an archive whose central directory promises more than the limits allow.

    Python's zipfile never inflates a member past the size its directory entry declares
    (a lying entry fails its CRC check instead), so checking declared sizes is enough.
    """
    members = archive.infolist()
    if len(members) > limits.max_zip_members:
        raise ExtractionFailed(
            Reason.too_complex,
            f"the document holds {len(members)} parts; at most {limits.max_zip_members} are read",
        )
    total = 0
    for member in members:
        total += member.file_size
        if total > limits.max_unzipped_bytes:
            raise ExtractionFailed(
                Reason.too_complex,
                f"the document expands to more than {limits.max_unzipped_bytes // MB} MB "
                "when unpacked; it is refused as a possible zip bomb",
            )
        if member.file_size > limits.ratio_floor_bytes:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > limits.max_zip_ratio:
                raise ExtractionFailed(
                    Reason.too_complex,
                    f"part {member.filename!r} is compressed {ratio:.0f} to 1 (at most "
                    f"{limits.max_zip_ratio} to 1 is accepted); it is refused as a possible "
                    "zip bomb",
                )
