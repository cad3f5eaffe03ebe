"""A PDF's pages as images for the public share page: rendered with PDFium (pypdfium2)
once per file and page, kept in the data directory beside the blobs
(`{data_dir}/share-pages/{sha256}/{n}.png`), written atomically."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import pypdfium2 as pdfium

from api.errors import NotFound

# PDFium is not thread-safe: one render (or page count) at a time in this process.
_PDFIUM = threading.Lock()
PAGE_WIDTH_PX = 1200
MAX_PAGES = 200  # a longer document shows its first MAX_PAGES pages


class PageImages:
    """Rendered pages of the PDFs in the blob store, cached under `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sizes: dict[str, list[tuple[int, int]]] = {}

    def sizes(self, sha256: str, pdf: Path) -> list[tuple[int, int]]:
        """Each page's image size in pixels (at most MAX_PAGES pages); none for a file
        PDFium cannot open."""
        if sha256 not in self._sizes:
            sizes: list[tuple[int, int]] = []
            with _PDFIUM:
                try:
                    document = pdfium.PdfDocument(pdf)
                except pdfium.PdfiumError:
                    document = None
                if document is not None:
                    try:
                        for index in range(min(len(document), MAX_PAGES)):
                            width, height = document.get_page_size(index)
                            scale = PAGE_WIDTH_PX / (width or 1.0)
                            sizes.append((PAGE_WIDTH_PX, max(1, round(height * scale))))
                    finally:
                        document.close()
            self._sizes[sha256] = sizes
        return self._sizes[sha256]

    def page_count(self, sha256: str, pdf: Path) -> int:
        return len(self.sizes(sha256, pdf))

    def image(self, sha256: str, pdf: Path, number: int) -> Path:
        """The PNG of page `number` (1-based), rendered now if not yet cached."""
        if not 1 <= number <= self.page_count(sha256, pdf):
            raise NotFound(f"no page {number}")
        target = self.folder / sha256 / f"{number}.png"
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        with _PDFIUM:
            if target.exists():
                return target
            document = pdfium.PdfDocument(pdf)
            try:
                page = document[number - 1]
                try:
                    width = page.get_width() or 1.0
                    bitmap = page.render(scale=PAGE_WIDTH_PX / width, may_draw_forms=False)
                    image = bitmap.to_pil()
                finally:
                    page.close()
            finally:
                document.close()
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                image.save(out, format="PNG", optimize=True)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target
