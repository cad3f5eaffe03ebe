"""Word documents (python-docx): paragraphs and tables in document order."""

from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.extract.document import Parts
from ingest.limits import Limits, check_zip

HEADING_STYLES = ("Title", "Heading")


def read(data: bytes, limits: Limits) -> Parts:
    """Body text with each table row on one line; title from the properties or first heading."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        check_zip(archive, limits)
    document = Document(io.BytesIO(data))
    lines: list[str] = []
    heading: str | None = document.core_properties.title or None
    size = 0
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            text = block.text
            if heading is None and text.strip() and _is_heading(block):
                heading = text
            new = [text]
        else:
            new = _table_lines(block)
        lines.extend(new)
        size += sum(len(line) + 1 for line in new)
        if size > limits.max_text_chars:
            break
    return Parts(body="\n".join(lines), title=heading)


def _is_heading(paragraph: Paragraph) -> bool:
    # Resolving a paragraph's style is slow when it has none (python-docx then searches
    # for the default style), and a paragraph without a style of its own is body text.
    if paragraph._p.style is None:
        return False
    style = paragraph.style
    return style is not None and style.name.startswith(HEADING_STYLES)


def _table_lines(table: Table) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            # A merged cell appears once per grid column it spans: keep it once.
            if previous is not None and cell._tc is previous:
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        rows.append(" | ".join(c for c in cells if c))
    return [*rows, ""]
