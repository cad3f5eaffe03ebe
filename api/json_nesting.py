"""How deeply a JSON text nests, checked before it is parsed.

Python's parser recurses once per level: a body of 100,000 `[` ends in a RecursionError
deep in the server, and a few thousand levels that do parse still cost every later step
(validation, JSONB, copies). Nothing Baton stores needs more than a handful of levels, so
a text nested deeper than `MAX_DEPTH` is refused before it is parsed.
"""

from __future__ import annotations

import re

MAX_DEPTH = 32

# A string (skipped whole, so brackets inside text do not count) or a bracket.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPEN = frozenset(b"[{")


def too_deep(text: bytes | str, limit: int = MAX_DEPTH) -> bool:
    """Whether `text` opens more than `limit` arrays or objects inside one another."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= limit:  # cannot nest deeper: no scan
        return False
    depth = 0
    for match in _TOKENS.finditer(data):
        token = match.group()
        if len(token) != 1:
            continue
        if token[0] in _OPEN:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def too_deep_detail(what: str, limit: int = MAX_DEPTH) -> str:
    return f"{what} nests arrays or objects more than {limit} levels deep; flatten it"
