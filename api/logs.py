"""Logging for `baton serve` and the ASGI app (`api.main:app`): one set-up, two formats.

`text` (the default, BATON_LOG_FORMAT=text) is for people reading a terminal:
`2026-11-30T03:04:05.123Z INFO baton.access [3f2a…]: GET /v1/assets 200 4.1 ms …`.
`json` writes one JSON object per line for a log pipeline: `time`, `level`, `logger`,
`message`, `request_id` while a request is served, and the access log's fields
(`method`, `path`, `route`, `status`, `duration_ms`, `user_id`, `key_id`, `client`).

Every record made while a request is served carries that request's id (`REQUEST_ID`, a
context variable set by `api.request_context`), whichever library logged it: the id is
added by a filter on the one handler, not by each call. Uvicorn's own loggers are routed
to that handler, and its access log is replaced by ours (`baton.access`, one line per
request, with the route template and the caller's id, never the key).

Why the standard library's `logging` with python-json-logger rather than structlog:
SQLAlchemy, uvicorn, alembic and our modules all log through `logging`; a formatter on
the root handler turns all of them into JSON without changing a single call, where
structlog would add a second logging API beside the one every library already uses.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from contextvars import ContextVar
from typing import IO, Any, Literal

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")

# The id of the request being served (None outside requests: start-up, background work).
REQUEST_ID: ContextVar[str | None] = ContextVar("baton_request_id", default=None)

ACCESS_LOGGER = "baton.access"
# A share link's path holds its secret token (api.sharing): logged as /s/*, so a log
# opens no buyer's page.
_SHARE_TOKEN = re.compile(r"^/s/+[^/]+")


def loggable_path(path: str) -> str:
    """A request's path as every log line shows it: a share link's token replaced by *."""
    return _SHARE_TOKEN.sub("/s/*", path)


# Uvicorn's loggers, which it gives handlers of their own unless told otherwise.
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")
_UVICORN_ACCESS = "uvicorn.access"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to each record made while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


def _utc_time(record: logging.LogRecord) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [request id]: message`, the time in UTC."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        tag = f" [{request_id}]" if request_id else ""
        line = f"{_utc_time(record)} {record.levelname} {record.name}{tag}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class JsonLineFormatter(JsonFormatter):
    """One JSON object per record: time (RFC 3339, UTC), level, logger, message, then the
    record's extra fields (request_id, the access log's fields) and any exception."""

    def __init__(self) -> None:
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger"},
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = _utc_time(record)
        super().add_fields(log_data, record, message_dict)


_CHATTY_AT_INFO = ("alembic.runtime.plugins", "faiss.loader")


def make_formatter(log_format: LogFormat) -> logging.Formatter:
    if log_format == "json":
        return JsonLineFormatter()
    return TextFormatter()


def configure_logging(level: str, log_format: LogFormat, *, stream: IO[str] | None = None) -> None:
    """Send every logger's records to one handler on stderr (or `stream`) in `log_format`.

    Called again, it replaces the handler it installed before (never stacks a second).
    """
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format {log_format!r}: use one of {', '.join(LOG_FORMATS)}")
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(RequestIdFilter())
    handler.set_name("baton")
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == "baton":
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Libraries' start-up chatter at INFO says nothing to an operator: alembic's set-up of
    # each of its plugins, and faiss's probing of CPU features (which logs a build it does
    # not ship for this CPU as a ModuleNotFoundError). Shown at debug level.
    for name in _CHATTY_AT_INFO:
        logging.getLogger(name).setLevel(logging.WARNING if root.level > logging.DEBUG else 0)
    for name in _UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # Our access log (baton.access) says more: the route template, the caller, the id.
    access = logging.getLogger(_UVICORN_ACCESS)
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
