"""Ingest benchmark: `baton ingest --jobs 2` over a generated folder of mixed documents.

    make bench-ingest                      # 5,000 files, --jobs 2
    make bench-ingest BENCH_ARGS="--files 500 --jobs 1"

Generates (once, cached under bench/.work/) a folder of real PDF, DOCX, PPTX, HTML,
Markdown, text and EML files written by their own libraries, imports it into a fresh
catalogue with the real `baton ingest` command in a child process, then brings the search
index up to date the way a running server does (its index worker applies what the CLI
queued), and reports: import files/s and MB/s, end-to-end assets/s including indexing,
extraction files/s and MB/s per type (worker time per file), the importer's time by
stage, and peak RSS of the importer and of its largest worker. Writes
bench/results/ingest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from api.db import make_engine
from api.demo import documents as d
from api.discovery.indexing import Indexer
from api.discovery.runtime import make_backend
from api.settings import Settings
from bench.harness import RESULTS, WORK

# Shares of the generated corpus, roughly what a collateral library holds.
MIX = {"pdf": 20, "docx": 15, "pptx": 10, "html": 15, "md": 15, "txt": 15, "eml": 10}
GOAL = 150.0

WORDS = (
    "crew site inspection rework invoice schedule dispatch outage storm tunnel nurse visit "
    "route driver delivery signature photo checklist safety compliance offline sync report "
    "technician spare part machine downtime contract renewal pricing support integration "
    "customer project supervisor budget forecast quarter margin hours overtime fleet depot"
).split()


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 18))
    return " ".join(words).capitalize() + "."


def document(rng: random.Random, number: int) -> d.Document:
    sections = tuple(
        d.Section(
            heading=f"Section {s + 1}: {rng.choice(WORDS)} {rng.choice(WORDS)}",
            paragraphs=tuple(sentence(rng) for _ in range(rng.randint(2, 5))),
            bullets=tuple(sentence(rng) for _ in range(rng.randint(0, 3))),
            table=(("Measure", "Before", "After"), ("Rework", "12%", "3%"))
            if rng.random() < 0.3
            else (),
            notes=sentence(rng),
        )
        for s in range(rng.randint(2, 5))
    )
    return d.Document(title=f"Document {number} about {rng.choice(WORDS)}", sections=sections)


def write_file(folder: Path, number: int, kind: str, rng: random.Random) -> None:
    doc = document(rng, number)
    if kind == "eml":
        body = "\n\n".join(p for s in doc.sections for p in s.paragraphs)
        data = d.eml_bytes(f"{doc.title}, {{{{ first_name }}}}", body)
    else:
        writer = {
            "pdf": d.pdf_bytes,
            "docx": d.docx_bytes,
            "pptx": d.pptx_bytes,
            "html": d.html_bytes,
            "md": d.markdown_bytes,
            "txt": d.text_bytes,
        }[kind]
        data = writer(doc)
    (folder / f"{number:05}.{kind}").write_bytes(data)


def generate(count: int, seed: int) -> Path:
    """The benchmark folder, generated once per (count, seed)."""
    folder = WORK / f"ingest-{count}-{seed}"
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    kinds = [k for k, share in MIX.items() for _ in range(share)]
    started = time.perf_counter()
    for number in range(count):
        write_file(folder, number, rng.choice(kinds), rng)
    (folder / ".complete").write_text("")
    print(f"generated {count} files in {time.perf_counter() - started:.1f} s -> {folder}")
    return folder


def index_queued(data_dir: str) -> tuple[int, float]:
    """Apply the index updates the import queued, as the server's index worker does;
    how many and the seconds it took (the backend is opened before the clock starts)."""
    settings = Settings(data_dir=Path(data_dir))
    engine = make_engine(settings.catalogue_url)
    backend, transactional = make_backend(settings)
    backend.open()
    try:
        indexer = Indexer(engine, backend, transactional=transactional)
        started = time.perf_counter()
        applied = indexer.drain_all()
        seconds = time.perf_counter() - started
        assert indexer.lag() == 0, "the index did not catch up"
        return applied, seconds
    finally:
        backend.close()
        engine.dispose()


def run_import(folder: Path, jobs: int) -> tuple[dict[str, Any], float, float, tuple[int, float]]:
    """Import into a fresh catalogue, then index it; the report, import wall seconds, peak
    child RSS (MB), and (index updates applied, indexing seconds)."""
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as data_dir:
        report = Path(data_dir) / "report.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
        env["BATON_DATA_DIR"] = data_dir
        subprocess.run(  # migrate first, so the timed run measures the import alone
            [sys.executable, "-m", "api.cli", "db", "upgrade"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        command = [
            sys.executable,
            "-m",
            "api.cli",
            "ingest",
            str(folder),
            "--jobs",
            str(jobs),
            "--report",
            str(report),
            "--no-progress",
        ]
        started = time.perf_counter()
        finished = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
        wall = time.perf_counter() - started
        if finished.returncode not in (0, 1):
            print(finished.stdout)
            raise SystemExit(f"baton ingest failed with exit code {finished.returncode}")
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        indexed = index_queued(data_dir)
        return json.loads(report.read_text()), wall, peak_kb / 1024, indexed


def summarise(report: dict[str, Any], wall: float, jobs: int) -> dict[str, Any]:
    files = report["files"]
    imported = [f for f in files if f["status"] == "imported"]
    total_bytes = sum(f["size"] for f in files)
    per_type: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for f in imported:
        row = per_type[f["format"]]
        row["files"] += 1
        row["bytes"] += f["size"]
        row["seconds"] += f["extract_seconds"]
    types = {
        name: {
            "files": int(row["files"]),
            "mean_kb": round(row["bytes"] / row["files"] / 1024, 1),
            # One worker's throughput on this type: files and MB per worker-second.
            "files_per_s": round(row["files"] / row["seconds"], 1),
            "mb_per_s": round(row["bytes"] / 1e6 / row["seconds"], 2),
            "mean_ms": round(1000 * row["seconds"] / row["files"], 1),
        }
        for name, row in sorted(per_type.items())
    }
    return {
        "files": len(files),
        "imported": len(imported),
        "failed": report["failed"],
        "jobs": jobs,
        "wall_seconds": round(wall, 2),
        "import_seconds": report["seconds"],
        "files_per_s": round(len(files) / wall, 1),
        "assets_per_s": round(len(imported) / wall, 1),
        "mb_per_s": round(total_bytes / 1e6 / wall, 2),
        "total_mb": round(total_bytes / 1e6, 1),
        "importer_stages_s": report["timings"],
        "per_type_extraction": types,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    folder = generate(args.files, args.seed)
    report, wall, peak_mb, (indexed, index_seconds) = run_import(folder, args.jobs)
    result = summarise(report, wall, args.jobs)
    result["index_updates_applied"] = indexed
    result["index_seconds"] = round(index_seconds, 2)
    result["end_to_end_assets_per_s"] = round(result["imported"] / (wall + index_seconds), 1)
    result["peak_rss_mb_largest_process"] = round(peak_mb, 1)
    result["goal_files_per_s"] = GOAL
    result["cpus"] = os.cpu_count()

    print(f"\nbaton ingest --jobs {args.jobs}: {result['files']} files, {result['total_mb']} MB")
    print(
        f"  import: {result['files_per_s']} files/s, {result['mb_per_s']} MB/s "
        f"({result['wall_seconds']} s wall, goal {GOAL:.0f} files/s)"
    )
    print(f"  indexing what the import queued: {indexed} updates in {result['index_seconds']} s")
    print(f"  end to end including indexing: {result['end_to_end_assets_per_s']} assets/s")
    print(f"  failed: {result['failed']}")
    print(f"  peak RSS of the largest process (importer or worker): {peak_mb:.0f} MB")
    print("  extraction per type (one worker):")
    for name, row in result["per_type_extraction"].items():
        print(
            f"    {name:<9} {row['files']:>5} files  {row['mean_kb']:>6} KB avg  "
            f"{row['files_per_s']:>7} files/s  {row['mb_per_s']:>6} MB/s  {row['mean_ms']} ms"
        )
    print("  importer time by stage (s):")
    for stage, seconds in sorted(result["importer_stages_s"].items(), key=lambda kv: -kv[1]):
        print(f"    {stage:<22} {seconds:>7.2f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {RESULTS / 'ingest.json'}")


if __name__ == "__main__":
    main()
