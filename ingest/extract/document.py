"""What extraction yields, and the clean-up every extracted text gets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ingest.formats import Format

BLANK_LINES = re.compile(r"\n{3,}")
# Stripped line by line: a regex such as `[ \t]+\n` would try every position of a long run
# of spaces that no newline ends (quadratic: 9 MB of indented Markdown took 50 s).
TRAILING_SPACE = " \t\f\v"
# C0 controls other than tab and newline: noise from broken encoders, refused by PostgreSQL (NUL).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_TITLE = 300


@dataclass(frozen=True)
class Parts:
    """What one format's reader found: the text and whatever metadata the file carries."""

    body: str
    title: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    # Metadata the author wrote into the file itself (Markdown front matter), unvalidated.
    front_matter: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Extracted:
    """A file turned into the makings of an asset."""

    format: Format
    content_type: str
    body: str
    title: str | None = None
    # The kind the format implies (an email is an email template), if any.
    kind: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    front_matter: dict[str, Any] = field(default_factory=dict)
    # The text was cut at the limit on extracted characters.
    truncated: bool = False
    # How long reading the file took (in the worker), for the import report.
    seconds: float = 0.0


def tidy(text: str) -> str:
    """Unix newlines, no control characters, no trailing spaces, at most one blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = CONTROL.sub("", text)
    text = "\n".join(line.rstrip(TRAILING_SPACE) for line in text.split("\n"))
    return BLANK_LINES.sub("\n\n", text).strip()


def one_line(text: str | None) -> str | None:
    """A title: whitespace collapsed, control characters gone, at most 300 characters."""
    if text is None:
        return None
    line = " ".join(CONTROL.sub("", str(text)).split())[:MAX_TITLE].strip()
    return line or None
