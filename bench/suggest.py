"""`make bench-suggest`: POST /v1/suggestions over real HTTP at 100,000 assets.

Generates the synthetic collateral library of bench/corpus.py (--n assets, default
100,000), loads it into a fresh SQLite catalogue with ~500 known customer questions and a
history of usage and deal outcomes, builds the FTS5 index as `baton reindex` does, serves
the app with uvicorn on 127.0.0.1 and sends deal contexts as the CRM extension would, as a
rep: short notes, long email threads (greeting, several paragraphs, signature, legal
disclaimer, a quoted earlier reply), questions only, and facets only. Measures sequential
latency by kind of context (p50/p95/p99; a first pass with nothing remembered, then a
second), each deal again without and with the `opportunity_id` of a deal of the history,
in pairs (the assets already sent in it are looked up and left out: what that costs), and
throughput with --clients concurrent clients; records the machine's load average, since
other work on the machine shows in the figures. Writes bench/results/suggest.json.

Not a test: figures depend on the machine and on whatever else runs on it.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench import harness
from bench.catalogue import known_questions, load_catalogue, load_history
from bench.corpus import DOMAIN, INDUSTRIES, PERSONAS, PRODUCTS, STAGES, generate

CATEGORIES = ("short", "long", "questions", "facets")
# The deals of the usage history (bench.catalogue.load_history): opp-00000 … opp-01999.
HISTORY_DEALS = 2_000
GOAL_P95_MS = 30.0
WARM_UP_SECONDS = 5.0

# --- deal contexts ---------------------------------------------------------------------------

OPENERS = [
    "Thanks for the demo on {day}, the team liked what they saw.",
    "Following up on our call yesterday with {company}.",
    "Quick update after the steering committee met this morning.",
]
PARAGRAPHS = [
    "Our biggest problem is {a}: today we track it with {b} and it causes {c} every week.",
    "Half of our {a} happen at sites without good coverage, so {b} matters a lot to us.",
    "The {a} team asked whether you handle {b} and {c}, and how that works with {d}.",
    "We currently spend too much time on {a}; leadership wants {b} before renewal of {c}.",
    "Our {a} manager would like to see how other {industry} companies use {b}.",
    "Can you send something on {a} and {b}? We also need an answer on {c} for IT.",
]
SIGNATURE = """
Best regards,
{name}
{title} | {company}
Mobile: +1 (303) 555-{ext:04d}
{email}

This email and any attachments are confidential and intended solely for the addressee.
If you are not the intended recipient, please delete it and notify the sender.
"""
QUOTED = """
On {day}, Sam Carter <sam@fieldline.example> wrote:
> Hi {first},
> Great speaking with you today. As promised, attached is our overview of {a}
> and a short summary of how customers in {industry} handle {b}.
> Let me know what questions come up.
> Cheers,
> Sam
"""
NAMES = ["Jordan Alvarez", "Priya Raman", "Lee Chen", "Morgan Blake", "Dana Whitfield"]
TITLES = ["Operations Manager", "Director of IT", "VP Field Services", "CFO", "Head of Service"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def _facets(rng: random.Random, share: float) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if rng.random() < share:
        facets["stage"] = rng.choice(STAGES)
    if rng.random() < share:
        facets["industry"] = rng.choice(INDUSTRIES[:10])
    if rng.random() < share / 2:
        facets["persona"] = rng.choice(PERSONAS)
    if rng.random() < share / 2:
        facets["product"] = rng.choice(PRODUCTS)
    return facets


def _long_email(rng: random.Random, nouns: list[str], industry: str) -> str:
    name = rng.choice(NAMES)
    company = f"{rng.choice(['Granite', 'Harbor', 'Summit', 'Keystone'])} {industry.title()}"
    parts = [f"Hi Sam,\n\n{rng.choice(OPENERS).format(day=rng.choice(DAYS), company=company)}\n"]
    for _ in range(rng.randint(3, 7)):
        template = rng.choice(PARAGRAPHS)
        a, b, c, d = rng.sample(nouns, 4)
        parts.append(template.format(a=a, b=b, c=c, d=d, industry=industry) + "\n")
    parts.append(
        SIGNATURE.format(
            name=name,
            title=rng.choice(TITLES),
            company=company,
            ext=rng.randint(0, 9999),
            email=name.lower().replace(" ", ".") + "@customer.example",
        )
    )
    a, b = rng.sample(nouns, 2)
    parts.append(
        QUOTED.format(day=rng.choice(DAYS), first=name.split()[0], a=a, b=b, industry=industry)
    )
    return "\n".join(parts)


def deal_mix(per_category: int, seed: int, questions: list[str]) -> list[dict[str, Any]]:
    """A fixed mix of deal contexts, in the shapes the extension sends."""
    rng = random.Random(seed)
    nouns = [w.replace("-", " ") for w in DOMAIN]
    mix: list[dict[str, Any]] = []
    for _ in range(per_category):
        industry = rng.choice(INDUSTRIES[:10]).replace("-", " ")
        a, b, c = rng.sample(nouns, 3)
        short = rng.choice(
            [
                f"CFO worried about {a}; wants proof on {b} before signing.",
                f"They asked about {a} and {b}. Competitor pitched {c}.",
                f"Need a case study on {a} for a {industry} prospect.",
                f"Call notes: pain is {a}, currently using {b}; next step demo of {c}.",
            ]
        )
        mix.append({"category": "short", "body": {**_facets(rng, 0.7), "text": short}})
        mix.append(
            {
                "category": "long",
                "body": {**_facets(rng, 0.5), "text": _long_email(rng, nouns, industry)},
            }
        )
        asked = rng.sample(questions[:60], rng.randint(1, 3))
        mix.append({"category": "questions", "body": {"questions": asked}})
        mix.append({"category": "facets", "body": _facets(rng, 0.9) or {"stage": "decision"}})
    for item in mix:
        item["body"]["limit"] = rng.choice([5, 5, 5, 10])
    rng.shuffle(mix)
    return mix


# --- measuring -------------------------------------------------------------------------------


def http_runner(base: str, key: str) -> tuple[httpx.Client, Callable[[dict[str, Any]], int]]:
    client = harness.client_for(base, key)

    def run(item: dict[str, Any]) -> int:
        response = client.post("/v1/suggestions", json=item["body"])
        response.raise_for_status()
        return len(response.json()["suggestions"])

    return client, run


# Where a request's time goes, by the file a py-spy sample is in (innermost match wins).
PROFILE_PARTS = {
    "search backend: FTS5 / Meilisearch": ("search/fts5/", "search/meili.py", "search/mirror"),
    "reading the deal (email parts, words)": ("deal_text.py", "mailparser_reply", "wordfreq"),
    "matching known questions": ("question_matching.py", "rapidfuzz"),
    "scoring and ranking": ("suggestions/scoring.py",),
    "database (SQLAlchemy, sqlite3)": ("sqlalchemy/", "sqlmodel/", "sqlite3"),
    "presenting assets (briefs)": ("assets/service.py",),
    "HTTP, validation, serialisation": ("uvicorn/", "starlette/", "fastapi/", "pydantic", "h11"),
}
IDLE_FRAMES = ("Queue.get", "Condition.wait", "select (", "epoll", "Event.wait", "sleep")


def _part(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, marks in PROFILE_PARTS.items():
            if any(mark in frame for mark in marks):
                return name
    return "other"


def profile_summary(raw: Path) -> dict[str, float]:
    """Shares of the server's busy samples (py-spy's raw format) by part, in percent."""
    counts: dict[str, int] = defaultdict(int)
    for line in raw.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        frames = stack.split(";")
        if stack and not any(mark in frames[-1] for mark in IDLE_FRAMES):
            counts[_part(frames)] += int(number)
    total = sum(counts.values()) or 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    return {name: round(100 * n / total, 1) for name, n in ranked}


def _load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _start_profile(server: harness.Server, work: Path) -> subprocess.Popen[bytes]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    spy = subprocess.Popen(
        [
            *(py_spy, "record", "--pid", str(server.process.pid), "--format", "raw"),
            *("--rate", "250", "--nonblocking", "--output", str(work / "profile.txt")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    return spy


def main(argv: list[str] | None = None) -> None:
    parser = harness.library_parser(
        __doc__,
        ("--deals", 100, "deal contexts per category"),
        ("--questions", 500, "known customer questions"),
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep (and reuse) the generated catalogue"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the server with py-spy during the first pass (pip install py-spy)",
    )
    args = parser.parse_args(argv)

    work = harness.WORK / f"suggest-{args.n}"
    catalogue = work / "baton.db"
    url = f"sqlite:///{catalogue}"
    result = {
        **harness.started_result("suggest", args.n, goal_p95_ms=GOAL_P95_MS),
        "load_average_at_start": _load(),
    }
    rng = random.Random(args.seed)
    questions = known_questions(rng, args.questions)
    if not (args.keep and catalogue.exists()):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        print(f"generating {args.n} assets …", flush=True)
        pieces = list(generate(args.n, seed=args.seed))
        result["corpus"] = harness.corpus_figures(pieces)
        print("loading the catalogue, questions and usage history …", flush=True)
        started = time.perf_counter()
        load_catalogue(url, pieces)
        result["corpus"]["history"] = load_history(url, pieces, questions=questions, seed=args.seed)
        result["corpus"]["load_s"] = round(time.perf_counter() - started, 1)
        del pieces
        result["index"] = harness.build_index(catalogue)

    mix = deal_mix(args.deals, args.seed, questions)
    result["deals"] = {
        "per_category": args.deals,
        "text_chars_mean": {
            c: round(
                statistics.fmean(len(i["body"].get("text", "")) for i in mix if i["category"] == c)
            )
            for c in CATEGORIES
        },
        "examples": [next(i for i in mix if i["category"] == c) for c in CATEGORIES],
    }

    print("serving with uvicorn …", flush=True)
    server = harness.Server(work, url)
    try:
        key = server.rep_key()
        client, run = http_runner(server.base, key)
        # One request outside the mix loads what a server loads once (word frequencies,
        # the question index, compiled SQL) and starts the background sample of the
        # catalogue's words; every deal of the first pass is still new to the server.
        run({"category": "warm-up", "body": {"text": "warm-up", "questions": ["warm-up?"]}})
        time.sleep(WARM_UP_SECONDS)
        spy = _start_profile(server, work) if args.profile else None
        result["http_first_pass"] = harness.measure(run, mix, CATEGORIES)
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
            result["profile_first_pass_percent"] = profile_summary(work / "profile.txt")
        harness.print_table(
            "HTTP POST /v1/suggestions, sequential, first pass, ms",
            result["http_first_pass"],
            CATEGORIES,
            "context",
        )
        result["http"] = harness.measure(run, mix, CATEGORIES)
        harness.print_table(
            "HTTP POST /v1/suggestions, sequential, second pass, ms",
            result["http"],
            CATEGORIES,
            "context",
        )
        # Each deal twice in a row, without and with the `opportunity_id` of a deal of the
        # history (its sent assets looked up and left out): paired, so drift in the
        # machine's load falls on both alike.
        paired: list[dict[str, Any]] = []
        for n, item in enumerate(mix):
            deal = f"opp-{n % HISTORY_DEALS:05d}"
            paired.append({"category": "without", "body": item["body"]})
            paired.append({"category": "with", "body": {**item["body"], "opportunity_id": deal}})
        result["http_opportunity_id"] = harness.measure(run, paired, ("without", "with"))
        client.close()
        harness.print_table(
            "HTTP POST /v1/suggestions without / with opportunity_id, paired, ms",
            result["http_opportunity_id"],
            ("without", "with"),
            "deal id",
        )
        result["throughput"] = harness.throughput(
            server.base, key, mix, args.clients, args.seconds, http_runner
        )
    finally:
        result["server"] = {"peak_rss_mb": server.stop()}
    result["load_average_at_end"] = _load()
    result["goal_met"] = {
        "first_pass": result["http_first_pass"]["all"]["p95"] <= GOAL_P95_MS,
        "second_pass": result["http"]["all"]["p95"] <= GOAL_P95_MS,
    }
    if "profile_first_pass_percent" in result:
        print("\nwhere the first pass's time went (py-spy samples of the server, %):")
        for part, share in result["profile_first_pass_percent"].items():
            print(f"  {share:5.1f}  {part}")
    print(
        f"  server peak RSS {result['server']['peak_rss_mb']} MB; load average "
        f"{result['load_average_at_start']} -> {result['load_average_at_end']}"
    )
    harness.write_result("suggest", result)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
