"""The document formats Baton reads, and how each is served back."""

from __future__ import annotations

from enum import StrEnum


class Format(StrEnum):
    pdf = "pdf"
    docx = "docx"
    pptx = "pptx"
    html = "html"
    markdown = "markdown"
    text = "text"
    eml = "eml"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self]

    @property
    def label(self) -> str:
        return LABELS[self]


MEDIA_TYPES = {
    Format.pdf: "application/pdf",
    Format.docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    Format.pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    Format.html: "text/html",
    Format.markdown: "text/markdown",
    Format.text: "text/plain",
    Format.eml: "message/rfc822",
}

LABELS = {
    Format.pdf: "PDF",
    Format.docx: "Word document",
    Format.pptx: "PowerPoint deck",
    Format.html: "web page",
    Format.markdown: "Markdown",
    Format.text: "plain text",
    Format.eml: "email",
}

SUPPORTED = "PDF, DOCX, PPTX, HTML, Markdown, plain text or EML"
