"""Emails: owner reminders and the marketing leads' weekly digest, sent through SMTP.

The standard library's `smtplib` and `email` do the job whole (plain, STARTTLS and TLS
connections, login, a well-formed message with encoded headers): a dependency would add
nothing a synchronous worker needs. BATON_SMTP_URL names the server:
`smtp://user:password@host:587` (plain), `smtp+starttls://…` (STARTTLS, the certificate
checked), `smtps://…:465` (TLS); BATON_SMTP_FROM the sender.

An email's `Message-ID` is made from its row's id, so a retry of a message the server
took but did not acknowledge is recognisably the same message.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlmodel import Session, col, select

from api.notifications.events import LEADS_DIGESTS, OWNER_REMINDERS, NotificationType
from api.notifications.models import OutboxEvent
from api.questions.models import Question
from api.users.models import Role, User

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


def recipients(session: Session, event: OutboxEvent) -> list[str]:
    """Who gets this event by email: the owner of the asset for a reminder (while the
    person is active), every active marketer and admin for a digest."""
    kind = NotificationType(event.type)
    if kind in OWNER_REMINDERS:
        owner = (event.payload or {}).get("owner") or {}
        user = session.get(User, owner.get("id")) if owner.get("id") else None
        return [user.email] if user is not None and user.active else []
    if kind in LEADS_DIGESTS:
        leads = session.exec(
            select(User.email)
            .where(
                col(User.role).in_([Role.marketer.value, Role.admin.value]),
                col(User.disabled_at).is_(None),
                col(User.deleted_at).is_(None),
            )
            .order_by(col(User.email))
        ).all()
        return list(dict.fromkeys(leads))
    return []


def _link(payload: dict[str, Any], base: str | None) -> str:
    url = str(payload.get("url") or "")
    return f"{base}{url}" if base and url.startswith("/") else url


def _day(value: str | None) -> str:
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC") if value else "?"


def compose(session: Session, event: OutboxEvent, *, public_url: str | None) -> tuple[str, str]:
    """The subject and text of the event's email."""
    payload = event.payload or {}
    kind = NotificationType(event.type)
    if kind is NotificationType.gaps_weekly_digest:
        return _digest(session, payload, public_url=public_url)
    title = payload.get("title", payload.get("id", ""))
    link = _link(payload, public_url)
    if kind is NotificationType.asset_expired:
        return (
            f"Expired: {title}",
            f'Your {payload.get("kind", "asset").replace("_", " ")} "{title}" expired on '
            f"{_day(payload.get('expires_at'))}: reps no longer see it.\n\n"
            f"Give it a new expiry date (PATCH expires_at) or archive it:\n{link}\n",
        )
    if kind is NotificationType.asset_due_for_review:
        return (
            f"Due for review: {title}",
            f'Your asset "{title}" is due for review. Check it is still right and verify '
            f"it, or edit it:\n{link}\n",
        )
    return (
        f"Messaging rules: {title}",
        f'Your live asset "{title}" breaks today\'s messaging rules. Review it:\n{link}\n',
    )


def _digest(
    session: Session, payload: dict[str, Any], *, public_url: str | None
) -> tuple[str, str]:
    totals = payload.get("totals", {})
    lines = [
        f"Content gaps, week {payload.get('period')} (as of {_day(payload.get('generated_at'))}).",
        "",
    ]
    asked = payload.get("unanswered_questions", [])
    texts = dict(
        session.exec(
            select(Question.id, Question.text).where(col(Question.id).in_([q["id"] for q in asked]))
        ).all()
    )
    lines.append(f"Unanswered customer questions: {totals.get('unanswered_questions', 0)}")
    lines += [f'  - "{texts.get(q["id"], q["id"])}" (asked {q["asked_count"]}x)' for q in asked]
    uncovered = payload.get("uncovered", [])
    lines.append(
        f"Stage x industry pairs without live content: {payload.get('uncovered_total', 0)} "
        f"of {payload.get('pairs', 0)}"
    )
    lines += [f"  - {cell['stage']} x {cell['industry']}" for cell in uncovered]
    lines.append(f"Searches that found nothing: {totals.get('zero_result_searches', 0)}")
    lines.append(f"Searches that found nothing useful: {totals.get('weak_searches', 0)}")
    lines.append(f"Expiring within 30 days: {totals.get('expiring', 0)}")
    lines += [
        f'  - "{a["title"]}" (in {a["days_left"]} days) {_link(a, public_url)}'
        for a in payload.get("expiring", [])
    ]
    lines.append(f"Expired but still approved: {totals.get('expired', 0)}")
    lines += [f'  - "{a["title"]}" {_link(a, public_url)}' for a in payload.get("expired", [])]
    lines.append(f"Unused for 90 days: {totals.get('unused', 0)}")
    lines.append(f"Rated unhelpful: {totals.get('low_rated', 0)}")
    lines += ["", f"The whole report: {_link(payload, public_url)}"]
    return f"Baton weekly content gaps: {payload.get('period')}", "\n".join(lines) + "\n"


def message(email_id: str, sender: str, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = f"<{email_id}@baton.notifications>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    return msg


def send(smtp_url: str, msg: EmailMessage, *, timeout: float) -> None:
    """Send one message (raises smtplib.SMTPException or OSError on failure)."""
    parts = urlsplit(smtp_url)
    host = parts.hostname or "localhost"
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    server: smtplib.SMTP
    if parts.scheme == "smtps":
        server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
    with server:
        if parts.scheme == "smtp+starttls":
            server.starttls(context=ssl.create_default_context())
        if parts.username:
            server.login(unquote(parts.username), unquote(parts.password or ""))
        server.send_message(msg)
