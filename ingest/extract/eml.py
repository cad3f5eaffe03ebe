"""Emails (the standard library's email package): the subject and the text or HTML body."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import cast

from ingest.extract.document import Parts, one_line
from ingest.extract.html import html_to_text
from ingest.limits import Limits


def read(data: bytes, limits: Limits) -> Parts:
    """The subject becomes `fields.subject` and the title; the plain part (else HTML) the body."""
    del limits
    message = message_from_bytes(data, policy=policy.default)
    subject = one_line(str(message.get("subject", "") or ""))
    part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if part is not None:
        body = _content(cast(EmailMessage, part))
        if part.get_content_subtype() == "html":
            body = html_to_text(body)
    fields = {"subject": subject} if subject else {}
    return Parts(body=body, title=subject, fields=fields)


def _content(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        # An unknown or lying charset: keep what can be read.
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""
