"""Slide decks (python-pptx): slide titles, text frames, tables and speaker notes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.shapes.base import BaseShape

from ingest.extract.document import Parts
from ingest.limits import Limits, check_zip


def read(data: bytes, limits: Limits) -> Parts:
    """One block per slide: its title, its text, then its speaker notes."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        check_zip(archive, limits)
    deck = Presentation(io.BytesIO(data))
    blocks: list[str] = []
    first_title: str | None = None
    size = 0
    for slide in deck.slides:
        title_shape = slide.shapes.title
        title = title_shape.text_frame.text.strip() if title_shape is not None else ""
        if first_title is None and title:
            first_title = title
        lines = [title] if title else []
        for shape in _shapes(slide.shapes):
            if title_shape is not None and shape.shape_id == title_shape.shape_id:
                continue
            lines.extend(_shape_text(shape))
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None and notes.text.strip():
                lines.append(f"Notes: {notes.text.strip()}")
        block = "\n".join(line for line in lines if line.strip())
        blocks.append(block)
        size += len(block)
        if size > limits.max_text_chars:
            break
    title = deck.core_properties.title or first_title
    return Parts(body="\n\n".join(b for b in blocks if b), title=title)


def _shapes(shapes: Iterable[BaseShape]) -> Iterator[BaseShape]:
    """Every shape, looking inside groups."""
    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _shapes(shape.shapes)  # type: ignore[attr-defined]
        else:
            yield shape


def _shape_text(shape: BaseShape) -> list[str]:
    if shape.has_text_frame:
        return [shape.text_frame.text]  # type: ignore[attr-defined]
    if getattr(shape, "has_table", False):
        rows = []
        for row in shape.table.rows:  # type: ignore[attr-defined]
            cells = [" ".join(cell.text.split()) for cell in row.cells]
            rows.append(" | ".join(c for c in cells if c))
        return rows
    return []
