"""Checking that a request comes from the CRM it claims: HubSpot's v3 signature, a shared
secret (Salesforce), Standard Webhooks signatures (the generic endpoint). Each failure is
`BadSignature` (401); an endpoint whose secret is not configured is `NotConfigured` (404).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook

from api.errors import NotFound, Unauthorized

# HubSpot: "reject the request if the timestamp is older than 5 minutes"; Standard
# Webhooks: the same tolerance. A timestamp as far in the future is refused too.
TOLERANCE = timedelta(minutes=5)

HUBSPOT_SIGNATURE = "X-HubSpot-Signature-v3"
HUBSPOT_TIMESTAMP = "X-HubSpot-Request-Timestamp"
# What HubSpot decodes in the request URI before signing it (its documentation's table).
_HUBSPOT_DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_ENCODED = re.compile("|".join(_HUBSPOT_DECODED), re.IGNORECASE)


class BadSignature(Unauthorized):
    """The request's signature or secret is missing, wrong or too old."""

    slug, title = "bad-signature", "Signature not verified"


class NotConfigured(NotFound):
    """The endpoint's secret is not set on this server, so nothing it receives is trusted."""

    slug, title = "crm-not-configured", "CRM endpoint not configured"


def _sent_at(seconds: float, header: str) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (ValueError, OverflowError, OSError) as exc:  # past the year 9999
        raise BadSignature(f"{header} is not a time") from exc


def _too_far(moment: datetime, now: datetime) -> bool:
    return abs(now - moment) > TOLERANCE


# --- HubSpot -----------------------------------------------------------------------------


def hubspot_uri(uri: str) -> str:
    """The request URI as HubSpot signs it: the characters of its table decoded."""
    return _ENCODED.sub(lambda match: _HUBSPOT_DECODED[match.group(0).upper()], uri)


def hubspot_v3(secret: str, *, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """HubSpot's v3 signature: base64 of HMAC-SHA256, keyed with the app's client secret,
    over method + URI + body + timestamp (UTF-8)."""
    message = f"{method.upper()}{hubspot_uri(uri)}".encode() + body + timestamp.encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_hubspot(
    secret: str,
    *,
    method: str,
    uri: str,
    body: bytes,
    headers: Mapping[str, str],
    now: datetime,
) -> None:
    signature = headers.get(HUBSPOT_SIGNATURE.lower()) or headers.get(HUBSPOT_SIGNATURE)
    timestamp = headers.get(HUBSPOT_TIMESTAMP.lower()) or headers.get(HUBSPOT_TIMESTAMP)
    if not signature or not timestamp:
        raise BadSignature(f"{HUBSPOT_SIGNATURE} and {HUBSPOT_TIMESTAMP} are required")
    timestamp = timestamp.strip()
    if not re.fullmatch(r"\d{1,16}", timestamp):
        raise BadSignature(f"{HUBSPOT_TIMESTAMP} is epoch milliseconds")
    sent = _sent_at(int(timestamp) / 1000, HUBSPOT_TIMESTAMP)
    if _too_far(sent, now):
        raise BadSignature(
            f"{HUBSPOT_TIMESTAMP} is more than 5 minutes from the server's time (a replay, "
            "or a clock that is off)"
        )
    expected = hubspot_v3(secret, method=method, uri=uri, body=body, timestamp=timestamp)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise BadSignature(
            f"{HUBSPOT_SIGNATURE} does not match: check BATON_HUBSPOT_CLIENT_SECRET (the app's "
            "client secret) and that BATON_PUBLIC_URL is the address HubSpot calls"
        )


# --- a shared secret (Salesforce) --------------------------------------------------------


def verify_shared_secret(secret: str, given: str | None, *, where: str) -> None:
    if not given:
        raise BadSignature(f"the shared secret is required ({where})")
    if not hmac.compare_digest(secret.encode(), given.strip().encode()):
        raise BadSignature(f"the shared secret does not match ({where})")


# --- Standard Webhooks (the generic endpoint) ----------------------------------------------


def verify_standard_webhook(
    secret: str, *, body: bytes, headers: Mapping[str, str], now: datetime
) -> str:
    """Check `webhook-id`, `webhook-timestamp` and `webhook-signature` (any of its
    space-separated `v1,<base64>` signatures may match), signed with the `whsec_` secret
    by the Standard Webhooks library; the message id is returned."""
    message_id = (headers.get("webhook-id") or "").strip()
    timestamp = (headers.get("webhook-timestamp") or "").strip()
    signatures = (headers.get("webhook-signature") or "").strip()
    if not (message_id and timestamp and signatures):
        raise BadSignature("webhook-id, webhook-timestamp and webhook-signature are required")
    if not re.fullmatch(r"\d{1,12}", timestamp):
        raise BadSignature("webhook-timestamp is epoch seconds")
    sent = _sent_at(int(timestamp), "webhook-timestamp")
    if _too_far(sent, now):
        raise BadSignature(
            "webhook-timestamp is more than 5 minutes from the server's time (a replay, or "
            "a clock that is off)"
        )
    try:
        data = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadSignature("the signed body is not UTF-8 text") from exc
    expected = Webhook(secret).sign(message_id, sent, data).partition(",")[2]
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(expected.encode(), value.encode()):
            return message_id
    raise BadSignature("webhook-signature does not match: check BATON_CRM_WEBHOOK_SECRET")
