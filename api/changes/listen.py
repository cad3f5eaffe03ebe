"""Waking a consumer when the log grows: PostgreSQL `LISTEN baton_changes`.

Every transaction that records a change sends `NOTIFY baton_changes` at its commit
(`api.changes.log`). A `Listener` holds one connection of its own (outside the pool) in a
thread, and calls `wake` for each notification; when the connection drops it calls `wake`
too (something may have been missed) and connects again after a pause. Consumers poll as
well, so a listener that cannot connect only makes them slower.

The thread sleeps in `select` on the connection's socket and on one end of a socket pair;
`stop` writes to the other end, so a stopping server does not wait out a poll interval.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
from collections.abc import Callable

from sqlalchemy.engine import URL

from api.changes.log import CHANNEL

log = logging.getLogger("baton.changes")

RECONNECT_SECONDS = 2.0


def _dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    """LISTENs on the change channel of one PostgreSQL database, calling `wake`."""

    def __init__(self, url: URL, wake: Callable[[], None]) -> None:
        self.url = url
        self.wake = wake
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # `stop` writes to the first socket; the thread's `select` watches the second.
        self._interrupt: tuple[socket.socket, socket.socket] | None = None

    def start(self) -> None:
        self._stop.clear()
        self._interrupt = socket.socketpair()
        self._thread = threading.Thread(
            target=self._run, args=(self._interrupt[1],), name="baton-listen", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._interrupt is not None:
            self._interrupt[0].send(b"x")
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)
            if thread.is_alive():  # still connecting: it stops when it next looks
                return
        if self._interrupt is not None:
            for end in self._interrupt:
                end.close()
            self._interrupt = None

    def _run(self, interrupted: socket.socket) -> None:
        import psycopg  # noqa: PLC0415 (PostgreSQL only)

        while not self._stop.is_set():
            try:
                with psycopg.connect(_dsn(self.url), autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    self.wake()  # whatever was committed before we listened
                    pgconn = conn.pgconn
                    watched = [pgconn.socket, interrupted.fileno()]
                    while not self._stop.is_set():
                        readable, _, _ = select.select(watched, [], [])
                        if watched[1] in readable:
                            break
                        pgconn.consume_input()  # raises when the connection is gone
                        while pgconn.notifies() is not None:
                            self.wake()
            except Exception as exc:
                log.warning("listening for changes failed (polling meanwhile): %s", exc)
            finally:
                self.connected.clear()
            self.wake()
            self._stop.wait(RECONNECT_SECONDS)
