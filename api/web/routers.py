"""Every area's router, in the order the app includes them."""

from __future__ import annotations

from api.web import admin, editorial, home, library, rep, reports, review

routers = (
    home.router,
    # Before rep's `/assets/{id}`: the editor's `/assets/new` and `/assets/{id}/edit`.
    review.router,
    rep.router,
    library.router,
    editorial.router,
    reports.router,
    admin.router,
)
