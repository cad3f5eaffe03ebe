"""Who is a person: the rules that keep bots and scanners out of a share link's figures.

Pure functions over what a request shows (method, headers, times); the service applies
them (`api.sharing.service`), `bench/share_bots.py` measures them on synthetic traffic,
and `tests/sharing/test_bots.py` pins them. The rules, in the order they are applied:

1. **HEAD** requests are never a person (mail scanners check links with HEAD first).
2. **Prefetch**: `Purpose: prefetch`, `Sec-Purpose: prefetch` (also `prefetch;prerender`)
   or `X-Moz: prefetch`: the browser or a proxy fetched ahead; nobody looked.
3. **User agent**: the link-preview and mail-security fetchers in `BOT_AGENTS` (Slack,
   Facebook, X/Twitter, LinkedIn, WhatsApp, Telegram, Discord, Teams/Skype previews,
   Outlook/Microsoft previews, Google and Bing crawlers, Microsoft Defender/Safe Links,
   Proofpoint, Mimecast, Barracuda, Cisco/IronPort, Symantec/Broadcom, Trend Micro,
   Sophos, FortiGuard, headless browsers, HTTP libraries such as curl, wget,
   python-requests, httpx, Go, Java, okhttp, node-fetch, axios, libwww, scrapy), any
   agent naming itself a bot, crawler, spider, scanner or preview, and an empty agent.
4. **Too fast**: a page fetched less than `MIN_SECONDS_AFTER_CREATION` (2 s) after the
   link was made (the rep's own tools unfurling it, a scanner at the outbox) is a bot's.
   A page fetched less than `BURST_SECONDS` (2 s) after another visit of the same link,
   by the same user agent, that has not shown a person (a scanner's farm fetching the
   link again and again, or a person's double click or reload) is *suspect*: its visit
   can become a real open only through a trusted interaction reported by the script
   (not by reading time, nor the `<noscript>` pixel); else it ends as filtered.
5. **No interaction**: a page served to anyone left is only a *pending visit*. It becomes
   a counted **real open** when the page's script reports a person (`is_real_open`): a
   trusted interaction (scroll, wheel, pointer, key, touch) while the page was visible
   for at least `MIN_VISIBLE_SECONDS_WITH_INTERACTION` (1 s), or the page visible for at
   least `MIN_VISIBLE_SECONDS_READING` (8 s) without one (someone reading); or, with
   scripts off, the `<noscript>` pixel (no script ran, so a scanner that renders pages,
   which runs scripts, never loads it); or a download from the page. A pending visit
   that shows nothing of this for `PENDING_SECONDS` (60 s) counts as filtered.

Rules 1-4 answer the request (the page is still served, unless it is a HEAD) but count
it only in `bots_filtered` (a suspect burst only once its visit is stale); rule 5 counts
an unconfirmed visit there once it is stale.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

MIN_SECONDS_AFTER_CREATION = 2.0
BURST_SECONDS = 2.0
MIN_VISIBLE_SECONDS_WITH_INTERACTION = 1.0
MIN_VISIBLE_SECONDS_READING = 8.0
PENDING_SECONDS = 60.0


class Reason(StrEnum):
    head = "head"
    prefetch = "prefetch"
    user_agent = "user_agent"
    too_fast = "too_fast"
    burst = "burst"
    no_interaction = "no_interaction"


# (name, pattern): matched case-insensitively anywhere in the User-Agent.
BOT_AGENTS: tuple[tuple[str, str], ...] = (
    ("Slack", r"slackbot|slack-imgproxy|slack/\d"),
    ("Facebook", r"facebookexternalhit|facebot|meta-externalagent"),
    ("X / Twitter", r"twitterbot"),
    ("LinkedIn", r"linkedinbot"),
    ("WhatsApp", r"whatsapp"),
    ("Telegram", r"telegrambot"),
    ("Discord", r"discordbot"),
    ("Teams / Skype preview", r"skypeuripreview|teams/|msteams"),
    ("Microsoft Office preview", r"microsoft office|ms-office|msoffice|outlook-ios|bingpreview"),
    ("Microsoft Defender / Safe Links", r"safelinks|defender|microsoft url control"),
    ("Google", r"googlebot|google-inspectiontool|googleother|google web preview|apis-google"),
    ("Bing", r"bingbot|adidxbot"),
    ("Apple", r"applebot"),
    ("Yandex / Baidu / DuckDuck", r"yandex|baiduspider|duckduckbot|duckassistbot"),
    ("Proofpoint", r"proofpoint|ppops|urldefense"),
    ("Mimecast", r"mimecast"),
    ("Barracuda", r"barracuda"),
    ("Cisco / IronPort", r"ironport|cisco"),
    ("Symantec / Broadcom", r"symantec|broadcom|messagelabs"),
    ("Trend Micro", r"trend ?micro|trendmicro"),
    ("Sophos", r"sophos"),
    ("Fortinet", r"fortiguard|fortinet"),
    ("Zscaler", r"zscaler"),
    ("Headless browser", r"headlesschrome|phantomjs|puppeteer|playwright|selenium|electron"),
    (
        "HTTP library",
        r"^curl/|\bwget/|python-requests|python-urllib|python-httpx|aiohttp|go-http-client"
        r"|\bjava/|okhttp|node-fetch|axios/|undici|libwww-perl|scrapy|httpclient|http_request2"
        r"|postmanruntime|insomnia",
    ),
    ("Self-declared bot", r"bot\b|bot/|crawler|spider|scanner|preview|fetcher|monitor|checker"),
)
_AGENTS = [(name, re.compile(pattern, re.IGNORECASE)) for name, pattern in BOT_AGENTS]
PREFETCH_HEADERS = ("purpose", "sec-purpose", "x-moz", "x-purpose")


def bot_agent(user_agent: str) -> str | None:
    """The name of the fetcher the User-Agent shows, or None for a browser. An empty
    agent is a program."""
    agent = user_agent.strip()
    if not agent:
        return "No user agent"
    for name, pattern in _AGENTS:
        if pattern.search(agent):
            return name
    return None


def request_reason(method: str, headers: Mapping[str, str]) -> Reason | None:
    """Rules 1-3: why this request is not a person, or None. `headers` are matched by
    lower-case name (Starlette's headers are)."""
    if method.upper() == "HEAD":
        return Reason.head
    for name in PREFETCH_HEADERS:
        value = headers.get(name, "")
        if "prefetch" in value.lower() or "prerender" in value.lower():
            return Reason.prefetch
    if bot_agent(headers.get("user-agent", "")) is not None:
        return Reason.user_agent
    return None


def timing_reason(
    *, created_at: datetime, now: datetime, last_pending_start: datetime | None
) -> Reason | None:
    """Rule 4: a page fetched faster than a person acts, or None. `last_pending_start`:
    when the link's latest visit by the same user agent that has not shown a person
    began."""
    if now - created_at < timedelta(seconds=MIN_SECONDS_AFTER_CREATION):
        return Reason.too_fast
    if last_pending_start is not None and timedelta(0) <= now - last_pending_start < timedelta(
        seconds=BURST_SECONDS
    ):
        return Reason.burst
    return None


def is_real_open(*, visible_seconds: float, interacted: bool, suspect: bool = False) -> bool:
    """Rule 5 for a scripted visit: whether what the page reported shows a person (a
    suspect visit, rule 4's burst, only with an interaction)."""
    if interacted:
        return visible_seconds >= MIN_VISIBLE_SECONDS_WITH_INTERACTION
    return not suspect and visible_seconds >= MIN_VISIBLE_SECONDS_READING


def is_stale(started_at: datetime, now: datetime) -> bool:
    """Whether a visit that never showed a person is old enough to count as filtered."""
    return now - started_at >= timedelta(seconds=PENDING_SECONDS)


@dataclass(frozen=True)
class Heartbeat:
    """What one beacon may add: the visible time it claims, capped by the wall time since
    the visit's previous report (plus slack), so a forged beacon cannot inflate it."""

    visible_seconds: float

    @staticmethod
    def capped(claimed_ms: int, *, since_last: timedelta) -> Heartbeat:
        claimed = max(0.0, min(claimed_ms / 1000.0, MAX_BEACON_SECONDS))
        allowed = max(0.0, since_last.total_seconds()) + BEACON_SLACK_SECONDS
        return Heartbeat(visible_seconds=min(claimed, allowed))


MAX_BEACON_SECONDS = 60.0
BEACON_SLACK_SECONDS = 2.0
