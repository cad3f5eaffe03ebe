"""Signing people in with a browser: passwords, invite and reset links, sessions, CSRF
tokens and the sign-in throttle. Services know no HTTP: routes pass in what the request
carries (a cookie's value, the client's address) and set cookies themselves.

- Passwords are argon2id hashes (argon2-cffi's defaults, RFC 9106's second recommended
  option); a hash made with older parameters is redone at the next sign-in. A password has
  at least 12 characters and is not the person's email (or its part before the @).
- Invite and reset links carry a 256-bit random token, stored as its SHA-256 digest,
  single use (claimed by one UPDATE ... WHERE used_at IS NULL, so two tabs cannot both use
  it) and expiring (invites after 7 days, resets after 1 hour). A new link of the same kind
  ends the person's earlier ones.
- A session is a 256-bit random id in an HttpOnly cookie, stored as its SHA-256 digest with
  an absolute end (`expires_at`) and an idle end (`last_seen_at` + the idle time;
  `last_seen_at` is written at most once a minute). Every request reads the row and the
  person: a deleted row, a disabled or removed person ends the session at the next request.
  Setting a password ends all of the person's sessions (but the one that changed it, when
  a signed-in person changes their own); so does "sign out everywhere".
- CSRF: the synchronizer token of a session is derived from its id (SHA-256 of
  "csrf:" + id): the server recomputes it from the cookie, the page puts it in each form
  (or a script sends it as `X-CSRF-Token`), and a cross-site page can read neither. Forms
  shown before sign-in use a double-submit token: a random `baton_csrf` cookie
  (HttpOnly, SameSite=Strict) that the form's hidden field must repeat.
- Throttle: each refused sign-in is a row (`account:<email>`, `address:<ip>`); 5 refusals of
  one email or 20 from one address within 15 minutes lock that email or address for 15
  minutes after the last refusal. A locked sign-in is refused without checking the
  password. Unknown emails count and are checked against a dummy hash, so the answer and
  the work are the same whether or not the person exists. A wrong current password when a
  signed-in person changes theirs counts the same way, against the same lock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import smtplib
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, delete, func, select

from api.accounts.models import AccountToken, LoginFailure, Password, TokenPurpose, WebSession
from api.audit import service as audit
from api.errors import Invalid, Unauthorized, Unavailable
from api.notifications import emails
from api.users.models import User
from api.users.service import Caller, caller_for, find_active_by_email

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
INVITE_TTL = timedelta(days=7)
RESET_TTL = timedelta(hours=1)
THROTTLE_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
# `last_seen_at` is written when it is older than this (not on every request).
TOUCH_EVERY = timedelta(minutes=1)
LINK_MESSAGES = {
    TokenPurpose.invite: "this invite link was used or has expired: ask an admin for a new one",
    TokenPurpose.reset: "this reset link was used or has expired: ask for a new one",
}

_hasher = PasswordHasher()
_dummy: list[str] = []
_dummy_lock = threading.Lock()


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


# --- passwords ---------------------------------------------------------------------------


def check_password_rules(password: str, email: str) -> None:
    """422 for a password too short, too long or equal to the email (or its local part)."""
    loc = ["body", "password"]
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"the password needs at least {MIN_PASSWORD} characters", loc=loc)
    if len(password) > MAX_PASSWORD:
        raise Invalid(f"the password has more than {MAX_PASSWORD} characters", loc=loc)
    lowered = password.strip().lower()
    if lowered in {email.lower(), email.lower().partition("@")[0]}:
        raise Invalid("the password must not be your email address", loc=loc)


def set_password(
    session: Session, user: User, password: str, *, now: datetime, keep: str | None = None
) -> None:
    """Store a new password (rules checked) and end every session of the person but `keep`
    (a session id: the browser that changed it stays signed in)."""
    check_password_rules(password, user.email)
    row = session.get(Password, user.id)
    had = row is not None
    if row is None:
        row = Password(user_id=user.id, password_hash="")
    row.password_hash = _hasher.hash(password)
    row.changed_at = now
    session.add(row)
    end_all_sessions(session, user.id, keep=keep)
    session.flush()
    audit.record(
        session,
        action="user.password_changed" if had else "user.password_set",
        subject="user",
        subject_id=user.id,
        after={"email": user.email},
    )


def has_password(session: Session, user_id: str) -> bool:
    return session.get(Password, user_id) is not None


def password_matches(session: Session, user_id: str, password: str) -> bool:
    """Whether the person has this password (an argon2 check; False when they have none)."""
    stored = session.get(Password, user_id)
    return stored is not None and _verify(stored.password_hash, password)


def _verify(stored: str | None, password: str) -> bool:
    """Whether the password matches; an argon2 check runs even when nothing is stored."""
    if stored is None:
        with _dummy_lock:
            if not _dummy:
                _dummy.append(_hasher.hash(new_secret()))
        stored = _dummy[0]
        password = password + "\x00"  # never matches the dummy
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# --- invite and reset links --------------------------------------------------------------


def issue_link(
    session: Session, user: User, purpose: TokenPurpose, *, now: datetime
) -> tuple[str, datetime]:
    """A new single-use link token for the person (their earlier ones of the same kind end);
    returned once, stored as its digest."""
    if not user.active:
        raise Invalid(f"{user.email} is disabled or removed: enable them first")
    session.execute(
        sa.update(AccountToken)
        .where(
            col(AccountToken.user_id) == user.id,
            col(AccountToken.purpose) == purpose.value,
            col(AccountToken.used_at).is_(None),
        )
        .values(used_at=now)
    )
    token = new_secret()
    expires = now + (INVITE_TTL if purpose is TokenPurpose.invite else RESET_TTL)
    session.add(
        AccountToken(
            token_hash=digest(token),
            user_id=user.id,
            purpose=purpose.value,
            created_at=now,
            expires_at=expires,
        )
    )
    session.flush()
    audit.record(
        session,
        action=f"user.{purpose.value}_link_created",
        subject="user",
        subject_id=user.id,
        after={"email": user.email, "expires_at": expires},
    )
    return token, expires


def link_user(session: Session, token: str, purpose: TokenPurpose, *, now: datetime) -> User:
    """The person a link is for, while it is unused and unexpired (nothing claimed)."""
    row = session.exec(
        select(AccountToken, User)
        .join(User, col(User.id) == col(AccountToken.user_id))
        .where(
            AccountToken.token_hash == digest(token),
            AccountToken.purpose == purpose.value,
            col(AccountToken.used_at).is_(None),
            col(AccountToken.expires_at) > now,
        )
    ).first()
    if row is None or not row[1].active:
        raise Invalid(LINK_MESSAGES[purpose])
    return row[1]


def redeem_link(
    session: Session, token: str, purpose: TokenPurpose, password: str, *, now: datetime
) -> User:
    """Use a link to set the person's password: the rules are checked first (a refused
    password leaves the link usable), then the link is claimed by one conditional UPDATE
    (a second use, even at the same moment, is refused)."""
    user = link_user(session, token, purpose, now=now)
    check_password_rules(password, user.email)
    claimed = session.execute(
        sa.update(AccountToken)
        .where(
            col(AccountToken.token_hash) == digest(token),
            col(AccountToken.used_at).is_(None),
        )
        .values(used_at=now)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        raise Invalid(LINK_MESSAGES[purpose])
    set_password(session, user, password, now=now)
    return user


# --- throttling and signing in -----------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What a sign-in came to: the person, or why not (and for how long when locked)."""

    user: User | None
    error: str | None = None
    retry_after: int | None = None


def _subjects(email: str, address: str) -> tuple[str, str]:
    return f"account:{email.strip().lower()[:320]}", f"address:{address[:64]}"


def locked_for(session: Session, email: str, address: str, *, now: datetime) -> int | None:
    """Seconds until the email or the address may try again; None when neither is locked."""
    waits = []
    for subject, limit in zip(
        _subjects(email, address), (ACCOUNT_FAILURES, ADDRESS_FAILURES), strict=True
    ):
        count, last = session.exec(
            select(func.count(), func.max(LoginFailure.at)).where(
                LoginFailure.subject == subject, col(LoginFailure.at) > now - THROTTLE_WINDOW
            )
        ).one()
        if count >= limit and last is not None:
            waits.append(int((last + THROTTLE_WINDOW - now).total_seconds()) + 1)
    return max(waits) if waits else None


def sign_in(session: Session, *, email: str, password: str, address: str, now: datetime) -> Attempt:
    """Check an email and password. A refusal is recorded (it must be committed: it is
    returned, not raised) and says the same whether or not the email is known."""
    wait = locked_for(session, email, address, now=now)
    if wait is not None:
        return Attempt(None, _locked_message(wait), retry_after=wait)
    user = find_active_by_email(session, email.strip()) if email.strip() else None
    stored = session.get(Password, user.id) if user is not None else None
    matches = _verify(stored.password_hash if stored else None, password)
    if user is None or stored is None or not matches or not user.active:
        _count_failure(session, email, address, now=now)
        return Attempt(None, "The email or password is wrong, or the account is disabled.")
    session.execute(
        delete(LoginFailure).where(col(LoginFailure.subject) == _subjects(email, "")[0])
    )
    assert stored is not None
    if _hasher.check_needs_rehash(stored.password_hash):
        stored.password_hash = _hasher.hash(password)
        session.add(stored)
    return Attempt(user)


def _locked_message(wait: int) -> str:
    minutes = max(1, (wait + 59) // 60)
    return (
        "Too many failed sign-ins for this account or from your address. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}, "
        "or reset your password."
    )


def _count_failure(session: Session, email: str, address: str, *, now: datetime) -> None:
    """One refused password, counted against the email and the address (old rows pruned)."""
    session.execute(delete(LoginFailure).where(col(LoginFailure.at) <= now - THROTTLE_WINDOW))
    for subject in _subjects(email, address):
        session.add(LoginFailure(subject=subject, at=now))
    session.flush()


def change_password(
    session: Session,
    user: User,
    *,
    current: str,
    new: str,
    confirm: str,
    address: str,
    keep: str,
    now: datetime,
) -> Attempt:
    """A signed-in person changes their password: the current one is checked under the
    sign-in throttle (a wrong one counts as a failed sign-in; a locked account or address
    is refused without checking), the new one follows the same rules as an invite's or a
    reset's, and every other session of the person ends (`keep`: this browser's session
    id). A refusal is returned (the failure row must be committed), not raised; the rules
    of the new password raise `Invalid`."""
    wait = locked_for(session, user.email, address, now=now)
    if wait is not None:
        return Attempt(None, _locked_message(wait), retry_after=wait)
    stored = session.get(Password, user.id)
    if stored is None:
        return Attempt(
            None,
            "You have no Baton password (you sign in with single sign-on): "
            "use “Forgot your password?” on the sign-in page to set one.",
        )
    if not _verify(stored.password_hash, current):
        _count_failure(session, user.email, address, now=now)
        return Attempt(None, "The current password is wrong.")
    if new != confirm:
        raise Invalid("the two new passwords differ", loc=["body", "confirm"])
    if new == current:
        raise Invalid("the new password is the same as the current one", loc=["body", "password"])
    set_password(session, user, new, now=now, keep=keep)
    return Attempt(user)


# --- sessions ----------------------------------------------------------------------------


def start_session(
    session: Session, user: User, *, method: str, now: datetime, max_age: timedelta
) -> str:
    """A new session for the person; the id (for the cookie) is returned once."""
    session.execute(
        delete(WebSession).where(
            col(WebSession.user_id) == user.id, col(WebSession.expires_at) <= now
        )
    )
    token = new_secret()
    session.add(
        WebSession(
            token_hash=digest(token),
            user_id=user.id,
            method=method,
            created_at=now,
            last_seen_at=now,
            expires_at=now + max_age,
        )
    )
    session.flush()
    audit.record(
        session,
        action="user.signed_in",
        subject="user",
        subject_id=user.id,
        after={"email": user.email, "method": method},
    )
    return token


def session_caller(session: Session, token: str, *, now: datetime, idle: timedelta) -> Caller:
    """The person a session cookie belongs to; 401 when the session ended (signed out,
    expired, idle too long, password changed) or its person is disabled or removed."""
    row = session.exec(
        select(WebSession, User)
        .join(User, col(User.id) == col(WebSession.user_id))
        .where(WebSession.token_hash == digest(token))
    ).first()
    if row is None:
        raise Unauthorized("your session has ended: sign in again at /signin")
    web, user = row
    if web.expires_at <= now or web.last_seen_at + idle <= now:
        session.delete(web)
        raise Unauthorized("your session expired: sign in again at /signin")
    if not user.active:
        raise Unauthorized("your account is disabled: ask an admin")
    if now - web.last_seen_at >= TOUCH_EVERY:
        session.execute(
            sa.update(WebSession).where(col(WebSession.id) == web.id).values(last_seen_at=now)
        )
    return caller_for(user)


def end_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(col(WebSession.token_hash) == digest(token)))


def end_all_sessions(session: Session, user_id: str, *, keep: str | None = None) -> int:
    """End every session of the person at once (but `keep`, a session id); how many."""
    ending = delete(WebSession).where(col(WebSession.user_id) == user_id)
    if keep is not None:
        ending = ending.where(col(WebSession.token_hash) != digest(keep))
    result = session.execute(ending)
    return int(result.rowcount)  # type: ignore[attr-defined]


def count_sessions(session: Session, user_id: str, *, now: datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(WebSession)
        .where(WebSession.user_id == user_id, col(WebSession.expires_at) > now)
    ).one()


# --- CSRF --------------------------------------------------------------------------------


def csrf_token(session_token: str) -> str:
    """The synchronizer token of a session, derived from its id (not reversible)."""
    return hashlib.sha256(b"csrf:" + session_token.encode("utf-8")).hexdigest()


def csrf_matches(expected: str | None, submitted: str | None) -> bool:
    if not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), submitted.encode("utf-8"))


# --- links by email ----------------------------------------------------------------------


def link_url(base: str, purpose: TokenPurpose, token: str) -> str:
    return f"{base.rstrip('/')}/account/{purpose.value}/{token}"


def link_email(purpose: TokenPurpose, url: str, expires: datetime) -> tuple[str, str]:
    """The subject and text of an invite or reset email."""
    until = expires.strftime("%Y-%m-%d %H:%M UTC")
    if purpose is TokenPurpose.invite:
        return (
            "You are invited to Baton",
            f"You have been given an account on Baton. Choose your password here:\n\n{url}\n\n"
            f"The link works once, until {until}.\n",
        )
    return (
        "Reset your Baton password",
        f"Someone (we hope you) asked to reset your Baton password. Choose a new one here:\n\n"
        f"{url}\n\nThe link works once, until {until}. If you did not ask, ignore this "
        "email: your password stays as it is.\n",
    )


def send_email(smtp_url: str, sender: str, to: str, subject: str, body: str) -> None:
    """Send one email now through BATON_SMTP_URL (raises Unavailable when it fails)."""
    msg = emails.message(secrets.token_hex(16), sender, to, subject, body)
    try:
        emails.send(smtp_url, msg, timeout=10.0)
    except (smtplib.SMTPException, OSError) as exc:
        raise Unavailable(f"the email to {to} could not be sent: {exc}") from exc


@dataclass(frozen=True)
class Invitation:
    """An invite link made for a person: `url` to hand over, or None when it was emailed."""

    url: str | None
    expires_at: datetime


def invite(
    session: Session,
    user: User,
    *,
    base: str,
    smtp_url: str | None,
    sender: str,
    now: datetime,
) -> Invitation:
    """A new invite link for the person (their earlier ones stop working) on the server at
    `base`: emailed when an SMTP server is configured (Unavailable when it refuses), else
    returned to be given to them."""
    token, expires = issue_link(session, user, TokenPurpose.invite, now=now)
    url = link_url(base, TokenPurpose.invite, token)
    if smtp_url is None:
        return Invitation(url=url, expires_at=expires)
    subject, body = link_email(TokenPurpose.invite, url, expires)
    send_email(smtp_url, sender, user.email, subject, body)
    return Invitation(url=None, expires_at=expires)


def reset_for(session: Session, email: str, *, now: datetime) -> tuple[User, str, datetime] | None:
    """A reset link for an active person with this email; None for anyone else (the page
    answers the same either way)."""
    user = find_active_by_email(session, email.strip()) if email.strip() else None
    if user is None or not user.active:
        return None
    token, expires = issue_link(session, user, TokenPurpose.reset, now=now)
    return user, token, expires
