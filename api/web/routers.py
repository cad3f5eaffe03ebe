"""Every area's router, in the order the app includes them."""

from __future__ import annotations

from api.web import admin, editorial, home, library, rep, reports, review

routers = (
    home.router,
    rep.router,
    library.router,
    review.router,
    editorial.router,
    reports.router,
    admin.router,
)
