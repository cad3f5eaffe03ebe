"""The rep pages: search as you type (`/search`), an asset (`/assets/{id}`, its PDF pages,
fill an email template, a tracked share link, a rating), what customers ask
(`/questions`), pitch kits (`/collections`) and suggestions for a deal (`/suggest`).

Each route calls the services the JSON API routes call, with the same visibility rules:
a rep sees only live assets meant for them, and an asset they may not see is the same
404 page as one that does not exist (naming the replacement when the API's rule does)."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Form, Path, Query, Request, Response
from fastapi.responses import FileResponse, PlainTextResponse
from markupsafe import Markup, escape
from pydantic import ValidationError
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from api.assets import presentation, rendering, visibility
from api.assets.kinds import Kind, rules_for
from api.assets.models import Asset
from api.assets.schemas import RenderedEmail
from api.collections import service as collections
from api.deps import (
    BlobsDep,
    NowDep,
    SearchDep,
    SessionDep,
    SettingsDep,
    SuggestionsDep,
    UsageDep,
)
from api.discovery import service as discovery
from api.errors import BatonError, Invalid, NotFound, describe_validation
from api.events import service as events
from api.events.models import EventType
from api.events.usage import Use
from api.files.blobs import BlobStore
from api.links import service as links
from api.paging import PageRequest
from api.questions import service as questions
from api.questions.models import Question
from api.sharing import service as sharing
from api.sharing.pages import RETRY_AFTER_SECONDS, PagesBusy
from api.sharing.routes import page_images
from api.sharing.schemas import ShareLinkCreate
from api.suggestions import service as suggestions
from api.suggestions.schemas import SuggestionRequest
from api.taxonomy.facets import FACETS, terms_by_facet
from api.taxonomy.service import all_terms
from api.users.service import Caller
from api.web.pages import ViewerDep, check_form, is_htmx, page_router, render, see_other
from search.base import MAX_QUERY_CHARS

router = page_router()

PAGE_SIZE = 20
PREVIEW_PAGES = 3  # the first pages of a PDF shown as images on the asset page
PDF = "application/pdf"
KINDS = {kind.value: rules_for(kind).label for kind in Kind}
# The search answer's facets (by the search library's names) as the page's filters.
FACET_PARAMS = {"kind": "kind", **{spec.document: spec.param for spec in FACETS}}
FACET_LABELS = {"kind": "Kind", **{spec.param: spec.label for spec in FACETS}}
TypingSession = Annotated[str | None, Query(max_length=discovery.MAX_TYPING_SESSION_CHARS)]
SearchId = Annotated[str | None, Query(max_length=discovery.MAX_SEARCH_ID_CHARS)]
Offset = Annotated[int, Query(ge=0, le=10_000)]
Filter = Annotated[list[str] | None, Query(max_length=20)]


async def read_form(request: Request) -> FormData:
    """A posted form whose field names are not known in advance (a template's variables)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


# --- what the templates show -----------------------------------------------------------

_MARKS = re.compile(r"(<mark>|</mark>)")


def safe_highlight(marked: str) -> Markup:
    """The search engine's highlight (HTML-escaped text with `<mark>` tags) as markup in
    which nothing but balanced `<mark>` tags survives: every other piece is unescaped and
    escaped again, so a stray tag or entity from any backend shows as text."""
    out: list[str] = []
    open_ = False
    for piece in _MARKS.split(marked):
        if piece == "<mark>":
            if not open_:
                out.append(piece)
                open_ = True
        elif piece == "</mark>":
            if open_:
                out.append(piece)
                open_ = False
        else:
            out.append(str(escape(html.unescape(piece))))
    if open_:
        out.append("</mark>")
    return Markup("".join(out))  # noqa: S704 (every piece escaped above)


def term_labels(session: Session, caller: Caller, now: datetime) -> dict[str, dict[str, str]]:
    """Each facet's term labels by slug, keyed by the filter's name ("stage"), as the
    taxonomy route shows them to this caller (a rep: no term only hidden assets carry)."""
    grouped = all_terms(session, hidden=visibility.hidden_terms(session, caller, now=now))
    labels = {spec.param: {t.slug: t.label for t in grouped[spec.facet]} for spec in FACETS}
    labels["kind"] = dict(KINDS)
    return labels


def shown_labels(session: Session, found: Any) -> dict[str, dict[str, str]]:
    """The labels of the terms a search's answer shows: those its facet counts (over
    visible hits only) and its hits carry. Read from the whole taxonomy (a few rows), not
    from `hidden_terms`, which scans every asset's terms: a term only hidden assets carry
    is never among them, so a slug typed in the address shows as itself."""
    grouped = all_terms(session)
    seen: dict[str, set[str]] = {spec.param: set() for spec in FACETS}
    if found is not None:
        for name, counts in found.facets.items():
            param = FACET_PARAMS.get(name)
            if param in seen:
                seen[param] |= {slug for slug, count in counts.items() if count}
        for hit in found.hits:
            for spec in FACETS:
                seen[spec.param] |= set(getattr(hit.asset, spec.facet.value, None) or ())
    labels = {
        spec.param: {t.slug: t.label for t in grouped[spec.facet] if t.slug in seen[spec.param]}
        for spec in FACETS
    }
    labels["kind"] = dict(KINDS)
    return labels


def asset_titles(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """Titles of assets a service has already chosen for the caller (live answers)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    rows = session.exec(select(Asset.id, Asset.title).where(col(Asset.id).in_(wanted))).all()
    return {row[0]: row[1] for row in rows}


def wants_fragment(request: Request) -> bool:
    """An htmx request for the results region; not htmx restoring a page from history
    (its cache is off: it asks the server, and swaps the whole page it gets)."""
    return is_htmx(request) and request.headers.get("hx-history-restore-request") != "true"


def _url(path: str, params: Sequence[tuple[str, str]]) -> str:
    return path + ("?" + urlencode(params) if params else "")


def _page_context(session: Session, caller: Caller, now: datetime) -> dict[str, Any]:
    return {"labels": term_labels(session, caller, now), "kinds": KINDS}


# --- /search ---------------------------------------------------------------------------


@router.get("/search")
def search_page(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    now: NowDep,
    runtime: SearchDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)] = "",
    kind: Filter = None,
    stage: Filter = None,
    industry: Filter = None,
    persona: Filter = None,
    product: Filter = None,
    offset: Offset = 0,
    ts: TypingSession = None,
) -> Response:
    """Search as you type: the whole page, or for htmx the results region alone."""
    filters: dict[str, list[str]] = {
        "kind": kind or [],
        "stage": stage or [],
        "industry": industry or [],
        "persona": persona or [],
        "product": product or [],
    }
    known_kinds = [k for k in filters["kind"] if k in KINDS]
    typing = ts or secrets.token_urlsafe(12)
    error = None
    found = None
    try:
        found = discovery.search(
            session,
            viewer.caller,
            discovery.SearchRequest(
                q=q,
                kind=tuple(Kind(k) for k in known_kinds),
                terms=terms_by_facet(filters),
                limit=PAGE_SIZE,
                offset=offset,
                typing_session=typing,
                overdue_demotion=settings.overdue_demotion,
            ),
            now=now,
            backend=runtime.backend,
            search_log=runtime.log,
        )
    except BatonError as exc:  # the search engine is down: say so, keep the box
        error = exc.detail
    # The filters as given, for the links that keep them (paging, chips, the box's form).
    kept = [("q", q)] if q else []
    kept += [(name, value) for name, values in filters.items() for value in values]
    kept.append(("ts", typing))

    def toggled(name: str, value: str) -> str:
        on = (name, value) in kept
        params = [p for p in kept if p != (name, value)] if on else [*kept, (name, value)]
        return _url("/search", params)

    facets: list[dict[str, Any]] = []
    labels = shown_labels(session, found)
    if found is not None:
        for name, counts in found.facets.items():
            param = FACET_PARAMS.get(name)
            if param is None:
                continue
            chips = [
                {
                    "label": labels.get(param, {}).get(slug, slug),
                    "count": count,
                    "on": slug in filters[param],
                    "href": toggled(param, slug),
                }
                for slug, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
                if count or slug in filters[param]
            ]
            if chips:
                facets.append({"label": FACET_LABELS[param], "chips": chips})
    context: dict[str, Any] = {
        "q": q,
        "ts": typing,
        "found": found,
        "facets": facets,
        "filters": [(n, v) for n, vs in filters.items() for v in vs],
        "filtered": any(filters.values()),
        "cleared": _url("/search", [p for p in kept if p[0] in {"q", "ts"}]),
        "previous": _url("/search", [*kept, ("offset", str(max(0, offset - PAGE_SIZE)))])
        if offset
        else None,
        "next": _url("/search", [*kept, ("offset", str(offset + PAGE_SIZE))])
        if found is not None and offset + PAGE_SIZE < found.total
        else None,
        "highlight": safe_highlight,
        "kinds": KINDS,
        "labels": labels,
        "error": error,
    }
    template = "rep/search_results.html" if wants_fragment(request) else "rep/search.html"
    return render(request, template, viewer, title="Search", **context)


# --- /assets/{id} ----------------------------------------------------------------------


def _pdf_path(asset: Asset, blobs: BlobStore) -> Any:
    if asset.file_sha256 is None or asset.file_content_type != PDF:
        return None
    path = blobs.path_for(asset.file_sha256)
    return path if path.exists() else None


def _visible_or_page(
    request: Request, viewer: Any, session: Session, asset_id: str, now: datetime
) -> Asset | Response:
    """The asset, or the 404 page: naming the live replacement when the API's rule gives
    one (`get_visible`), else exactly what an unknown id gets."""
    try:
        return visibility.get_visible(session, viewer.caller, asset_id, now=now)
    except NotFound as exc:
        newer = exc.extra.get("replaced_by")
        if not newer:
            raise
        title = asset_titles(session, [newer]).get(newer, "the newer version")
        return render(
            request,
            "rep/replaced.html",
            viewer,
            status=404,
            title="This asset was replaced",
            newer=newer,
            newer_title=title,
        )


def _questions_of(
    session: Session, caller: Caller, question_ids: Sequence[str], now: datetime
) -> list[dict[str, Any]]:
    """The asset's customer questions, each with its live answers (title and id)."""
    if not question_ids:
        return []
    rows = session.exec(select(Question).where(col(Question.id).in_(list(question_ids)))).all()
    shown = questions.present(session, rows, now=now, caller=caller)
    titles = asset_titles(session, (a for q in shown for a in q.assets))
    return [
        {"text": q.text, "answers": [(a, titles[a]) for a in q.assets if a in titles]}
        for q in shown
    ]


def template_variables(subject: str, body: str) -> list[str]:
    """An email template's placeholder names, in order of first use (the grammar is the
    rendering module's `PLACEHOLDER`)."""
    names = (m.group(1) for text in (subject, body) for m in rendering.PLACEHOLDER.finditer(text))
    return list(dict.fromkeys(names))


def _asset_page(
    request: Request,
    viewer: Any,
    session: Session,
    asset: Asset,
    *,
    now: datetime,
    blobs: BlobStore,
    search_id: str | None,
    status: int = 200,
    **extra: Any,
) -> Response:
    caller = viewer.caller
    shown = presentation.present_one(session, asset, now=now, caller=caller)
    shown = links.with_links(session, caller, shown, now=now)
    subject = (asset.fields or {}).get("subject")
    subject_text = subject if isinstance(subject, str) else ""
    renders = rules_for(asset.kind).renders
    context: dict[str, Any] = {
        "asset": shown,
        "asset_id": asset.id,
        "kind_label": KINDS.get(shown.kind.value, shown.kind.value),
        "asked": [
            {**q, "answers": [(i, t) for i, t in q["answers"] if i != asset.id]}
            for q in _questions_of(session, caller, [q.id for q in shown.questions], now)
        ],
        "variables": template_variables(subject_text, asset.body) if renders else [],
        "renders": renders,
        "search_id": search_id,
        "labels": term_labels(session, caller, now),
        "filled": None,
        "values": {},
        "share_url": None,
        "share_error": None,
        "fill_error": None,
        "rated": None,
        **extra,
    }
    pdf = _pdf_path(asset, blobs)
    sha = asset.file_sha256
    pages: list[tuple[int, int, int]] = []
    busy = False
    # Everything the page shows is read: give the connection back before waiting for PDFium.
    session.commit()
    session.close()
    if pdf is not None and sha is not None:
        try:
            sizes = page_images(request).sizes(sha, pdf)
            pages = [(n, w, h) for n, (w, h) in enumerate(sizes[:PREVIEW_PAGES], start=1)]
        except PagesBusy:
            busy = True
    context.update(pages=pages, pages_busy=busy, is_pdf=pdf is not None)
    return render(request, "rep/asset.html", viewer, status=status, title=shown.title, **context)


@router.get("/assets/{asset_id}")
def asset_page(
    asset_id: Annotated[str, Path(max_length=64)],
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    now: NowDep,
    runtime: SearchDep,
    usage: UsageDep,
    blobs: BlobsDep,
    search_id: SearchId = None,
) -> Response:
    """The asset as a rep reads it; the view is recorded as GET /v1/assets/{id} records it."""
    found = _visible_or_page(request, viewer, session, asset_id, now)
    if isinstance(found, Response):
        return found
    if search_id:
        discovery.link_open(
            session,
            viewer.caller,
            search_id=search_id,
            asset_id=found.id,
            via="view",
            now=now,
            search_log=runtime.log,
        )
    usage.record(Use.by(viewer.caller, EventType.view, found.id, at=now, search_id=search_id))
    return _asset_page(request, viewer, session, found, now=now, blobs=blobs, search_id=search_id)


@router.get("/assets/{asset_id}/pages/{number}.png")
def asset_page_image(
    asset_id: Annotated[str, Path(max_length=64)],
    number: Annotated[int, Path(ge=1, le=PREVIEW_PAGES)],
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    now: NowDep,
    blobs: BlobsDep,
) -> Response:
    """One of the first pages of a PDF the viewer may see, as an image."""
    asset = visibility.get_visible(session, viewer.caller, asset_id, now=now)
    pdf = _pdf_path(asset, blobs)
    sha = asset.file_sha256
    if pdf is None or sha is None:
        raise NotFound(f"asset {asset_id} has no PDF pages")
    session.commit()
    session.close()  # no connection held while waiting for PDFium
    images = page_images(request)
    try:
        if number > images.page_count(sha, pdf):
            raise NotFound(f"no page {number}")
        image = images.image(sha, pdf, number)
    except PagesBusy:
        return PlainTextResponse(
            "Busy; try again in a few seconds.",
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
        )
    return FileResponse(
        image,
        media_type="image/png",
        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/assets/{asset_id}/render")
def asset_render(
    asset_id: Annotated[str, Path(max_length=64)],
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    now: NowDep,
    usage: UsageDep,
    blobs: BlobsDep,
    form: FormDep,
) -> Response:
    """Fill an email template's variables (`var:<name>` fields), as POST
    /v1/assets/{id}/render does; a missing value is a message on the form."""
    check_form(request, viewer, _text(form.get("csrf_token")))
    asset = visibility.get_visible(session, viewer.caller, asset_id, now=now)
    values = {
        key.removeprefix("var:"): _text(value).strip()
        for key, value in form.multi_items()
        if key.startswith("var:")
    }
    search_id = _text(form.get("search_id"))[: discovery.MAX_SEARCH_ID_CHARS] or None
    filled: RenderedEmail | None = None
    error = None
    try:
        filled = rendering.render_asset(
            session,
            viewer.caller,
            asset_id,
            variables={k: (v or None) for k, v in values.items()},
            now=now,
        )
        usage.record(Use.by(viewer.caller, EventType.render, asset_id, at=now))
    except BatonError as exc:
        error = exc.detail
    status = 200 if error is None else 422
    if is_htmx(request):
        return render(
            request,
            "rep/filled.html",
            viewer,  # 200: htmx swaps only a 2xx answer, and the message is the answer
            title="Filled",
            asset_id=asset_id,
            filled=filled,
            fill_error=error,
            search_id=search_id,
        )
    return _asset_page(
        request,
        viewer,
        session,
        asset,
        now=now,
        blobs=blobs,
        search_id=search_id,
        status=status,
        filled=filled,
        fill_error=error,
        values=values,
    )


@router.post("/assets/{asset_id}/share")
def asset_share(
    asset_id: Annotated[str, Path(max_length=64)],
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    blobs: BlobsDep,
    opportunity_id: Annotated[str, Form(max_length=200)] = "",
    recipient_email: Annotated[str, Form(max_length=320)] = "",
    search_id: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """A tracked share link for a buyer (POST /v1/share-links), shown once with a copy
    button; a refused one (internal, not live, a bad deal id) is a message on the form."""
    check_form(request, viewer, csrf_token)
    asset = visibility.get_visible(session, viewer.caller, asset_id, now=now)
    url = None
    error = None
    try:
        data = ShareLinkCreate.model_validate(
            {
                "asset_id": asset_id,
                "opportunity_id": opportunity_id.strip(),
                "recipient_email": recipient_email.strip() or None,
            }
        )
        _link, token = sharing.create_link(session, viewer.caller, data, now=now)
        url = sharing.link_url(settings.public_url or str(request.base_url), token)
    except ValidationError as exc:
        error = _share_problem(exc)
    except BatonError as exc:
        error = exc.detail
    status = 200 if error is None else 422
    if is_htmx(request):
        return render(
            request,
            "rep/shared.html",
            viewer,  # 200: htmx swaps only a 2xx answer
            title="Share link",
            share_url=url,
            share_error=error,
        )
    return _asset_page(
        request,
        viewer,
        session,
        asset,
        now=now,
        blobs=blobs,
        search_id=search_id or None,
        status=status,
        share_url=url,
        share_error=error,
    )


def _share_problem(exc: ValidationError) -> str:
    names = {"opportunity_id": "The deal id", "recipient_email": "The recipient's email"}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        if field in names:
            if field == "opportunity_id":
                return "Enter the deal's id from your CRM (the link is tracked per deal)."
            return f"{names[field]} is not valid: {error['msg']}."
    return describe_validation([dict(e) for e in exc.errors()])


@router.post("/assets/{asset_id}/feedback")
def asset_feedback(
    asset_id: Annotated[str, Path(max_length=64)],
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    now: NowDep,
    runtime: SearchDep,
    rating: Annotated[str, Form(max_length=20)] = "",
    search_id: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Helpful / not helpful, recorded as POST /v1/events records a rating."""
    check_form(request, viewer, csrf_token)
    if rating not in {EventType.helpful.value, EventType.not_helpful.value}:
        raise Invalid("choose helpful or not helpful")
    events.record_event(
        session,
        viewer.caller,
        asset_id=asset_id,
        type=rating,
        search_id=search_id or None,
        now=now,
        search_log=runtime.log,
    )
    if is_htmx(request):
        return render(request, "rep/rated.html", viewer, title="Thanks", rating=rating)
    back = f"/assets/{asset_id}" + (f"?search_id={search_id}" if search_id else "")
    return see_other(back, "Thanks for rating it: marketers see what helps.")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


# --- /questions ------------------------------------------------------------------------

# Answers shown under each question, newest approval first; the rest are counted.
ANSWERS_SHOWN = 5


@router.get("/questions")
def questions_page(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    now: NowDep,
    q: Annotated[str, Query(max_length=1000)] = "",
    offset: Offset = 0,
) -> Response:
    """What customers ask, most asked first (or best match for `q`), with live answers."""
    rows, total = questions.list_questions(
        session, now=now, q=q or None, page=PageRequest(PAGE_SIZE, offset), caller=viewer.caller
    )
    # The newest few answers of each (a question may be answered by hundreds of pieces).
    answers = questions.newest_answers(
        session, [row.id for row in rows], now=now, caller=viewer.caller, newest=ANSWERS_SHOWN
    )
    titles = asset_titles(session, (a for newest, _ in answers.values() for a in newest))
    kept = [("q", q)] if q else []
    context: dict[str, Any] = {
        "q": q,
        "questions": [
            {
                "text": row.text,
                "asked": row.asked_count,
                "answers": [(a, titles[a]) for a in newest if a in titles],
                "more": max(0, count - len(newest)),
            }
            for row in rows
            for newest, count in [answers.get(row.id, ([], 0))]
        ],
        "total": total,
        "previous": _url("/questions", [*kept, ("offset", str(max(0, offset - PAGE_SIZE)))])
        if offset
        else None,
        "next": _url("/questions", [*kept, ("offset", str(offset + PAGE_SIZE))])
        if offset + PAGE_SIZE < total
        else None,
    }
    template = "rep/questions_results.html" if wants_fragment(request) else "rep/questions.html"
    return render(request, template, viewer, title="What customers ask", **context)


# --- /collections ----------------------------------------------------------------------

MAX_COLLECTIONS = 200


@router.get("/collections")
def collections_page(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    now: NowDep,
    stage: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Pitch kits by name (a rep: those with a live member), optionally for one stage."""
    rows, total = collections.list_collections(
        session, viewer.caller, now=now, page=PageRequest(MAX_COLLECTIONS, 0), stage=stage
    )
    shown = collections.present(session, viewer.caller, rows, now=now)
    labels = term_labels(session, viewer.caller, now)
    return render(
        request,
        "rep/collections.html",
        viewer,
        title="Pitch kits",
        collections=shown,
        stage=stage,
        stages=labels["stage"],
        labels=labels,
        kinds=KINDS,
        more=total > MAX_COLLECTIONS,
    )


@router.get("/collections/{collection_id}")
def collection_page(
    collection_id: Annotated[str, Path(max_length=64)],
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """A pitch kit with its live members in order."""
    found = collections.get_visible(session, viewer.caller, collection_id, now=now)
    shown = collections.present(session, viewer.caller, [found], now=now)[0]
    return render(
        request,
        "rep/collection.html",
        viewer,
        title=shown.name,
        collection=shown,
        **_page_context(session, viewer.caller, now),
    )


# --- /suggest --------------------------------------------------------------------------


def _suggest_form(session: Session, caller: Caller, now: NowDep) -> dict[str, Any]:
    labels = term_labels(session, caller, now)
    return {"stages": labels["stage"], "industries": labels["industry"], "labels": labels}


@router.get("/suggest")
def suggest_page(request: Request, viewer: ViewerDep, session: SessionDep, now: NowDep) -> Response:
    return render(
        request,
        "rep/suggest.html",
        viewer,
        title="Suggest for a deal",
        text="",
        stage="",
        industry="",
        found=None,
        kinds=KINDS,
        **_suggest_form(session, viewer.caller, now),
    )


@router.post("/suggest")
def suggest_post(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    now: NowDep,
    runtime: SearchDep,
    memory: SuggestionsDep,
    settings: SettingsDep,
    text: Annotated[str, Form()] = "",
    stage: Annotated[str, Form(max_length=200)] = "",
    industry: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Suggestions for the pasted email or notes, from POST /v1/suggestions' service."""
    check_form(request, viewer, csrf_token)
    found = None
    error = None
    try:
        if not text.strip() and not stage and not industry:
            raise Invalid("Paste an email or call notes, or choose a stage or an industry.")
        body = SuggestionRequest.model_validate(
            {"text": text, "stage": stage or None, "industry": industry or None, "limit": 10}
        )
        found = suggestions.suggest(
            session,
            body,
            now=now,
            backend=runtime.backend,
            memory=memory,
            caller=viewer.caller,
            overdue_demotion=settings.overdue_demotion,
        )
    except ValidationError as exc:
        error = describe_validation([dict(e) for e in exc.errors()])
    except BatonError as exc:
        error = exc.detail
    titles: Mapping[str, str] = {}
    if found is not None:
        titles = asset_titles(session, (a for q in found.questions for a in q.assets))
    return render(
        request,
        "rep/suggest.html",
        viewer,
        status=200 if error is None else 422,
        title="Suggest for a deal",
        text=text,
        stage=stage,
        industry=industry,
        found=found,
        answer_titles=titles,
        error=error,
        kinds=KINDS,
        **_suggest_form(session, viewer.caller, now),
    )
