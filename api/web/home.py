"""`/`: where the web app opens, the search page (every role starts by finding)."""

from __future__ import annotations

from fastapi import Response

from api.web.pages import ViewerDep, page_router, see_other

router = page_router()


@router.get("/")
def home(viewer: ViewerDep) -> Response:
    return see_other("/search")
