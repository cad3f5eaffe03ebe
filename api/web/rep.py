"""The web app's rep pages (being built)."""

from __future__ import annotations

from api.web.pages import page_router

router = page_router()
