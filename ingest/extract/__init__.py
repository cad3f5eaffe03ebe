"""Extraction: bytes in, text and metadata out, by the format sniffed from the bytes.

`extract(data, filename, limits)` is the one entry point; it runs inside a worker process
(see ingest.workers) so that its time and memory are bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ingest.errors import ExtractionFailed, Reason
from ingest.extract import docx, eml, html, markdown, pdf, pptx
from ingest.extract.document import Extracted, Parts, one_line, tidy
from ingest.formats import Format
from ingest.limits import DEFAULT_LIMITS, MB, Limits
from ingest.sniff import Sniffed, sniff

__all__ = ["Extracted", "extract", "extract_file"]

# What a format implies about the asset when nobody says otherwise.
IMPLIED_KIND = {Format.eml: "email_template", Format.pptx: "presentation"}


def extract_file(path: Path, filename: str, limits: Limits = DEFAULT_LIMITS) -> Extracted:
    """Read the file at `path` (refusing it past the size limit) and extract it."""
    return timed_extract(read_file(path, limits), filename, limits)


def read_file(path: Path, limits: Limits) -> bytes:
    """The file's bytes, refused before reading when it is larger than the limit."""
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise ExtractionFailed(
            Reason.too_large,
            f"the file is {size / MB:.1f} MB; at most {limits.max_file_bytes // MB} MB is accepted",
        )
    return path.read_bytes()


def timed_extract(data: bytes, filename: str, limits: Limits) -> Extracted:
    started = time.perf_counter()
    extracted = extract(data, filename, limits)
    return replace(extracted, seconds=time.perf_counter() - started)


def extract(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> Extracted:
    """Sniff the format and extract; ExtractionFailed says why a file cannot be read."""
    sniffed = sniff(data, filename)
    try:
        parts = _read(sniffed, data, limits)
    except ExtractionFailed:
        raise
    except MemoryError as exc:
        raise ExtractionFailed(
            Reason.too_complex, f"the {sniffed.format.label} needs too much memory to read"
        ) from exc
    except RecursionError as exc:
        raise ExtractionFailed(
            Reason.too_complex, f"the {sniffed.format.label} is nested too deeply to read"
        ) from exc
    except Exception as exc:
        # The readers are libraries fed hostile bytes: whatever they raise on a damaged file
        # is a fact about the file, not a bug of ours, and is reported as such.
        raise _corrupt(sniffed, exc) from exc
    body = tidy(parts.body)
    truncated = len(body) > limits.max_text_chars
    return Extracted(
        format=sniffed.format,
        content_type=sniffed.content_type,
        body=body[: limits.max_text_chars],
        title=one_line(parts.title),
        kind=IMPLIED_KIND.get(sniffed.format),
        fields=parts.fields,
        front_matter=parts.front_matter,
        truncated=truncated,
    )


BYTE_READERS: dict[Format, Callable[[bytes, Limits], Parts]] = {
    Format.pdf: pdf.read,
    Format.docx: docx.read,
    Format.pptx: pptx.read,
    Format.eml: eml.read,
}
TEXT_READERS: dict[Format, Callable[[str, Limits], Parts]] = {
    Format.html: html.read,
    Format.markdown: markdown.read,
    Format.text: lambda text, _limits: Parts(body=text),
}


def _read(sniffed: Sniffed, data: bytes, limits: Limits) -> Parts:
    if sniffed.format in BYTE_READERS:
        return BYTE_READERS[sniffed.format](data, limits)
    return TEXT_READERS[sniffed.format](sniffed.text or "", limits)


def _corrupt(sniffed: Sniffed, exc: Exception) -> ExtractionFailed:
    message = str(exc).strip() or type(exc).__name__
    return ExtractionFailed(
        Reason.corrupt,
        f"the file looks like a {sniffed.format.label} but cannot be read: {message[:300]}",
    )
