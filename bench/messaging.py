"""How long the messaging check takes on a large text: 1 MB against 500 rules by default.

Not a test. Run `make bench-messaging` (or `python -m bench.messaging --help`); it prints
the figures and writes bench/results/messaging.json.

The text is prose-like (a vocabulary of common words and made-up ones, punctuation, line
breaks) with some rule phrases planted in it, in mixed case and split across lines. The
rules mix banned words, banned phrases of several words, `word*` wildcards, deprecated
terms and required disclaimers. Three figures:
- compile: turning the rules into a rulebook (once per change of the rules);
- check: `check_parts` over the text with the compiled rules, findings included;
- check via the database: `check_text` as POST /v1/messaging/check runs it, reading the
  rules from a migrated SQLite catalogue first.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from api import migrations
from api.db import make_engine, session_scope
from api.messaging import service
from api.messaging.matching import Rule, Rulebook, RuleType, Severity
from api.messaging.schemas import RuleIn

RESULTS = Path(__file__).parent / "results" / "messaging.json"
COMMON = (
    "the of and to in a is that for it as was with be by on not he this are or his from at "
    "which but have an they you were her she there been one all we their has would when if "
    "so no will more out up into do any your what some can time could about than them other "
    "customer team project field site crew schedule safety report cost budget rollout data "
    "offline sync invoice approval contract partner support training onboarding pilot"
).split()


def _made_up_words(rng: random.Random, count: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 11))) for _ in range(count)]


def make_rules(rng: random.Random, count: int) -> list[Rule]:
    """`count` rules: 60% banned words, 16% banned phrases, 10% wildcards, 10% deprecated,
    4% required disclaimers."""
    words = iter(_made_up_words(rng, count * 4))
    rules: list[Rule] = []
    for index in range(count):
        share = index / count
        if share < 0.60:
            rule = Rule(RuleType.banned, next(words), Severity.error)
        elif share < 0.76:
            phrase = " ".join(next(words) for _ in range(rng.randint(2, 4)))
            rule = Rule(RuleType.banned, phrase, Severity.error)
        elif share < 0.86:
            rule = Rule(RuleType.banned, next(words)[:6] + "*", Severity.warning)
        elif share < 0.96:
            rule = Rule(RuleType.deprecated, next(words), Severity.warning, replacement=next(words))
        else:
            phrase = f"{next(words)} {next(words)} {next(words)} disclaimer"
            rule = Rule(RuleType.required, phrase, Severity.error)
        rules.append(rule)
    return rules


def make_text(rng: random.Random, size: int, rules: list[Rule], planted: int) -> str:
    """About `size` characters of prose with `planted` rule phrases in it."""
    vocabulary = COMMON * 20 + _made_up_words(rng, 6000)
    chunks: list[str] = []
    length = 0
    sentence = 0
    while length < size:
        word = rng.choice(vocabulary)
        if sentence == 0:
            word = word.capitalize()
        sentence += 1
        end = ""
        if sentence > rng.randint(8, 20):
            end, sentence = rng.choice((". ", ".\n", "? ", ".\n\n")), 0
        elif rng.random() < 0.06:
            end = ", "
        chunk = word + (end or " ")
        chunks.append(chunk)
        length += len(chunk)
    for _ in range(planted):
        phrase = rng.choice(rules).phrase.replace("*", "ed")
        if rng.random() < 0.3:
            phrase = phrase.upper()
        phrase = phrase.replace(" ", rng.choice((" ", "\n", "  ")), 1)
        chunks.insert(rng.randrange(len(chunks)), phrase + " ")
    return "".join(chunks)[:size]


def _timings(run: Any, repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "min_ms": round(times[0], 2),
        "median_ms": round(statistics.median(times), 2),
        "max_ms": round(times[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="characters of text")
    parser.add_argument("--rules", type=int, default=500, help="number of rules")
    parser.add_argument("--planted", type=int, default=400, help="rule phrases in the text")
    parser.add_argument("--repeat", type=int, default=15, help="runs per figure")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    rules = make_rules(rng, args.rules)
    text = make_text(rng, args.size, rules, args.planted)
    rule_tuple = tuple(rules)
    parts: list[tuple[str | None, str]] = [("body", text)]

    compile_ms = _timings(lambda: Rulebook(rule_tuple), 5)
    findings = service.check_parts(rule_tuple, parts, kind="case_study")
    check_ms = _timings(
        lambda: service.check_parts(rule_tuple, parts, kind="case_study"), args.repeat
    )

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        migrations.upgrade(url)
        engine = make_engine(url)
        try:
            with session_scope(engine) as session:
                service.replace_rules(
                    session,
                    [
                        RuleIn(
                            type=r.type,
                            phrase=r.phrase,
                            severity=r.severity,
                            replacement=r.replacement,
                        )
                        for r in rules
                    ],
                )
            with session_scope(engine) as session:
                db_ms = _timings(
                    lambda: service.check_text(session, text, kind="case_study"), args.repeat
                )
        finally:
            engine.dispose()

    result = {
        "text_chars": len(text),
        "rules": len(rules),
        "findings": len(findings),
        "compile": compile_ms,
        "check": check_ms,
        "check_via_database": db_ms,
        "repeat": args.repeat,
    }
    print(
        f"messaging check: {len(text):,} characters, {len(rules)} rules, {len(findings)} findings"
    )
    print(f"  compile the rules:         median {compile_ms['median_ms']:.1f} ms")
    print(
        f"  check (compiled rules):    median {check_ms['median_ms']:.1f} ms "
        f"(min {check_ms['min_ms']:.1f}, max {check_ms['max_ms']:.1f})"
    )
    print(
        f"  check (rules from SQLite): median {db_ms['median_ms']:.1f} ms "
        f"(min {db_ms['min_ms']:.1f}, max {db_ms['max_ms']:.1f})"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
