"""Telling a file's format from its bytes, never from its name.

Binary formats are told by their magic numbers (the `filetype` library); a zip is opened
to tell a Word document from a slide deck from any other archive. Text is decoded first,
then recognised as an email (RFC 5322 headers), a web page, Markdown or plain text. Only
between Markdown and plain text, which differ in intent rather than bytes, does a `.md`
name count as a hint.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import filetype

from ingest import charsets
from ingest.errors import ExtractionFailed, Reason
from ingest.formats import SUPPORTED, Format

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An Office document saved with a password is an OLE container holding this stream.
ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")
HEAD = 8192

EMAIL_HEADERS = {
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "received",
    "return-path",
    "reply-to",
    "x-mailer",
    "x-unsent",
}
HEADER_LINE = re.compile(r"([A-Za-z][A-Za-z0-9-]*):")
HTML_START = re.compile(
    r"\A(?:\s|<!--.*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html|head|body)[\s>]",
    re.IGNORECASE | re.DOTALL,
)
MARKDOWN_SIGNS = re.compile(
    r"^(?:#{1,6}[ \t]+\S|```|~~~|[=-]{3,}[ \t]*$)|\[[^\]\n]+\]\([^)\s]+\)",
    re.MULTILINE,
)
MARKDOWN_NAMES = (".md", ".markdown", ".mdown", ".mkd")


@dataclass(frozen=True)
class Sniffed:
    format: Format
    # Set for text formats: the text, decoded, and the charset it was in.
    text: str | None = None
    charset: str | None = None

    @property
    def content_type(self) -> str:
        if self.charset:
            return f"{self.format.media_type}; charset={self.charset}"
        return self.format.media_type


def sniff(data: bytes, filename: str = "") -> Sniffed:
    """The file's format, or ExtractionFailed(unsupported/encrypted) with a clear reason."""
    if not data:
        raise ExtractionFailed(Reason.unsupported, "the file is empty")
    head = data[:HEAD]
    if head.lstrip(b"\x00\t\n\r ").startswith(b"%PDF-"):
        return Sniffed(Format.pdf)
    if head.startswith(OLE_MAGIC):
        raise _ole_refusal(data)
    kind = filetype.guess(head)
    if kind is not None and kind.extension != "txt":
        if head.startswith(b"PK\x03\x04"):
            return Sniffed(_zip_format(data))
        raise ExtractionFailed(
            Reason.unsupported,
            f"this is {kind.mime} ({kind.extension}); Baton reads {SUPPORTED} files",
        )
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return Sniffed(_zip_format(data))
    decoded = charsets.decode(data)
    if decoded is None:
        raise ExtractionFailed(
            Reason.unsupported, f"this is binary data of no known type; Baton reads {SUPPORTED}"
        )
    text, charset = decoded
    return Sniffed(_text_format(text, filename), text=text, charset=charset)


def _ole_refusal(data: bytes) -> ExtractionFailed:
    if ENCRYPTED_OOXML in data:
        return ExtractionFailed(
            Reason.encrypted,
            "the Office document is password-protected; remove the password and upload again",
        )
    return ExtractionFailed(
        Reason.unsupported,
        "this is a legacy Office file (.doc, .ppt or .xls); save it as .docx or .pptx",
    )


def _zip_format(data: bytes) -> Format:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ExtractionFailed(Reason.corrupt, f"the zip container is damaged: {exc}") from exc
    if "word/document.xml" in names:
        return Format.docx
    if "ppt/presentation.xml" in names:
        return Format.pptx
    if "xl/workbook.xml" in names:
        raise ExtractionFailed(
            Reason.unsupported, f"Excel workbooks are not supported; Baton reads {SUPPORTED}"
        )
    raise ExtractionFailed(
        Reason.unsupported,
        f"this is a zip archive, not a Word document or slide deck; Baton reads {SUPPORTED}",
    )


def _text_format(text: str, filename: str) -> Format:
    start = text.lstrip("\ufeff")
    if _looks_like_email(start):
        return Format.eml
    if HTML_START.match(start[:HEAD]):
        return Format.html
    if start.startswith("---\n") or start.startswith("---\r\n"):
        return Format.markdown
    if filename.lower().endswith(MARKDOWN_NAMES) or MARKDOWN_SIGNS.search(start[:HEAD]):
        return Format.markdown
    return Format.text


def _looks_like_email(text: str) -> bool:
    """RFC 5322: header lines up to the first blank line, naming at least two mail headers."""
    known = 0
    for line in text[:HEAD].splitlines():
        if not line.strip():
            return known >= 2
        if line[0] in " \t":
            continue  # a folded header continues
        match = HEADER_LINE.match(line)
        if match is None:
            return False
        if match.group(1).lower() in EMAIL_HEADERS:
            known += 1
    return False
