"""`make eval-search`: how well /v1/search finds what reps mean, on judged queries.

Loads the evaluation corpus (bench/eval/corpus.yaml: Fieldline's collateral, every kind,
written before any ranking change) into a fresh SQLite catalogue through the real app
(POST /v1/questions, POST /v1/assets, submit, approve: everything approved and live),
runs every judged query of bench/eval/queries.jsonl through GET /v1/search as a rep, and
scores the rankings with ir-measures: hit@1 and hit@3 (Success@k), MRR@10 (RR@10) and
nDCG@10 (graded: 2 = the answer, 1 = useful), per category and over all queries. A query
with no hits scores 0 everywhere. Prints the table, the SHA-256 of both data files (a
change to either shows) and the queries that fail; writes bench/results/eval-search.json.

--mode picks how the app searches: `keyword` (BATON_SEMANTIC=off) or `hybrid` (keyword
fused with semantic search, BATON_SEMANTIC=on; search/fts5/semantic.py).

Not a test: the figures are a measurement, not a pass/fail gate (tests/test_eval_search.py
checks only that the data files are well-formed). Never tune the corpus or the queries to
the search code, nor the code to these queries (bench/eval/README.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ir_measures
import yaml
from fastapi.testclient import TestClient
from ir_measures import RR, Success, nDCG

from api import migrations
from api.assets.kinds import Kind, rules_for
from api.main import create_app
from api.settings import DEFAULT_RATE_LIMITS, Settings
from bench import harness

EVAL = Path(__file__).resolve().parent / "eval"
CORPUS = EVAL / "corpus.yaml"
QUERIES = EVAL / "queries.jsonl"
NAME = "eval-search"
ADMIN_KEY = "eval-admin-key-0123456789"
# The categories of judged queries, in the order the table prints them.
CATEGORIES = ("typo", "prefix", "jargon", "question", "kind", "exact", "paraphrase")
DEPTH = 10  # the ranking depth scored (and asked of /v1/search)
METRICS = ("hit@1", "hit@3", "mrr@10", "ndcg@10")
ASSET_FIELDS = (
    "key",
    "kind",
    "title",
    "summary",
    "body",
    "stages",
    "industries",
    "personas",
    "products",
    "tags",
    "questions",
    "fields",
)


# --- the data files ----------------------------------------------------------------------------


def load_corpus(path: Path = CORPUS) -> list[dict[str, Any]]:
    assets = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(assets, list):
        raise ValueError(f"{path}: expected a list of assets")
    return assets


def load_queries(path: Path = QUERIES) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def data_problems(assets: list[dict[str, Any]], queries: list[dict[str, Any]]) -> list[str]:
    """What is wrong with the corpus and the queries, as sentences (none when well-formed)."""
    keys = Counter(str(a.get("key")) for a in assets)
    ids = Counter(str(q.get("id")) for q in queries)
    return [
        *(f"asset key {k!r} is used {n} times" for k, n in keys.items() if n > 1),
        *(p for asset in assets for p in _asset_problems(asset)),
        *(f"query id {i!r} is used {n} times" for i, n in ids.items() if n > 1),
        *(p for query in queries for p in _query_problems(query, set(keys))),
    ]


def _asset_problems(asset: dict[str, Any]) -> list[str]:
    key = asset.get("key")
    problems = []
    unknown = set(asset) - set(ASSET_FIELDS)
    if unknown:
        problems.append(f"asset {key}: unknown fields {sorted(unknown)}")
    for name in ("key", "kind", "title", "body"):
        if not isinstance(asset.get(name), str) or not asset[name].strip():
            problems.append(f"asset {key}: {name} is missing or empty")
    if asset.get("kind") not in {k.value for k in Kind}:
        problems.append(f"asset {key}: unknown kind {asset.get('kind')!r}")
    for name in ("stages", "industries", "personas", "products", "tags", "questions"):
        value = asset.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"asset {key}: {name} must be a list of strings")
    if not isinstance(asset.get("fields", {}), dict):
        problems.append(f"asset {key}: fields must be a mapping")
    return problems


def _query_problems(query: dict[str, Any], keys: set[str]) -> list[str]:
    qid = query.get("id")
    problems = []
    if query.get("category") not in CATEGORIES:
        problems.append(f"query {qid}: unknown category {query.get('category')!r}")
    if not isinstance(query.get("q"), str) or not query["q"].strip():
        problems.append(f"query {qid}: q is missing or empty")
    relevant = query.get("relevant")
    if not isinstance(relevant, dict) or not relevant:
        return [*problems, f"query {qid}: no relevance judgments"]
    for key, grade in relevant.items():
        if key not in keys:
            problems.append(f"query {qid}: judged asset {key!r} is not in the corpus")
        if grade not in (1, 2):
            problems.append(f"query {qid}: grade of {key!r} must be 1 or 2, not {grade!r}")
    if 2 not in relevant.values():
        problems.append(f"query {qid}: no asset is graded 2 (the answer)")
    return problems


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the modes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mode:
    name: str
    description: str
    # Settings the app runs with in this mode; None while the mode does not exist yet.
    settings: dict[str, Any] | None
    unavailable: str = ""


MODES = {
    # BATON_SEMANTIC is "auto" by default: keyword mode turns semantic search off explicitly.
    "keyword": Mode(
        "keyword", "the keyword engine alone (FTS5, the embedded backend)", {"semantic": "off"}
    ),
    "hybrid": Mode(
        "hybrid",
        "keyword ranking with semantic similarity fused in (MiniLM-L6 int8): a weighted score,"
        " then the question and kind rules",
        {"semantic": "on"},
    ),
}


# --- the catalogue ---------------------------------------------------------------------------


@dataclass
class Catalogue:
    """A running app over a fresh catalogue holding the corpus, and a rep's key."""

    client: TestClient
    rep: dict[str, str]
    key_of: dict[str, str] = field(default_factory=dict)  # asset id -> corpus key


def _user(client: TestClient, role: str) -> dict[str, str]:
    response = client.post(
        "/v1/users",
        json={"email": f"{role}@eval.baton.local", "name": role.title(), "role": role},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['api_key']}"}


def _ok(response: Any) -> dict[str, Any]:
    if response.status_code >= 400:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
    return dict(response.json())


def load_into(client: TestClient, assets: list[dict[str, Any]]) -> Catalogue:
    """Create, submit and approve every asset as a marketer; questions first."""
    marketer = _user(client, "marketer")
    catalogue = Catalogue(client, _user(client, "rep"))
    question_ids: dict[str, str] = {}
    for text in dict.fromkeys(q for a in assets for q in a.get("questions", [])):
        question_ids[text] = _ok(
            client.post("/v1/questions", json={"text": text}, headers=marketer)
        )["id"]
    # Talking points expire by default: the corpus is evaluated live, so a year from now.
    expires = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    for asset in assets:
        payload: dict[str, Any] = {
            name: asset[name]
            for name in ("title", "kind", "summary", "body", "fields")
            if name in asset
        }
        for facet in ("stages", "industries", "personas", "products", "tags"):
            payload[facet] = asset.get(facet, [])
        payload["question_ids"] = [question_ids[q] for q in asset.get("questions", [])]
        if rules_for(asset["kind"]).expires_by_default:
            payload["expires_at"] = expires
        created = _ok(client.post("/v1/assets", json=payload, headers=marketer))
        _ok(client.post(f"/v1/assets/{created['id']}/submit", headers=marketer))
        approved = _ok(client.post(f"/v1/assets/{created['id']}/approve", headers=marketer))
        if approved["status"] != "approved":
            raise RuntimeError(f"{asset['key']} is {approved['status']}, not approved")
        catalogue.key_of[created["id"]] = asset["key"]
    return catalogue


@contextmanager
def running_catalogue(mode: Mode, assets: list[dict[str, Any]]) -> Iterator[Catalogue]:
    """The app on a fresh SQLite catalogue in a temporary folder, the corpus loaded."""
    assert mode.settings is not None
    with tempfile.TemporaryDirectory(prefix="baton-eval-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'baton.db'}"
        migrations.upgrade(url)
        settings = Settings(
            database_url=url,
            data_dir=Path(tmp) / "data",
            admin_key=ADMIN_KEY,
            search_backend="sqlite",
            log_level="warning",
            # One key loads the whole corpus in seconds: no rate limits (as bench/harness.py).
            rate_limits=dict.fromkeys(DEFAULT_RATE_LIMITS, "off"),
            **mode.settings,
        )
        with TestClient(create_app(settings)) as client:
            catalogue = load_into(client, assets)
            # The embedded index embeds after each write's commit, in the background:
            # wait for every vector before the queries run.
            settle = getattr(client.app.state.search.backend, "settle", None)
            if settle is not None:
                settle()
            yield catalogue


# --- searching and scoring --------------------------------------------------------------------


def run_queries(catalogue: Catalogue, queries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each query's top DEPTH corpus keys, and how /v1/search says it matched."""
    runs: dict[str, dict[str, Any]] = {}
    for query in queries:
        started = time.perf_counter()
        found = _ok(
            catalogue.client.get(
                "/v1/search", params={"q": query["q"], "limit": DEPTH}, headers=catalogue.rep
            )
        )
        runs[query["id"]] = {
            "ranking": [catalogue.key_of[hit["asset"]["id"]] for hit in found["hits"]],
            "total": found["total"],
            "match": found.get("match"),
            "corrected_query": found.get("corrected_query"),
            "ms": round((time.perf_counter() - started) * 1000, 2),
        }
    return runs


def score(
    queries: list[dict[str, Any]], runs: dict[str, dict[str, Any]]
) -> dict[str, dict[str, float]]:
    """Per query: hit@1, hit@3, MRR@10, nDCG@10 from ir-measures (0 for an empty ranking)."""
    measures = {"hit@1": Success @ 1, "hit@3": Success @ 3, "mrr@10": RR @ 10, "ndcg@10": nDCG @ 10}
    qrels = [
        ir_measures.Qrel(q["id"], key, grade)
        for q in queries
        for key, grade in q["relevant"].items()
    ]
    # Scores that keep the API's order exactly (trec_eval sorts by score).
    run = [
        ir_measures.ScoredDoc(qid, key, float(DEPTH - rank))
        for qid, r in runs.items()
        for rank, key in enumerate(r["ranking"][:DEPTH])
    ]
    by_measure = {repr(m): name for name, m in measures.items()}
    values: dict[str, dict[str, float]] = {q["id"]: dict.fromkeys(METRICS, 0.0) for q in queries}
    for metric in ir_measures.iter_calc(list(measures.values()), qrels, run):
        values[metric.query_id][by_measure[repr(metric.measure)]] = float(metric.value)
    return values


def summarise(
    queries: list[dict[str, Any]], values: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """The mean of each metric per category and over all queries, with the count."""
    groups: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    for q in queries:
        groups[q["category"]].append(q["id"])
    groups["all"] = [q["id"] for q in queries]
    table: dict[str, dict[str, float]] = {}
    for name, ids in groups.items():
        if not ids:
            continue
        row: dict[str, float] = {
            m: round(statistics.fmean(values[i][m] for i in ids), 3) for m in METRICS
        }
        row["n"] = len(ids)
        table[name] = row
    return table


def print_table(
    mode: str,
    table: dict[str, dict[str, float]],
    runs: dict[str, Any],
    queries: list[dict[str, Any]],
) -> None:
    empty = Counter(q["category"] for q in queries if not runs[q["id"]]["ranking"])
    print(f"\n{mode}: judged queries through GET /v1/search (as a rep, top {DEPTH})")
    print(
        f"  {'category':<12}{'n':>4}{'hit@1':>8}{'hit@3':>8}{'MRR@10':>8}{'nDCG@10':>9}{'empty':>7}"
    )
    for name, row in table.items():
        if name == "all":
            print("  " + "-" * 54)
        count = sum(empty.values()) if name == "all" else empty.get(name, 0)
        print(
            f"  {name:<12}{int(row['n']):>4}{row['hit@1']:>8.3f}{row['hit@3']:>8.3f}"
            f"{row['mrr@10']:>8.3f}{row['ndcg@10']:>9.3f}{count:>7}"
        )


def failures(
    queries: list[dict[str, Any]], values: dict[str, dict[str, float]], runs: dict[str, Any]
) -> list[dict[str, Any]]:
    """The queries whose answer is not in the top 3, worst first."""
    failing = [q for q in queries if values[q["id"]]["hit@3"] == 0.0]
    failing.sort(key=lambda q: (values[q["id"]]["ndcg@10"], CATEGORIES.index(q["category"])))
    return [
        {
            "id": q["id"],
            "category": q["category"],
            "q": q["q"],
            "relevant": q["relevant"],
            "top3": runs[q["id"]]["ranking"][:3],
            "total": runs[q["id"]]["total"],
            "match": runs[q["id"]]["match"],
            "ndcg@10": round(values[q["id"]]["ndcg@10"], 3),
        }
        for q in failing
    ]


def print_failures(failing: list[dict[str, Any]]) -> None:
    print(f"\nqueries without a relevant asset in the top 3: {len(failing)}")
    for f in failing:
        wanted = ", ".join(k for k, g in f["relevant"].items() if g == 2)
        got = ", ".join(f["top3"]) or "nothing"
        match = f["match"] or "not reported"
        print(f"  [{f['category']}] {f['q']!r} ({f['total']} hits, match: {match})")
        print(f"      wanted {wanted}; got {got}")


# --- the command ----------------------------------------------------------------------------


def evaluate(
    mode: Mode, assets: list[dict[str, Any]], queries: list[dict[str, Any]]
) -> dict[str, Any]:
    print(f"loading {len(assets)} assets into a fresh catalogue ({mode.name}) …", flush=True)
    started = time.perf_counter()
    with running_catalogue(mode, assets) as catalogue:
        load_s = time.perf_counter() - started
        runs = run_queries(catalogue, queries)
    values = score(queries, runs)
    table = summarise(queries, values)
    print_table(mode.name, table, runs, queries)
    failing = failures(queries, values, runs)
    print_failures(failing)
    return {
        "description": mode.description,
        "load_s": round(load_s, 1),
        "search_ms": harness.percentiles([r["ms"] for r in runs.values()]),
        "matches": dict(Counter(str(r["match"]) for r in runs.values())),
        "metrics": table,
        "failing": failing,
        "queries": {
            q["id"]: {"q": q["q"], "category": q["category"], **values[q["id"]], **runs[q["id"]]}
            for q in queries
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n", maxsplit=1)[0])
    parser.add_argument(
        "--mode",
        action="append",
        choices=sorted(MODES),
        help="how the app searches (repeatable; default: keyword and hybrid)",
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--no-write", action="store_true", help="print only, write no results")
    args = parser.parse_args(argv)
    modes = [MODES[name] for name in dict.fromkeys(args.mode or ["keyword", "hybrid"])]
    missing = [m for m in modes if m.settings is None]
    for mode in missing:
        print(f"mode {mode.name!r} is not available: {mode.unavailable}", file=sys.stderr)
    if missing:
        return 2

    assets, queries = load_corpus(args.corpus), load_queries(args.queries)
    problems = data_problems(assets, queries)
    if problems:
        print("the evaluation data is not well-formed:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    hashes = {"corpus_sha256": sha256(args.corpus), "queries_sha256": sha256(args.queries)}
    print(f"corpus  {args.corpus.name}: {len(assets)} assets, sha256 {hashes['corpus_sha256']}")
    print(f"queries {args.queries.name}: {len(queries)} judged, sha256 {hashes['queries_sha256']}")

    result = harness.started_result(NAME, len(assets), **hashes, queries=len(queries))
    result["categories"] = dict(Counter(q["category"] for q in queries))
    result["kinds"] = dict(Counter(a["kind"] for a in assets))
    result["modes"] = {}
    # Keep the figures of modes not run now, when they were measured on the same data.
    previous = harness.RESULTS / f"{NAME}.json"
    if previous.exists():
        old = json.loads(previous.read_text())
        if all(old.get(k) == v for k, v in hashes.items()):
            result["modes"].update(old.get("modes", {}))
    for mode in modes:
        result["modes"][mode.name] = evaluate(mode, assets, queries)
    if len(result["modes"]) > 1:
        _print_comparison(result["modes"])
    if not args.no_write:
        harness.write_result(NAME, result)
    return 0


def _print_comparison(modes: dict[str, Any]) -> None:
    print("\nhit@3 by mode")
    names = list(modes)
    print(f"  {'category':<12}" + "".join(f"{n:>10}" for n in names))
    for category in (*CATEGORIES, "all"):
        cells = [modes[n]["metrics"].get(category, {}).get("hit@3") for n in names]
        print(
            f"  {category:<12}"
            + "".join(f"{c:>10.3f}" if c is not None else f"{'':>10}" for c in cells)
        )


if __name__ == "__main__":
    sys.exit(main())
