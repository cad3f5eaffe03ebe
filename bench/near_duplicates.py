"""Near-duplicate detection: what it finds on the eval corpus, and what it adds to a create.

1. Quality, on bench/eval/corpus.yaml (155 hand-written assets): every pair's true Jaccard
   similarity of word 3-grams against what MinHash/LSH reports at the threshold: the pairs
   it finds, those it misses (false negatives) and those it reports below the threshold
   (false positives); then planted near-duplicates (each asset with one sentence changed,
   or one sentence added) and how many are found.
2. Cost, at 10,000 assets (bench.corpus, SQLite by default, `--url` for PostgreSQL): the
   time a create takes with the duplicate check (exact text), the signature written at
   the flush and the `similar` query, against the same create without them.

    .venv/bin/python -m bench.near_duplicates [--n 10000] [--creates 200] [--url URL]

Writes bench/results/near-duplicates.json. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel

import api.models  # noqa: F401  (every table)
from api.assets.models import Asset
from api.db import make_engine
from api.duplicates import service as duplicates
from bench.corpus import generate
from bench.harness import started_result, write_result

CORPUS = Path(__file__).parent / "eval" / "corpus.yaml"


def _jaccard(a: set[bytes], b: set[bytes]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def _texts() -> list[tuple[str, str, str]]:
    items = yaml.safe_load(CORPUS.read_text())
    return [(item["key"], item["title"], item.get("body") or "") for item in items]


def quality() -> dict[str, Any]:
    texts = _texts()
    words = {key: duplicates.normalised_words(title, body) for key, title, body in texts}
    grams = {key: set(duplicates.shingles(w)) for key, w in words.items()}
    sigs = {key: duplicates.signature(w) for key, w in words.items()}
    buckets = {key: set(duplicates.buckets(s)) for key, s in sigs.items()}
    threshold = duplicates.THRESHOLD
    truly, found, highest = set(), set(), []
    for a, b in itertools.combinations(sorted(words), 2):
        true = _jaccard(grams[a], grams[b])
        highest.append((round(true, 3), a, b))
        if true >= threshold:
            truly.add((a, b))
        candidate = bool(buckets[a] & buckets[b])
        if candidate and duplicates.similarity(sigs[a], sigs[b]) >= threshold:
            found.add((a, b))
    highest.sort(reverse=True)
    # Planted near-duplicates: one sentence of the body changed, or one sentence added.
    rng = random.Random(15)
    planted = {"changed_sentence": [0, 0], "added_sentence": [0, 0]}
    estimates: list[float] = []
    for key, title, body in texts:
        sentences = [s for s in body.replace("\n", " ").split(". ") if s.strip()]
        if len(sentences) < 4:
            continue
        changed = list(sentences)
        i = rng.randrange(len(changed))
        changed[i] = "Customers in the Nordics saw the same results within a quarter"
        added = [*sentences, "Ask your account manager for the full reference list"]
        for name, variant in (("changed_sentence", changed), ("added_sentence", added)):
            other = duplicates.normalised_words(title, ". ".join(variant))
            sig = duplicates.signature(other)
            score = duplicates.similarity(sigs[key], sig)
            hit = bool(set(duplicates.buckets(sig)) & buckets[key]) and score >= threshold
            planted[name][0] += 1
            planted[name][1] += int(hit)
            estimates.append(score)
    return {
        "assets": len(texts),
        "pairs": len(texts) * (len(texts) - 1) // 2,
        "threshold": threshold,
        "shingle_words": duplicates.SHINGLE_WORDS,
        "num_perm": duplicates.NUM_PERM,
        "bands": duplicates.BANDS,
        "rows_per_band": duplicates.ROWS,
        "pairs_at_or_above_threshold_true_jaccard": len(truly),
        "pairs_reported": len(found),
        "false_positives": len(found - truly),
        "false_negatives": len(truly - found),
        "highest_true_jaccard_pairs": highest[:5],
        "planted": {name: {"variants": n, "found": hits} for name, (n, hits) in planted.items()},
        "planted_similarity_min": min(estimates) if estimates else None,
        "planted_similarity_median": statistics.median(estimates) if estimates else None,
    }


def _asset(piece: Any, now: datetime) -> Asset:
    return Asset(
        title=piece.title,
        kind=piece.kind,
        status=piece.status,
        summary=piece.summary,
        body=piece.body,
        fields={},
        created_at=now,
        updated_at=now,
        expires_at=piece.expires_at,
        approved_at=piece.approved_at,
    )


def cost(url: str, n: int, creates: int) -> dict[str, Any]:
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    now = datetime.now(UTC)
    pieces = list(generate(n + creates, seed=15))
    started = time.perf_counter()
    with Session(engine) as session:
        for start in range(0, n, 500):
            session.add_all(_asset(p, now) for p in pieces[start : min(start + 500, n)])
            session.commit()
    load_s = time.perf_counter() - started
    print(f"loaded {n} assets with their signatures in {load_s:.1f} s", flush=True)

    def create(piece: Any, checked: bool) -> float:
        tick = time.perf_counter()
        with Session(engine) as session:
            if checked:
                duplicates.ensure_new_text(session, piece.title, piece.body, now=now)
            asset = _asset(piece, now)
            session.add(asset)
            session.flush()
            if checked:
                duplicates.similar_to(session, asset.id, now=now)
            session.commit()
        return (time.perf_counter() - tick) * 1000

    rest = pieces[n:]
    with_check, without = [], []
    for i, piece in enumerate(rest):
        # Alternate, so both see the same machine load; "without" has no listener either.
        if i % 2:
            with_check.append(create(piece, True))
        else:
            event.remove(OrmSession, "after_flush", duplicates._keep_signatures)
            try:
                without.append(create(piece, False))
            finally:
                event.listen(OrmSession, "after_flush", duplicates._keep_signatures)
    engine.dispose()

    def figures(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {
            "p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
            "mean_ms": round(statistics.fmean(ordered), 2),
        }

    words = [len(p.body.split()) for p in rest]
    return {
        "assets": n,
        "creates": creates,
        "body_words_median": statistics.median(words),
        "load_with_signatures_s": round(load_s, 1),
        "create_without_duplicate_check": figures(without),
        "create_with_duplicate_check": figures(with_check),
        "added_p50_ms": round(statistics.median(with_check) - statistics.median(without), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--url", help="a database URL (default: a new SQLite file)")
    args = parser.parse_args()
    result = started_result("near-duplicates", args.n)
    result["quality"] = quality()
    print(result["quality"], flush=True)
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{folder}/catalogue.db"
        result["database"] = url.split(":", 1)[0]
        result["cost"] = cost(url, args.n, args.creates)
    print(result["cost"])
    write_result("near-duplicates", result)


if __name__ == "__main__":
    main()
