"""File names as a client sends them, made safe to store and to send back."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

# Bidirectional controls make a name display as something it is not: "invoice\u202efdp.exe"
# shows as "invoiceexe.pdf". Titles and other one-line names drop them too (api.schemas).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
UNSAFE = re.compile(f'[\\x00-\\x1f\\x7f"<>|:*?{BIDI_CONTROLS}]')
MAX_NAME = 255


def safe_filename(name: str | None, default: str = "file") -> str:
    """The last path component only (no directories, no `..`), without control characters,
    at most 255 characters with the extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(UNSAFE.sub("", name).split()).lstrip(".").strip()
    if not name:
        return default
    if len(name) > MAX_NAME:
        suffix = PurePosixPath(name).suffix
        suffix = suffix if len(suffix) <= 16 else ""
        name = name[: MAX_NAME - len(suffix)] + suffix
    return name


def title_from_filename(name: str) -> str:
    """`q3_roi-report.pdf` -> `q3 roi-report`: the name without its extension."""
    stem = PurePosixPath(name).stem if "." in name.strip(".") else name
    title = " ".join(stem.replace("_", " ").split())
    return title[:300] or "Untitled"
