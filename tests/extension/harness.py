"""A real Chromium with the unpacked extension, the CRM fixture pages served under their
real host names over TLS, and a proxy that records every host the browser contacts.

- `FixtureServer`: an HTTPS server on 127.0.0.1 (a free port) serving the saved pages of
  extension/test/fixtures/pages/ under `fieldline.lightning.force.com`, `app.hubspot.com`,
  `mail.google.com`, `outlook.office.com` and `news.example.org`, at the paths those sites
  use. Its certificate comes from a throwaway CA (trustme); Chromium trusts the leaf by its
  SPKI hash (`--ignore-certificate-errors-spki-list`), not by ignoring every certificate
  error, so a page served with any other certificate still fails.
- `RecordingProxy`: an HTTP proxy on 127.0.0.1 that Chromium is told to use for everything,
  loopback included (`--proxy-server`, `--proxy-bypass-list=<-loopback>`). It tunnels
  CONNECTs to the fixture hosts into the fixture server, forwards plain HTTP to loopback
  addresses (the Baton server under test), refuses everything else, and records each
  host:port asked for, refused or not, so a test can assert what the browser contacted.
  Requests from the extension's service worker do not all show in Playwright's network
  events; the proxy sees them. Chromium itself calls a few Google services whatever the
  extension does (CHROMIUM_SERVICE_HOSTS, refused too): `foreign_hosts()` is what is left
  beyond those, the Baton server and the fixture hosts.
- `launch(extension_dir, baton_url)`: copies the built extension to a temporary folder,
  writes a test manifest granting the Baton server's origin and the fixture hosts in
  `host_permissions` (the permission prompt a rep answers at run time cannot be answered
  by Playwright), and starts Debian's chromium through Playwright's
  `launch_persistent_context` in the new headless mode with the extension loaded.

Example::

    from tests.extension.harness import launch

    with launch(ROOT / "extension" / "build", "http://127.0.0.1:8123") as browser:
        page = browser.context.new_page()
        page.goto(browser.urls["salesforce"])  # https://fieldline.lightning.force.com/...
        panel = browser.context.new_page()
        panel.goto(f"chrome-extension://{browser.extension_id}/sidepanel.html")
        ...
        assert browser.foreign_hosts() == set()

`browser.urls` names the fixture pages: salesforce, salesforce_other (the second
opportunity; the page's "Recent Opportunities" links switch between the two in place, as
Lightning does), hubspot, gmail, outlook, plain. Everything started is stopped and the
temporary folder removed when the block ends.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import select
import shutil
import socket
import socketserver
import ssl
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import BrowserContext, ViewportSize, sync_playwright

from tests.live import CHROMIUM_ARGS, chromium

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "extension" / "test" / "fixtures" / "pages"


@dataclass(frozen=True)
class FixtureSite:
    """One host the fixture server answers for: which page it serves at which paths."""

    host: str
    page: str
    # The paths (prefixes) the real site shows such a page at; anything else is a 404.
    paths: tuple[str, ...]


SITES = (
    FixtureSite("fieldline.lightning.force.com", "salesforce-opportunity.html", ("/lightning/r/",)),
    FixtureSite("app.hubspot.com", "hubspot-deal.html", ("/contacts/",)),
    FixtureSite("mail.google.com", "gmail-thread.html", ("/mail/",)),
    FixtureSite("outlook.office.com", "outlook-reading-pane.html", ("/mail/",)),
    FixtureSite("news.example.org", "news-article.html", ("/",)),
)
FIXTURE_HOSTS = frozenset(site.host for site in SITES)

# The fixture pages by name, at their real addresses.
_LIGHTNING = "https://fieldline.lightning.force.com/lightning/r/Opportunity"
_OUTLOOK_ITEM = "AAQkADAwATM0MDAAMS1hNzUzLTg0ZTgtMDACLTAwCgAQAJ8xLq6n%2BkZPu0XJ5xZ3lL4%3D"
URLS = {
    "salesforce": f"{_LIGHTNING}/0065g00000KXbQ2AAL/view",
    "salesforce_other": f"{_LIGHTNING}/0065g00000LmNoPAA1/view",
    "hubspot": "https://app.hubspot.com/contacts/24681357/record/0-3/18234567890",
    "gmail": "https://mail.google.com/mail/u/0/#inbox/FMfcgzQXJWDsKmvPTbkMPnHRBzXsRrkl",
    "outlook": f"https://outlook.office.com/mail/inbox/id/{_OUTLOOK_ITEM}",
    "plain": "https://news.example.org/2026/11/28/utilities-storm-season-crews",
}
# The opportunity ids of the two Salesforce pages (the deal keys the content script reports).
SALESFORCE_IDS = {"salesforce": "0065g00000KXbQ2AAL", "salesforce_other": "0065g00000LmNoPAA1"}

FORBIDDEN = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
# Chromium's own services, which it contacts with no extension loaded at all (measured with
# Debian's chromium 156 under Playwright's default flags: the Google account check, the
# update service, autofill's field predictions; the others Playwright's flags normally
# silence). The proxy refuses them like any host outside the fixtures and the Baton server,
# and records them, but they are the browser's doing, not the extension's:
# `Launched.foreign_hosts()` leaves them out.
CHROMIUM_SERVICE_HOSTS = frozenset(
    {
        "accounts.google.com",
        "clients2.google.com",
        "clientservices.googleapis.com",
        "content-autofill.googleapis.com",
        "optimizationguide-pa.googleapis.com",
        "safebrowsing.googleapis.com",
        "update.googleapis.com",
        "www.google.com",
    }
)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def spki_hash(certificate_pem: bytes) -> str:
    """base64(sha256(SubjectPublicKeyInfo)) of a certificate: the form Chromium's
    `--ignore-certificate-errors-spki-list` takes."""
    certificate = x509.load_pem_x509_certificate(certificate_pem)
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


class _Threads(socketserver.ThreadingMixIn):
    daemon_threads = True
    block_on_close = False


class FixtureServer:
    """The fixture pages over HTTPS on 127.0.0.1, chosen by the Host header."""

    def __init__(self, sites: Sequence[FixtureSite] = SITES, folder: Path = FIXTURES) -> None:
        self.sites = {site.host: site for site in sites}
        self.folder = folder
        self.ca = trustme.CA(organization_name="Baton extension tests")
        self.cert = self.ca.issue_cert(*self.sites)
        self.spki = spki_hash(self.cert.cert_chain_pems[0].bytes())
        self.requests: list[tuple[str, str]] = []
        self._httpd: http.server.HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._httpd is not None, "the fixture server is not started"
        return int(self._httpd.server_address[1])

    def start(self) -> FixtureServer:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
                path = urlsplit(self.path).path
                server.requests.append((host, self.path))
                site = server.sites.get(host)
                if site is None or not path.startswith(site.paths):
                    self._send(404, b"not a fixture page\n", "text/plain; charset=utf-8")
                    return
                body = (server.folder / site.page).read_bytes()
                self._send(200, body, "text/html; charset=utf-8")

            def _send(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(_Threads, http.server.HTTPServer):
            pass

        httpd = Server(("127.0.0.1", 0), Handler)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.cert.configure_cert(tls)
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Visit:
    """One request the proxy saw: CONNECT host:port, or a plain HTTP method and URL."""

    method: str
    host: str
    port: int
    target: str
    allowed: bool


@dataclass
class RecordingProxy:
    """An HTTP proxy on 127.0.0.1 that records every host:port asked for.

    CONNECT to a host in `tunnels` goes to the address given there (the fixture server);
    plain HTTP to a loopback address is forwarded (one request per connection); anything
    else is refused with 403 after being recorded."""

    tunnels: dict[str, tuple[str, int]] = field(default_factory=dict)
    visits: list[Visit] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: socketserver.TCPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "the proxy is not started"
        return int(self._server.server_address[1])

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def hosts(self) -> set[str]:
        """Every host:port the browser asked for, allowed or not."""
        with self._lock:
            return {f"{visit.host}:{visit.port}" for visit in self.visits}

    def refused(self) -> list[Visit]:
        with self._lock:
            return [visit for visit in self.visits if not visit.allowed]

    def clear(self) -> None:
        with self._lock:
            self.visits.clear()

    def _record(self, visit: Visit) -> None:
        with self._lock:
            self.visits.append(visit)

    def start(self) -> RecordingProxy:
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            # Unbuffered: what follows the request head stays in the socket for the pipe.
            rbufsize = 0

            def handle(self) -> None:
                with suppress(OSError):
                    proxy._serve(self.connection, self.rfile)

        class Server(_Threads, socketserver.TCPServer):
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> RecordingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, client: socket.socket, reader: Any) -> None:
        request_line = reader.readline(65537).decode("latin-1").rstrip("\r\n")
        if not request_line:
            return
        headers: list[str] = []
        while True:
            line = reader.readline(65537).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            headers.append(line.rstrip("\r\n"))
        method, target, version = [*request_line.split(" ", 2), "", ""][:3]
        if method.upper() == "CONNECT":
            host, _, port_text = target.rpartition(":")
            host = host.strip("[]").lower()
            port = int(port_text) if port_text.isdigit() else 443
            upstream_address = self.tunnels.get(host) if port == 443 else None
            if upstream_address is None and host in LOOPBACK:
                upstream_address = (host, port)
            self._record(Visit("CONNECT", host, port, target, upstream_address is not None))
            if upstream_address is None:
                client.sendall(FORBIDDEN)
                return
            upstream = socket.create_connection(upstream_address, timeout=30)
            client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            _pipe(client, upstream)
            return
        url = urlsplit(target)
        host = (url.hostname or "").lower()
        port = url.port or 80
        allowed = url.scheme == "http" and host in LOOPBACK
        self._record(Visit(method, host, port, target, allowed))
        if not allowed:
            client.sendall(
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            return
        path = url.path or "/"
        if url.query:
            path += f"?{url.query}"
        kept = [
            line
            for line in headers
            if line.split(":", 1)[0].strip().lower()
            not in {"connection", "proxy-connection", "keep-alive", "proxy-authorization"}
        ]
        head = "\r\n".join([f"{method} {path} {version or 'HTTP/1.1'}", *kept, "Connection: close"])
        upstream = socket.create_connection((host, port), timeout=30)
        upstream.sendall(head.encode("latin-1") + b"\r\n\r\n")
        # The request body (if any) and the answer flow through as they come; the upstream
        # closes after its answer (Connection: close), which ends the exchange.
        _pipe(client, upstream)


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    """Copies bytes both ways until either side closes."""
    sockets = [client, upstream]
    try:
        while True:
            readable, _, broken = select.select(sockets, [], sockets, 60)
            if broken or not readable:
                return
            for source in readable:
                data = source.recv(65536)
                if not data:
                    return
                (upstream if source is client else client).sendall(data)
    finally:
        upstream.close()


@dataclass
class Launched:
    """A running Chromium with the extension, and what surrounds it."""

    context: BrowserContext
    extension_id: str
    proxy: RecordingProxy
    fixtures: FixtureServer
    extension_dir: Path
    baton_url: str
    urls: dict[str, str]

    def foreign_hosts(self) -> set[str]:
        """The host:ports contacted that are neither the Baton server, nor a fixture host, nor
        one of Chromium's own services (CHROMIUM_SERVICE_HOSTS): empty when the extension
        talked to nothing else."""
        return {
            hostport
            for hostport in self.proxy.hosts() - self.allowed_hosts
            if hostport.rsplit(":", 1)[0] not in CHROMIUM_SERVICE_HOSTS
        }

    @property
    def allowed_hosts(self) -> set[str]:
        """The only host:ports the browser may contact: the Baton server and the fixtures."""
        baton = urlsplit(self.baton_url)
        port = baton.port or (443 if baton.scheme == "https" else 80)
        return {f"{baton.hostname}:{port}"} | {f"{host}:443" for host in FIXTURE_HOSTS}


def manifest_for_tests(
    manifest: dict[str, Any], baton_url: str, hosts: Sequence[str]
) -> dict[str, Any]:
    """The built manifest with the Baton server's origin and the fixture hosts granted, as
    a rep's answer to the run-time permission prompt would (match patterns take no port:
    the origin's host on any port)."""
    baton = urlsplit(baton_url)
    granted = [f"{baton.scheme}://{baton.hostname}/*", *(f"https://{host}/*" for host in hosts)]
    changed = dict(manifest)
    changed["host_permissions"] = sorted(set(manifest.get("host_permissions", [])) | set(granted))
    return changed


def chromium_args(extension: Path, fixtures: FixtureServer, proxy: RecordingProxy) -> list[str]:
    """Chromium's flags: new headless mode, the extension alone, the fixture hosts mapped to
    the fixture server and its certificate trusted by SPKI, every request through the proxy."""
    rules = ", ".join(f"MAP {host} 127.0.0.1:{fixtures.port}" for host in sorted(fixtures.sites))
    return [
        *CHROMIUM_ARGS,
        "--headless=new",
        f"--disable-extensions-except={extension}",
        f"--load-extension={extension}",
        f"--host-resolver-rules={rules}",
        f"--ignore-certificate-errors-spki-list={fixtures.spki}",
        f"--proxy-server={proxy.address}",
        "--proxy-bypass-list=<-loopback>",
    ]


@contextmanager
def launch(
    extension_dir: Path,
    baton_url: str,
    *,
    grant_hosts: Sequence[str] = tuple(sorted(FIXTURE_HOSTS)),
    extra_args: Sequence[str] = (),
    viewport: ViewportSize | None = None,
) -> Iterator[Launched]:
    """Chromium with the extension built in `extension_dir` (a copy, with the test
    manifest), the fixture server and the recording proxy; all stopped at the end."""
    if not (extension_dir / "manifest.json").exists():
        raise FileNotFoundError(f"no built extension in {extension_dir} (npm run build first)")
    work = Path(tempfile.mkdtemp(prefix="baton-extension-"))
    try:
        with FixtureServer() as fixtures, RecordingProxy() as proxy:
            proxy.tunnels.update({host: ("127.0.0.1", fixtures.port) for host in fixtures.sites})
            extension = work / "extension"
            shutil.copytree(extension_dir, extension)
            manifest_path = extension / "manifest.json"
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            manifest_path.write_text(
                json.dumps(manifest_for_tests(manifest, baton_url, grant_hosts), indent=2),
                encoding="utf-8",
            )
            with sync_playwright() as playwright:
                context = playwright.chromium.launch_persistent_context(
                    str(work / "profile"),
                    executable_path=chromium(),
                    headless=False,
                    # Playwright adds --disable-extensions to every launch.
                    ignore_default_args=["--disable-extensions"],
                    args=[*chromium_args(extension, fixtures, proxy), *extra_args],
                    viewport=viewport,
                )
                try:
                    yield Launched(
                        context=context,
                        extension_id=_extension_id(context),
                        proxy=proxy,
                        fixtures=fixtures,
                        extension_dir=extension,
                        baton_url=baton_url,
                        urls=dict(URLS),
                    )
                finally:
                    context.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _extension_id(context: BrowserContext) -> str:
    """The loaded extension's id, from its service worker's address."""
    workers = context.service_workers
    worker = workers[0] if workers else context.wait_for_event("serviceworker", timeout=20_000)
    return worker.url.split("/")[2]
