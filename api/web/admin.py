"""The admin pages: people (invite, role, disable, remove, audiences), everyone's API keys,
webhooks with their delivery logs, and the audit log.

Each route is thin: it checks the form, calls the services the `/v1` routes call
(`api.users.service`, `api.accounts.service`, `api.audiences.service`,
`api.notifications.service`, `api.audit.service`) and renders. A refusal a person can act
on (the last admin, a taken email, a bad webhook URL) is shown on the page it came from,
with the service's own words; secrets (an invite link, a webhook's signing secret) are
shown once in the answer to the POST that made them, never carried in a cookie."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Query, Request, Response
from pydantic import ValidationError
from sqlmodel import Session, col, func, select

from api.accounts.models import AccountToken, Password, TokenPurpose, WebSession
from api.accounts.routes import send_invite
from api.audiences import service as audiences
from api.audit import service as audit
from api.audit.models import AuditEntry
from api.deps import KeyUsageDep, NowDep, SessionDep, SettingsDep
from api.errors import BatonError, Conflict, Invalid, validation_errors
from api.notifications import service as notifications
from api.notifications.delivery import message_id
from api.notifications.events import NotificationType
from api.notifications.schemas import WebhookCreate, WebhookUpdate
from api.notifications.sealing import seal, unseal, unseal_recent
from api.paging import MAX_OFFSET, PageRequest
from api.settings import Settings
from api.users import service as users
from api.users.models import Role, User
from api.users.schemas import KeyOut, UserCreate, UserDetail
from api.web.pages import AdminPage, Viewer, check_form, page_router, render, see_other

router = page_router()

PEOPLE_PAGE = 50
KEYS_PAGE = 50
AUDIT_PAGE = 50
DELIVERIES_PAGE = 20
# Which webhook's new secret its page shows, once (`_reveal_once`).
REVEAL_COOKIE = "baton_reveal"
# A new invite link, sealed, for the person's page to show once (`_show_invite_once`).
INVITE_COOKIE = "baton_invite"
# How long such a cookie lives: the redirect's page reads it at once (`_see_once`).
SHOWN_ONCE_WITHIN = 120  # seconds
ALL = PageRequest(limit=1000, offset=0)
EVENTS = [e.value for e in NotificationType]
# How long a rotated-out secret keeps signing beside the new one (the API's default: a day).
GRACES = {"0": "Stop it at once", "3600": "One hour", "86400": "One day", "604800": "Seven days"}

CsrfField = Annotated[str, Form(max_length=200)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


def when(moment: datetime | None, empty: str = "never") -> str:
    """A time as the admin pages show it: UTC, to the minute."""
    if moment is None:
        return empty
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _page(request: Request, template: str, viewer: Viewer, **context: Any) -> Response:
    return render(request, template, viewer, when=when, **context)


def _field_errors(exc: ValidationError | Invalid) -> dict[str, str]:
    """Messages by field name (the last part of each error's `loc`)."""
    raw = (
        validation_errors(exc.errors()) if isinstance(exc, ValidationError) else exc.extra["errors"]
    )
    shown: dict[str, str] = {}
    for error in raw:
        loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
        shown.setdefault(loc[-1] if loc else "form", error["msg"])
    return shown


# --- people ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    """A person as the people page lists them: what `GET /v1/users` says, and how they
    sign in to the web app."""

    detail: UserDetail
    sign_in: str
    last_seen: datetime | None
    invite_pending: bool


def _people_rows(
    session: Session, details: list[UserDetail], *, now: datetime, settings: Settings
) -> list[PersonRow]:
    ids = [d.id for d in details]
    with_password: set[str] = set()
    methods: dict[str, set[str]] = {}
    seen: dict[str, datetime] = {}
    invited: set[str] = set()
    if ids:
        with_password = set(
            session.exec(select(Password.user_id).where(col(Password.user_id).in_(ids))).all()
        )
        for user_id, method, latest in session.exec(
            select(WebSession.user_id, WebSession.method, func.max(WebSession.last_seen_at))
            .where(col(WebSession.user_id).in_(ids))
            .group_by(col(WebSession.user_id), col(WebSession.method))
        ).all():
            methods.setdefault(user_id, set()).add(method)
            if latest is not None and (user_id not in seen or latest > seen[user_id]):
                seen[user_id] = latest
        invited = set(
            session.exec(
                select(AccountToken.user_id).where(
                    col(AccountToken.user_id).in_(ids),
                    col(AccountToken.purpose) == TokenPurpose.invite.value,
                    col(AccountToken.used_at).is_(None),
                    col(AccountToken.expires_at) > now,
                )
            ).all()
        )
    rows = []
    for d in details:
        ways = []
        if d.id in with_password:
            ways.append("Password")
        if "oidc" in methods.get(d.id, set()):
            ways.append("Single sign-on")
        if not ways:
            ways.append("Single sign-on" if settings.oidc_issuer else "Not set up yet")
        times = [t for t in (d.last_used_at, seen.get(d.id)) if t is not None]
        last = max(times) if times else None
        rows.append(
            PersonRow(
                detail=d,
                sign_in=", ".join(ways),
                last_seen=last,
                invite_pending=d.id in invited,
            )
        )
    return rows


def _people_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    settings: Settings,
    now: datetime,
    offset: int = 0,
    removed: bool = False,
    *,
    status: int = 200,
    **context: Any,
) -> Response:
    found, total = users.list_users(
        session, page=PageRequest(limit=PEOPLE_PAGE, offset=offset), include_removed=removed
    )
    rows = _people_rows(
        session, users.describe(session, found, now=now), now=now, settings=settings
    )
    context.setdefault("form", {"role": Role.rep.value})
    context.setdefault("errors", {})
    return _page(
        request,
        "admin/people.html",
        viewer,
        title="People",
        status=status,
        rows=rows,
        total=total,
        offset=offset,
        limit=PEOPLE_PAGE,
        removed=removed,
        roles=[r.value for r in Role],
        smtp=settings.smtp_url is not None,
        **context,
    )


@router.get("/admin/people")
def people_page(
    request: Request,
    viewer: AdminPage,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    offset: Offset = 0,
    removed: Annotated[bool, Query()] = False,
) -> Response:
    """People, oldest first: active and disabled ones, and removed ones when asked."""
    return _people_page(request, session, viewer, settings, now, offset, removed)


def _invite(
    request: Request, session: Session, settings: Settings, user: User, now: datetime
) -> tuple[str | None, datetime]:
    """An invite link for the person, as `POST /v1/users/{id}/invite` makes it: emailed
    when BATON_SMTP_URL is set (None returned), else returned to be shown."""
    made = send_invite(request, session, settings, user, now)
    return made.url, made.expires_at


@router.post("/admin/people")
def invite_person(
    request: Request,
    viewer: AdminPage,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=400)],
    role: Annotated[str, Form(max_length=20)],
    name: Annotated[str, Form(max_length=400)] = "",
    csrf_token: CsrfField = "",
) -> Response:
    """Invite a person: they are created (without an API key) and get a link to set their
    password, emailed or shown here to copy."""
    check_form(request, viewer, csrf_token)
    form = {"email": email, "name": name, "role": role}
    try:
        data = UserCreate(email=email, role=role, name=name.strip() or None)
    except ValidationError as exc:
        errors = _field_errors(exc)
        return _people_page(
            request, session, viewer, settings, now, status=422, form=form, errors=errors,
            error="Check the invitation: " + "; ".join(errors.values()),
        )  # fmt: skip
    try:
        user, _ = users.create_user(
            session, email=data.email, role=data.role, name=data.name, first_key=False
        )
        url, expires = _invite(request, session, settings, user, now)
    except BatonError as exc:
        session.rollback()
        return _people_page(
            request, session, viewer, settings, now, status=exc.status, form=form,
            errors={"email": exc.detail} if isinstance(exc, Conflict) else {}, error=exc.detail,
        )  # fmt: skip
    if url is None:
        return see_other(
            f"/admin/people/{user.id}", f"{user.email} is invited: the link was emailed to them."
        )
    session.commit()
    return _show_invite_once(request, user.id, url, expires, new=True) or _person_page(
        request, session, viewer, settings, now, user.id,
        invite={"url": url, "expires": expires, "new": True},
    )  # fmt: skip


def _person_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    settings: Settings,
    now: datetime,
    user_id: str,
    *,
    status: int = 200,
    **context: Any,
) -> Response:
    person = users.get_user(session, user_id)
    (row,) = _people_rows(
        session, users.describe(session, [person], now=now), now=now, settings=settings
    )
    every, _ = audiences.list_audiences(session, page=ALL)
    heirs = [
        p
        for p in users.list_users(session, page=ALL)[0]
        if p.active and p.id != person.id and Role(p.role).at_least(Role.marketer)
    ]
    return _page(
        request,
        "admin/person.html",
        viewer,
        title=person.name or person.email,
        status=status,
        row=row,
        person=person,
        audiences=every,
        heirs=heirs,
        roles=[r.value for r in Role],
        smtp=settings.smtp_url is not None,
        **context,
    )


@router.get("/admin/people/{user_id}")
def person_page(
    request: Request,
    user_id: str,
    viewer: AdminPage,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """A person; right after an invite link was made for them, that link, once."""
    path = f"/admin/people/{user_id}"
    carried = request.cookies.get(INVITE_COOKIE, "")
    invite = _carried_invite(carried, user_id) if carried else None
    page = _person_page(request, session, viewer, settings, now, user_id, invite=invite)
    if carried:
        page.delete_cookie(INVITE_COOKIE, path=path)
    return page


def _show_invite_once(
    request: Request, user_id: str, url: str, expires: datetime, *, new: bool
) -> Response | None:
    """Post/redirect/get to the person's page, which shows the new invite link once: a
    reload neither makes another link (which would stop this one working) nor shows it
    again. The link is stored only as a hash, so it travels to that page in a cookie sealed
    with the server's key (`api.notifications.sealing`), for that path and 2 minutes.
    None without a key (a data directory refusing writes): the caller shows the link in
    its answer."""
    carried = json.dumps({"user": user_id, "url": url, "expires": expires.isoformat(), "new": new})
    try:
        sealed = seal(carried)
    except RuntimeError:
        return None
    return _see_once(request, f"/admin/people/{user_id}", INVITE_COOKIE, sealed)


def _carried_invite(sealed: str, user_id: str) -> dict[str, Any] | None:
    """The invite link `_show_invite_once` sealed for this person, if recent and theirs."""
    opened = unseal_recent(sealed, SHOWN_ONCE_WITHIN)
    try:
        carried = json.loads(opened) if opened else None
        if not isinstance(carried, dict) or carried.get("user") != user_id:
            return None
        return {
            "url": str(carried["url"]),
            "expires": datetime.fromisoformat(str(carried["expires"])),
            "new": bool(carried["new"]),
        }
    except (ValueError, KeyError):
        return None


def _person_change(
    request: Request,
    session: Session,
    viewer: Viewer,
    settings: Settings,
    now: datetime,
    user_id: str,
    change: Any,
    done: str,
) -> Response:
    """Run `change()`; a refusal is shown on the person's page with the service's words."""
    try:
        change()
    except BatonError as exc:
        session.rollback()
        return _person_page(
            request, session, viewer, settings, now, user_id, status=exc.status, error=exc.detail
        )
    return see_other(f"/admin/people/{user_id}", done)


@router.post("/admin/people/{user_id}/role")
def change_role(
    request: Request,
    user_id: str,
    viewer: AdminPage,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    role: Annotated[Role, Form()],
    csrf_token: CsrfField = "",
) -> Response:
    check_form(request, viewer, csrf_token)
    person = users.get_user(session, user_id)
    answer = _person_change(
        request, session, viewer, settings, now, user_id,
        lambda: users.update_user(session, user_id, now=now, role=role),
        f"{person.email}'s role is now {role.value}.",
    )  # fmt: skip
    if user_id == viewer.caller.id and role is not Role.admin and answer.status_code == 303:
        # No longer an admin: the person's page would be a 403; go back to the app.
        return see_other("/", f"Your role is now {role.value}.")
    return answer


@router.post("/admin/people/{user_id}/active")
def change_active(
    request: Request,
    user_id: str,
    viewer: AdminPage,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    active: Annotated[bool, Form()],
    csrf_token: CsrfField = "",
) -> Response:
    check_form(request, viewer, csrf_token)
    person = users.get_user(session, user_id)
    done = (
        f"{person.email} is enabled again: their keys work."
        if active
        else f"{person.email} is disabled: signed out, and their keys stop until enabled."
    )
    return _person_change(
        request, session, viewer, settings, now, user_id,
        lambda: users.update_user(session, user_id, now=now, active=active),
        done,
    )  # fmt: skip


@router.post("/admin/people/{user_id}/invite")
def reinvite(
    request: Request,
    user_id: str,
    viewer: AdminPage,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    csrf_token: CsrfField = "",
) -> Response:
    """A new invite link (their earlier ones stop working)."""
    check_form(request, viewer, csrf_token)
    person = users.get_user(session, user_id)
    try:
        url, expires = _invite(request, session, settings, person, now)
    except BatonError as exc:
        session.rollback()
        return _person_page(
            request, session, viewer, settings, now, user_id, status=exc.status, error=exc.detail
        )
    if url is None:
        return see_other(
            f"/admin/people/{user_id}", f"A new invite link was emailed to {person.email}."
        )
    session.commit()
    return _show_invite_once(request, user_id, url, expires, new=False) or _person_page(
        request, session, viewer, settings, now, user_id,
        invite={"url": url, "expires": expires, "new": False},
    )  # fmt: skip


@router.post("/admin/people/{user_id}/audiences")
def change_audience(
    request: Request,
    user_id: str,
    viewer: AdminPage,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    audience: Annotated[str, Form(max_length=100)],
    member: Annotated[bool, Form()],
    csrf_token: CsrfField = "",
) -> Response:
    check_form(request, viewer, csrf_token)
    person = users.get_user(session, user_id)
    if member:
        change: Any = lambda: audiences.add_member(session, audience, user_id, now=now)  # noqa: E731
        done = f"{person.email} is now in the audience {audience}."
    else:
        change = lambda: audiences.remove_member(session, audience, user_id)  # noqa: E731
        done = f"{person.email} is no longer in the audience {audience}."
    return _person_change(request, session, viewer, settings, now, user_id, change, done)


@router.post("/admin/people/{user_id}/remove")
def remove_person(
    request: Request,
    user_id: str,
    viewer: AdminPage,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    reassign_to: Annotated[str, Form(max_length=32)] = "",
    csrf_token: CsrfField = "",
) -> Response:
    """Remove the person (their keys stop, they are signed out); their assets go to the
    chosen marketer or admin, or keep them as owner."""
    check_form(request, viewer, csrf_token)
    person = users.get_user(session, user_id)
    try:
        moved = users.delete_user(session, user_id, now=now, reassign_to=reassign_to or None)
    except BatonError as exc:
        session.rollback()
        return _person_page(
            request, session, viewer, settings, now, user_id, status=exc.status, error=exc.detail
        )
    said = f"{person.email} is removed."
    if moved:
        said += f" {moved} asset{'s' if moved != 1 else ''} reassigned."
    return see_other("/admin/people", said)


# --- keys --------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRow:
    key: KeyOut
    owner: User


@router.get("/admin/keys")
def keys_page(
    request: Request,
    viewer: AdminPage,
    session: SessionDep,
    now: NowDep,
    usage: KeyUsageDep,
    offset: Offset = 0,
    revoked: Annotated[bool, Query()] = False,
    person: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """Everyone's API keys (or one person's), newest first; revoked ones only when asked."""
    owner_shown = users.get_user(session, person) if person else None
    keys, total = users.list_keys(
        session,
        person or None,
        page=PageRequest(limit=KEYS_PAGE, offset=offset),
        revoked=revoked,
    )
    owners = users.people(session, {k.user_id for k in keys})
    shown = [
        KeyRow(key=KeyOut.of(k, now=now, last_used=usage.last_used(k.id)), owner=owners[k.user_id])
        for k in keys
    ]
    return _page(
        request,
        "admin/keys.html",
        viewer,
        title="API keys",
        rows=shown,
        total=total,
        offset=offset,
        limit=KEYS_PAGE,
        revoked=revoked,
        person=owner_shown,
        params=urlencode(
            {k: v for k, v in {"person": person, "revoked": revoked and "true"}.items() if v}
        ),
        now=now,
    )


@router.post("/admin/keys/{key_id}/revoke")
def revoke_key(
    request: Request,
    key_id: str,
    viewer: AdminPage,
    session: SessionDep,
    now: NowDep,
    user_id: Annotated[str, Form(max_length=32)],
    csrf_token: CsrfField = "",
) -> Response:
    check_form(request, viewer, csrf_token)
    key, revoked = users.revoke_key(session, key_id, now=now, user_id=user_id)
    owner = users.get_user(session, user_id)
    said = (
        f"The key “{key.name}” ({key.prefix}…) of {owner.email} is revoked: it stops at once."
        if revoked
        else f"The key “{key.name}” ({key.prefix}…) was already revoked."
    )
    return see_other("/admin/keys", said)


# --- webhooks ----------------------------------------------------------------------------


def _webhooks_page(
    request: Request, session: Session, viewer: Viewer, *, status: int = 200, **context: Any
) -> Response:
    hooks, total = notifications.list_webhooks(session, page=ALL)
    context.setdefault("form", {"events": [], "url": "", "description": ""})
    context.setdefault("errors", {})
    return _page(
        request,
        "admin/webhooks.html",
        viewer,
        title="Webhooks",
        status=status,
        hooks=hooks,
        total=total,
        events=EVENTS,
        **context,
    )


@router.get("/admin/webhooks")
def webhooks_page(request: Request, viewer: AdminPage, session: SessionDep) -> Response:
    return _webhooks_page(request, session, viewer)


def _hook_form(url: str, events: list[str], description: str) -> dict[str, Any]:
    return {"url": url, "events": events, "description": description}


@router.post("/admin/webhooks")
def create_webhook(
    request: Request,
    viewer: AdminPage,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    url: Annotated[str, Form(max_length=4000)] = "",
    events: Annotated[list[str] | None, Form(max_length=100)] = None,
    description: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: CsrfField = "",
) -> Response:
    """A new webhook; its signing secret is shown on the page this answers, once."""
    check_form(request, viewer, csrf_token)
    form = _hook_form(url, events or [], description)
    try:
        data = WebhookCreate(url=url.strip(), events=events or [], description=description)
        hook = notifications.create_webhook(
            session, viewer.caller, data, now=now, allow_private=settings.webhook_allow_private
        )
    except (ValidationError, Invalid) as exc:
        session.rollback()
        errors = _field_errors(exc)
        return _webhooks_page(
            request, session, viewer, status=422, form=form, errors=errors,
            error="Check the webhook: " + "; ".join(errors.values()),
        )  # fmt: skip
    session.commit()
    return _reveal_once(request, hook.id, "created")


def _webhook_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    webhook_id: str,
    *,
    status: int = 200,
    offset: int = 0,
    delivery_status: str | None = None,
    **context: Any,
) -> Response:
    hook = notifications.get_webhook(session, webhook_id)
    rows, total = notifications.list_deliveries(
        session,
        webhook_id,
        status=delivery_status,
        page=PageRequest(limit=DELIVERIES_PAGE, offset=offset),
    )
    logs = notifications.attempt_logs(session, [r.id for r in rows])
    context.setdefault("form", _hook_form(hook.url, list(hook.events), hook.description))
    context.setdefault("errors", {})
    return _page(
        request,
        "admin/webhook.html",
        viewer,
        title=f"Webhook {hook.url}",
        status=status,
        hook=hook,
        deliveries=[(d, logs[d.id], message_id(d.event_id)) for d in rows],
        total=total,
        offset=offset,
        limit=DELIVERIES_PAGE,
        delivery_status=delivery_status,
        events=EVENTS,
        graces=GRACES,
        **context,
    )


@router.get("/admin/webhooks/{webhook_id}")
def webhook_page(
    request: Request,
    webhook_id: str,
    viewer: AdminPage,
    session: SessionDep,
    offset: Offset = 0,
    status: Annotated[str, Query(pattern="^(|pending|delivered|failed)$")] = "",
) -> Response:
    """One webhook: its settings, and its delivery log with every attempt; its signing
    secret right after it was created or rotated (`_reveal_once`), that once."""
    path = f"/admin/webhooks/{webhook_id}"
    reveal = request.cookies.get(REVEAL_COOKIE, "")
    shown: dict[str, Any] = {}
    if reveal in {f"{webhook_id}:created", f"{webhook_id}:rotated"}:
        hook = notifications.get_webhook(session, webhook_id)
        shown = {"secret": unseal(hook.secret), "created": reveal.endswith(":created")}
    page = _webhook_page(
        request,
        session,
        viewer,
        webhook_id,
        offset=offset,
        delivery_status=status or None,
        **shown,
    )
    if reveal:
        page.delete_cookie(REVEAL_COOKIE, path=path)
    return page


def _reveal_once(request: Request, webhook_id: str, what: str) -> Response:
    """Post/redirect/get to the webhook's page, which shows its new secret once: a reload
    neither repeats the action nor shows the secret again. The cookie says only which
    webhook to reveal (the page reads the secret); it lives 2 minutes, for that page."""
    return _see_once(
        request, f"/admin/webhooks/{webhook_id}", REVEAL_COOKIE, f"{webhook_id}:{what}"
    )


def _see_once(request: Request, path: str, cookie: str, value: str) -> Response:
    """A 303 to `path` with a cookie for that page alone, for `SHOWN_ONCE_WITHIN` seconds
    (the page reads it, then deletes it): what a post/redirect/get carries to the page
    that shows a new secret once."""
    response = see_other(path)
    response.set_cookie(
        cookie,
        value,
        max_age=SHOWN_ONCE_WITHIN,
        path=path,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/admin/webhooks/{webhook_id}")
def edit_webhook(
    request: Request,
    webhook_id: str,
    viewer: AdminPage,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    url: Annotated[str, Form(max_length=4000)] = "",
    events: Annotated[list[str] | None, Form(max_length=100)] = None,
    description: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: CsrfField = "",
) -> Response:
    check_form(request, viewer, csrf_token)
    form = _hook_form(url, events or [], description)
    try:
        data = WebhookUpdate(url=url.strip(), events=events or [], description=description)
        notifications.update_webhook(
            session, webhook_id, data, now=now, allow_private=settings.webhook_allow_private
        )
    except (ValidationError, Invalid) as exc:
        session.rollback()
        errors = _field_errors(exc)
        return _webhook_page(
            request, session, viewer, webhook_id, status=422, form=form, errors=errors,
            error="Check the webhook: " + "; ".join(errors.values()),
        )  # fmt: skip
    return see_other(f"/admin/webhooks/{webhook_id}", "The webhook is saved.")


@router.post("/admin/webhooks/{webhook_id}/active")
def webhook_active(
    request: Request,
    webhook_id: str,
    viewer: AdminPage,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    active: Annotated[bool, Form()],
    csrf_token: CsrfField = "",
) -> Response:
    check_form(request, viewer, csrf_token)
    notifications.update_webhook(
        session,
        webhook_id,
        WebhookUpdate(active=active),
        now=now,
        allow_private=settings.webhook_allow_private,
    )
    said = (
        "The webhook is enabled: new events are delivered to it."
        if active
        else "The webhook is disabled: no new events are delivered to it."
    )
    return see_other(f"/admin/webhooks/{webhook_id}", said)


@router.post("/admin/webhooks/{webhook_id}/rotate")
def rotate_secret(
    request: Request,
    webhook_id: str,
    viewer: AdminPage,
    session: SessionDep,
    now: NowDep,
    grace: Annotated[int, Form(ge=0, le=7 * 86_400)] = 86_400,
    csrf_token: CsrfField = "",
) -> Response:
    """A new signing secret, shown once on the page this answers."""
    check_form(request, viewer, csrf_token)
    notifications.rotate_secret(session, webhook_id, grace=timedelta(seconds=grace), now=now)
    session.commit()
    return _reveal_once(request, webhook_id, "rotated")


@router.post("/admin/webhooks/{webhook_id}/delete")
def delete_webhook(
    request: Request,
    webhook_id: str,
    viewer: AdminPage,
    session: SessionDep,
    csrf_token: CsrfField = "",
) -> Response:
    check_form(request, viewer, csrf_token)
    hook = notifications.get_webhook(session, webhook_id)
    url = hook.url
    notifications.delete_webhook(session, webhook_id)
    return see_other("/admin/webhooks", f"The webhook for {url} is deleted, with its delivery log.")


@router.post("/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")
def redeliver(
    request: Request,
    webhook_id: str,
    delivery_id: str,
    viewer: AdminPage,
    session: SessionDep,
    now: NowDep,
    csrf_token: CsrfField = "",
) -> Response:
    check_form(request, viewer, csrf_token)
    try:
        notifications.redeliver(session, webhook_id, delivery_id, now=now)
    except BatonError as exc:
        session.rollback()
        return _webhook_page(
            request, session, viewer, webhook_id, status=exc.status, error=exc.detail
        )
    return see_other(
        f"/admin/webhooks/{webhook_id}", "The delivery is queued again: it is sent within moments."
    )


# --- audit -------------------------------------------------------------------------------


def _day(text: str, name: str) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{name}: a date like 2026-11-30", loc=["query", name]) from None
    if day >= date.max:  # the day after it (the end of a "to" day) does not exist
        raise Invalid(f"{name}: a date before 9999-12-31", loc=["query", name])
    return day


@dataclass(frozen=True)
class AuditQuery:
    """The audit page's filters, as its query parameters name them."""

    actor: str = ""
    action: str = ""
    subject: str = ""
    subject_id: str = ""
    since: str = ""  # a day, from its start (UTC)
    until: str = ""  # a day, to its end (UTC)

    def filters(self) -> audit.AuditFilters:
        since, until = _day(self.since, "from"), _day(self.until, "to")
        return audit.AuditFilters(
            actor=self.actor or None,
            action=self.action or None,
            subject=self.subject or None,
            subject_id=self.subject_id or None,
            since=datetime.combine(since, time(), UTC) if since else None,
            until=datetime.combine(until + timedelta(days=1), time(), UTC) if until else None,
        )

    def params(self, **more: Any) -> str:
        """The filters as the page's own query string (`from`, `to` for the days)."""
        names = {"since": "from", "until": "to"}
        given = {names.get(k, k): v for k, v in vars(self).items() if v}
        given.update({k: v for k, v in more.items() if v})
        return urlencode(given)

    def api_params(self, **more: Any) -> str:
        """The same filters as `GET /v1/audit` takes them."""
        f = self.filters()
        given: dict[str, Any] = {
            "actor": f.actor,
            "action": f.action,
            "subject": f.subject,
            "subject_id": f.subject_id,
            "since": f.since.strftime("%Y-%m-%dT%H:%M:%SZ") if f.since else None,
            "until": f.until.strftime("%Y-%m-%dT%H:%M:%SZ") if f.until else None,
            **more,
        }
        return urlencode({k: v for k, v in given.items() if v})


Filter = Annotated[str, Query(max_length=64)]


@router.get("/admin/audit")
def audit_page(
    request: Request,
    viewer: AdminPage,
    session: SessionDep,
    offset: Offset = 0,
    actor: Filter = "",
    action: Filter = "",
    subject: Annotated[str, Query(max_length=32)] = "",
    subject_id: Filter = "",
    since: Annotated[str, Query(alias="from", max_length=10)] = "",
    until: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    """The audit log, newest first, filtered by the query parameters."""
    shown = AuditQuery(
        actor=actor.strip(),
        action=action.strip(),
        subject=subject.strip(),
        subject_id=subject_id.strip(),
        since=since,
        until=until,
    )
    error = None
    try:
        entries, total = audit.list_entries(
            session, shown.filters(), page=PageRequest(limit=AUDIT_PAGE, offset=offset)
        )
    except Invalid as exc:
        entries, total, error = [], 0, exc.detail
    actors = users.list_users(session, page=ALL, include_removed=True)[0]
    subjects = session.exec(
        select(AuditEntry.subject).distinct().order_by(col(AuditEntry.subject))
    ).all()
    return _page(
        request,
        "admin/audit.html",
        viewer,
        title="Audit log",
        status=422 if error else 200,
        error=error,
        entries=entries,
        total=total,
        offset=offset,
        limit=AUDIT_PAGE,
        query=shown,
        actors=actors,
        subjects=subjects,
    )


def _subject_href(entry: AuditEntry) -> str | None:
    """Where an admin page shows the entry's subject, if one does."""
    if not entry.subject_id:
        return None
    return {
        "user": f"/admin/people/{entry.subject_id}",
        "webhook": f"/admin/webhooks/{entry.subject_id}",
    }.get(entry.subject)


@router.get("/admin/audit/{entry_id}")
def audit_entry_page(
    request: Request,
    entry_id: int,
    viewer: AdminPage,
    session: SessionDep,
) -> Response:
    """One entry: who, when, what, and each changed field before and after."""
    if not 1 <= entry_id <= 2**63 - 1:
        raise Invalid("an audit entry's id is a positive number", loc=["path", "entry_id"])
    entry = audit.get_entry(session, entry_id)
    before, after = entry.before or {}, entry.after or {}
    fields = list(dict.fromkeys([*before, *after]))
    changes = [(f, before.get(f), after.get(f), f in before, f in after) for f in fields]
    return _page(
        request,
        "admin/audit_entry.html",
        viewer,
        title=f"Audit entry {entry.id}",
        entry=entry,
        changes=changes,
        subject_href=_subject_href(entry),
        shown=_shown,
    )


def _shown(value: Any) -> str:
    """A field's value in an entry: text as it is, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)
