"""The local OpenID provider (tests/accounts/oidc_provider: the certified `oidc-provider`
from npm, run with the machine's Node.js) and a person signing in through it with httpx:
the provider's own login form (any password) and consent form, no browser."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
from fastapi.testclient import TestClient

from tests.api.notifications.receivers import free_port

HERE = Path(__file__).parent / "oidc_provider"
CLIENT_ID = "baton"
CLIENT_SECRET = "baton-test-secret"
CALLBACK = "http://testserver/signin/oidc/callback"
ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


@contextmanager
def oidc_provider(people: Path | None = None) -> Iterator[str]:
    """Run the provider on a free port of 127.0.0.1; its issuer URL. With `people` (a JSON
    file, {login: {"email", "name", "groups"}}), the provider reads its people from that
    file at each sign-in: write it again to change someone's groups."""
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError(
            f"the test OpenID provider is not installed: npm ci --prefix {HERE} "
            "(make test does it: the oidc-provider target)"
        )
    port = free_port()
    process = subprocess.Popen(
        ["node", str(HERE / "provider.mjs"), str(port), CALLBACK]
        + ([str(people)] if people is not None else []),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "ready <issuer>" once it listens
        if not line.startswith("ready "):
            raise RuntimeError(f"the OpenID provider did not start: {line!r}")
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(timeout=10)


def at_provider(location: str, login: str) -> str:
    """Follow the provider's pages from its authorization URL as a person would: sign in as
    `login` (any password), consent; the URL it sends the browser back to."""
    with httpx.Client(timeout=10) as idp:
        url = location
        for _ in range(20):
            if url.startswith("http://testserver/"):
                return url
            response = idp.get(url)
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
                continue
            action = ACTION.search(response.text)
            assert action, response.text
            if 'name="login"' in response.text:
                form = {"prompt": "login", "login": login, "password": "anything"}
            else:
                form = {"prompt": "consent"}
            posted = idp.post(urljoin(url, action.group(1)), data=form)
            assert posted.is_redirect, posted.text
            url = urljoin(url, posted.headers["location"])
    raise AssertionError("the provider never sent the browser back")


def sso(browser: TestClient, login: str, *, next_path: str | None = None) -> httpx.Response:
    """A whole sign-in through the provider; Baton's answer to the callback."""
    params = {"next": next_path} if next_path is not None else {}
    start = browser.get("/signin/oidc", params=params, follow_redirects=False)
    assert start.status_code == 303, start.text
    back = at_provider(start.headers["location"], login)
    parts = urlsplit(back)
    return browser.get(f"{parts.path}?{parts.query}", follow_redirects=False)
