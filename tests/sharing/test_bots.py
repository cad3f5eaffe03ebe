"""The bot rules of share links (api.sharing.bots), as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.sharing import bots
from api.sharing.bots import Reason

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
PEOPLE = [
    CHROME,
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.81 Mobile Safari/537.36",
    CHROME + " Edg/131.0.2903.70",
]
BOTS = [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Slack-ImgProxy (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "WhatsApp/2.23.20.0",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 "
    "skype-url-preview@microsoft.com",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029; Pro)",
    "Mozilla/5.0 (compatible; Proofpoint URL Defense)",
    "Mimecast-URL-Protect/1.0",
    "Barracuda Sentinel (EE)",
    "python-requests/2.32.3",
    "curl/8.5.0",
    "Wget/1.21.4",
    "Go-http-client/1.1",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/131.0.0.0 Safari/537.36",
    "",
]


@pytest.mark.parametrize("agent", BOTS)
def test_link_preview_and_scanner_agents_are_bots(agent: str) -> None:
    assert bots.bot_agent(agent) is not None
    assert bots.request_reason("GET", {"user-agent": agent}) is Reason.user_agent


@pytest.mark.parametrize("agent", PEOPLE)
def test_browsers_are_not(agent: str) -> None:
    assert bots.bot_agent(agent) is None
    assert bots.request_reason("GET", {"user-agent": agent}) is None


def test_head_and_prefetch_are_never_people() -> None:
    assert bots.request_reason("HEAD", {"user-agent": CHROME}) is Reason.head
    for name, value in (
        ("purpose", "prefetch"),
        ("sec-purpose", "prefetch;prerender"),
        ("x-moz", "prefetch"),
    ):
        assert bots.request_reason("GET", {"user-agent": CHROME, name: value}) is Reason.prefetch


def test_faster_than_a_person() -> None:
    assert (
        bots.timing_reason(created_at=T0, now=T0 + timedelta(seconds=1), last_pending_start=None)
        is Reason.too_fast
    )
    assert (
        bots.timing_reason(created_at=T0, now=T0 + timedelta(minutes=5), last_pending_start=None)
        is None
    )
    burst = bots.timing_reason(
        created_at=T0,
        now=T0 + timedelta(minutes=5),
        last_pending_start=T0 + timedelta(minutes=5, seconds=-1),
    )
    assert burst is Reason.burst
    apart = bots.timing_reason(
        created_at=T0,
        now=T0 + timedelta(minutes=5),
        last_pending_start=T0 + timedelta(minutes=4),
    )
    assert apart is None


def test_a_real_open_needs_a_person() -> None:
    assert not bots.is_real_open(visible_seconds=0.5, interacted=True)
    assert bots.is_real_open(visible_seconds=1.0, interacted=True)
    assert not bots.is_real_open(visible_seconds=7.9, interacted=False)
    assert bots.is_real_open(visible_seconds=8.0, interacted=False)
    # A visit fetched in a burst opens only with an interaction.
    assert not bots.is_real_open(visible_seconds=30.0, interacted=False, suspect=True)
    assert bots.is_real_open(visible_seconds=2.0, interacted=True, suspect=True)
    assert not bots.is_stale(T0, T0 + timedelta(seconds=59))
    assert bots.is_stale(T0, T0 + timedelta(seconds=60))


def test_a_beacon_cannot_claim_more_time_than_passed() -> None:
    beat = bots.Heartbeat.capped(600_000, since_last=timedelta(seconds=5))
    assert beat.visible_seconds == 5 + bots.BEACON_SLACK_SECONDS
    assert bots.Heartbeat.capped(-10, since_last=timedelta(seconds=5)).visible_seconds == 0
    assert bots.Heartbeat.capped(3000, since_last=timedelta(seconds=30)).visible_seconds == 3
