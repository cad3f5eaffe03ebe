"""Decoding text files whose charset nobody declared."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

# Byte-order marks, longest first (UTF-32 LE starts with the UTF-16 LE mark).
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
SAMPLE = 8192
PREFERRED = "cp1252"


def decode(data: bytes) -> tuple[str, str] | None:
    """The text and its charset, or None when the bytes are not text in any charset."""
    for bom, charset in BOMS:
        if data.startswith(bom):
            return _strict(data, charset)
    sample = data[:SAMPLE]
    if sample.count(0) > max(1, len(sample) // 100):
        # NUL bytes are no text charset's without a byte-order mark: binary. (A stray NUL
        # in a text file is tolerated and removed later.)
        return None
    as_utf8 = _strict(data, "utf-8")
    if as_utf8 is not None:
        return as_utf8
    damaged = _damaged_utf8(data)
    if damaged is not None:
        return damaged, "utf-8"
    return _legacy(data)


def _legacy(data: bytes) -> tuple[str, str] | None:
    """The single-byte (or other legacy) charset the detector finds most likely."""
    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    # Short Western texts often fit several single-byte charsets equally well; the most
    # common one of them (and what browsers assume for Latin-1) is Windows-1252.
    for match in matches:
        if match.encoding == PREFERRED and (match.chaos, match.coherence) == (
            best.chaos,
            best.coherence,
        ):
            return str(match), match.encoding
    return str(best), best.encoding


def _damaged_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken bytes (a cut-off character, a stray Latin-1 byte), decoded
    with U+FFFD where a byte is broken; None when the bytes are not UTF-8 at all.

    Guessing a legacy code page for such text turns every accented letter into mojibake
    (the detector sees the broken bytes and picks, say, Windows-1251), so UTF-8 wins
    whenever its well-formed multi-byte characters outnumber the broken bytes."""
    text = data.decode("utf-8", "replace")
    broken = text.count("\ufffd") - data.decode("utf-8", "ignore").count("\ufffd")
    well_formed = sum(1 for char in text if char > "\x7f" and char != "\ufffd")
    return text if well_formed > broken else None


def _strict(data: bytes, charset: str) -> tuple[str, str] | None:
    try:
        return data.decode(charset), charset.removesuffix("-sig")
    except UnicodeDecodeError:
        return None
