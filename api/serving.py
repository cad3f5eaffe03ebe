"""`baton serve`: check the port, migrate, (load the demo,) then serve the API and the web app
with uvicorn. With `--demo` it prints the demo people's keys and passwords and turns on the
one-click demo sign-in of /signin (never otherwise).

The port is taken first, before any migration or key is printed, so a busy port ends the
command at once with the fix instead of after the demo keys. The app, uvicorn and the demo
are imported inside the command: `baton serve --help` stays fast.
"""

from __future__ import annotations

import errno
import json
import os
import socket
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.commands import catalogue, database_name, fail, migrate, out, read_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from api.demo.keys import DemoKey
    from api.settings import Settings

# `--workers N`: the demo people a worker process offers one-click sign-in for (JSON), set
# by `baton serve --demo` for its workers only (not a BATON_ setting: nobody sets it).
DEMO_PEOPLE_ENV = "_BATON_SERVE_DEMO_PEOPLE"
MAX_WORKERS = 32


def take_port(host: str, port: int) -> socket.socket:
    """A socket bound to host:port and listening (connections wait in its backlog until
    the server starts); a clear error, with the fix, when the port is busy."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise fail(f"cannot listen on {host!r}: {exc.strerror}; give --host an address", 2) from exc
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        other = port + 1 if port < 65535 else 8001
        if exc.errno == errno.EADDRINUSE:
            raise fail(
                f"port {port} on {host} is already in use (another `baton serve`?). Stop what "
                f"holds it, or use another port: `baton serve --port {other}` "
                f"(or `make run PORT={other}`)."
            ) from exc
        if exc.errno == errno.EACCES:
            raise fail(
                f"not allowed to listen on port {port} on {host} (ports below 1024 need "
                f"privileges): use `baton serve --port {other}` (or `make run PORT={other}`)."
            ) from exc
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock


def demo_keys(settings: Settings) -> list[DemoKey]:
    """The demo people's keys: the same at every start (kept in the data directory's
    demo-keys.json, mode 0600), new ones only for those that stopped working."""
    from api.demo.keys import demo_keys as kept_keys

    with catalogue(settings) as engine:
        return kept_keys(engine, settings.data_dir)


def print_demo_keys(keys: list[DemoKey], settings: Settings, base: str) -> None:
    from api.demo.keys import keys_file
    from api.users.models import Role

    where = keys_file(settings.data_dir).resolve()
    made = sum(k.new for k in keys)
    note = f"{made} new" if made else "the same as at the last start"
    out.print(f"\n[bold]Demo API keys[/bold] ({note}; kept in {where}):")
    for key in keys:
        flag = "   (disabled: enable with `baton users enable`)" if key.disabled else ""
        out.print(f"  {key.role.value:<9} {key.email:<28} {key.key}{flag}")
    rep_key = next(k.key for k in keys if k.role is Role.rep)
    out.print("\nTry:")
    out.print(f"  curl -H 'Authorization: Bearer {rep_key}' {base}/v1/assets")


def print_demo_sign_in(keys: list[DemoKey], base: str) -> None:
    """The web app's address and how to sign in as each demo person."""
    made = sum(k.new_password for k in keys)
    note = f"{made} new" if made else "the same as at the last start"
    out.print(f"\n[bold]The web app: {base}/[/bold]")
    out.print(
        f"Sign in with a demo person's password ({note}; kept in the same file), or in one "
        f"click on {base}/signin (shown only while Baton runs the demo):"
    )
    for key in keys:
        out.print(
            f"  {key.role.value:<9} {key.email:<28} password: {key.password}", highlight=False
        )


def admin_hint(settings: Settings) -> str | None:
    """How to get in, when nobody can manage people: no active admin and no master key."""
    if settings.admin_key is not None:
        return None
    from api.db import session_scope
    from api.users import service as users

    with catalogue(settings) as engine, session_scope(engine) as session:
        if users.count_active_admins(session) > 0:
            return None
    return (
        "No admin yet: nobody can add people or make keys. Create the first admin (their "
        "API key is printed once):\n"
        "  baton users add you@example.com --role admin\n"
        "or start with a master key: BATON_ADMIN_KEY=<a long random secret> baton serve"
    )


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo/--no-demo",
            help="load the demo library into an empty catalogue, print the demo people's API keys "
            "and passwords, and offer one-click demo sign-in on /signin",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=MAX_WORKERS,
            help="worker processes serving the port (each with its own in-memory state; "
            "about one per core)",
        ),
    ] = 1,
) -> None:
    """Migrate the database to the latest schema, then serve the API.

    The port is checked first: a busy one ends the command before anything else."""
    settings = read_settings()
    sock = take_port(host, port)
    try:
        _serve(settings, sock, host, port, demo, workers)
    finally:
        sock.close()


def _serve(
    settings: Settings, sock: socket.socket, host: str, port: int, demo: bool, workers: int = 1
) -> None:
    from api.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    if migrate(settings):
        out.print(f"migrated {database_name(settings.catalogue_url)} to the latest schema")
    base = f"http://{'127.0.0.1' if host in {'0.0.0.0', '::'} else host}:{port}"  # noqa: S104
    keys: list[DemoKey] = []
    if demo:
        from api.demo.commands import load_demo, report

        report(load_demo(settings))
        keys = demo_keys(settings)
        print_demo_keys(keys, settings, base)
        print_demo_sign_in(keys, base)
        if host not in {"127.0.0.1", "localhost", "::1"}:
            out.print(
                f"\n[bold yellow]The demo listens on {host}: anyone who can reach it can sign "
                "in as the demo admin in one click. Serve real data without --demo.[/bold yellow]"
            )
    hint = admin_hint(settings)
    if hint is not None:
        out.print(f"\n[bold yellow]{hint}[/bold yellow]")
    out.print(f"\nAPI docs: {base}/docs   (OpenAPI: {base}/openapi.json)\n")

    import uvicorn

    from api.accounts.routes import enable_demo_sign_in
    from api.main import create_app

    people = [(k.email, k.name, k.role.value) for k in keys] if demo else []
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": settings.log_level,
        "log_config": None,  # our handler (api.logs) formats uvicorn's records too
        "proxy_headers": True,
        "access_log": False,  # replaced by ours, baton.access (api.request_context)
    }
    if workers > 1:
        from uvicorn.supervisors import Multiprocess

        from api.db import make_engine
        from api.discovery.runtime import prepare

        # The search index registered and built once, before the workers start: each then
        # finds it ready instead of several building it at once.
        engine = make_engine(settings.catalogue_url)
        try:
            prepare(settings, engine)
        finally:
            engine.dispose()
        if settings.redis_url is None and any(r != "off" for r in settings.rate_limits.values()):
            out.print(
                "[bold yellow]Each worker counts rate limits alone (budgets times "
                f"{workers}): set BATON_REDIS_URL to share them.[/bold yellow]"
            )

        # Each worker process builds its own app (`worker_app`) from the same settings and
        # serves the socket taken above; the supervisor restarts a worker that dies.
        os.environ[DEMO_PEOPLE_ENV] = json.dumps(people)
        out.print(f"{workers} worker processes")
        config = uvicorn.Config("api.serving:worker_app", factory=True, workers=workers, **options)
        Multiprocess(config, sockets=[sock]).run()
        return
    app = create_app(settings)
    if demo:
        # The one-click "Sign in as …" buttons on /signin: only in this demo server.
        enable_demo_sign_in(app, people)
    uvicorn.Server(uvicorn.Config(app, **options)).run(sockets=[sock])


def worker_app() -> FastAPI:
    """The app of one worker process of `baton serve --workers N` (uvicorn's factory): the
    same settings (read again from the environment), its own in-memory state; the demo's
    one-click sign-in when the serving command turned it on."""
    from api.accounts.routes import enable_demo_sign_in
    from api.logs import configure_logging
    from api.main import create_app
    from api.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    people = json.loads(os.environ.get(DEMO_PEOPLE_ENV) or "[]")
    if people:
        enable_demo_sign_in(app, [(str(p[0]), str(p[1]), str(p[2])) for p in people])
    return app
