"""The public page images cost a bounded amount (both databases): a tall thin page is
scaled to fit the pixel budget instead of rendered at full height, a page that cannot be
rendered is a plain 404 (never a 500), a busy renderer answers 503 with Retry-After
instead of queueing the request, and the share pages count in the address's budget."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from reportlab.pdfgen import canvas

from api.main import create_app
from api.settings import Settings
from api.sharing import pages
from tests.conftest import Actor
from tests.sharing.helpers import BROWSER_UA, later, path_of, publish_pdf, share

BROWSER = {"User-Agent": BROWSER_UA}


def _pdf(*sizes: tuple[float, float]) -> bytes:
    out = io.BytesIO()
    sheet = canvas.Canvas(out, invariant=True)
    for width, height in sizes:
        sheet.setPageSize((width, height))
        sheet.rect(0, 0, width, height)
        sheet.showPage()
    sheet.save()
    return out.getvalue()


def _shared(marketer: Actor, rep: Actor, pdf: bytes) -> str:
    asset = publish_pdf(marketer, pdf=pdf, title="Tall thin page")
    return path_of(share(rep, asset["id"])["url"])


def test_page_images_stay_within_the_pixel_budget() -> None:
    assert pages.image_size(595, 842) == (1200, round(842 * 1200 / 595))
    for width, height in [(3, 14400), (3, 700), (14400, 14400), (14400, 3), (0.5, 0.5)]:
        size = pages.image_size(width, height)
        assert size is not None
        w, h = size
        assert w <= pages.PAGE_WIDTH_PX + 1 and h <= pages.MAX_HEIGHT_PX + 1
        assert w * h <= pages.MAX_PIXELS + pages.PAGE_WIDTH_PX + pages.MAX_HEIGHT_PX
    for width, height in [(0, 100), (100, 0), (-5, 100), (float("nan"), 100)]:
        assert pages.image_size(width, height) is None


def test_a_tall_thin_page_is_rendered_within_the_budget(
    app: FastAPI, marketer: Actor, rep: Actor, anonymous: Actor
) -> None:
    path = _shared(marketer, rep, _pdf((3, 14400), (3, 700), (595, 842)))
    later(app)
    page = anonymous.client.get(path, headers=BROWSER)
    assert page.status_code == 200
    heights = [int(h) for h in re.findall(r'\.png[^>]* height="(\d+)"', page.text)]
    assert len(heights) == 3 and max(heights) <= pages.MAX_HEIGHT_PX
    for number in (1, 2, 3):
        image = anonymous.client.get(f"{path}/pages/{number}.png", headers=BROWSER)
        assert image.status_code == 200, image.text
        assert "default-src 'none'" in image.headers["content-security-policy"]
        with Image.open(io.BytesIO(image.content)) as png:
            width, height = png.size
        assert height <= pages.MAX_HEIGHT_PX and width <= pages.PAGE_WIDTH_PX
        assert width * height <= pages.MAX_PIXELS
    assert anonymous.client.get(f"{path}/pages/4.png", headers=BROWSER).status_code == 404


def test_a_page_that_cannot_be_rendered_is_a_404_not_a_500(
    app: FastAPI, marketer: Actor, rep: Actor, anonymous: Actor, monkeypatch: Any
) -> None:
    path = _shared(marketer, rep, _pdf((595, 842)))
    later(app)

    def out_of_memory(pdf: Any, number: int) -> Any:
        raise MemoryError

    monkeypatch.setattr(pages, "_render", out_of_memory)
    image = anonymous.client.get(f"{path}/pages/1.png", headers=BROWSER)
    assert image.status_code == 404
    assert "default-src 'none'" in image.headers["content-security-policy"]
    assert "text/html" in image.headers["content-type"]


@pytest.fixture
def held() -> Iterator[None]:
    """Another request is rendering: the PDFium lock is taken."""
    assert pages._PDFIUM.acquire(timeout=30)
    try:
        yield
    finally:
        pages._PDFIUM.release()


def test_a_busy_renderer_answers_503_with_retry_after(
    app: FastAPI, marketer: Actor, rep: Actor, anonymous: Actor, monkeypatch: Any
) -> None:
    path = _shared(marketer, rep, _pdf((595, 842), (595, 842)))
    later(app)
    monkeypatch.setattr(pages, "LOCK_WAIT_SECONDS", 0.05)
    assert pages._PDFIUM.acquire(timeout=30)
    try:
        # The page sizes were read when the link was made; the images are not rendered.
        assert anonymous.client.get(path, headers=BROWSER).status_code == 200
        app.state.share_pages._sizes.clear()  # as after a restart
        for url in (f"{path}/pages/1.png", path):
            busy = anonymous.client.get(url, headers=BROWSER)
            assert busy.status_code == 503, (url, busy.text)
            assert int(busy.headers["retry-after"]) >= 1
            assert "default-src 'none'" in busy.headers["content-security-policy"]
            assert busy.headers["cache-control"] == "no-store"
        # The rep's own list still answers (the page count is just not known yet).
        listed = rep.get("/v1/share-links")
        assert listed.status_code == 200
        assert listed.json()["items"][0]["engagement"]["page_count"] is None
    finally:
        pages._PDFIUM.release()
    assert anonymous.client.get(path, headers=BROWSER).status_code == 200
    image = anonymous.client.get(f"{path}/pages/1.png", headers=BROWSER)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_share_pages_count_in_the_addresss_budget(settings: Settings) -> None:
    limited = settings.model_copy(
        update={"rate_limits": {**settings.rate_limits, "share": "3/minute"}}
    )
    with TestClient(create_app(limited), raise_server_exceptions=False) as client:
        answers = [client.get("/s/" + "x" * 43, headers=BROWSER) for _ in range(4)]
        assert [a.status_code for a in answers] == [404, 404, 404, 429]
        refused = answers[-1]
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["group"] == "share"
        # The API's own budgets are separate.
        assert client.get("/healthz").status_code == 200
