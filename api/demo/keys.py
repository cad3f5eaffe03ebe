"""The demo people's API keys and passwords, kept across restarts.

`baton serve --demo` prints a key and a password for the demo admin, marketer and rep at
every start, the same ones each time, so a tool configured against the demo (the CRM
extension, a script) keeps working and a visitor signs in to the web app with the printed
password. They are written once to `demo-keys.json` in the data directory, readable only
by its owner (0600); the database holds only their hashes (argon2id for the passwords), like
any key or password. At a later start each key and password in the file is checked against
the database: one that no longer works there (revoked, expired, changed, its person
removed, or a new database under the same data directory) is replaced by a new one, and
the file is rewritten.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.accounts import service as accounts
from api.audit import service as audit
from api.db import session_scope, utcnow
from api.demo.load import DEMO_PEOPLE
from api.users import service as users
from api.users.models import Role

log = logging.getLogger("baton.demo")

KEYS_FILE = "demo-keys.json"
KEY_NAME = "demo"


@dataclass(frozen=True)
class DemoKey:
    email: str
    role: Role
    key: str
    new: bool  # made at this start (not read back from the file)
    disabled: bool = False  # the person is disabled: the key works once they are enabled
    name: str = ""
    password: str = ""  # signs in at /signin
    new_password: bool = False  # set at this start (not read back from the file)


def new_password() -> str:
    """A demo password: 16 random URL-safe characters (the password rules want 12)."""
    return secrets.token_urlsafe(12)


def keys_file(data_dir: Path) -> Path:
    return data_dir / KEYS_FILE


def demo_keys(engine: Engine, data_dir: Path) -> list[DemoKey]:
    """A working key for each demo person: the one in the keys file when it still works,
    else a new one (then the file is rewritten). The demo people are created if missing."""
    path = keys_file(data_dir)
    kept, kept_passwords = _read(path)
    keys: list[DemoKey] = []
    now = utcnow()
    with session_scope(engine) as session:
        audit.act_as(session, audit.DEMO)
        for email, name, role in DEMO_PEOPLE:
            person = users.find_active_by_email(session, email)
            if person is None:
                person, _ = users.create_user(
                    session, email=email, role=role, name=name, first_key=False
                )
            key = kept.get(email)
            new = key is None or not _works(session, key, person.id, now)
            if new:
                key = users.issue_key(session, person, name=KEY_NAME)
            assert key is not None
            password = kept_passwords.get(email)
            new_pass = password is None or not accounts.password_matches(
                session, person.id, password
            )
            if new_pass:
                password = new_password()
                accounts.set_password(session, person, password, now=now)
            assert password is not None
            keys.append(
                DemoKey(
                    email,
                    Role(person.role),
                    key,
                    new=new,
                    disabled=person.disabled_at is not None,
                    name=person.name or name,
                    password=password,
                    new_password=new_pass,
                )
            )
        if any(k.new or k.new_password for k in keys) or not _private(path):
            # Written before the commit: a key or password is never in the database
            # without its file.
            _write(path, {k.email: k.key for k in keys}, {k.email: k.password for k in keys})
    return keys


def _works(session: Session, key: str, person_id: str, now: datetime) -> bool:
    """The key is the person's, neither revoked nor expired (a disabled person's key is
    kept: it works again once they are enabled)."""
    row = users.find_key(session, key)
    return row is not None and row.user_id == person_id and row.active_at(now)


def _read(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The keys and the passwords in the file, by email (empty when it is missing)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, {}
    except (OSError, ValueError) as exc:
        log.warning("the demo keys file %s cannot be read (%s): new keys are made", path, exc)
        return {}, {}

    def section(name: str) -> dict[str, str]:
        found = data.get(name) if isinstance(data, dict) else None
        if not isinstance(found, dict):
            return {}
        return {str(email): value for email, value in found.items() if isinstance(value, str)}

    return section("keys"), section("passwords")


def _private(path: Path) -> bool:
    try:
        return stat.S_IMODE(path.stat().st_mode) == 0o600
    except FileNotFoundError:
        return False


def _write(path: Path, keys: dict[str, str], passwords: dict[str, str]) -> None:
    """Replace the file at once (a new file, renamed over the old), mode 0600 from the start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(
        {
            "about": "API keys and passwords of the Baton demo's people, printed by "
            "`baton serve --demo`. Secret: anyone with a key or password acts as that person. "
            "The database holds only hashes.",
            "keys": keys,
            "passwords": passwords,
        },
        indent=2,
    )
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, (text + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, path)
