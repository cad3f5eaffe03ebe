"""`baton notifications`: run the notifications worker's round from cron or a script."""

from __future__ import annotations

from typing import Annotated

import typer

from api.commands import catalogue, migrate, out, read_settings

notifications_app = typer.Typer(
    help="Webhooks, reminders and digests: run a round of the worker.", no_args_is_help=True
)


@notifications_app.command("run-once")
def run_once(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="print nothing")] = False,
) -> None:
    """Raise the time-based events that are due (expiries, the weekly digest), dispatch new
    events, send the webhook deliveries and emails that are due, then exit.

    Safe beside running servers and other cron runs: each event is claimed once in the
    database. Use it from cron when BATON_NOTIFICATIONS_INTERVAL_SECONDS=0."""
    from api.notifications import worker

    settings = read_settings()
    migrate(settings)
    with catalogue(settings) as engine:
        done = worker.run_once(engine, settings)
    if not quiet:
        out.print(
            f"scheduled {done.scheduled}, dispatched {done.dispatched}, "
            f"delivered {done.delivered} (failed attempts {done.failed_attempts}), "
            f"emailed {done.emailed} (failed {done.failed_emails})"
        )
