"""PDF: the text of each page (pypdf), the title from the document information."""

from __future__ import annotations

import io
import logging

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError

from ingest.errors import ExtractionFailed, Reason
from ingest.extract.document import Parts
from ingest.limits import Limits

# pypdf warns about every quirk of a damaged file; the outcome is what matters here.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def read(data: bytes, limits: Limits) -> Parts:
    """Text of the pages in order, cut at the text limit; refuses encrypted files."""
    try:
        reader = PdfReader(io.BytesIO(data))
    except LimitReachedError as exc:
        raise _too_complex(exc) from exc
    if reader.is_encrypted:
        _open_encrypted(reader)
    try:
        pages = len(reader.pages)
    except FileNotDecryptedError as exc:
        raise _encrypted() from exc
    if pages > limits.max_pdf_pages:
        raise ExtractionFailed(
            Reason.too_complex,
            f"the PDF has {pages} pages; at most {limits.max_pdf_pages} are read",
        )
    texts: list[str] = []
    size = 0
    try:
        for page in reader.pages:
            text = page.extract_text() or ""
            texts.append(text)
            size += len(text)
            if size > limits.max_text_chars:
                break
        title = reader.metadata.title if reader.metadata else None
    except LimitReachedError as exc:
        raise _too_complex(exc) from exc
    return Parts(body="\n\n".join(texts), title=title)


def _open_encrypted(reader: PdfReader) -> None:
    """Open a PDF that is encrypted only against editing (empty user password); refuse others."""
    try:
        opened = reader.decrypt("")
    except (DependencyError, NotImplementedError) as exc:
        raise _encrypted() from exc
    if opened == PasswordType.NOT_DECRYPTED:
        raise _encrypted()


def _encrypted() -> ExtractionFailed:
    return ExtractionFailed(
        Reason.encrypted, "the PDF is password-protected; remove the password and upload again"
    )


def _too_complex(exc: Exception) -> ExtractionFailed:
    return ExtractionFailed(Reason.too_complex, f"the PDF exceeds a safety limit: {exc}")
