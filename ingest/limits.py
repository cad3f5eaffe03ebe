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
    # A file whose extraction runs longer is refused; its worker process is killed.
    timeout_seconds: float = 60.0
    # Address-space cap of an extraction worker, so a hostile file cannot exhaust memory.
    worker_memory_bytes: int = 2048 * MB


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
