"""How well the share-link bot rules (api/sharing/bots.py) tell people from bots, on
synthetic traffic driven through the real app (TestClient, a migrated SQLite catalogue,
a PDF asset, the app's clock moved by the script).

Each synthetic session gets its own link and arrives some time after the link was made;
bot sessions are link previews (by user agent), mail scanners (HEAD then a fast GET,
scanner agents), scanners disguised as browsers (HTML only, or twice in a burst),
prefetches, HTTP libraries, and sandboxes that render the page and run its script
(headless, or disguised as a browser, for 3 to 30 s without input). Person sessions are
readers who scroll, readers who do not touch the page, phone readers (touch), people
with scripts off, people who download at once, glancers who leave within seconds, and
people who reload at once. A session counts as an open when its link shows one.

    .venv/bin/python -m bench.share_bots [--bots 600] [--people 400] [--seed 7]

Prints the figures and writes bench/results/share-bots.json.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api import migrations
from api.main import create_app
from api.settings import Settings
from api.sharing import bots
from api.sharing import routes as share_routes
from tests.sharing.helpers import pdf_bytes

ADMIN_KEY = "bench-admin-key-share-bots-0123456789"
RESULTS = Path(__file__).parent / "results" / "share-bots.json"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
BROWSERS = [
    CHROME,
    CHROME + " Edg/131.0.2903.70",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
]
PHONES = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.81 Mobile Safari/537.36",
]
PREVIEWS = [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "WhatsApp/2.23.20.0",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029; Pro)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]
SCANNERS = [
    "Mozilla/5.0 (compatible; Proofpoint URL Defense)",
    "Mimecast-URL-Protect/1.0",
    "Barracuda Sentinel (EE)",
    "Mozilla/5.0 (compatible; Microsoft Defender for Office 365 Safe Links)",
    "Cisco IronPort URL Scanner",
    "Symantec MessageLabs URL Scanner",
]
LIBRARIES = ["python-requests/2.32.3", "curl/8.5.0", "Go-http-client/1.1", "okhttp/4.12.0", ""]
HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/131.0.0.0 Safari/537.36"
)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Visitor:
    """Drives one session's requests against one link at the clock's times."""

    http: TestClient
    clock: Clock
    path: str
    agent: str

    def at(self, when: datetime) -> None:
        self.clock.now = when

    def page(self, *, method: str = "GET", **headers: str) -> str | None:
        response = self.http.request(
            method, self.path, headers={"User-Agent": self.agent, **headers}
        )
        assert response.status_code == 200, response.text
        if method == "HEAD":
            return None
        visit = response.text.split('data-visit="', 1)[1].split('"', 1)[0]
        return visit or None

    def images(self, visit: str | None, pages: int = 3) -> None:
        for number in range(1, pages + 1):
            query = f"?v={visit}" if visit else ""
            self.http.get(
                f"{self.path}/pages/{number}.png{query}", headers={"User-Agent": self.agent}
            )

    def pixel(self, visit: str | None) -> None:
        self.http.get(f"{self.path}/seen.gif?v={visit}", headers={"User-Agent": self.agent})

    def download(self, visit: str | None) -> None:
        self.http.get(f"{self.path}/download?v={visit}", headers={"User-Agent": self.agent})

    def read(self, visit: str | None, start: datetime, seconds: float, *, interacted: bool) -> None:
        """The page's script: a report at the first input (1.2 s), then one every 10 s
        (the page sends one every 5 s; fewer requests, the same visible time)."""
        if visit is None:
            return
        elapsed, sent = 0.0, 0.0
        marks = [1.2, *[10.0 * k for k in range(1, int(seconds // 10) + 1)], seconds]
        for mark in sorted({m for m in marks if m <= seconds}):
            elapsed = mark
            self.at(start + timedelta(seconds=elapsed))
            pages = [p for p in (1, 2, 3) if elapsed >= (p - 1) * 8] if interacted else [1]
            body = {
                "v": visit,
                "visible_ms": int((elapsed - sent) * 1000),
                "interacted": interacted and elapsed >= 1.2,
                "pages": pages,
            }
            sent = elapsed
            response = self.http.post(
                f"{self.path}/beacon",
                content=json.dumps(body),
                headers={"User-Agent": self.agent, "Content-Type": "text/plain"},
            )
            assert response.status_code == 204, response.text


Behaviour = Callable[[Visitor, datetime, random.Random], int]  # -> requests made


def preview(v: Visitor, made: datetime, rng: random.Random) -> int:
    v.agent = rng.choice(PREVIEWS)
    v.at(made + timedelta(seconds=rng.uniform(0.3, 3600)))
    v.page()
    return 1


def mail_scanner(v: Visitor, made: datetime, rng: random.Random) -> int:
    v.agent = rng.choice(SCANNERS)
    when = made + timedelta(seconds=rng.uniform(0.5, 120))
    v.at(when)
    v.page(method="HEAD")
    v.at(when + timedelta(seconds=rng.uniform(0.05, 0.5)))
    v.page()
    return 2


def disguised_scanner(v: Visitor, made: datetime, rng: random.Random) -> int:
    """A scanner with a browser's agent that fetches the HTML only (Safe Links style)."""
    v.agent = rng.choice(BROWSERS)
    v.at(made + timedelta(seconds=rng.uniform(0.5, 600)))
    v.page()
    return 1


def disguised_burst(v: Visitor, made: datetime, rng: random.Random) -> int:
    """A scanner farm with a browser's agent fetching the link three times in a second,
    also fetching the images."""
    v.agent = rng.choice(BROWSERS)
    when = made + timedelta(seconds=rng.uniform(0.5, 600))
    for k in range(3):
        v.at(when + timedelta(seconds=0.3 * k))
        visit = v.page()
        v.images(visit)
    return 12


def prefetch(v: Visitor, made: datetime, rng: random.Random) -> int:
    v.agent = rng.choice(BROWSERS)
    v.at(made + timedelta(seconds=rng.uniform(1, 3600)))
    v.page(
        **rng.choice([{"Sec-Purpose": "prefetch"}, {"Purpose": "prefetch"}, {"X-Moz": "prefetch"}])
    )
    return 1


def library(v: Visitor, made: datetime, rng: random.Random) -> int:
    v.agent = rng.choice(LIBRARIES)
    v.at(made + timedelta(seconds=rng.uniform(0.2, 3600)))
    v.page()
    return 1


def headless_sandbox(v: Visitor, made: datetime, rng: random.Random) -> int:
    """A sandbox rendering the page in headless chromium (its own agent) for 10 s."""
    v.agent = HEADLESS
    when = made + timedelta(seconds=rng.uniform(2, 300))
    v.at(when)
    visit = v.page()
    v.images(visit)
    v.read(visit, when, 10, interacted=False)
    return 6


def disguised_sandbox(v: Visitor, made: datetime, rng: random.Random) -> int:
    """A sandbox with a browser's agent that runs the script 3 to 30 s, without input."""
    v.agent = rng.choice(BROWSERS)
    when = made + timedelta(seconds=rng.uniform(2, 300))
    v.at(when)
    visit = v.page()
    v.images(visit)
    seconds = rng.uniform(3, 30)
    v.read(visit, when, seconds, interacted=False)
    return 5 + int(seconds // 5)


def reader(v: Visitor, made: datetime, rng: random.Random) -> int:
    v.agent = rng.choice(BROWSERS)
    when = made + timedelta(seconds=rng.uniform(120, 3 * 86_400))
    v.at(when)
    visit = v.page()
    v.images(visit)
    seconds = rng.uniform(15, 300)
    v.read(visit, when, seconds, interacted=True)
    return 5 + int(seconds // 5)


def still_reader(v: Visitor, made: datetime, rng: random.Random) -> int:
    """Reads the first page without touching anything."""
    v.agent = rng.choice(BROWSERS + PHONES)
    when = made + timedelta(seconds=rng.uniform(120, 3 * 86_400))
    v.at(when)
    visit = v.page()
    v.images(visit, pages=1)
    seconds = rng.uniform(10, 90)
    v.read(visit, when, seconds, interacted=False)
    return 3 + int(seconds // 5)


def phone_reader(v: Visitor, made: datetime, rng: random.Random) -> int:
    v.agent = rng.choice(PHONES)
    when = made + timedelta(seconds=rng.uniform(60, 3 * 86_400))
    v.at(when)
    visit = v.page()
    v.images(visit)
    seconds = rng.uniform(8, 120)
    v.read(visit, when, seconds, interacted=True)
    return 5 + int(seconds // 5)


def no_script(v: Visitor, made: datetime, rng: random.Random) -> int:
    v.agent = rng.choice(BROWSERS)
    v.at(made + timedelta(seconds=rng.uniform(120, 86_400)))
    visit = v.page()
    v.images(visit)
    v.pixel(visit)
    return 5


def downloader(v: Visitor, made: datetime, rng: random.Random) -> int:
    v.agent = rng.choice(BROWSERS)
    when = made + timedelta(seconds=rng.uniform(120, 86_400))
    v.at(when)
    visit = v.page()
    v.at(when + timedelta(seconds=rng.uniform(2, 6)))
    v.download(visit)
    return 2


def glancer(v: Visitor, made: datetime, rng: random.Random) -> int:
    """Opens on a phone, sees the title, leaves within 2 to 7 s without input."""
    v.agent = rng.choice(PHONES)
    when = made + timedelta(seconds=rng.uniform(60, 86_400))
    v.at(when)
    visit = v.page()
    v.images(visit, pages=1)
    v.read(visit, when, rng.uniform(2, 7), interacted=False)
    return 3


def reloader(v: Visitor, made: datetime, rng: random.Random) -> int:
    """Opens, reloads within a second (a double click), then reads and scrolls."""
    v.agent = rng.choice(BROWSERS)
    when = made + timedelta(seconds=rng.uniform(120, 86_400))
    v.at(when)
    v.page()
    second = when + timedelta(seconds=rng.uniform(0.3, 1.5))
    v.at(second)
    visit = v.page()
    seconds = rng.uniform(15, 120)
    v.read(visit, second, seconds, interacted=True)
    return 2 + int(seconds // 5)


BOTS: dict[str, tuple[Behaviour, float]] = {
    "link preview (agent)": (preview, 0.25),
    "mail scanner (HEAD + fast GET)": (mail_scanner, 0.2),
    "scanner as a browser, HTML only": (disguised_scanner, 0.15),
    "scanner farm as a browser, burst": (disguised_burst, 0.08),
    "prefetch": (prefetch, 0.07),
    "HTTP library / no agent": (library, 0.1),
    "headless sandbox (10 s)": (headless_sandbox, 0.07),
    "sandbox as a browser, script 3-30 s": (disguised_sandbox, 0.08),
}
PEOPLE: dict[str, tuple[Behaviour, float]] = {
    "reader who scrolls": (reader, 0.35),
    "reader without input": (still_reader, 0.15),
    "phone reader (touch)": (phone_reader, 0.2),
    "scripts off": (no_script, 0.05),
    "downloads at once": (downloader, 0.08),
    "glancer, leaves in 2-7 s": (glancer, 0.12),
    "reload within a second": (reloader, 0.05),
}


def _pick(table: dict[str, tuple[Behaviour, float]], rng: random.Random) -> str:
    names = list(table)
    return rng.choices(names, weights=[table[n][1] for n in names])[0]


def run(bot_sessions: int, people_sessions: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        url = f"sqlite:///{data / 'baton.db'}"
        migrations.upgrade(url)
        settings = Settings(
            database_url=url,
            data_dir=data,
            admin_key=ADMIN_KEY,
            notifications_interval_seconds=0,
        )
        app = create_app(settings)
        start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        clock = Clock(start)
        with TestClient(app) as http:
            app.state.clock = clock
            admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
            files = {"file": ("study.pdf", pdf_bytes(), "application/pdf")}
            meta = {"metadata": json.dumps({"kind": "case_study", "title": "Bench study"})}
            asset = http.post("/v1/assets/upload", files=files, data=meta, headers=admin).json()
            for action in ("submit", "approve"):
                http.post(f"/v1/assets/{asset['id']}/{action}", headers=admin)

            sessions: list[tuple[str, str, str, int]] = []  # (truth, behaviour, link, requests)
            plan = [("bot", _pick(BOTS, rng)) for _ in range(bot_sessions)]
            plan += [("person", _pick(PEOPLE, rng)) for _ in range(people_sessions)]
            rng.shuffle(plan)
            for index, (truth, name) in enumerate(plan):
                made = start + timedelta(days=4 * index)
                clock.now = made
                link = http.post(
                    "/v1/share-links",
                    json={
                        "asset_id": asset["id"],
                        "opportunity_id": f"BENCH-{index}",
                        "allow_download": True,
                        "expires_at": (made + timedelta(days=300)).isoformat(),
                    },
                    headers=admin,
                ).json()
                path = "/s/" + link["url"].split("/s/", 1)[1]
                behaviour = (BOTS if truth == "bot" else PEOPLE)[name][0]
                visitor = Visitor(http, clock, path, "")
                # The beacon limit counts wall time, which the bench compresses: each
                # session starts with a fresh budget (a real page sends 12 a minute).
                share_routes._beacons = MovingWindowRateLimiter(MemoryStorage())
                requests = behaviour(visitor, made, rng)
                sessions.append((truth, name, link["id"], requests))

            clock.now = start + timedelta(days=4 * len(plan) + 1)
            shown: dict[str, dict[str, Any]] = {}
            offset = 0
            while True:
                page = http.get(
                    "/v1/share-links", params={"limit": 100, "offset": offset}, headers=admin
                ).json()
                for item in page["items"]:
                    shown[item["id"]] = item["engagement"]
                offset += 100
                if offset >= page["total"]:
                    break

    counted: dict[str, Counter[str]] = defaultdict(Counter)
    for truth, name, link_id, requests in sessions:
        engagement = shown[link_id]
        entry = counted[name]
        entry["sessions"] += 1
        entry["requests"] += requests
        entry["counted_as_open"] += 1 if engagement["opens"] else 0
        entry["bots_filtered"] += engagement["bots_filtered"]
        entry["truth_bot"] = 1 if truth == "bot" else 0
    bot_total = sum(c["sessions"] for n, c in counted.items() if n in BOTS)
    bot_counted = sum(c["counted_as_open"] for n, c in counted.items() if n in BOTS)
    people_total = sum(c["sessions"] for n, c in counted.items() if n in PEOPLE)
    people_counted = sum(c["counted_as_open"] for n, c in counted.items() if n in PEOPLE)
    return {
        "seed": seed,
        "rules": {
            "min_seconds_after_creation": bots.MIN_SECONDS_AFTER_CREATION,
            "burst_seconds": bots.BURST_SECONDS,
            "min_visible_seconds_with_interaction": bots.MIN_VISIBLE_SECONDS_WITH_INTERACTION,
            "min_visible_seconds_reading": bots.MIN_VISIBLE_SECONDS_READING,
            "pending_seconds": bots.PENDING_SECONDS,
            "agents": [name for name, _ in bots.BOT_AGENTS],
        },
        "bot_sessions": bot_total,
        "bot_sessions_filtered_share": round(1 - bot_counted / bot_total, 4) if bot_total else None,
        "bot_sessions_counted_as_opens": bot_counted,
        "people_sessions": people_total,
        "people_sessions_counted_share": round(people_counted / people_total, 4)
        if people_total
        else None,
        "people_sessions_wrongly_dropped": people_total - people_counted,
        "by_behaviour": {
            name: {
                "kind": "bot" if name in BOTS else "person",
                "sessions": c["sessions"],
                "counted_as_open": c["counted_as_open"],
                "bots_filtered_requests": c["bots_filtered"],
            }
            for name, c in sorted(counted.items(), key=lambda item: (item[0] not in BOTS, item[0]))
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bots", type=int, default=600)
    parser.add_argument("--people", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = run(args.bots, args.people, args.seed)
    print(
        f"bot sessions: {result['bot_sessions']}, filtered "
        f"{result['bot_sessions_filtered_share']:.1%} "
        f"({result['bot_sessions_counted_as_opens']} counted as opens)"
    )
    print(
        f"people sessions: {result['people_sessions']}, counted "
        f"{result['people_sessions_counted_share']:.1%} "
        f"({result['people_sessions_wrongly_dropped']} wrongly dropped)"
    )
    for name, row in result["by_behaviour"].items():
        share = row["counted_as_open"] / row["sessions"] if row["sessions"] else 0.0
        print(
            f"  {row['kind']:6} {name:40} sessions {row['sessions']:4}  "
            f"counted as open {row['counted_as_open']:4} ({share:.0%})  "
            f"bots_filtered {row['bots_filtered_requests']}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
