"""`make run` (`baton serve --demo`) as a visitor meets it, on both databases: it prints the
web app's address and each demo person's email and password, the same at every start; the
printed password signs in through /signin and lands in the web app; /signin offers the
one-click "Sign in as <demo person>"; and the same data served without --demo offers no
such button (its address is a 404)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.live import wait_until_healthy
from tests.test_cli import free_port

pytestmark = pytest.mark.slow

PASSWORDS = re.compile(
    r"^\s+(admin|marketer|rep)\s+(\S+@demo\.baton\.local)\s+password: (\S+)$", re.MULTILINE
)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    values["BATON_DATA_DIR"] = str(tmp_path / "data")
    values["BATON_DATABASE_URL"] = database_url
    values["BATON_SEMANTIC"] = "off"
    values["COLUMNS"] = "200"
    return values


@contextmanager
def serving(env: dict[str, str], log: Path, *args: str) -> Iterator[str]:
    """`baton serve ARGS` on a free port until the block ends; its address."""
    port = free_port()
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port), *args],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(base, process, log, seconds=180)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def _form(browser: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    page = browser.get("/signin")
    token = CSRF.search(page.text)
    assert token, page.text
    return browser.post(path, data={**data, "csrf_token": token.group(1)})


def test_the_demo_prints_how_to_sign_in_and_offers_one_click_sign_in(
    env: dict[str, str], tmp_path: Path
) -> None:
    with serving(env, tmp_path / "first.log", "--demo") as base:
        output = (tmp_path / "first.log").read_text()
        assert f"The web app: {base}/" in output
        found = {role: (email, password) for role, email, password in PASSWORDS.findall(output)}
        assert set(found) == {"admin", "marketer", "rep"}

        with httpx.Client(base_url=base, timeout=60) as browser:
            signed = _form(
                browser, "/signin", {"email": found["rep"][0], "password": found["rep"][1]}
            )
            assert signed.status_code == 303, signed.text
            assert signed.headers["location"] == "/"
            assert browser.get("/v1/me").json()["role"] == "rep"

        with httpx.Client(base_url=base, timeout=60) as visitor:
            page = visitor.get("/signin").text
            assert "Sign in as Mia Marketer (marketer)" in page
            clicked = _form(visitor, "/signin/demo", {"email": found["marketer"][0]})
            assert clicked.status_code == 303, clicked.text
            assert visitor.get("/v1/me").json()["email"] == "marketer@demo.baton.local"

    keys = Path(env["BATON_DATA_DIR"]) / "demo-keys.json"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600

    with serving(env, tmp_path / "second.log", "--demo"):
        again = (tmp_path / "second.log").read_text()
        assert {r: (e, p) for r, e, p in PASSWORDS.findall(again)} == found

    # The same data without --demo: no password printed, no one-click sign-in.
    with serving(env, tmp_path / "plain.log") as base:
        assert PASSWORDS.findall((tmp_path / "plain.log").read_text()) == []
        with httpx.Client(base_url=base, timeout=60) as visitor:
            page = visitor.get("/signin").text
            assert "Sign in as" not in page
            assert "/signin/demo" not in page
            refused = _form(visitor, "/signin/demo", {"email": found["admin"][0]})
            assert refused.status_code == 404
            assert visitor.get("/v1/me").status_code == 401
            # The printed password still works: it is the person's password now.
            signed = _form(
                visitor, "/signin", {"email": found["admin"][0], "password": found["admin"][1]}
            )
            assert signed.status_code == 303
