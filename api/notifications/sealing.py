"""Webhook secrets at rest: sealed with Fernet (`cryptography`: AES-128-CBC and an
HMAC-SHA256 over it), so the database, its backups and dumps hold only ciphertext.

The key: `BATON_SECRET_KEY` when set (a Fernet key, 32 url-safe base64-encoded bytes:
`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`),
else `secret.key` in the data directory, generated at the first start that needs it and
readable only by its owner (0600), never replaced once written. Restoring a backup on
another machine needs the same key (the variable, or that file copied beside the data);
without it the webhooks' secrets cannot be read and their deliveries fail with a message
saying so (their other data is intact; `POST …/rotate-secret` gives a webhook a new one).

`SealedSecret` is the columns' type: a plain secret written is sealed, so the database
holds `gAAAA…` tokens; a value read stays sealed, and `unseal` opens it where it is used
(signing a delivery), so reading or listing webhooks never needs the key. A stored value
still starting with `whsec_` (written before secrets were sealed) unseals as it is;
`seal_plain_rows` seals those at start, after the key is on disk, so no secret is ever held
by ciphertext whose key was not kept first.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.engine import Dialect, Engine

from api.settings import Settings

log = logging.getLogger("baton.notifications")

KEY_FILE = "secret.key"
PLAIN_PREFIX = "whsec_"

_lock = threading.Lock()
_box: Fernet | None = None
_source: str | None = None


class SecretsUnreadable(RuntimeError):
    """A sealed secret the configured key cannot open (another key sealed it)."""


def key_file(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def _file_key(path: Path) -> bytes:
    """The key in `path`, written first (0600, exclusively: of two processes starting at
    once, one writes and both read it) when there is none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as out:
            out.write(Fernet.generate_key() + b"\n")
            out.flush()
            os.fsync(out.fileno())
        log.info("a new key for webhook secrets was written to %s: back it up", path)
    for _ in range(50):  # another process may be between creating and writing it
        key = path.read_bytes().strip()
        if key:
            return key
        time.sleep(0.1)
    raise RuntimeError(f"{path} is empty: remove it only if no webhook secret was sealed")


def configure(settings: Settings) -> None:
    """Take the key the settings name (read once per source, then kept)."""
    global _box, _source
    given = settings.secret_key.get_secret_value() if settings.secret_key else None
    source = "env" if given else str(key_file(settings.data_dir))
    with _lock:
        if _box is not None and _source == source:
            return
        key = given.encode() if given else _file_key(key_file(settings.data_dir))
        try:
            box = Fernet(key)
        except (ValueError, TypeError) as exc:
            what = "BATON_SECRET_KEY" if given else str(key_file(settings.data_dir))
            raise ValueError(
                f"{what} is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from exc
        _box, _source = box, source


def _current() -> Fernet:
    if _box is None:
        raise RuntimeError("the key for webhook secrets is not configured (sealing.configure)")
    return _box


def seal(secret: str) -> str:
    return _current().encrypt(secret.encode()).decode()


def unseal(stored: str) -> str:
    if stored.startswith(PLAIN_PREFIX):
        return stored  # written before secrets were sealed; sealed at the next start
    try:
        return _current().decrypt(stored.encode()).decode()
    except InvalidToken as exc:
        raise SecretsUnreadable(
            "a webhook secret cannot be decrypted with this key: was the database restored "
            "without its BATON_SECRET_KEY or data-directory secret.key?"
        ) from exc


def unseal_recent(stored: str, max_age: int) -> str | None:
    """What `seal` sealed at most `max_age` seconds ago; None when older, not sealed with
    this key, or no key is configured. For a secret carried briefly by the browser (the web
    app's post/redirect/get of a new invite link), never for stored secrets."""
    try:
        return _current().decrypt(stored.encode(), ttl=max_age).decode()
    except (InvalidToken, RuntimeError):
        return None


class SealedSecret(sa.types.TypeDecorator[str]):
    """A secret written plain is stored sealed; read, it stays sealed (see `unseal`)."""

    impl = sa.String(512)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not value.startswith(PLAIN_PREFIX):
            return value  # sealed already (e.g. the current secret becoming the previous)
        return seal(value)


def seal_plain_rows(engine: Engine) -> int:
    """Seal the webhook secrets still stored plain (from before sealing); how many rows.
    Run at start, after `configure` (the key is on disk or in the environment first)."""
    table = sa.table(
        "webhooks",
        sa.column("id", sa.String),
        sa.column("secret", sa.String),
        sa.column("previous_secret", sa.String),
    )
    plain = sa.or_(
        sa.func.substr(table.c.secret, 1, len(PLAIN_PREFIX)) == PLAIN_PREFIX,
        sa.func.substr(table.c.previous_secret, 1, len(PLAIN_PREFIX)) == PLAIN_PREFIX,
    )
    sealed = 0
    with engine.begin() as conn:
        for row in conn.execute(sa.select(table).where(plain)).all():
            values = {
                name: seal(value)
                for name in ("secret", "previous_secret")
                if (value := getattr(row, name)) is not None and value.startswith(PLAIN_PREFIX)
            }
            conn.execute(sa.update(table).where(table.c.id == row.id).values(**values))
            sealed += 1
    if sealed:
        log.info("sealed the secrets of %d webhooks stored plain", sealed)
    return sealed
