"""The public share page as HTML (Jinja2, autoescaped): what a buyer sees, and the plain
page of a link that no longer opens."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from api.assets.kinds import rules_for
from api.assets.models import Asset

STATIC_URL = "/share-static"
# Every answer under /s/: nothing but this origin, no framing, no referrer, no indexing.
CSP = (
    "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}
GONE = {
    "revoked": "The sender has withdrawn this link.",
    "expired": "This link has expired.",
    "asset_unavailable": "What this link shared is no longer available.",
    "asset_internal": "What this link shared is no longer available.",
    "unknown": "There is nothing at this address.",
}


@dataclass(frozen=True)
class PageImage:
    number: int
    width: int
    height: int


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("api.sharing", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def share_page(
    asset: Asset,
    *,
    base: str,
    visit: str | None,
    pages: list[PageImage],
    download: bool,
) -> str:
    """The page: the asset's title, kind and summary; its PDF pages as images, else its
    text; a download button when the link allows it."""
    paragraphs = [p.strip() for p in asset.body.split("\n\n") if p.strip()] if not pages else []
    return (
        _templates()
        .get_template("share.html")
        .render(
            title=asset.title,
            kind=rules_for(asset.kind).label,
            summary=asset.summary,
            base=base,
            static=STATIC_URL,
            visit=visit or "",
            query=f"?v={visit}" if visit else "",
            pages=pages,
            paragraphs=paragraphs,
            download=download,
            file_name=asset.file_name or "the file",
        )
    )


def gone_page(status: int, reason: str) -> str:
    heading = "Link not found" if status == 404 else "Link no longer available"
    return (
        _templates()
        .get_template("gone.html")
        .render(heading=heading, message=GONE.get(reason, GONE["unknown"]), static=STATIC_URL)
    )
