"""The sign-in pages (server-rendered, no script: /signin, /signout, /account, the password
change at /account/password, invite and reset links, single sign-on, the extension's key,
the demo's one-click sign-in) and `POST /v1/users/{id}/invite`.

Signing in lands in the web app (`/`, which opens the search page) unless `next` names
another page of this server. The one-click "Sign in as <demo person>" of /signin exists
only in a server started by `baton serve --demo` (`enable_demo_sign_in`).

Each page is a thin layer over `api.accounts.service` and `api.accounts.oidc`; forms carry
a CSRF token (the session's synchronizer token once signed in, the `baton_csrf`
double-submit token before) and are refused from another origin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, BackgroundTasks, FastAPI, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from api.accounts import oidc
from api.accounts import service as accounts
from api.accounts.models import TokenPurpose
from api.accounts.schemas import InviteOut
from api.accounts.web import (
    CSRF_COOKIE,
    OIDC_COOKIE,
    SESSION_COOKIE,
    clear_cookie,
    client_address,
    origin_ok,
    page_headers,
    set_cookie,
)
from api.audit.service import act_as
from api.deps import AdminDep, NowDep, SessionDep, SettingsDep
from api.errors import BatonError, Unauthorized
from api.openapi import errors
from api.settings import Settings
from api.users import service as users
from api.users.models import User
from api.users.service import Caller

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
CSS = (HERE / "static" / "accounts.css").read_bytes()
EXTENSION_KEY_NAME = "CRM extension"
# Where people land after signing in, unless `next` names another page: the web app.
HOME = "/"

pages = APIRouter(include_in_schema=False)
router = APIRouter(prefix="/v1", tags=["users"])

FormStr = Annotated[str, Form(max_length=2000)]
Password = Annotated[str, Form(max_length=accounts.MAX_PASSWORD + 1)]


# --- helpers -----------------------------------------------------------------------------


def _render(request: Request, name: str, *, status: int = 200, **context: Any) -> Response:
    context.setdefault("error", None)
    context.setdefault("notice", None)
    response = templates.TemplateResponse(request, name, context, status_code=status)
    return page_headers(response, form_action=context.get("form_action", ""))


def public_base(request: Request, settings: Settings) -> str:
    return settings.public_url or str(request.base_url).rstrip("/")


def _local(path: str | None) -> str:
    """Only a path on this server (never //host or a scheme) is a place to go next; by
    default the web app (`/` opens the search page)."""
    if not path or not path.startswith("/") or path.startswith(("//", "/\\")):
        return HOME
    return path


def _anonymous_form(request: Request, settings: Settings, name: str, **context: Any) -> Response:
    """A form shown before sign-in, with its double-submit CSRF token."""
    token = request.cookies.get(CSRF_COOKIE) or accounts.new_secret()
    response = _render(request, name, csrf=token, **context)
    if request.cookies.get(CSRF_COOKIE) != token:
        set_cookie(response, request, settings, CSRF_COOKIE, token, max_age=None, samesite="strict")
    return response


def _anonymous_ok(request: Request, settings: Settings, submitted: str) -> bool:
    return origin_ok(request, settings) and accounts.csrf_matches(
        request.cookies.get(CSRF_COOKIE), submitted
    )


def _signed_in(
    request: Request, session: Session, settings: Settings, now: Any
) -> tuple[Caller, str] | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        caller = accounts.session_caller(
            session, cookie, now=now, idle=timedelta(minutes=settings.session_idle_minutes)
        )
    except Unauthorized:
        return None
    act_as(session, caller)
    return caller, cookie


def _session_ok(request: Request, settings: Settings, cookie: str, submitted: str) -> bool:
    return origin_ok(request, settings) and accounts.csrf_matches(
        accounts.csrf_token(cookie), submitted
    )


def _refused(request: Request) -> Response:
    return _render(
        request,
        "message.html",
        status=403,
        title="This form expired",
        error="The form was out of date or came from another site. Open the page again and retry.",
    )


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _start(
    request: Request,
    session: Session,
    settings: Settings,
    user: User,
    *,
    method: str,
    now: Any,
    to: str,
) -> Response:
    """Sign the browser in as `user` (ending the session it had) and send it on."""
    act_as(session, users.caller_for(user))
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        accounts.end_session(session, old)
    max_age = timedelta(hours=settings.session_max_hours)
    token = accounts.start_session(session, user, method=method, now=now, max_age=max_age)
    response = _redirect(to)
    set_cookie(
        response,
        request,
        settings,
        SESSION_COOKIE,
        token,
        max_age=int(max_age.total_seconds()),
    )
    return response


# --- the demo's one-click sign-in ----------------------------------------------------------


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    role: str


def enable_demo_sign_in(app: FastAPI, people: list[tuple[str, str, str]]) -> None:
    """Offer "Sign in as <person>" buttons on /signin for these (email, name, role) people.
    Only `baton serve --demo` calls this: without it the buttons are not shown and
    `POST /signin/demo` is a 404, whatever the settings."""
    app.state.demo_sign_in = tuple(DemoPerson(*person) for person in people)


def _demo_people(request: Request) -> tuple[DemoPerson, ...]:
    return tuple(getattr(request.app.state, "demo_sign_in", ()))


# --- pages -------------------------------------------------------------------------------


@pages.get("/account/static/accounts.css")
def stylesheet() -> Response:
    return Response(
        CSS,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@pages.get("/signin")
def signin_page(
    request: Request,
    settings: SettingsDep,
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    return _anonymous_form(
        request,
        settings,
        "signin.html",
        title="Sign in",
        next=_local(next_path),
        email="",
        oidc=settings.oidc_enabled,
        demo=_demo_people(request),
    )


@pages.post("/signin")
def signin(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Password = "",
    csrf_token: FormStr = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = HOME,
) -> Response:
    context: dict[str, Any] = {"title": "Sign in", "next": _local(next_path), "email": email}
    context["oidc"] = settings.oidc_enabled
    context["demo"] = _demo_people(request)
    if not _anonymous_ok(request, settings, csrf_token):
        return _refused(request)
    attempt = accounts.sign_in(
        session, email=email, password=password, address=client_address(request), now=now
    )
    if attempt.user is None:
        status = 429 if attempt.retry_after else 401
        response = _anonymous_form(request, settings, "signin.html", error=attempt.error, **context)
        response.status_code = status
        if attempt.retry_after:
            response.headers["Retry-After"] = str(attempt.retry_after)
        return response
    return _start(
        request, session, settings, attempt.user, method="password", now=now, to=_local(next_path)
    )


@pages.post("/signin/demo")
def demo_signin(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=320)] = "",
    csrf_token: FormStr = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = HOME,
) -> Response:
    """One click signs the browser in as a demo person: only while Baton runs the demo."""
    person = next((p for p in _demo_people(request) if p.email == email), None)
    if person is None:
        return _render(
            request,
            "message.html",
            status=404,
            title="No demo sign-in here",
            error="One-click sign-in is offered only by a server running the demo "
            "(baton serve --demo, or make run). Sign in with your email and password.",
        )
    if not _anonymous_ok(request, settings, csrf_token):
        return _refused(request)
    user = users.find_active_by_email(session, person.email)
    if user is None or not user.active:
        return _render(
            request,
            "message.html",
            status=403,
            title="This demo person cannot sign in",
            error=f"{person.email} is disabled or removed: an admin can enable them.",
        )
    return _start(request, session, settings, user, method="demo", now=now, to=_local(next_path))


@pages.post("/signout")
def signout(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: FormStr = "",
) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        if not _session_ok(request, settings, cookie, csrf_token):
            return _refused(request)
        accounts.end_session(session, cookie)
    response = _redirect("/signin")
    clear_cookie(response, request, settings, SESSION_COOKIE)
    return response


@pages.get("/account")
def account_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    signed = _signed_in(request, session, settings, now)
    if signed is None:
        return _redirect("/signin?next=/account")
    caller, cookie = signed
    return _render(
        request,
        "account.html",
        title="Your account",
        notice=DONE.get(done or ""),
        has_password=accounts.has_password(session, caller.id),
        user=caller,
        sessions=accounts.count_sessions(session, caller.id, now=now),
        csrf=accounts.csrf_token(cookie),
    )


# What a redirect back to /account says happened (`?done=`).
DONE = {
    "password": "Your password is changed. Your other browsers were signed out.",
}


@pages.get("/account/password")
def password_page(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    signed = _signed_in(request, session, settings, now)
    if signed is None:
        return _redirect("/signin?next=/account/password")
    caller, cookie = signed
    return _password_form(request, session, caller, cookie)


def _password_form(
    request: Request,
    session: Session,
    caller: Caller,
    cookie: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return _render(
        request,
        "change_password.html",
        status=status,
        title="Change your password",
        user=caller,
        has_password=accounts.has_password(session, caller.id),
        csrf=accounts.csrf_token(cookie),
        error=error,
    )


@pages.post("/account/password")
def change_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    current: Password = "",
    password: Password = "",
    confirm: Password = "",
    csrf_token: FormStr = "",
) -> Response:
    signed = _signed_in(request, session, settings, now)
    if signed is None:
        return _redirect("/signin?next=/account/password")
    caller, cookie = signed
    if not _session_ok(request, settings, cookie, csrf_token):
        return _refused(request)
    try:
        with session.begin_nested():
            attempt = accounts.change_password(
                session,
                users.get_user(session, caller.id),
                current=current,
                new=password,
                confirm=confirm,
                address=client_address(request),
                keep=cookie,
                now=now,
            )
    except BatonError as exc:
        return _password_form(request, session, caller, cookie, error=exc.detail, status=422)
    if attempt.user is None:
        status = 429 if attempt.retry_after else 422
        response = _password_form(
            request, session, caller, cookie, error=attempt.error, status=status
        )
        if attempt.retry_after:
            response.headers["Retry-After"] = str(attempt.retry_after)
        return response
    return _redirect("/account?done=password")


@pages.post("/account/signout-everywhere")
def signout_everywhere(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    csrf_token: FormStr = "",
) -> Response:
    signed = _signed_in(request, session, settings, now)
    if signed is None:
        return _redirect("/signin")
    caller, cookie = signed
    if not _session_ok(request, settings, cookie, csrf_token):
        return _refused(request)
    accounts.end_all_sessions(session, caller.id)
    response = _redirect("/signin")
    clear_cookie(response, request, settings, SESSION_COOKIE)
    return response


def _link_page(
    request: Request,
    session: Session,
    settings: Settings,
    purpose: TokenPurpose,
    token: str,
    now: Any,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    try:
        user = accounts.link_user(session, token, purpose, now=now)
    except BatonError as exc:
        return _render(
            request, "message.html", status=410, title="This link does not work", error=exc.detail
        )
    invite = purpose is TokenPurpose.invite
    response = _anonymous_form(
        request,
        settings,
        "password.html",
        title="Welcome to Baton" if invite else "Choose a new password",
        intro=f"Choose a password for {user.email}."
        if invite
        else f"Choose a new password for {user.email}. Your other sessions will end.",
        action=f"/account/{purpose.value}/{token}",
        email=user.email,
        error=error,
    )
    response.status_code = status
    return response


def _redeem(
    request: Request,
    session: Session,
    settings: Settings,
    purpose: TokenPurpose,
    token: str,
    now: Any,
    password: str,
    confirm: str,
    csrf_token: str,
) -> Response:
    if not _anonymous_ok(request, settings, csrf_token):
        return _refused(request)
    if password != confirm:
        return _link_page(
            request, session, settings, purpose, token, now,
            error="The two passwords differ.", status=422,
        )  # fmt: skip
    try:
        with session.begin_nested():
            user = accounts.redeem_link(session, token, purpose, password, now=now)
    except BatonError as exc:
        return _link_page(
            request, session, settings, purpose, token, now, error=exc.detail, status=422
        )
    return _start(request, session, settings, user, method="password", now=now, to=HOME)


@pages.get("/account/invite/{token}")
def invite_page(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    return _link_page(request, session, settings, TokenPurpose.invite, token, now)


@pages.post("/account/invite/{token}")
def accept_invite(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    password: Password = "",
    confirm: Password = "",
    csrf_token: FormStr = "",
) -> Response:
    return _redeem(
        request, session, settings, TokenPurpose.invite, token, now, password, confirm, csrf_token
    )


@pages.get("/account/reset")
def reset_page(request: Request, settings: SettingsDep) -> Response:
    return _anonymous_form(request, settings, "reset.html", title="Reset your password", sent=False)


def send_invite(
    request: Request, session: Session, settings: Settings, user: User, now: datetime
) -> accounts.Invitation:
    """`accounts.invite` for a request to this server (the API's and the admin page's)."""
    smtp = settings.smtp_url.get_secret_value() if settings.smtp_url is not None else None
    base = public_base(request, settings)
    return accounts.invite(
        session, user, base=base, smtp_url=smtp, sender=settings.smtp_from, now=now
    )


def send_link(settings: Settings, to: str, purpose: TokenPurpose, url: str, expires: Any) -> None:
    subject, body = accounts.link_email(purpose, url, expires)
    assert settings.smtp_url is not None
    accounts.send_email(settings.smtp_url.get_secret_value(), settings.smtp_from, to, subject, body)


def _send_quietly(
    settings: Settings, to: str, purpose: TokenPurpose, url: str, expires: Any
) -> None:
    try:
        send_link(settings, to, purpose, url, expires)
    except BatonError as exc:
        oidc.log.error("accounts: %s", exc.detail)


@pages.post("/account/reset")
def request_reset(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    background: BackgroundTasks,
    email: Annotated[str, Form(max_length=320)] = "",
    csrf_token: FormStr = "",
) -> Response:
    if not _anonymous_ok(request, settings, csrf_token):
        return _refused(request)
    found = accounts.reset_for(session, email, now=now)
    if found is not None:
        user, token, expires = found
        url = accounts.link_url(public_base(request, settings), TokenPurpose.reset, token)
        if settings.smtp_url is not None:
            # After the commit (the link works when it arrives); the answer is the same
            # whether or not anyone has this email.
            background.add_task(
                _send_quietly, settings, user.email, TokenPurpose.reset, url, expires
            )
        else:
            oidc.log.warning(
                "accounts: %s asked for a password reset, but no SMTP server is configured "
                "(BATON_SMTP_URL): an admin can print a link with `baton users reset-link`",
                user.email,
            )
    return _render(
        request,
        "reset.html",
        title="Reset your password",
        sent=True,
        notice="If an account has this email, a reset link is on its way. It works once, "
        "for an hour.",
    )


@pages.get("/account/reset/{token}")
def reset_link_page(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    return _link_page(request, session, settings, TokenPurpose.reset, token, now)


@pages.post("/account/reset/{token}")
def reset_password(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    password: Password = "",
    confirm: Password = "",
    csrf_token: FormStr = "",
) -> Response:
    return _redeem(
        request, session, settings, TokenPurpose.reset, token, now, password, confirm, csrf_token
    )


# --- single sign-on ----------------------------------------------------------------------


def _callback_url(request: Request, settings: Settings) -> str:
    return f"{public_base(request, settings)}/signin/oidc/callback"


def _sso_failed(request: Request, detail: str, status: int) -> Response:
    return _render(
        request,
        "message.html",
        status=status,
        title="Single sign-on did not work",
        error=detail,
    )


@pages.get("/signin/oidc")
def oidc_start(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    try:
        url, state = oidc.begin(
            session,
            settings,
            redirect_uri=_callback_url(request, settings),
            next_path=_local(next_path),
            now=now,
        )
    except BatonError as exc:
        return _sso_failed(request, exc.detail, exc.status)
    response = _redirect(url)
    set_cookie(
        response, request, settings, OIDC_COOKIE, state, max_age=int(oidc.LOGIN_TTL.total_seconds())
    )
    return response


@pages.get("/signin/oidc/callback")
def oidc_callback(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    code: Annotated[str | None, Query(max_length=4000)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
    error_description: Annotated[str | None, Query(max_length=1000)] = None,
) -> Response:
    if error or not code or not state:
        detail = error_description or error or "the identity provider sent no code"
        return _sso_failed(request, f"The identity provider said: {detail}", 400)
    try:
        with session.begin_nested():
            user, next_path = oidc.finish(
                session,
                settings,
                state=state,
                browser_state=request.cookies.get(OIDC_COOKIE),
                code=code,
                redirect_uri=_callback_url(request, settings),
                now=now,
            )
    except BatonError as exc:
        return _sso_failed(request, exc.detail, exc.status)
    response = _start(request, session, settings, user, method="oidc", now=now, to=next_path)
    clear_cookie(response, request, settings, OIDC_COOKIE)
    return response


# --- the extension's key (chrome.identity.launchWebAuthFlow) -------------------------------


def _extension_target(settings: Settings, redirect_uri: str) -> str | None:
    """The extension id of an allowed `https://<id>.chromiumapp.org/...` address."""
    parts = urlsplit(redirect_uri)
    host = parts.hostname or ""
    if parts.scheme != "https" or not host.endswith(".chromiumapp.org") or parts.port:
        return None
    extension_id = host.removesuffix(".chromiumapp.org")
    return extension_id if extension_id in settings.extension_ids else None


@pages.get("/account/extension")
def extension_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    redirect_uri: Annotated[str, Query(max_length=2000)],
) -> Response:
    extension_id = _extension_target(settings, redirect_uri)
    if extension_id is None:
        return _render(
            request,
            "message.html",
            status=400,
            title="Unknown extension",
            error="This address is not an allowed extension's (BATON_EXTENSION_IDS).",
        )
    signed = _signed_in(request, session, settings, now)
    if signed is None:
        here = f"/account/extension?redirect_uri={quote(redirect_uri, safe='')}"
        return _redirect(f"/signin?next={quote(here, safe='')}")
    caller, cookie = signed
    return _render(
        request,
        "extension.html",
        title="Connect the extension",
        user=caller,
        extension_id=extension_id,
        redirect_uri=redirect_uri,
        csrf=accounts.csrf_token(cookie),
        form_action=f"https://{extension_id}.chromiumapp.org",
    )


@pages.post("/account/extension")
def extension_key(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    redirect_uri: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    extension_id = _extension_target(settings, redirect_uri)
    signed = _signed_in(request, session, settings, now)
    if extension_id is None or signed is None:
        return _redirect("/account")
    caller, cookie = signed
    if not _session_ok(request, settings, cookie, csrf_token):
        return _refused(request)
    try:
        _, key = users.create_key(
            session,
            user_id=caller.id,
            name=EXTENSION_KEY_NAME,
            expires_at=None,
            now=now,
            limit=settings.max_keys_per_user,
            replace=True,
        )
    except BatonError as exc:
        return _render(request, "message.html", status=exc.status, title="No key", error=exc.detail)
    # In the fragment: the browser hands it to the extension and sends it to no server.
    response = _redirect(f"{redirect_uri.split('#')[0]}#key={quote(key, safe='')}")
    return page_headers(response, form_action=f"https://{extension_id}.chromiumapp.org")


# --- the JSON API ------------------------------------------------------------------------


@router.post(
    "/users/{user_id}/invite",
    response_model=InviteOut,
    operation_id="inviteUser",
    summary="Send a person an invite link to set their password (admin)",
    responses=errors(404, 422, 503),
)
def invite_user(
    user_id: str, request: Request, session: SessionDep, settings: SettingsDep, _: AdminDep,
    now: NowDep,
) -> InviteOut:  # fmt: skip
    """A new single-use link (7 days; the person's earlier invite links stop working) with
    which the person sets a password and signs in. With BATON_SMTP_URL set it is emailed
    (503 when the server refuses it); without, it is in `url`: give it to them."""
    user = users.get_user(session, user_id)
    made = send_invite(request, session, settings, user, now)
    return InviteOut(
        user_id=user.id,
        email=user.email,
        expires_at=made.expires_at,
        emailed=made.url is None,
        url=made.url,
    )
