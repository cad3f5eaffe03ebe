"""A PDF's pages as images for the public share page: rendered with PDFium (pypdfium2)
once per file and page, kept in the data directory beside the blobs
(`{data_dir}/share-pages/{sha256}/{n}.png`), written atomically.

Anyone holding a link can ask for its pages, so a page costs at most a fixed budget: its
image is 1200 px wide unless that makes it taller than MAX_HEIGHT_PX or larger than
MAX_PIXELS (a tall thin page is scaled down to fit, never rendered at its full height).
A page PDFium cannot render (or that runs out of memory) is `NotFound`. PDFium is not
thread-safe, so one render at a time: a request waits at most LOCK_WAIT_SECONDS for its
turn, then gets `PagesBusy` (the route answers 503 with Retry-After) rather than holding
a worker thread for as long as the queue ahead of it."""

from __future__ import annotations

import math
import os
import tempfile
import threading
from pathlib import Path

import PIL.Image
import pypdfium2 as pdfium

from api.errors import NotFound

# PDFium is not thread-safe: one render (or page count) at a time in this process.
_PDFIUM = threading.Lock()
PAGE_WIDTH_PX = 1200
MAX_HEIGHT_PX = 4000
MAX_PIXELS = PAGE_WIDTH_PX * MAX_HEIGHT_PX
MAX_PAGES = 200  # a longer document shows its first MAX_PAGES pages
# How long a request waits for PDFium before it is told to come back (503).
LOCK_WAIT_SECONDS = 5.0
RETRY_AFTER_SECONDS = 5


class PagesBusy(Exception):
    """PDFium is busy with other renders: try again in RETRY_AFTER_SECONDS."""


def page_scale(width: float, height: float) -> float | None:
    """Pixels per point for a page of `width` x `height` points: 1200 px wide, unless that
    passes MAX_HEIGHT_PX or MAX_PIXELS; None for a page with no sane size."""
    if not (math.isfinite(width) and math.isfinite(height)) or width <= 0 or height <= 0:
        return None
    scale = min(PAGE_WIDTH_PX / width, MAX_HEIGHT_PX / height)
    scale = min(scale, math.sqrt(MAX_PIXELS / (width * height)))
    return scale if scale > 0 else None


def image_size(width: float, height: float) -> tuple[int, int] | None:
    """The image of a page of `width` x `height` points, in pixels (None: not renderable)."""
    scale = page_scale(width, height)
    if scale is None:
        return None
    return max(1, round(width * scale)), max(1, round(height * scale))


class _Turn:
    """The PDFium lock, waited for at most LOCK_WAIT_SECONDS."""

    def __enter__(self) -> None:
        if not _PDFIUM.acquire(timeout=LOCK_WAIT_SECONDS):
            raise PagesBusy("page rendering is busy")

    def __exit__(self, *_: object) -> None:
        _PDFIUM.release()


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
            with _Turn():
                try:
                    document = pdfium.PdfDocument(pdf)
                except pdfium.PdfiumError:
                    document = None
                if document is not None:
                    try:
                        for index in range(min(len(document), MAX_PAGES)):
                            width, height = document.get_page_size(index)
                            # A page with no sane size is shown as a small blank.
                            sizes.append(image_size(width, height) or (1, 1))
                    except pdfium.PdfiumError:
                        pass  # the pages read so far
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
        with _Turn():
            if target.exists():
                return target
            try:
                image = _render(pdf, number)
            except (pdfium.PdfiumError, MemoryError, ValueError, OSError) as exc:
                raise NotFound(f"page {number} cannot be shown") from exc
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                image.save(out, format="PNG", optimize=True)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target


def _render(pdf: Path, number: int) -> PIL.Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[number - 1]
        try:
            scale = page_scale(page.get_width(), page.get_height())
            if scale is None:
                raise ValueError("the page has no sane size")
            image: PIL.Image.Image = page.render(scale=scale, may_draw_forms=False).to_pil()
            return image
        finally:
            page.close()
    finally:
        document.close()
