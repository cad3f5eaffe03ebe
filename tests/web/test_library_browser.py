"""A marketer in a real browser: uploads several files at once from the upload page (each
with its own progress and result, one refused with the reason), then tags some of them in
one go from the library, and the table shows the new tags."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from api.demo import documents as d
from tests.web.conftest import Web

pytestmark = [pytest.mark.slow, pytest.mark.one_database]


def document(title: str, line: str) -> d.Document:
    return d.Document(
        title=title,
        sections=(d.Section("What happened", paragraphs=(line, f"{title}: the numbers.")),),
    )


def drop(page: Page, name: str, data: bytes, media_type: str) -> None:
    """Drop a file on the upload page's drop zone, as a file dragged from the desktop."""
    page.locator("#dropzone").evaluate(
        """(zone, [name, data, type]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type }));
            const how = { bubbles: true, cancelable: true, dataTransfer: transfer };
            for (const kind of ["dragenter", "dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(kind, how));
            }
        }""",
        [name, base64.b64encode(data).decode(), media_type],
    )


def test_a_marketer_uploads_files_and_tags_them_in_bulk(
    web: Web, people: Any, tmp_path: Path
) -> None:
    files = {
        "tunnel.pdf": d.pdf_bytes(document("Tunnel rework", "Rework fell from 12% to 3%.")),
        "harbour.docx": d.docx_bytes(document("Harbour crews", "Crews saved a day a week.")),
        "bridge-notes.md": d.markdown_bytes(
            document("Bridge notes", "Inspections went paperless.")
        ),
        "empty.txt": b"",
    }
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)

    page = web.signed_in(people("marketer"), width=900)
    page.goto(web.base + "/upload")
    page.get_by_label("Buyer stage").select_option("decision")
    page.get_by_label("Choose files").set_input_files(paths)

    summary = page.locator("#upload-summary")
    expect(summary).to_have_text("3 uploaded, 1 failed.", timeout=60_000)
    for name, title in (
        ("tunnel.pdf", "Tunnel rework"),
        ("harbour.docx", "Harbour crews"),
        ("bridge-notes.md", "Bridge notes"),
    ):
        item = page.locator(".upload-item", has=page.get_by_text(name, exact=True))
        expect(item.locator(".upload-state")).to_have_text("Uploaded")
        expect(item.get_by_role("progressbar")).to_have_attribute("value", "100")
        expect(item.get_by_role("link", name=title)).to_have_attribute(
            "href", re.compile(r"^/assets/\w+$")
        )
    refused = page.locator(".upload-item", has=page.get_by_text("empty.txt", exact=True))
    expect(refused.locator(".upload-state")).to_have_text("Failed")
    expect(refused.locator(".error")).to_have_text("The file is empty.")
    # The same PDF again, dropped on the drop zone: refused, naming the asset it repeats.
    drop(page, "tunnel-again.pdf", files["tunnel.pdf"], "application/pdf")
    expect(summary).to_have_text("3 uploaded, 2 failed.", timeout=60_000)
    again = page.locator(".upload-item", has=page.get_by_text("tunnel-again.pdf", exact=True))
    expect(again.locator(".error")).to_contain_text("This file has been uploaded already.")
    expect(again.get_by_role("link", name="Existing asset: Tunnel rework")).to_be_visible()
    web.check(page, "upload")

    page.get_by_role("link", name="See the drafts in the library").click()
    table = page.locator("table.library")
    expect(table.locator("td.title a")).to_have_count(3)
    for title in ("Tunnel rework", "Harbour crews", "Bridge notes"):
        expect(table.get_by_role("row", name=re.compile(title))).to_contain_text("Decision")
    # Everything on the page with the keyboard, then one left out.
    page.get_by_label("Select all assets on this page").focus()
    page.keyboard.press("Space")
    page.get_by_label("Select Bridge notes").uncheck()
    expect(page.locator("#selected-count")).to_have_text("2 assets selected.")
    page.get_by_label("Add tags").fill("roi, field teams")
    page.get_by_role("button", name="Apply to selected assets").click()

    expect(page.locator("#outcome-summary")).to_have_text(
        "Bulk edit done: 2 changed, 0 already as asked."
    )
    expect(page.get_by_role("heading", name="Bulk edit results")).to_be_focused()
    for title in ("Tunnel rework", "Harbour crews"):
        row = table.get_by_role("row", name=re.compile(title))
        expect(row.get_by_role("listitem")).to_have_text(["field teams", "roi"])
    expect(
        table.get_by_role("row", name=re.compile("Bridge notes")).get_by_role("listitem")
    ).to_have_count(0)
    web.check(page, "library")

    page.get_by_role("link", name="Title", exact=True).click()
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    expect(table.locator("td.title a").first).to_have_text("Bridge notes")
    # The browser reports the refused uploads' answers on its console; those are expected.
    for refused_status in ("415 (Unsupported Media Type)", "409 (Conflict)"):
        web.complaints.remove(
            "console error: Failed to load resource: the server responded with a status of "
            + refused_status
        )
    web.assert_clean()
