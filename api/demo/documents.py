"""Writing real documents of every format Baton reads, with the formats' own libraries.

The demo library, the tests and the ingest benchmark all make their files here, so every
file Baton ingests in them is one a real writer produced: reportlab for PDF, python-docx,
python-pptx, the standard email package for EML.
"""

from __future__ import annotations

import html as html_escape
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import docx
import yaml
from pptx import Presentation
from pptx.util import Inches
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table


@dataclass(frozen=True)
class Section:
    """A heading with its paragraphs, bullet points, an optional table and speaker notes."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    table: tuple[tuple[str, ...], ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class Document:
    title: str
    sections: tuple[Section, ...]
    author: str = "Fieldline Marketing"
    subject: str = ""
    front_matter: dict[str, Any] = field(default_factory=dict)

    def text_lines(self) -> list[str]:
        lines: list[str] = []
        for section in self.sections:
            lines.append(section.heading)
            lines.extend(section.paragraphs)
            lines.extend(f"- {b}" for b in section.bullets)
            lines.extend(" | ".join(row) for row in section.table)
            lines.append("")
        return lines


def pdf_bytes(doc: Document, *, with_title: bool = True) -> bytes:
    """A PDF with real text (reportlab); the title goes into the document information."""
    styles = getSampleStyleSheet()
    out = io.BytesIO()
    template = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=doc.title if with_title else "",
        author=doc.author,
        subject=doc.subject,
        invariant=True,
    )
    story: list[Any] = [Paragraph(html_escape.escape(doc.title), styles["Title"])]
    for section in doc.sections:
        story.append(Paragraph(html_escape.escape(section.heading), styles["Heading2"]))
        story.extend(
            Paragraph(html_escape.escape(p), styles["BodyText"]) for p in section.paragraphs
        )
        story.extend(
            Paragraph("• " + html_escape.escape(b), styles["BodyText"]) for b in section.bullets
        )
        if section.table:
            story.append(Table([list(row) for row in section.table]))
        story.append(Spacer(1, 8))
    template.build(story)
    return out.getvalue()


def docx_bytes(doc: Document, *, with_title: bool = True) -> bytes:
    """A Word document: a Title paragraph, headings, paragraphs, bullets and tables."""
    document = docx.Document()
    if with_title:
        document.core_properties.title = doc.title
    document.core_properties.author = doc.author
    document.add_heading(doc.title, level=0)
    for section in doc.sections:
        document.add_heading(section.heading, level=1)
        for paragraph in section.paragraphs:
            document.add_paragraph(paragraph)
        for bullet in section.bullets:
            document.add_paragraph(bullet, style="List Bullet")
        if section.table:
            table = document.add_table(rows=len(section.table), cols=len(section.table[0]))
            for r, row in enumerate(section.table):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pptx_bytes(doc: Document, *, with_title: bool = True) -> bytes:
    """A slide deck: a title slide, then a slide per section with bullets, table and notes."""
    deck = Presentation()
    if with_title:
        deck.core_properties.title = doc.title
    deck.core_properties.author = doc.author
    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = doc.title
    cover.placeholders[1].text = doc.author
    for section in doc.sections:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = section.heading
        frame = slide.placeholders[1].text_frame
        items = list(section.paragraphs) + list(section.bullets)
        frame.text = items[0] if items else ""
        for item in items[1:]:
            frame.add_paragraph().text = item
        if section.table:
            rows, cols = len(section.table), len(section.table[0])
            shape = slide.shapes.add_table(
                rows, cols, Inches(0.5), Inches(5.2), Inches(9), Inches(0.3 * rows)
            )
            for r, row in enumerate(section.table):
                for c, value in enumerate(row):
                    shape.table.cell(r, c).text = value
        if section.notes:
            slide.notes_slide.notes_text_frame.text = section.notes
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def html_bytes(doc: Document) -> bytes:
    """A web page with the furniture real pages have: navigation, a script, a footer."""
    e = html_escape.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(doc.title)}</title>",
        "<style>body { font-family: sans-serif } .promo { color: red }</style>",
        "<script>window.analytics = { track: function () {} };</script>",
        "</head><body>",
        '<nav><a href="/">Home</a> <a href="/products">Products</a> <a href="/blog">Blog</a></nav>',
        "<main><article>",
        f"<h1>{e(doc.title)}</h1>",
    ]
    for section in doc.sections:
        parts.append(f"<h2>{e(section.heading)}</h2>")
        parts.extend(f"<p>{e(p)}</p>" for p in section.paragraphs)
        if section.bullets:
            parts.append("<ul>" + "".join(f"<li>{e(b)}</li>" for b in section.bullets) + "</ul>")
        if section.table:
            rows = "".join(
                "<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in section.table
            )
            parts.append(f"<table>{rows}</table>")
    parts += [
        "</article></main>",
        "<footer>© Fieldline Inc. All rights reserved. <a href='/privacy'>Privacy</a></footer>",
        "</body></html>",
    ]
    return "\n".join(parts).encode("utf-8")


def markdown_bytes(doc: Document) -> bytes:
    """Markdown with the document's front matter (if any) as YAML."""
    lines: list[str] = []
    if doc.front_matter:
        lines += ["---", yaml.safe_dump(doc.front_matter, sort_keys=False).strip(), "---", ""]
    lines += [f"# {doc.title}", ""]
    for section in doc.sections:
        lines += [f"## {section.heading}", ""]
        for paragraph in section.paragraphs:
            lines += [paragraph, ""]
        if section.bullets:
            lines += [f"- {b}" for b in section.bullets] + [""]
        if section.table:
            header, *rows = section.table
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + " --- |" * len(header))
            lines += ["| " + " | ".join(row) + " |" for row in rows]
            lines.append("")
    return "\n".join(lines).encode("utf-8")


def text_bytes(doc: Document, *, encoding: str = "utf-8") -> bytes:
    """Plain text: the title, then each section, in the given charset."""
    return "\n".join([doc.title, "", *doc.text_lines()]).encode(encoding)


def eml_bytes(
    subject: str,
    body: str,
    *,
    sender: str = "Fieldline <hello@fieldline.example>",
    to: str = "{{ first_name }} <{{ email }}>",
    html_body: str | None = None,
    sent: datetime | None = None,
) -> bytes:
    """An email as a mail client saves it: plain text, optionally with an HTML alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(sent or datetime(2026, 11, 2, 9, 30, tzinfo=UTC))
    message["MIME-Version"] = "1.0"
    message.set_content(body)
    if html_body is not None:
        message.add_alternative(html_body, subtype="html")
    return message.as_bytes()
