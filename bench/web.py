"""`make bench-web`: the web app's server time per page, against a real `baton serve`.

Builds (once, cached under bench/.work/web-<n>/; --fresh builds it again) a catalogue of
--n synthetic assets (default 100,000) as bench/search.py does (bench.corpus generates the
library, bench.catalogue loads it, the FTS5 index is built as `baton reindex` does), then
runs `baton serve` on it with JSON logs. An admin and a rep are invited through the API and
set their passwords; each then signs in through /signin like a browser (the session cookie,
the form's CSRF token). For every page of the app it sends --warmup untimed requests, then
--requests timed ones, one at a time, and reports the server's time (the access log's
`duration_ms` for each request, matched by its X-Request-ID) and the client's round trip,
p50/p95/p99: `/search`, `/search?q=` (whole page), search as you type (htmx fragments,
`HX-Request: true`, the prefixes of real words as a person types them, one typing session
per phrase), `/assets/{id}`, the marketers' and admins' pages, the reports. A page that
answers 404 is reported as missing and skipped; any other error status is counted. The
first visit of each page (caches empty, a slow report computed: api.reports.snapshots) is
reported apart, as `first_visit_ms`.

Goals (issue 17): any page ≤ 100 ms p95 and search as you type ≤ 50 ms p95 at 100,000
assets. Prints the figures beside the goals; writes bench/results/web.json.

Not a test: figures depend on the machine and on whatever else runs on it.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from bench import harness
from bench.catalogue import load_catalogue
from bench.corpus import DOMAIN, generate
from bench.search import query_mix
from search.text import words

GOAL_PAGE_MS = 100.0
GOAL_TYPING_MS = 50.0
PASSWORD = "bench web passphrase 0123"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HTMX = {"HX-Request": "true"}
# The pages of the app, each measured as the person who would open it.
ADMIN_PAGES = (
    "/library",
    "/review",
    "/rules",
    "/synonyms",
    "/questions",
    "/questions/inbox",
    "/freshness",
    "/collections",
    "/reports/gaps",
    "/reports/performance",
    "/reports/searches",
    "/admin/people",
    "/admin/keys",
    "/admin/webhooks",
    "/admin/audit",
)


# --- the catalogue (cached) --------------------------------------------------------------------


def catalogue(n: int, seed: int, *, fresh: bool) -> tuple[Path, list[str]]:
    """The folder of a catalogue of n assets with its FTS5 index (built once, reused), and
    words of its titles (for queries)."""
    work = harness.WORK / f"web-{n}"
    done = work / ".complete"
    if fresh or not done.exists():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        print(f"generating {n} assets …", flush=True)
        pieces = list(generate(n, seed=seed))
        print("loading the catalogue …", flush=True)
        load_catalogue(f"sqlite:///{work / 'baton.db'}", pieces)
        harness.build_index(work / "baton.db")
        mix = query_mix(pieces, 100, seed)
        (work / "queries.json").write_text(json.dumps([m["q"] for m in mix]))
        done.write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
    else:
        print(f"reusing the catalogue in {work} (--fresh builds it again)", flush=True)
    harness.reminders_raised(work)
    return work, json.loads((work / "queries.json").read_text())


def asset_ids(work: Path, count: int, seed: int) -> list[str]:
    """Ids of approved assets (a rep sees them), a random sample."""
    with sqlite3.connect(work / "baton.db") as db:
        ids = [row[0] for row in db.execute("SELECT id FROM assets WHERE status = 'approved'")]
    return random.Random(seed).sample(ids, min(count, len(ids)))


def typing_phrases(queries: list[str], count: int, seed: int) -> list[str]:
    """Phrases a person types: real words of the library, one or two."""
    rng = random.Random(seed)
    vocabulary = [w for w in DOMAIN if "-" not in w and len(w) >= 4]
    from_queries = [w for q in queries for w in words(q) if len(w) >= 4]
    phrases = []
    for _ in range(count):
        size = rng.choice([1, 2, 2])
        phrases.append(" ".join(rng.choice(rng.choice([vocabulary, from_queries or vocabulary]))
                                for _ in range(size)))  # fmt: skip
    return phrases


def prefixes(phrase: str) -> list[str]:
    """What the search box holds after each keystroke, from the second character on."""
    return [phrase[:i] for i in range(2, len(phrase) + 1) if not phrase[:i].endswith(" ")]


# --- the server ---------------------------------------------------------------------------------


class Served:
    """`baton serve` (`--workers N`) on the catalogue, its JSON log in a file (info level:
    the access log's durations; warning: requests are not logged)."""

    def __init__(
        self, work: Path, *, workers: int = 1, log_level: str = "info", semantic: str = "off"
    ) -> None:
        self.port = harness._free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = work / "serve.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
        env.update(
            BATON_DATA_DIR=str(work),
            BATON_DATABASE_URL=f"sqlite:///{work / 'baton.db'}",
            BATON_ADMIN_KEY=harness.ADMIN_KEY,
            BATON_LOG_LEVEL=log_level,
            BATON_LOG_FORMAT="json",
            BATON_RATE_LIMITS="off",
            BATON_SEMANTIC=semantic,
        )
        if "BENCH_SEARCH_THREADS" in os.environ:  # to compare; default: BATON_SEARCH_THREADS's
            env["BATON_SEARCH_THREADS"] = os.environ["BENCH_SEARCH_THREADS"]
        self.log = self.log_path.open("w")
        command = [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"baton serve exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("baton serve did not become ready")

    def durations(self) -> dict[str, float]:
        """Server time (ms) by request id, from the access log so far."""
        self.log.flush()
        found = {}
        for line in self.log_path.read_text().splitlines():
            if '"baton.access"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if "request_id" in record and "duration_ms" in record:
                found[record["request_id"]] = float(record["duration_ms"])
        return found

    def stop(self) -> float:
        rss = harness._rss_kb(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        return round(rss.get("VmHWM", 0) / 1024, 1)


def person(base: str, role: str) -> str:
    """A new person of `role` who has set their password through their invite link; their
    email."""
    admin = {"Authorization": f"Bearer {harness.ADMIN_KEY}"}
    email = f"{role}-{uuid.uuid4().hex[:8]}@bench.local"
    # A generous timeout: at start the first notifications round scans the whole catalogue
    # (due reviews, rule violations) and writes wait their turn meanwhile.
    made = httpx.post(
        f"{base}/v1/users", json={"email": email, "role": role}, headers=admin, timeout=120
    )
    made.raise_for_status()
    invite = httpx.post(f"{base}/v1/users/{made.json()['id']}/invite", headers=admin, timeout=120)
    invite.raise_for_status()
    path = urlsplit(invite.json()["url"]).path
    with httpx.Client(base_url=base, timeout=60) as browser:
        page = browser.get(path)
        token = CSRF.search(page.text)
        assert token, page.text
        done = browser.post(
            path,
            data={"password": PASSWORD, "confirm": PASSWORD, "csrf_token": token.group(1)},
        )
        if done.status_code != 303:
            raise RuntimeError(f"setting {email}'s password failed: {done.status_code}")
    return email


def signed_in(base: str, email: str) -> httpx.Client:
    """A browser-like client signed in through /signin."""
    browser = httpx.Client(base_url=base, timeout=60)
    page = browser.get("/signin")
    token = CSRF.search(page.text)
    assert token, page.text
    answer = browser.post(
        "/signin", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    if answer.status_code != 303:
        raise RuntimeError(f"signing in as {email} failed: {answer.status_code} {answer.text}")
    return browser


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Page:
    """One line of the report: a page (or the typing sequence) and its requests."""

    name: str
    who: str
    goal_ms: float
    requests: list[tuple[str, dict[str, str]]]  # (path with query, extra headers)
    ids: list[str] = field(default_factory=list)
    round_trips: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    missing: bool = False
    first_id: str = ""  # the first visit (a report computed, caches filled)


def run(browser: httpx.Client, page: Page, warmup: int, count: int) -> None:
    page.first_id = f"bench-{uuid.uuid4().hex}"
    first = browser.get(
        page.requests[0][0], headers={**page.requests[0][1], "X-Request-ID": page.first_id}
    )
    if first.status_code == 404:
        page.missing = True
        print(f"  {page.name:<34} missing (404): skipped", flush=True)
        return
    for i in range(warmup):
        path, headers = page.requests[i % len(page.requests)]
        browser.get(path, headers=headers)
    for i in range(count):
        path, headers = page.requests[(warmup + i) % len(page.requests)]
        request_id = f"bench-{uuid.uuid4().hex}"
        started = time.perf_counter()
        answer = browser.get(path, headers={**headers, "X-Request-ID": request_id})
        page.round_trips.append((time.perf_counter() - started) * 1000)
        page.ids.append(request_id)
        if answer.status_code >= 400:
            page.errors[answer.status_code] = page.errors.get(answer.status_code, 0) + 1
    print(f"  {page.name:<34} {count} requests", flush=True)


def report(page: Page, durations: dict[str, float]) -> dict[str, Any]:
    if page.missing:
        return {"page": page.name, "as": page.who, "missing": True}
    server = [durations[i] for i in page.ids if i in durations]
    figures = harness.percentiles(server)
    return {
        "page": page.name,
        "as": page.who,
        "server_ms": figures,
        "round_trip_ms": harness.percentiles(page.round_trips),
        "first_visit_ms": durations.get(page.first_id),
        "goal_p95_ms": page.goal_ms,
        "goal_met": figures["p95"] <= page.goal_ms,
        "errors": page.errors,
    }


def print_report(rows: list[dict[str, Any]], n: int) -> None:
    print(f"\nserver time per page at {n:,} assets, ms (the access log's duration)")
    print(
        f"  {'page':<34}{'as':<7}{'p50':>8}{'p95':>8}{'p99':>8}{'rt p95':>9}"
        f"{'goal':>7}  {'':<4}{'first':>8}  {'errors'}"
    )
    for row in rows:
        if row.get("missing"):
            print(f"  {row['page']:<34}{row['as']:<7}{'missing (404)':>31}")
            continue
        s, rt = row["server_ms"], row["round_trip_ms"]
        verdict = "ok" if row["goal_met"] else "SLOW"
        errors = ", ".join(f"{k}: {v}" for k, v in row["errors"].items()) or ""
        print(
            f"  {row['page']:<34}{row['as']:<7}{s['p50']:>8.1f}{s['p95']:>8.1f}{s['p99']:>8.1f}"
            f"{rt['p95']:>9.1f}{row['goal_p95_ms']:>7.0f}  {verdict:<4}"
            f"{row['first_visit_ms'] or 0:>8.1f}  {errors}"
        )
    print(
        f"\ngoals: any page <= {GOAL_PAGE_MS:.0f} ms p95, search as you type <= "
        f"{GOAL_TYPING_MS:.0f} ms p95 (at 100,000 assets); 'rt' is the client's round trip"
    )


def main(argv: list[str] | None = None) -> None:
    parser = harness.library_parser(
        __doc__,
        ("--requests", 200, "timed requests per page"),
        ("--warmup", 20, "untimed requests per page first"),
        ("--phrases", 40, "phrases typed for search as you type"),
    )
    parser.add_argument("--fresh", action="store_true", help="build the catalogue again")
    args = parser.parse_args(argv)
    result = harness.started_result(
        "web", args.n, goals_p95_ms={"page": GOAL_PAGE_MS, "search_as_you_type": GOAL_TYPING_MS}
    )
    started = time.perf_counter()
    work, queries = catalogue(args.n, args.seed, fresh=args.fresh)
    result["catalogue_s"] = round(time.perf_counter() - started, 1)
    ids = asset_ids(work, 200, args.seed)

    print("starting baton serve …", flush=True)
    started = time.perf_counter()
    server = Served(work)
    result["server"] = {"ready_s": round(time.perf_counter() - started, 1)}
    pages: list[Page] = []
    try:
        browsers = {
            who: signed_in(server.base, person(server.base, role))
            for who, role in (("admin", "admin"), ("rep", "rep"))
        }
        phrases = typing_phrases(queries, args.phrases, args.seed)
        searched: list[tuple[str, dict[str, str]]] = [
            (f"/search?{urlencode({'q': q})}", {}) for q in queries
        ]
        for who in ("rep", "admin"):
            # One typing session per phrase, as the search page's form sends it.
            typed = [
                (f"/search?{urlencode({'q': text, 'ts': f'bench-{who}-{i}'})}", HTMX)
                for i, phrase in enumerate(phrases)
                for text in prefixes(phrase)
            ]
            pages += [
                Page("/search", who, GOAL_PAGE_MS, [("/search", {})]),
                Page("/search?q= (whole page)", who, GOAL_PAGE_MS, searched),
                Page("search as you type (htmx)", who, GOAL_TYPING_MS, typed),
                Page("/assets/{id}", who, GOAL_PAGE_MS, [(f"/assets/{i}", {}) for i in ids]),
            ]
        pages += [Page(path, "admin", GOAL_PAGE_MS, [(path, {})]) for path in ADMIN_PAGES]
        print(f"measuring {len(pages)} pages ({args.warmup} warm-up, {args.requests} timed) …")
        for page in pages:
            run(browsers[page.who], page, args.warmup, args.requests)
        for browser in browsers.values():
            browser.close()
        time.sleep(0.5)  # the last access-log lines
        durations = server.durations()
    finally:
        result["server"]["peak_rss_mb"] = server.stop()
    result["typing"] = {"phrases": phrases, "requests_per_person": len(typed)}
    result["pages"] = [report(page, durations) for page in pages]
    print_report(result["pages"], args.n)
    measured = [r for r in result["pages"] if not r.get("missing")]
    result["missing"] = [r["page"] for r in result["pages"] if r.get("missing")]
    result["goals_met"] = all(r["goal_met"] for r in measured)
    print(f"  server peak RSS {result['server']['peak_rss_mb']} MB")
    harness.write_result("web", result)


if __name__ == "__main__":
    main()
