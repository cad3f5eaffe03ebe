"""`baton demo` and the demo library behind `baton serve --demo`."""

from __future__ import annotations

import typer
from rich.console import Console

from api import migrations
from api.db import make_engine
from api.demo.load import DemoSummary, load_if_empty
from api.files.blobs import BlobStore
from api.settings import Settings, get_settings

out = Console(soft_wrap=True)


def load_demo(settings: Settings) -> DemoSummary | None:
    """Load the demo library into an empty, migrated catalogue; None when it holds assets
    already."""
    engine = make_engine(settings.catalogue_url)
    try:
        return load_if_empty(engine, BlobStore(settings.blob_dir))
    finally:
        engine.dispose()


def report(summary: DemoSummary | None) -> None:
    if summary is None:
        out.print("The catalogue already holds assets: the demo library was not loaded.")
        return
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary.statuses.items()))
    formats = ", ".join(f"{n} {f}" for f, n in sorted(summary.formats.items()))
    out.print(
        f"Loaded the demo library: {summary.assets} assets ({statuses}) from real files "
        f"({formats}), {summary.questions} customer questions."
    )
    extras = ", ".join(f"{n} {name}" for name, n in summary.extras.items() if n)
    if extras:
        out.print(f"Also loaded: {extras}.")


def demo() -> None:
    """Load the demo library (a fictional company's collateral) into an empty catalogue."""
    try:
        settings = get_settings()
    except Exception as exc:
        Console(stderr=True).print(f"[red]Invalid BATON_ settings:[/red] {exc}")
        raise typer.Exit(2) from exc
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrations.upgrade(settings.catalogue_url)
    report(load_demo(settings))
