"""Real files with unique words, for uploads and imports: each names its `token`."""

from __future__ import annotations

import random

from api.demo import documents as d

FORMATS = ("md", "txt", "html", "pdf", "docx", "pptx")
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def token(rng: random.Random) -> str:
    """A word no other document holds (search finds exactly its document)."""
    return "zq" + "".join(rng.choice(LETTERS) for _ in range(10))


def document(word: str, suffix: str) -> bytes:
    """A real file of the format `suffix` whose title and text hold `word`."""
    doc = d.Document(
        title=f"Hoist inspection {word}",
        sections=(
            d.Section(
                "Findings",
                paragraphs=(f"The {word} crew checked every hoist before the shift.",),
                bullets=("Brakes", "Hooks and latches"),
            ),
        ),
    )
    writers = {
        "md": d.markdown_bytes,
        "txt": d.text_bytes,
        "html": d.html_bytes,
        "pdf": d.pdf_bytes,
        "docx": d.docx_bytes,
        "pptx": d.pptx_bytes,
    }
    return writers[suffix](doc)
