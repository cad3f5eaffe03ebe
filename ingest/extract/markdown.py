"""Markdown: YAML front matter becomes metadata; the title is the first heading."""

from __future__ import annotations

import frontmatter
import yaml
from markdown_it import MarkdownIt

from ingest.errors import ExtractionFailed, Reason
from ingest.extract.document import Parts, one_line
from ingest.limits import Limits

MAX_FRONT_MATTER = 64 * 1024
_parser = MarkdownIt("commonmark")


def read(text: str, limits: Limits) -> Parts:
    """The Markdown source as the body (it reads well as is), minus its front matter."""
    del limits
    front: dict[str, object] = {}
    content = text
    if text.lstrip("\ufeff").startswith("---"):
        head = text[: MAX_FRONT_MATTER + 8]
        if "\n---" not in head[3:]:
            raise ExtractionFailed(
                Reason.corrupt, "the Markdown front matter has no closing '---' line"
            )
        try:
            front, content = frontmatter.parse(text)
        except yaml.YAMLError as exc:
            raise ExtractionFailed(
                Reason.corrupt, f"the Markdown front matter is not valid YAML: {exc}"
            ) from exc
        if not isinstance(front, dict):
            raise ExtractionFailed(Reason.corrupt, "the Markdown front matter is not a mapping")
    title = front.get("title")
    return Parts(
        body=content,
        title=one_line(str(title)) if isinstance(title, str) else first_heading(content),
        front_matter=dict(front),
    )


def first_heading(content: str) -> str | None:
    tokens = _parser.parse(content)
    for index, token in enumerate(tokens[:-1]):
        if token.type == "heading_open":
            return one_line(tokens[index + 1].content)
    return None
