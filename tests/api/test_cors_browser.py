"""CORS in a real browser: Chromium calls a running Baton from an allowed web page, a
refused one, and an unpacked Manifest V3 extension page (origin chrome-extension://<id>).

The browser, not our reading of the headers, decides whether the call may proceed. The
extension has no host permissions, so Chromium applies CORS to it like to a web page.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn

from api import migrations
from api.main import create_app
from api.settings import Settings
from tests.conftest import ADMIN_KEY

pytestmark = pytest.mark.slow

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
OPENSSL = shutil.which("openssl")
if CHROMIUM is None or OPENSSL is None:
    pytest.skip("needs chromium and openssl", allow_module_level=True)

PROBE_JS = """
const [api, key] = location.hash.slice(1).split("|");
const out = document.getElementById("out");
async function probe() {
  const me = await fetch(api + "/v1/me", {headers: {Authorization: "Bearer " + key}});
  const who = await me.json();
  // JSON and a bearer key: the browser sends a preflight first.
  const event = await fetch(api + "/v1/events", {
    method: "POST",
    headers: {Authorization: "Bearer " + key, "Content-Type": "application/json"},
    body: JSON.stringify({asset_id: "no-such-asset", type: "view"}),
  });
  const problem = await event.json();
  return `OK ${who.role} ${event.status} ${problem.type}`;
}
probe().then((text) => { out.textContent = text; }, (err) => { out.textContent = "FAIL " + err; });
"""
PAGE_HTML = '<html><body><pre id="out">pending</pre><script src="probe.js"></script></body></html>'


def _serve_in_thread(server: ThreadingHTTPServer) -> str:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


@pytest.fixture
def pages(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The probe page served from two origins: (allowed, refused)."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "page.html").write_text(PAGE_HTML)
    (root / "probe.js").write_text(PROBE_JS)
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), handler) for _ in range(2)]
    origins = [_serve_in_thread(s) for s in servers]
    yield origins[0], origins[1]
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def extension(tmp_path: Path) -> tuple[Path, str]:
    """An unpacked extension holding the probe page, and its id (fixed by its key)."""
    folder = tmp_path / "extension"
    folder.mkdir()
    private = subprocess.run([OPENSSL, "genrsa", "2048"], check=True, capture_output=True).stdout
    public = subprocess.run(
        [OPENSSL, "rsa", "-pubout", "-outform", "DER"],
        input=private,
        check=True,
        capture_output=True,
    ).stdout
    # Chromium's extension id: the first 128 bits of SHA-256(public key), as letters a-p.
    extension_id = "".join(
        chr(ord("a") + int(c, 16)) for c in hashlib.sha256(public).hexdigest()[:32]
    )
    manifest = {
        "manifest_version": 3,
        "name": "Baton CORS probe",
        "version": "1.0",
        "key": base64.b64encode(public).decode(),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "page.html").write_text(PAGE_HTML)
    (folder / "probe.js").write_text(PROBE_JS)
    return folder, extension_id


@pytest.fixture
def baton(tmp_path: Path, pages: tuple[str, str], extension: tuple[Path, str]) -> Iterator[str]:
    """Baton served over HTTP on a free port, allowing the first page and the extension."""
    url = f"sqlite:///{tmp_path / 'baton.db'}"
    migrations.upgrade(url)
    allowed_page, _ = pages
    settings = Settings(
        database_url=url,
        data_dir=tmp_path / "data",
        admin_key=ADMIN_KEY,
        cors_origins=f"{allowed_page},chrome-extension://{extension[1]}",
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    port = sock.getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def run_probe(tmp_path: Path, url: str, extension_dir: Path | None = None) -> str:
    assert CHROMIUM is not None
    args = [
        CHROMIUM,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=10000",
    ]
    if extension_dir is not None:
        args += [
            f"--load-extension={extension_dir}",
            "--disable-features=DisableLoadExtensionCommandLineSwitch",
        ]
    done = subprocess.run(
        [*args, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=False
    )
    found = re.search(r'<pre id="out">(.*?)</pre>', done.stdout, re.S)
    assert found, f"no probe output; chromium said: {done.stderr[-2000:]}"
    return found.group(1)


def test_browser_enforces_our_cors(
    tmp_path: Path, baton: str, pages: tuple[str, str], extension: tuple[Path, str]
) -> None:
    allowed_page, refused_page = pages
    fragment = f"#{baton}|{ADMIN_KEY}"

    assert run_probe(tmp_path, f"{allowed_page}/page.html{fragment}") == (
        "OK admin 404 /problems/not-found"
    )
    assert run_probe(tmp_path, f"{refused_page}/page.html{fragment}").startswith("FAIL TypeError")
    folder, extension_id = extension
    page = f"chrome-extension://{extension_id}/page.html{fragment}"
    assert run_probe(tmp_path, page, extension_dir=folder) == "OK admin 404 /problems/not-found"
