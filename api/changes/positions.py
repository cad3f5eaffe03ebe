"""Positions in the change log as a client sees them: the read-your-writes token.

A position is the (txid, id) of a change (txid 0 on SQLite). A write that recorded changes
answers with the position of its last one in the `Baton-Position` header, written
`<txid>.<id>`; a client that sends it back in the same header on a read asks the replica
answering to have applied at least that much of the log first (`api.changes.follow`).

The request's `Written` (a context variable, set by the HTTP layer for each request) is
the one place a unit of work's committed changes are noted: `record_change` notes each
change once its transaction commits (a rollback notes nothing).
"""

from __future__ import annotations

import re
import threading
from contextvars import ContextVar

Position = tuple[int, int]

HEADER = "Baton-Position"
_TOKEN = re.compile(r"\A(\d{1,19})\.(\d{1,19})\Z")
_MAX = 2**63 - 1


def token(position: Position) -> str:
    """The header value of a position."""
    return f"{position[0]}.{position[1]}"


def parse(value: str) -> Position | None:
    """The position a header value names; None when it is not one."""
    match = _TOKEN.match(value.strip())
    if match is None:
        return None
    txid, id_ = int(match.group(1)), int(match.group(2))
    if txid > _MAX or id_ > _MAX:
        return None
    return (txid, id_)


class Written:
    """The highest position one request's committed units of work reached."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.position: Position | None = None

    def note(self, position: Position) -> None:
        with self._lock:
            if self.position is None or position > self.position:
                self.position = position


WRITTEN: ContextVar[Written | None] = ContextVar("baton_written", default=None)
