"""`make bench-throughput`: requests per second from `baton serve --workers N`, under wrk.

Uses the catalogue `make bench-web` builds (bench/.work/web-<n>/, built once and reused;
--fresh builds it again): --n synthetic assets (default 100,000) with their FTS5 index.
For each worker count (--workers, default 1 2 4) it starts `baton serve --workers N` on
it (semantic search off unless BENCH_SEMANTIC=on, rate limits off, warning-level logs,
BATON_SEARCH_THREADS at its default unless BENCH_SEARCH_THREADS=N),
warms every worker, then runs Debian's `wrk` (installed by `.ci/system-packages wrk`)
for --seconds with --connections connections over 2 threads, twice: `GET /v1/search`
rotating through the library's queries (plain words, typos, prefixes, filters) and
`POST /v1/suggestions` rotating through deal contexts (short notes, long emails,
facets). The Lua script picks the requests; wrk reports requests per second and latency
percentiles (p50, p90, p99), non-2xx answers and socket errors.

wrk runs on the same two cores as the server: the figures are what this machine serves
while also generating the load, as the issue asks.

Goals (issue 18): at least 400 searches/s and 150 suggestions/s with p99 <= 50 ms.
Prints a table and writes bench/results/throughput.json. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench import harness
from bench.suggest import deal_mix, known_questions
from bench.web import Served, catalogue

GOALS = {"search": {"rps": 400, "p99_ms": 50}, "suggestions": {"rps": 150, "p99_ms": 50}}

# wrk's Lua: requests read from a file, one a line (method, path and JSON body, tab
# separated), taken in turn by each connection (each thread has its own Lua state).
SCRIPT = r"""
local requests = {}
local counter = 0
local key = os.getenv("BENCH_KEY")

function init(args)
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    local method, path, body = line:match("^(%u+)\t([^\t]*)\t(.*)$")
    local headers = {["Authorization"] = "Bearer " .. key}
    if body == "" then
      body = nil
    else
      headers["Content-Type"] = "application/json"
    end
    requests[#requests + 1] = wrk.format(method, path, headers, body)
  end
  counter = math.random(#requests)
end

function request()
  counter = counter % #requests + 1
  return requests[counter]
end

function done(summary, latency, requests)
  io.write(string.format(
    "BENCH %d %d %d %d %d %d %.3f %.3f %.3f %.3f\n",
    summary.requests, summary.duration, summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout, summary.errors.status,
    latency.min, latency.max,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.mean / 1000))
end
"""
DONE = re.compile(
    r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)$"
)


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        sys.exit("wrk is not installed: `make bench-throughput` installs it (apt: wrk)")
    return found


def search_requests(queries: list[str], seed: int) -> list[dict[str, Any]]:
    """The search mix: the library's queries, as typed (typos and prefixes included)."""
    rng = random.Random(seed)
    stages = ["awareness", "consideration", "decision"]
    requests = []
    for q in queries:
        params: dict[str, str] = {"q": q}
        if rng.random() < 0.2:
            params["stage"] = rng.choice(stages)
        requests.append({"method": "GET", "path": "/v1/search?" + str(httpx.QueryParams(params))})
    return requests


def suggestion_requests(seed: int) -> list[dict[str, Any]]:
    """Deal contexts as the extension sends them (not the known-questions kind: this
    catalogue holds no customer questions)."""
    mix = deal_mix(50, seed, known_questions(random.Random(seed), 60))
    return [
        {"method": "POST", "path": "/v1/suggestions", "body": json.dumps(item["body"])}
        for item in mix
        if item["category"] != "questions"
    ]


def rep_key(base: str) -> str:
    """The API key of a new rep."""
    answer = httpx.post(
        f"{base}/v1/users",
        json={"email": f"rep-{time.time_ns()}@bench.local", "role": "rep"},
        headers={"Authorization": f"Bearer {harness.ADMIN_KEY}"},
        timeout=120,
    )
    answer.raise_for_status()
    return str(answer.json()["api_key"])


def run_wrk(
    base: str, key: str, requests: list[dict[str, Any]], args: argparse.Namespace, work: Path
) -> dict[str, Any]:
    """One wrk run over `requests`; its figures."""
    lines = work / "wrk-requests.tsv"
    with lines.open("w") as out:
        for item in requests:  # JSON bodies hold no tab or newline (json.dumps escapes them)
            out.write(f"{item['method']}\t{item['path']}\t{item.get('body', '')}\n")
    script = work / "wrk.lua"
    script.write_text(SCRIPT)
    env = {**os.environ, "BENCH_KEY": key, "BENCH_REQUESTS": str(lines)}
    command = [
        wrk_path(),
        "-t2",
        f"-c{args.connections}",
        f"-d{args.seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base,
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    for line in done.stdout.splitlines():
        found = DONE.match(line.strip())
        if found:
            count, micros, errors, statuses = (int(found.group(i)) for i in range(1, 5))
            p50, p90, p99, mean = (float(found.group(i)) for i in range(7, 11))
            return {
                "requests": count,
                "rps": round(count / (micros / 1e6), 1),
                "p50_ms": round(p50, 2),
                "p90_ms": round(p90, 2),
                "p99_ms": round(p99, 2),
                "mean_ms": round(mean, 2),
                "non_2xx": statuses,
                "socket_errors": errors,
            }
    raise RuntimeError(f"wrk printed no figures:\n{done.stdout}\n{done.stderr}")


def warm(base: str, key: str, requests: list[dict[str, Any]], workers: int) -> None:
    """Every worker answers each kind of request before the clock runs (a new connection
    per request: the kernel spreads connections over the workers)."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    for item in requests[: 8 * workers]:
        if item["method"] == "GET":
            answer = httpx.get(base + item["path"], headers=headers, timeout=60)
        else:
            answer = httpx.post(base + item["path"], content=item["body"], headers=headers)
        answer.raise_for_status()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--n", type=int, default=100_000, help="assets in the library")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seconds", type=int, default=20, help="each wrk run's length")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fresh", action="store_true", help="build the catalogue again")
    args = parser.parse_args(argv)

    work, queries = catalogue(args.n, args.seed, fresh=args.fresh)
    mixes = {
        "search": search_requests(queries, args.seed),
        "suggestions": suggestion_requests(args.seed),
    }
    result = harness.started_result("throughput", args.n, goals=GOALS)
    result["semantic"] = os.environ.get("BENCH_SEMANTIC", "off")
    result["wrk"] = {"threads": 2, "connections": args.connections, "seconds": args.seconds}
    result["load_average_at_start"] = list(os.getloadavg())
    result["runs"] = {}
    for workers in args.workers:
        print(f"\nbaton serve --workers {workers} …", flush=True)
        semantic = os.environ.get("BENCH_SEMANTIC", "off")
        server = Served(work, workers=workers, log_level="warning", semantic=semantic)
        try:
            key = rep_key(server.base)
            figures: dict[str, Any] = {}
            for name, requests in mixes.items():
                warm(server.base, key, requests, workers)
                figures[name] = run_wrk(server.base, key, requests, args, work)
                shown = figures[name]
                print(
                    f"  {name:<12} {shown['rps']:>8.1f} req/s  p50 {shown['p50_ms']:.1f}  "
                    f"p90 {shown['p90_ms']:.1f}  p99 {shown['p99_ms']:.1f} ms  "
                    f"non-2xx {shown['non_2xx']}  socket errors {shown['socket_errors']}",
                    flush=True,
                )
            result["runs"][str(workers)] = figures
        finally:
            server.stop()

    print("\nworkers  searches/s  p99 ms   suggestions/s  p99 ms   (goals: 400 / 150, p99 <= 50)")
    for workers, figures in result["runs"].items():
        s, g = figures["search"], figures["suggestions"]
        print(
            f"{workers:>7}  {s['rps']:>10.1f}  {s['p99_ms']:>6.1f}   {g['rps']:>13.1f}  "
            f"{g['p99_ms']:>6.1f}"
        )
    harness.write_result("throughput", result)


if __name__ == "__main__":
    main()
