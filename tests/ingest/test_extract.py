"""Extraction of real files of every format: text, title, metadata, and what is left out."""

from __future__ import annotations

import pytest

from api.demo import documents as d
from ingest.errors import ExtractionFailed, Reason
from ingest.extract import extract
from ingest.filenames import safe_filename
from ingest.formats import Format
from ingest.limits import Limits
from tests.ingest.files import SAMPLE, all_formats


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("case-study.pdf", Format.pdf),
        ("case-study.docx", Format.docx),
        ("deck.pptx", Format.pptx),
        ("page.html", Format.html),
        ("notes.md", Format.markdown),
        ("notes.txt", Format.text),
        ("follow-up.eml", Format.eml),
    ],
)
def test_every_format_is_sniffed_from_its_bytes_not_its_name(name: str, expected: Format) -> None:
    data = all_formats()[name]
    # A misleading name changes nothing: the bytes decide.
    extracted = extract(data, "misleading-name.jpg")
    assert extracted.format is expected
    assert extracted.content_type.startswith(expected.media_type)


@pytest.mark.parametrize("name", ["case-study.pdf", "case-study.docx", "deck.pptx", "page.html"])
def test_documents_give_their_text_and_own_title(name: str) -> None:
    extracted = extract(all_formats()[name], name)
    assert extracted.title == "Cutting Rework on Tunnel Projects"
    for words in ("lost two days a week to paperwork", "Geotechnical logs", "Invoices sent"):
        assert words in extracted.body
    assert "the same day" in extracted.body


def test_pdf_without_title_metadata_has_no_title() -> None:
    extracted = extract(d.pdf_bytes(SAMPLE, with_title=False), "x.pdf")
    assert extracted.title is None
    assert "Brightwater Tunnelling" in extracted.body


def test_docx_tables_keep_each_row_on_one_line_and_title_falls_back_to_first_heading() -> None:
    extracted = extract(d.docx_bytes(SAMPLE, with_title=False), "x.docx")
    assert "Metric | Before | After" in extracted.body
    assert "Rework | 12% | 3%" in extracted.body
    assert extracted.title == "Cutting Rework on Tunnel Projects"  # the Title paragraph


def test_pptx_gives_slide_titles_text_tables_and_speaker_notes() -> None:
    extracted = extract(d.pptx_bytes(SAMPLE, with_title=False), "deck.pptx")
    body = extracted.body
    assert extracted.kind == "presentation"
    assert extracted.title == "Cutting Rework on Tunnel Projects"  # the first slide's title
    assert body.index("The challenge") < body.index("Paper inspection forms")
    assert "Rework | 12% | 3%" in body
    assert "Notes: Mention the permafrost crew in Yukon." in body
    assert body.index("permafrost") < body.index("Results")


def test_html_main_text_leaves_out_scripts_styles_navigation_and_hidden_text() -> None:
    page = b"""<!doctype html><html><head><title> Field crews  &amp; safety </title>
    <style>.x { color: red }</style><script>var secretToken = 1;</script></head>
    <body><nav>Home Products Pricing</nav><header>Site banner</header>
    <div class="content"><h1>Safety first</h1><p>Crews log <b>hazards</b> on site.</p>
    <p hidden>hiddenparagraph</p><span style="display: none">invisiblespan</span>
    <div aria-hidden="true">screenreaderhidden</div><noscript>enablejs</noscript>
    <ul><li>Helmets</li><li>Harnesses</li></ul></div>
    <footer>Copyright footer</footer></body></html>"""
    extracted = extract(page, "page.html")
    assert extracted.title == "Field crews & safety"
    body = extracted.body
    assert "Crews log hazards on site." in body
    assert "Helmets\nHarnesses" in body
    for absent in (
        "secretToken",
        "color: red",
        "Home Products",
        "hiddenparagraph",
        "invisiblespan",
        "screenreaderhidden",
        "enablejs",
        "Copyright footer",
        "Site banner",
    ):
        assert absent not in body


def test_html_prefers_main_and_falls_back_to_first_h1_for_the_title() -> None:
    page = b"<html><body><aside>Related</aside><main><h1>Dispatch in minutes</h1>"
    page += b"<p>Body text.</p></main></body></html>"
    extracted = extract(page, "x.html")
    assert extracted.title == "Dispatch in minutes"
    assert extracted.body == "Dispatch in minutes\nBody text."


def test_markdown_front_matter_becomes_metadata_and_first_heading_the_title() -> None:
    source = b"""---
kind: case_study
industry: Construction
tags: [roi, rework]
author: Jane Doe
---
Intro line.

## Rollout in six weeks

Crews were live in six weeks.
"""
    extracted = extract(source, "anything")
    assert extracted.format is Format.markdown
    assert extracted.title == "Rollout in six weeks"
    assert extracted.front_matter == {
        "kind": "case_study",
        "industry": "Construction",
        "tags": ["roi", "rework"],
        "author": "Jane Doe",
    }
    assert "---" not in extracted.body
    assert "Crews were live in six weeks." in extracted.body


def test_markdown_with_broken_front_matter_is_refused_clearly() -> None:
    with pytest.raises(ExtractionFailed) as caught:
        extract(b"---\ntitle: [unclosed\n---\n# Hi\n", "x.md")
    assert caught.value.reason is Reason.corrupt
    assert "front matter" in caught.value.detail


@pytest.mark.parametrize("charset", ["utf-8", "utf-16", "windows-1252", "latin-1"])
def test_plain_text_charset_is_detected(charset: str) -> None:
    text = (
        "Résumé of the café rollout\n\nOur crews in Zürich and São Paulo adopted the app "
        "in a week; the façade teams followed. Naïve paper processes are gone.\n"
    )
    extracted = extract(text.encode(charset), "notes.txt")
    assert extracted.format is Format.text
    assert "Zürich and São Paulo" in extracted.body
    assert "façade" in extracted.body
    assert extracted.title is None


def test_text_names_ending_in_md_are_markdown() -> None:
    assert extract(b"Just words.", "readme.md").format is Format.markdown
    assert extract(b"Just words.", "readme.txt").format is Format.text


def test_eml_subject_goes_to_fields_and_plain_part_to_body() -> None:
    data = d.eml_bytes(
        "Your rollout plan, {{ first_name }}",
        "Hi {{ first_name }},\n\nHere is the plan.\n",
        html_body="<p>Hi <b>{{ first_name }}</b>, here is the <i>HTML</i> plan.</p>",
    )
    extracted = extract(data, "x.eml")
    assert extracted.kind == "email_template"
    assert extracted.fields == {"subject": "Your rollout plan, {{ first_name }}"}
    assert extracted.title == "Your rollout plan, {{ first_name }}"
    assert extracted.body == "Hi {{ first_name }},\n\nHere is the plan."


def test_eml_with_only_html_gives_its_text() -> None:
    data = (
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: =?utf-8?q?Caf=C3=A9_offer?=\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><body><p>Dear customer,</p><script>x()</script><p>see the offer.</p></body></html>"
    )
    extracted = extract(data, "offer.eml")
    assert extracted.fields == {"subject": "Café offer"}
    assert extracted.body == "Dear customer,\nsee the offer."


def test_nul_and_control_characters_never_reach_the_body() -> None:
    extracted = extract(b"Line one\x00 with NUL\x07\r\nLine two\r\n", "x.txt")
    assert extracted.body == "Line one with NUL\nLine two"


def test_text_beyond_the_limit_is_cut() -> None:
    extracted = extract(b"word " * 10_000, "x.txt", Limits(max_text_chars=1000))
    assert len(extracted.body) == 1000
    assert extracted.truncated


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("a\x00b\r\nc\t.txt", "abc.txt"),
        ('say "hi".txt', "say hi.txt"),
        ("...", "file"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_safe_filename(sent: str, kept: str) -> None:
    assert safe_filename(sent) == kept
