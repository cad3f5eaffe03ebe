"""Extraction lanes benchmark: how long a small upload waits while pathological files are read.

    make bench-extraction
    make bench-extraction BENCH_ARGS="--small 10"

Serves the app with uvicorn (as `baton serve`, two extraction workers in each lane) on a
fresh SQLite catalogue and uploads real files made for the purpose (tests/ingest/files.py):
a 1.4 MB PDF whose 1,999 pages share one 8 MB content stream, a page of 100,000 nested
HTML elements, and 3,000 nested Markdown lists (9 MB). Reports:
- alone: each pathological file uploaded on its own: the seconds until the answer, the
  status and reason, and the file's time budget;
- baseline: a small .txt upload with nothing else being read (ms);
- contended: two pathological PDFs uploaded at once and, while both are being read,
  `--small` small .txt uploads one after the other: each one's wait (ms), whether both
  PDFs were still unanswered when it completed, and the seconds until each PDF was
  refused.
Writes bench/results/extraction_lanes.json.
"""

from __future__ import annotations

import argparse
import shutil
import threading
import time
from typing import Any

import httpx

from api import migrations
from bench import harness
from ingest.limits import Limits
from tests.ingest import files

SMALL = b"Forty bytes of notes from the site visit."


def marketer_key(base: str) -> str:
    response = httpx.post(
        f"{base}/v1/users",
        json={"email": f"marketer-{time.time_ns()}@bench.local", "role": "marketer"},
        headers={"Authorization": f"Bearer {harness.ADMIN_KEY}"},
    )
    response.raise_for_status()
    return str(response.json()["api_key"])


def upload(base: str, key: str, name: str, data: bytes) -> dict[str, Any]:
    """One upload: its status, reason (when refused) and seconds until the answer."""
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=headers, timeout=300) as http:
        started = time.perf_counter()
        response = http.post("/v1/assets/upload", files={"file": (name, data)})
        seconds = time.perf_counter() - started
    body = response.json()
    return {
        "status": response.status_code,
        "reason": body.get("reason") if response.status_code >= 400 else None,
        "seconds": round(seconds, 3),
        "finished_at": time.perf_counter(),
    }


def alone(base: str, key: str) -> dict[str, Any]:
    print("\neach pathological file alone:")
    made = {
        "pdf_1999_pages_one_8_mb_stream": ("shared-stream.pdf", files.shared_stream_pdf()),
        "html_100000_nested_elements": ("nested.html", files.nested_html()),
        "markdown_3000_nested_lists": ("nested.md", files.nested_markdown()),
    }
    figures = {}
    for label, (name, data) in made.items():
        answer = upload(base, key, name, data)
        answer.pop("finished_at")
        answer["mb"] = round(len(data) / 1024 / 1024, 2)
        answer["budget_seconds"] = Limits().budget_seconds(len(data))
        figures[label] = answer
        print(
            f"  {label:<34} {answer['mb']:>5} MB  budget {answer['budget_seconds']:>4} s  "
            f"-> {answer['status']} {answer['reason'] or ''} in {answer['seconds']:.2f} s"
        )
    return figures


def baseline(base: str, key: str, count: int) -> dict[str, Any]:
    first = upload(base, key, "first.txt", SMALL + b" first")
    print(f"\nfirst upload (starts the extraction workers): {first['seconds'] * 1000:.1f} ms")
    waits = []
    for number in range(count):
        answer = upload(base, key, f"baseline-{number}.txt", SMALL + b" %d" % number)
        assert answer["status"] == 201, answer
        waits.append(answer["seconds"] * 1000)
    figures = {**harness.percentiles(waits), "first_ms": round(first["seconds"] * 1000, 1)}
    print(f"small upload, nothing else being read: p50 {figures['p50']} ms, max {max(waits):.1f}")
    return figures


def contended(base: str, key: str, count: int, round_: int) -> dict[str, Any]:
    """Two pathological PDFs at once, and small uploads while both are being read."""
    big: dict[str, dict[str, Any]] = {}

    pdfs = {seed: files.shared_stream_pdf(seed=100 * round_ + seed) for seed in (1, 2)}

    def send(seed: int) -> None:
        big[f"pdf-{seed}"] = upload(base, key, f"slow-{round_}-{seed}.pdf", pdfs[seed])

    threads = [threading.Thread(target=send, args=(seed,)) for seed in pdfs]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(1.5)  # both 1.4 MB bodies are sent on loopback within this; reading starts
    waits, overlapped = [], []
    for number in range(count):
        data = SMALL + b" round %d, upload %d" % (round_, number)
        answer = upload(base, key, f"small-{round_}-{number}.txt", data)
        assert answer["status"] == 201, answer
        waits.append(answer["seconds"] * 1000)
        overlapped.append(len(big) == 0)
    for thread in threads:
        thread.join()
    refused = {
        name: {
            "status": a["status"],
            "reason": a["reason"],
            "seconds_to_answer": round(a["finished_at"] - started, 2),
        }
        for name, a in sorted(big.items())
    }
    figures = {
        "small_wait_ms": harness.percentiles(waits),
        "small_wait_max_ms": round(max(waits), 1),
        "small_done_while_both_pdfs_were_read": sum(overlapped),
        "small_uploads": count,
        "pdfs": refused,
    }
    print(
        f"\nround {round_}: {count} small uploads while two PDFs are being read: "
        f"p50 {figures['small_wait_ms']['p50']} ms, max {figures['small_wait_max_ms']} ms, "
        f"{sum(overlapped)}/{count} completed before either PDF was answered"
    )
    for name, answer in refused.items():
        print(
            f"  {name}: {answer['status']} {answer['reason']} after {answer['seconds_to_answer']} s"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=5, help="small uploads while PDFs are read")
    parser.add_argument("--rounds", type=int, default=2, help="contended rounds")
    args = parser.parse_args()

    work = harness.WORK / "extraction-lanes"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    url = f"sqlite:///{work / 'baton.db'}"
    migrations.upgrade(url)
    limits = Limits()
    result = harness.started_result(
        "extraction_lanes",
        args.rounds,
        budget={
            "base_seconds": limits.budget_base_seconds,
            "seconds_per_mb": limits.budget_seconds_per_mb,
            "cap_seconds": limits.timeout_seconds,
            "small_file_bytes": limits.small_file_bytes,
        },
    )
    server = harness.Server(work / "data", url)
    try:
        key = marketer_key(server.base)
        result["baseline_small_ms"] = baseline(server.base, key, max(args.small, 5))
        result["alone"] = alone(server.base, key)
        result["contended"] = [
            contended(server.base, key, args.small, round_) for round_ in range(1, args.rounds + 1)
        ]
    finally:
        result["server_peak_rss_mb"] = server.stop()
    harness.write_result("extraction_lanes", result)


if __name__ == "__main__":
    main()
