"""Share-link test helpers: a real multi-page PDF (reportlab), a published PDF asset, and
a clock the tests move past the "too fast after creation" rule."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from api.db import utcnow
from tests.catalogue import transition
from tests.conftest import Actor

BROWSER_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def pdf_bytes(pages: int = 3, title: str = "Northwind cuts claims time") -> bytes:
    out = io.BytesIO()
    sheet = canvas.Canvas(out, pagesize=A4, invariant=True)
    sheet.setTitle(title)
    for number in range(1, pages + 1):
        sheet.setFont("Helvetica-Bold", 28)
        sheet.drawString(72, 760, f"{title}")
        sheet.setFont("Helvetica", 16)
        sheet.drawString(72, 720, f"Page {number} of {pages}: how the claims team works now.")
        sheet.rect(72, 200, 450, 400)
        sheet.showPage()
    sheet.save()
    return out.getvalue()


def publish_pdf(marketer: Actor, pdf: bytes | None = None, **metadata: Any) -> dict[str, Any]:
    """A case-study PDF (`pdf`, else a 3-page one) uploaded and approved: live and (by its
    kind) shareable."""
    meta = {"kind": "case_study", "summary": "Claims handled in two days, not ten."}
    meta.update(metadata)
    content = pdf if pdf is not None else pdf_bytes(title=meta.get("title", "Northwind"))
    files = {"file": ("northwind.pdf", content, "application/pdf")}
    response = marketer.post("/v1/assets/upload", files=files, data={"metadata": json.dumps(meta)})
    assert response.status_code == 201, response.text
    asset = dict(response.json())
    transition(marketer, asset["id"], "submit")
    return transition(marketer, asset["id"], "approve")


def share(actor: Actor, asset_id: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"asset_id": asset_id, "opportunity_id": "006-DEAL-1"}
    body.update(fields)
    response = actor.post("/v1/share-links", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def later(app: FastAPI, seconds: float = 60.0) -> None:
    """Move the app's clock `seconds` ahead of the real one (a person's pace)."""
    base = utcnow()
    start = base + timedelta(seconds=seconds)

    def clock() -> datetime:
        return start + (utcnow() - base)

    app.state.clock = clock


def path_of(url: str) -> str:
    return "/s/" + url.split("/s/", 1)[1]
