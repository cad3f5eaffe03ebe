"""Web pages (selectolax): the main text, without scripts, styles, navigation or hidden parts."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingest.extract.document import Parts, one_line
from ingest.limits import Limits

# Never text a reader sees. (selectolax's text() would include script and style contents.)
NOT_TEXT = "script, style, noscript, template, svg, canvas, iframe, object, embed, head"
HIDDEN = "[hidden], [aria-hidden=true], [type=hidden]"
# Page furniture around the main text when the page does not mark its <main> or <article>.
FURNITURE = "nav, header, footer, aside, form, menu"
BLOCKS = (
    "p, div, section, article, main, h1, h2, h3, h4, h5, h6, li, dt, dd, tr, table, ul, ol, "
    "blockquote, pre, figure, figcaption, address, br, hr"
)
CELLS = "td, th"
HIDING_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def read(text: str, limits: Limits) -> Parts:
    """The readable text of the page's main part; title from <title>, else the first <h1>."""
    tree = LexborHTMLParser(text[: limits.max_text_chars * 4])
    title_node = tree.css_first("title")
    title = (one_line(title_node.text()) if title_node is not None else None) or _first_h1(tree)
    return Parts(body=main_text(tree), title=title)


def html_to_text(html: str) -> str:
    """The readable text of an HTML fragment or page (an email's HTML part)."""
    return main_text(LexborHTMLParser(html))


def main_text(tree: LexborHTMLParser) -> str:
    for node in tree.css(NOT_TEXT):
        node.decompose()
    for node in tree.css(HIDDEN):
        node.decompose()
    for node in tree.css("[style]"):
        if HIDING_STYLE.search(node.attributes.get("style") or ""):
            node.decompose()
    root = tree.css_first("main") or tree.css_first("article")
    if root is None:
        root = tree.body
        if root is None:
            return ""
        for node in root.css(FURNITURE):
            node.decompose()
    _mark_breaks(root)
    return root.text(deep=True, separator="", strip=False)


def _mark_breaks(root: LexborNode) -> None:
    """Blocks end a line and cells are spaced, so words of neighbours never run together."""
    for node in root.css(BLOCKS):
        node.insert_after("\n")
    for node in root.css(CELLS):
        node.insert_after(" ")


def _first_h1(tree: LexborHTMLParser) -> str | None:
    node = tree.css_first("h1")
    return one_line(node.text()) if node is not None else None
