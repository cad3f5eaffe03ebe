"""The text the index keeps of each document, once and compressed (`fts_docs.text`).

`fts_assets` is a contentless FTS5 table: it holds the words' positions, not the text, so
the text is not stored twice (at 100,000 assets FTS5's own copy was 4 KB of the 11 KB each
asset took). What needs the text back reads it here: the highlights of a page of hits,
the embedder, and a write that replaces or removes a document (it uncounts the old words,
and a contentless table is given the exact values it indexed to delete them).

The linked questions stay a plain column beside it: near-duplicate questions are matched
on every question-like search, and they are short. The rest is compressed with Zstandard
(`zstandard`, level 3): on the benchmark's collateral 2.2 times smaller, as zlib makes it,
and four times faster to decompress than zlib (about 6 µs a document, so a page of 20
hits' highlights costs a tenth of a millisecond). The values are kept as UTF-8 one after
the other, their byte lengths first: any text, NUL included, reads back exactly."""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass

import zstandard

LEVEL = 3
# The byte lengths of title, tags, summary and body (facets take the rest).
LENGTHS = struct.Struct("<4I")


@dataclass(frozen=True)
class StoredText:
    """One document's indexed values, as FTS5 was given them."""

    title: str
    questions: str
    tags: str
    summary: str
    body: str
    facets: str

    def columns(self) -> tuple[str, str, str, str, str, str]:
        """The values in `fts_assets`' column order."""
        return (self.title, self.questions, self.tags, self.summary, self.body, self.facets)

    def words(self) -> str:
        """The searched text (facet tokens excluded): what `fts_words` counts."""
        return " ".join((self.title, self.questions, self.tags, self.summary, self.body))


# A compression context serves one thread at a time: each thread makes its own.
_contexts = threading.local()


def _compressor() -> zstandard.ZstdCompressor:
    made: zstandard.ZstdCompressor | None = getattr(_contexts, "compressor", None)
    if made is None:
        made = _contexts.compressor = zstandard.ZstdCompressor(level=LEVEL)
    return made


def _decompressor() -> zstandard.ZstdDecompressor:
    made: zstandard.ZstdDecompressor | None = getattr(_contexts, "decompressor", None)
    if made is None:
        made = _contexts.decompressor = zstandard.ZstdDecompressor()
    return made


def pack(text: StoredText) -> bytes:
    """`fts_docs.text` for `text` (its questions are kept in their own column)."""
    title, tags, summary, body, facets = (
        value.encode() for value in (text.title, text.tags, text.summary, text.body, text.facets)
    )
    header = LENGTHS.pack(len(title), len(tags), len(summary), len(body))
    return _compressor().compress(b"".join((header, title, tags, summary, body, facets)))


def unpack(blob: bytes, questions: str = "") -> StoredText:
    """The values `pack` kept, with the document's questions (kept in their own column;
    empty where the reader needs none of them)."""
    data = _decompressor().decompress(blob)
    values = []
    start = LENGTHS.size
    for length in LENGTHS.unpack_from(data):
        values.append(data[start : start + length].decode())
        start += length
    title, tags, summary, body = values
    return StoredText(title, questions, tags, summary, body, data[start:].decode())
