"""Real files for the ingest tests, made with the formats' own writers.

The ordinary documents come from api.demo.documents (reportlab, python-docx, python-pptx,
the email package); the hostile ones (zip bombs, encrypted and broken PDFs, files that take
a parser a minute) are made here.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

from pypdf import PdfReader, PdfWriter

from api.demo import documents as d

MB = 1024 * 1024

SAMPLE = d.Document(
    title="Cutting Rework on Tunnel Projects",
    subject="How Brightwater Tunnelling cut rework",
    sections=(
        d.Section(
            "The challenge",
            paragraphs=(
                "Brightwater Tunnelling lost two days a week to paperwork.",
                "Geotechnical logs travelled on paper between shafts.",
            ),
            bullets=("Paper inspection forms", "Invoices sent a month late"),
            table=(("Metric", "Before", "After"), ("Rework", "12%", "3%")),
            notes="Mention the permafrost crew in Yukon.",
        ),
        d.Section("Results", paragraphs=("Invoices now leave the site the same day.",)),
    ),
)


def all_formats() -> dict[str, bytes]:
    """One file of every supported format, by file name."""
    return {
        "case-study.pdf": d.pdf_bytes(SAMPLE),
        "case-study.docx": d.docx_bytes(SAMPLE),
        "deck.pptx": d.pptx_bytes(SAMPLE),
        "page.html": d.html_bytes(SAMPLE),
        "notes.md": d.markdown_bytes(SAMPLE),
        "notes.txt": d.text_bytes(SAMPLE),
        "follow-up.eml": d.eml_bytes(
            "Following up on rework, {{ first_name }}",
            "Hi {{ first_name }},\n\nHere is how Brightwater cut rework by three quarters.\n",
        ),
    }


def encrypted_pdf(user_password: str = "s3cret", algorithm: str = "AES-256") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(d.pdf_bytes(SAMPLE))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def corrupt_pdf() -> bytes:
    """A PDF header followed by garbage: what a broken download looks like."""
    return b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def zip_bomb_docx(expanded_mb: int = 400) -> bytes:
    """A DOCX-looking zip whose document part inflates to `expanded_mb` MB of zeros.

    Written in 1 MB chunks, so making it costs no memory either.
    """
    out = io.BytesIO()
    chunk = b"\x00" * MB
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=False) as member:
            for _ in range(expanded_mb):
                member.write(chunk)
    return out.getvalue()


def lying_zip_bomb_docx(expanded_mb: int = 400) -> bytes:
    """A zip bomb whose directory claims its big part is 1 KB (and tiny compressed)."""
    data = bytearray(zip_bomb_docx(expanded_mb))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/document.xml")
    # Patch the uncompressed size in the local header (offset 22) and the central
    # directory entry (offset 24 from its signature) to 1024 bytes.
    struct.pack_into("<I", data, info.header_offset + 22, 1024)
    start = 0
    while True:
        central = bytes(data).find(b"PK\x01\x02", start)
        if central < 0:
            break
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        name = bytes(data[central + 46 : central + 46 + name_len])
        if name == b"word/document.xml":
            struct.pack_into("<I", data, central + 24, 1024)
        start = central + 4
    return bytes(data)


WORDS = (
    "crew site inspection rework invoice schedule dispatch outage storm tunnel nurse visit "
    "route driver delivery signature photo checklist safety compliance offline sync report"
).split()


def shared_stream_pdf(pages: int = 1_999, stream_mb: int = 8, seed: int = 11) -> bytes:
    """A PDF (about 1.4 MB) whose `pages` pages all draw one `stream_mb` MB content stream:
    a reader extracting page by page parses the whole stream again for every page.

    Written as raw PDF objects (no PDF library would make such a file on purpose).
    """
    rng = random.Random(seed)
    lines: list[bytes] = []
    size = 0
    while size < stream_mb * MB:
        words = " ".join(rng.choices(WORDS, k=8))
        line = b"BT /F1 9 Tf 40 %d Td (%s) Tj ET\n" % (rng.randint(40, 760), words.encode())
        lines.append(line)
        size += len(line)
    packed = zlib.compress(b"".join(lines), 6)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (5 + i) for i in range(pages)), pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed),
    ]
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
    )
    objects += [page] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def nested_html(depth: int = 100_000) -> bytes:
    """A page of `depth` nested elements (1.1 MB): the HTML parser's time grows with the
    square of the depth (40,000 take 2.7 s, this over 15 s, 500,000 several minutes)."""
    return b"<html><body>%s<p>deep</p>%s</body></html>" % (b"<div>" * depth, b"</div>" * depth)


def nested_markdown(depth: int = 3_000) -> bytes:
    """`depth` nested list items (9 MB); parsing them all took a Markdown parser 38 s."""
    return "".join("  " * level + "- item\n" for level in range(depth)).encode()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "just an archive")
    return out.getvalue()


def xlsx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
LEGACY_DOC = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"WordDocument".ljust(64, b"\x00")
)
ENCRYPTED_OFFICE = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le")
)
