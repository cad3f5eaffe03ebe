"""Rate limits per API key and route group, with the `limits` library.

Each `/v1` request belongs to one group: `suggestions` (POST /v1/suggestions), `search`
(GET /v1/search), `writes` (any other POST, PUT, PATCH, DELETE) or `default` (the other
reads). The public share pages (`/s/...`, no key) count in `share`, per client address. The web
app's pages count in the same groups per session (`page_group`, spent by
`api.web.pages.PageRoute`, which answers a page rather than problem+json).
Each key has its own budget in each group (BATON_RATE_LIMITS, defaults in
`api.settings.DEFAULT_RATE_LIMITS`), counted over a moving window: a key that spent it is
answered 429 problem+json with `Retry-After` (the seconds until one request is allowed
again) until the window frees. Every limited answer carries `RateLimit-Limit`,
`RateLimit-Remaining`, `RateLimit-Reset` (seconds) and `RateLimit-Policy` (`N;w=seconds`).
The master key (BATON_ADMIN_KEY), the operator's, is not limited; nor is anything outside
`/v1` (health, readiness, metrics, docs) or a CORS preflight.

Keys are told apart by a hash of the key (never the key itself, in memory or in Redis).
A flood of made-up keys would give each its own fresh budget, so refusals count too: a
client address whose requests were refused with 401 `failed_auth` times in the window is
answered 429 for any key this process has not seen accepted, until the window frees (a
person behind the same address with a working key goes on working).

The check runs before the body is read (a refused 200 kB suggestion costs nothing) and
inside CORS (the extension sees the 429 and its headers).

Where the counts live: in this process's memory (the default), or in Redis when
BATON_REDIS_URL is set, so that several processes or replicas share one budget. When
Redis does not answer, each process counts in its own memory (each key may then make the
budget once per process) and tries Redis again every `REDIS_RETRY_SECONDS`; the warning is
logged once per outage and /readyz shows `rate_limits: "degraded: ..."` without making the
server unready. Failing closed instead would turn a Redis outage into an outage of the
whole API; failing open without any count would lift the limits exactly when something
is already wrong.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import limits
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindow
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response
from api.settings import Settings

log = logging.getLogger("baton.rate_limits")

FAILED_AUTH = "failed_auth"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REDIS_RETRY_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.5
# Keys this process saw accepted, exempt from their address's failed_auth lock-out.
KNOWN_KEYS_AT_MOST = 10_000
# The CRM endpoints take no key (they check signatures): budgets per sending address.
CRM_PREFIX = "/v1/crm/"
# The public share pages (api.sharing) take no key either: budgets per client address.
SHARE_PREFIX = "/s/"
SHARE = "share"


def route_group(method: str, path: str) -> str | None:
    """The group a request counts in; None for what is never limited."""
    if method == "OPTIONS":
        return None
    if path.startswith(SHARE_PREFIX):
        return SHARE
    return _api_group(method, path)


def _api_group(method: str, path: str) -> str | None:
    if not path.startswith("/v1/"):
        return None
    if path.rstrip("/") == "/v1/suggestions":
        return "suggestions"
    if method in {"GET", "HEAD"} and path.rstrip("/") == "/v1/search":
        return "search"
    if method in WRITE_METHODS:
        return "writes"
    return "default"


def page_group(method: str, path: str) -> str:
    """The group a web page request counts in (api.web.pages spends it, per session):
    the suggest form's answer as suggestions, the search page (and each fragment of search
    as you type) as searches, any other form as a write, the other pages as reads."""
    if method == "POST" and path.rstrip("/") == "/suggest":
        return "suggestions"
    if method in {"GET", "HEAD"} and path.rstrip("/") == "/search":
        return "search"
    if method in WRITE_METHODS:
        return "writes"
    return "default"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the window lets one more request through
    window_seconds: int

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
            "RateLimit-Policy": f"{self.limit};w={self.window_seconds}",
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, self.reset_seconds))
        return headers


class Budgets:
    """The budgets of one app, counted in memory or in Redis (see the module's text)."""

    def __init__(self, settings: Settings) -> None:
        self.items: dict[str, limits.RateLimitItem] = {
            group: limits.parse(rate)
            for group, rate in settings.rate_limits.items()
            if rate != "off"
        }
        self.redis_url = settings.redis_url
        self.prefix = f"{settings.redis_prefix}:rate"
        self.memory = MovingWindowRateLimiter(MemoryStorage())
        self._redis: AsyncMovingWindow | None = None
        self._redis_storage: RedisStorage | None = None
        self._redis_loop: asyncio.AbstractEventLoop | None = None
        self._redis_down_since: float | None = None
        self._redis_retry_at = 0.0
        self._redis_error = ""
        self._ping: Any = None  # a redis.Redis, made at the first /readyz

    @property
    def enabled(self) -> bool:
        return bool(self.items)

    def health(self) -> str | None:
        """For /readyz (asks Redis now): None without Redis, "ok", or "degraded: ..."."""
        if self.redis_url is None:
            return None
        if self._ping is None:
            import redis  # noqa: PLC0415 (an optional dependency: baton[redis])

            self._ping = redis.Redis.from_url(
                self.redis_url,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
        try:
            self._ping.ping()
        except Exception as exc:  # any failure to answer is the same news for /readyz
            return (
                f"degraded: Redis does not answer ({type(exc).__name__}); "
                "each process counts in its own memory"
            )
        return "ok"

    def _redis_limiter(self) -> AsyncMovingWindow | None:
        """The Redis limiter of the running event loop (its connections belong to one
        loop), or None while Redis is down and not yet due for another try."""
        if self.redis_url is None:
            return None
        if self._redis_down_since is not None and time.monotonic() < self._redis_retry_at:
            return None
        loop = asyncio.get_running_loop()
        if self._redis is None or self._redis_loop is not loop:
            self._redis_storage = RedisStorage(
                _async_uri(self.redis_url),
                implementation="redispy",
                key_prefix=self.prefix,
                wrap_exceptions=True,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
            self._redis = AsyncMovingWindow(self._redis_storage)
            self._redis_loop = loop
        return self._redis

    def _redis_failed(self, exc: Exception) -> None:
        cause = exc.__cause__ or getattr(exc, "storage_error", None) or exc
        self._redis_error = f"{type(cause).__name__}: {cause}"[:200]
        self._redis_retry_at = time.monotonic() + REDIS_RETRY_SECONDS
        if self._redis_down_since is None:
            self._redis_down_since = time.monotonic()
            log.warning(
                "rate limits: Redis at %s does not answer (%s); each process counts in its "
                "own memory until it does (tried again every %.0f s)",
                _redacted(self.redis_url),
                self._redis_error,
                REDIS_RETRY_SECONDS,
            )

    def _redis_answered(self) -> None:
        if self._redis_down_since is not None:
            log.warning("rate limits: Redis answers again; budgets are shared again")
            self._redis_down_since = None

    async def _ask(self, action: str, item: limits.RateLimitItem, *ids: str) -> Any:
        redis = self._redis_limiter()
        if redis is not None:
            try:
                answer = await getattr(redis, action)(item, *ids)
            except Exception as exc:  # any storage failure: count in memory meanwhile
                self._redis_failed(exc)
            else:
                self._redis_answered()
                return answer
        return getattr(self.memory, action)(item, *ids)

    async def _verdict(self, allowed: bool, item: limits.RateLimitItem, *ids: str) -> Verdict:
        reset_at, remaining = await self._ask("get_window_stats", item, *ids)
        return Verdict(
            allowed=allowed,
            limit=item.amount,
            remaining=max(0, remaining),
            reset_seconds=max(0, math.ceil(reset_at - time.time())),
            window_seconds=item.get_expiry(),
        )

    async def hit(self, group: str, identity: str) -> Verdict | None:
        """Spend one request of `identity`'s budget in `group` (None: the group is off)."""
        item = self.items.get(group)
        if item is None:
            return None
        allowed = bool(await self._ask("hit", item, group, identity))
        return await self._verdict(allowed, item, group, identity)

    async def check(self, group: str, identity: str) -> Verdict | None:
        """Whether `identity` has budget left in `group`, spending none."""
        item = self.items.get(group)
        if item is None:
            return None
        allowed = bool(await self._ask("test", item, group, identity))
        if allowed:
            return None
        return await self._verdict(False, item, group, identity)

    async def close(self) -> None:
        if self._ping is not None:
            self._ping.close()
        storage, self._redis_storage, self._redis = self._redis_storage, None, None
        client = getattr(getattr(storage, "bridge", None), "storage", None)
        if client is not None:
            try:
                await client.aclose()
            except Exception as exc:  # closing on the way out: nothing left to do
                log.debug("rate limits: closing the Redis client failed: %s", exc)


def _async_uri(url: str) -> str:
    if url.startswith("unix://"):
        return "async+redis+unix://" + url.removeprefix("unix://")
    return "async+" + url


def _redacted(url: str | None) -> str:
    """The URL without its password, for the log."""
    if url is None:
        return ""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return f"{scheme}{sep}{rest}"


def key_identity(token: str) -> str:
    """What stands for a key in the counts: a hash that is not the stored key hash."""
    digest = hashlib.sha256(b"baton rate limit\x00" + token.encode()).hexdigest()
    return "key:" + digest[:32]


def session_identity(cookie: str) -> str:
    """What stands for a web session in the counts (never the cookie itself)."""
    digest = hashlib.sha256(b"baton rate limit session\x00" + cookie.encode()).hexdigest()
    return "session:" + digest[:32]


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or []:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return None
    return None


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return "addr:" + (str(client[0]) if client else "unknown")


class RateLimits:
    """ASGI middleware: each `/v1` request spends one request of its key's budget."""

    def __init__(self, app: ASGIApp, *, budgets: Budgets, master_key: str | None) -> None:
        self.app = app
        self.budgets = budgets
        self.master_key = master_key
        self.known_keys: OrderedDict[str, None] = OrderedDict()

    def _is_master(self, token: str | None) -> bool:
        return (
            token is not None
            and self.master_key is not None
            and hmac.compare_digest(token.encode(), self.master_key.encode())
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        group = (
            route_group(scope.get("method", "GET"), scope["path"])
            if scope["type"] == "http" and self.budgets.enabled
            else None
        )
        token = _bearer(scope) if group is not None else None
        if group is None or self._is_master(token):
            await self.app(scope, receive, send)
            return
        address = _client(scope)
        identity = key_identity(token) if token is not None else None
        if identity is None and scope["path"].startswith(CRM_PREFIX):
            identity = "crm:" + address  # no key there: each sending address has a budget
        if group == SHARE:
            identity = "share:" + address  # anyone with a link: each address has a budget
        if identity is None or identity not in self.known_keys:
            locked = await self.budgets.check(FAILED_AUTH, address)
            if locked is not None:
                await _refuse(locked, FAILED_AUTH)(scope, receive, send)
                return
        verdict = await self.budgets.hit(group, identity) if identity is not None else None
        if verdict is not None and not verdict.allowed:
            await _refuse(verdict, group)(scope, receive, send)
            return
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if verdict is not None:
                    headers = MutableHeaders(scope=message)
                    for name, value in verdict.headers().items():
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
        if status == 401:
            if identity is not None:
                self.known_keys.pop(identity, None)
            await self.budgets.hit(FAILED_AUTH, address)
        elif token is not None and identity is not None and status:
            self.known_keys[identity] = None
            self.known_keys.move_to_end(identity)
            if len(self.known_keys) > KNOWN_KEYS_AT_MOST:
                self.known_keys.popitem(last=False)


def _refuse(verdict: Verdict, group: str) -> ASGIApp:
    if group == SHARE:
        detail = (
            f"your address made more than {verdict.limit} requests for shared pages in "
            f"{verdict.window_seconds} s; try again in {max(1, verdict.reset_seconds)} s"
        )
    elif group == FAILED_AUTH:
        detail = (
            f"too many requests with keys that were refused came from your address "
            f"(at most {verdict.limit} in {verdict.window_seconds} s); try again in "
            f"{max(1, verdict.reset_seconds)} s with a valid key"
        )
    else:
        detail = (
            f"this key made more than {verdict.limit} {group} requests in "
            f"{verdict.window_seconds} s (BATON_RATE_LIMITS); try again in "
            f"{max(1, verdict.reset_seconds)} s"
        )
    return problem_response(
        429,
        slug="rate-limited",
        title="Too many requests",
        detail=detail,
        extra={"group": group, "limit": verdict.limit, "window_seconds": verdict.window_seconds},
        headers=verdict.headers(),
    )
