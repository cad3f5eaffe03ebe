"""The audit log as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from api.audit.models import AuditEntry

COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "subject",
    "subject_id",
    "before",
    "after",
)
# A cell a spreadsheet would read as a formula (CSV injection) starts with one of these;
# it is written with a leading apostrophe, which spreadsheets show as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 200


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _json(value: object) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _row(entry: AuditEntry) -> list[str]:
    cells = [
        str(entry.id),
        entry.at.isoformat(),
        entry.actor_id,
        entry.actor_name or "",
        entry.action,
        entry.subject,
        entry.subject_id,
        _json(entry.before),
        _json(entry.after),
    ]
    return [safe_cell(cell) for cell in cells]


def csv_chunks(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """The header, then the entries' rows, a few hundred to a chunk (for streaming)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for count, entry in enumerate(entries, start=1):
        writer.writerow(_row(entry))
        if count % ROWS_PER_CHUNK == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
