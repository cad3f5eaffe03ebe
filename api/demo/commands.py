"""`baton demo` and the demo library behind `baton serve --demo`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.commands import catalogue, migrate, out, read_settings

if TYPE_CHECKING:  # the corpus and its writers load when used: `baton demo --help` is light
    from api.demo.load import DemoSummary
    from api.settings import Settings


def load_demo(settings: Settings) -> DemoSummary | None:
    """Load the demo library into an empty, migrated catalogue; None when it holds assets
    already."""
    from api.demo.load import load_if_empty
    from api.files.blobs import BlobStore

    with catalogue(settings) as engine:
        return load_if_empty(engine, BlobStore(settings.blob_dir))


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
    settings = read_settings()
    migrate(settings)
    report(load_demo(settings))
