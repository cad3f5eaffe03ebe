"""The share page's static files (api/sharing/static/, packaged with the wheel), served
with the page's security headers."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.sharing.public import HEADERS

FOLDER = Path(__file__).parent / "static"


class ShareStatic(StaticFiles):
    def __init__(self) -> None:
        super().__init__(directory=FOLDER)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        for name, value in HEADERS.items():
            if name != "Cache-Control":
                response.headers[name] = value
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response
