"""Baton's configuration: one Settings class read from the environment (prefix BATON_) and
a `.env` file (the working directory's, or the one BATON_ENV_FILE names).

`load_settings` reads and checks everything at once: a BATON_ variable that is no setting
(with the setting it most likely meant) and each invalid value, named by its variable and
its source, in one `SettingsError`; the CLI prints it and exits 2, without a traceback.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import os
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_PORTS = {"http": 80, "https": 443}
# Deal stages that close a deal, as HubSpot's default pipeline and Salesforce name them.
DEFAULT_WON_STAGES = ("closedwon", "Closed Won")
DEFAULT_LOST_STAGES = ("closedlost", "Closed Lost")
# How long a talking point stays live without an explicit `expires_at`, unless configured.
DEFAULT_TALKING_POINT_TTL = timedelta(days=90)
# Requests each API key may make per window, by route group (`api.rate_limits`);
# `failed_auth` counts refused keys by client address. BATON_RATE_LIMITS changes some:
# "search=120/minute;suggestions=off"; "off" alone turns them all off.
DEFAULT_RATE_LIMITS = {
    "search": "300/minute",
    "suggestions": "60/minute",
    "writes": "300/minute",
    "default": "1200/minute",
    "failed_auth": "60/minute",
    # The public share pages (/s/..., no key), per client address: a page, its images
    # (up to 200) and its beacons.
    "share": "600/minute",
}
RATE_LIMIT_UNITS = ("second", "minute", "hour", "day")
_RATE = re.compile(r"^(\d{1,9})\s*(?:/|per)\s*(second|minute|hour|day)s?$")


class Settings(BaseSettings):
    """Everything Baton reads from its environment. See the table in README.md."""

    # A .env file holds other tools' variables too: only settings are read from it (unknown
    # BATON_ names are reported by load_settings); `extra` still refuses unknown arguments.
    model_config = SettingsConfigDict(
        env_prefix="BATON_",
        extra="forbid",
        env_file_encoding="utf-8",
        dotenv_filtering="only_existing",
    )

    data_dir: Path = Path("./data")
    database_url: str | None = Field(
        default=None, description="Catalogue database; default sqlite:///{data_dir}/baton.db"
    )
    search_backend: Literal["sqlite", "meilisearch"] = "sqlite"
    meili_url: str | None = None
    meili_key: SecretStr | None = None
    meili_index: str = "baton-assets"
    # Semantic search (hybrid ranking with the embedded MiniLM model): "auto" is on when
    # onnxruntime and tokenizers are installed; "on" the same, and /readyz reports the
    # model's absence; "off" never embeds (keyword search only).
    semantic: Literal["auto", "on", "off"] = "auto"
    admin_key: SecretStr | None = None
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_upload_mb: int = Field(default=50, ge=1, le=10_240)
    max_body_mb: int = Field(default=10, ge=1, le=1_024)
    talking_point_ttl_days: int = Field(default=DEFAULT_TALKING_POINT_TTL.days, ge=1)
    # At most this many active (neither revoked nor expired) API keys per person.
    max_keys_per_user: int = Field(default=10, ge=1, le=1_000)
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    # Operations (README, "Running it"): logs, /metrics, rate limits.
    log_format: Literal["text", "json"] = "text"
    metrics_token: SecretStr | None = None
    redis_url: str | None = None
    redis_prefix: str = Field(default="baton", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    rate_limits: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_RATE_LIMITS)
    )
    # Notifications (README, "Notifications and webhooks"): the address of the API in
    # links (webhook payloads, emails), SMTP for reminders and digests, webhook delivery.
    public_url: str | None = None
    smtp_url: SecretStr | None = None
    smtp_from: str = Field(default="Baton <baton@localhost>", max_length=320)
    webhook_allow_private: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Searches and suggestions a server process runs at once (the others wait their
    # turn): their work is Python's, one thread at a time, so more of them at once only
    # slow each other (README, "Throughput"). Other requests have their own threads.
    search_threads: int = Field(default=2, ge=1, le=64)
    # The serving process's notifications loop: seconds between rounds; 0 turns it off
    # (then run `baton notifications run-once` from cron).
    notifications_interval_seconds: float = Field(default=5.0, ge=0, le=3600)
    # Content overdue for review ranks lower in search and suggestions: its score is
    # multiplied by (1 - this). 0: no demotion; 0.5: half the score; 1: below all else.
    overdue_demotion: float = Field(default=0.5, ge=0, le=1)
    # CRM outcomes (README, "CRM outcomes"): each inbound endpoint answers 404 until its
    # secret is set. HubSpot: the app's client secret (v3 signatures); Salesforce: a shared
    # secret (header or `?secret=`); the generic endpoint: a Standard Webhooks `whsec_` key.
    hubspot_client_secret: SecretStr | None = None
    salesforce_secret: SecretStr | None = None
    crm_webhook_secret: SecretStr | None = None
    # Seals webhook secrets at rest (a Fernet key); unset: `secret.key` in the data
    # directory, generated once (api.notifications.sealing). Restoring a backup needs it.
    secret_key: SecretStr | None = None
    # The deal stages (names or pipeline stage ids, compared without case) that mean won
    # or lost; comma lists.
    crm_won_stages: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_WON_STAGES)
    )
    crm_lost_stages: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_LOST_STAGES)
    )

    # Several API replicas on one PostgreSQL catalogue (README, "Several replicas"): each
    # data directory is a replica with its own search index, following the change log as
    # "search@<replica id>" (unset: an id made once and kept in `<data_dir>/replica-id`).
    replica_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,24}$")
    # A replica not heard of for this long is forgotten (it stops holding the log back; on
    # its return it builds its index again); heartbeats go every tenth of it.
    replica_expiry_seconds: float = Field(default=600.0, ge=30, le=7 * 86_400)
    # Polling the log besides LISTEN/NOTIFY (the only way on SQLite).
    replica_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # A read sending `Baton-Position` waits at most this long for the replica to apply it,
    # then is answered anyway with `Baton-Stale: true`.
    position_wait_seconds: float = Field(default=2.0, ge=0, le=30)
    # The web app's content-gaps and searches pages: a report slower than 50 ms to compute
    # is shown from its last computation while it is younger than this (api.reports.snapshots).
    report_snapshot_seconds: float = Field(default=60.0, ge=0, le=3600)

    # Signing in with a browser (README, "Signing in"): sessions end after this idle time
    # or this long after sign-in, whichever is first.
    session_idle_minutes: int = Field(default=480, ge=5, le=43_200)
    session_max_hours: int = Field(default=168, ge=1, le=8_760)
    # Single sign-on with OpenID Connect: on when the issuer and client id are set.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = Field(default="openid email profile", max_length=500)
    oidc_groups_claim: str = Field(default="groups", max_length=100)
    # "example.com=rep,marketing.example.com=marketer": a new person's role by email domain;
    # "baton-marketers=marketer": by group; "sales-emea=emea": groups into audiences.
    oidc_domain_roles: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    oidc_group_roles: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    oidc_group_audiences: Annotated[dict[str, list[str]], NoDecode] = Field(default_factory=dict)
    # Browser extensions (their ids) that may receive a key after sign-in
    # (chrome.identity.launchWebAuthFlow, /account/extension); comma list.
    extension_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        path = value.expanduser().resolve()
        if path.exists() and not path.is_dir():
            raise ValueError(f"{path} is a file, not a directory")
        return path

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_log_level(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        scheme = urlsplit(value).scheme
        if scheme in {"postgres", "postgresql"}:  # psycopg 3 is the driver Baton uses
            value = "postgresql+psycopg" + value[len(scheme) :]
            scheme = "postgresql+psycopg"
        if scheme == "postgresql+psycopg" and find_spec("psycopg") is None:
            raise ValueError(
                "PostgreSQL needs its client, an optional part: pip install 'baton[postgres]'"
            )
        if scheme not in DATABASE_SCHEMES:
            raise ValueError(
                f"not a database URL Baton can use (scheme {scheme or 'missing'!r}); write "
                "sqlite:///path/to/baton.db or postgresql://user@host:5432/dbname"
            )
        return value

    @field_validator("meili_url")
    @classmethod
    def _valid_meili_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("not a Meilisearch URL; write http://host:7700 (or https://)")
        return value.strip().rstrip("/")

    @field_validator("meili_index")
    @classmethod
    def _valid_meili_index(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,400}", value):
            raise ValueError("an index name is letters, digits, - and _ (at most 400)")
        return value

    @model_validator(mode="after")
    def _meilisearch_needs_a_url(self) -> Settings:
        if self.search_backend == "meilisearch" and not self.meili_url:
            raise ValueError(
                "BATON_SEARCH_BACKEND=meilisearch needs BATON_MEILI_URL (e.g. "
                "http://127.0.0.1:7700) and a search/admin key in BATON_MEILI_KEY"
            )
        if self.search_backend == "meilisearch" and find_spec("meilisearch") is None:
            raise ValueError(
                "BATON_SEARCH_BACKEND=meilisearch needs the Meilisearch client, an optional "
                "part: pip install 'baton[meilisearch]'"
            )
        return self

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _valid_origins(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(normalize_origin(origin) for origin in value))

    @field_validator("rate_limits", mode="before")
    @classmethod
    def _parse_rate_limits(cls, value: object) -> object:
        return parse_rate_limits(value) if isinstance(value, str) else value

    @field_validator("rate_limits")
    @classmethod
    def _valid_rate_limits(cls, value: dict[str, str]) -> dict[str, str]:
        return {**DEFAULT_RATE_LIMITS, **check_rate_limits(value)}

    @field_validator("redis_url")
    @classmethod
    def _valid_redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
            raise ValueError(
                "not a Redis URL; write redis://host:port/db "
                "(or rediss:// with TLS, unix:///path/to/socket)"
            )
        if find_spec("redis") is None:
            raise ValueError("the Redis client is not installed: pip install 'baton[redis]'")
        return value

    @field_validator("public_url")
    @classmethod
    def _valid_public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("not the API's address; write https://baton.example.com")
        return value.strip().rstrip("/")

    @field_validator("oidc_issuer")
    @classmethod
    def _valid_oidc_issuer(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("not an issuer URL; write https://login.example.com/")
        return value.strip().rstrip("/")

    @field_validator("oidc_domain_roles", "oidc_group_roles", mode="before")
    @classmethod
    def _parse_role_map(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        found: dict[str, str] = {}
        for name, role in _pairs(value):
            if role not in {"rep", "marketer", "admin"}:
                raise ValueError(f"{name}={role}: the role is rep, marketer or admin")
            found[name.lower() if "." in name else name] = role
        return found

    @field_validator("oidc_group_audiences", mode="before")
    @classmethod
    def _parse_audience_map(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        found: dict[str, list[str]] = {}
        for group, slug in _pairs(value):
            found.setdefault(group, []).append(slug)
        return found

    @field_validator("extension_ids", mode="before")
    @classmethod
    def _split_extension_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _oidc_needs_a_client(self) -> Settings:
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("BATON_OIDC_ISSUER is set: set BATON_OIDC_CLIENT_ID too")
        return self

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @field_validator("smtp_url")
    @classmethod
    def _valid_smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        parts = urlsplit(value.get_secret_value().strip())
        if parts.scheme not in SMTP_SCHEMES or not parts.hostname:
            raise ValueError(
                "not an SMTP URL; write smtp://user:password@host:587 (plain), "
                "smtp+starttls://… (STARTTLS) or smtps://…:465 (TLS)"
            )
        try:
            parts.port  # noqa: B018 (raises on a port that is not a number)
        except ValueError as exc:
            raise ValueError("the SMTP URL has an invalid port") from exc
        return value

    @field_validator("hubspot_client_secret", "salesforce_secret", "crm_webhook_secret")
    @classmethod
    def _crm_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        secret = value.get_secret_value().strip()
        if info.field_name == "salesforce_secret" and len(secret) < 16:
            raise ValueError("the Salesforce secret must be at least 16 characters long")
        if info.field_name == "crm_webhook_secret":
            key = secret.removeprefix("whsec_")
            try:
                raw = base64.b64decode(key + "=" * (-len(key) % 4), validate=True)
            except (binascii.Error, ValueError):
                raw = b""
            if not secret.startswith("whsec_") or len(raw) < 16:
                raise ValueError(
                    "write a Standard Webhooks secret: whsec_ then at least 16 random bytes "
                    'in base64, e.g. python -c "import base64,os; '
                    "print('whsec_' + base64.b64encode(os.urandom(32)).decode())\""
                )
        return SecretStr(secret)

    @field_validator("secret_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        key = value.get_secret_value().strip()
        try:
            raw = base64.urlsafe_b64decode(key.encode())
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise ValueError(
                "write a Fernet key: 32 random bytes in url-safe base64, e.g. python -c "
                '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
            )
        return SecretStr(key)

    @field_validator("crm_won_stages", "crm_lost_stages", mode="before")
    @classmethod
    def _split_stages(cls, value: object) -> object:
        if isinstance(value, str):
            return [stage.strip() for stage in value.split(",") if stage.strip()]
        return value

    @model_validator(mode="after")
    def _stages_are_won_or_lost(self) -> Settings:
        won = {stage.casefold() for stage in self.crm_won_stages}
        both = sorted(s for s in self.crm_lost_stages if s.casefold() in won)
        if both:
            raise ValueError(
                f"BATON_CRM_WON_STAGES and BATON_CRM_LOST_STAGES both name {', '.join(both)}"
            )
        return self

    @field_validator("metrics_token")
    @classmethod
    def _valid_metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value()) < 16:
            raise ValueError("the metrics token must be at least 16 characters long")
        return value

    @property
    def catalogue_url(self) -> str:
        """The database URL, defaulting to a SQLite file under data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'baton.db').resolve()}"

    @property
    def uses_sqlite(self) -> bool:
        return self.catalogue_url.startswith("sqlite")

    @property
    def talking_point_ttl(self) -> timedelta:
        return timedelta(days=self.talking_point_ttl_days)

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_body_bytes(self) -> int:
        return self.max_body_mb * 1024 * 1024


def _pairs(text: str) -> list[tuple[str, str]]:
    """ "a=b,c=d" as pairs (names and values stripped); a part without "=" is refused."""
    pairs = []
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ValueError(f"{part.strip()!r}: write name=value, separated by commas")
        pairs.append((name.strip(), value.strip()))
    return pairs


def parse_rate_limits(text: str) -> dict[str, str]:
    """`group=N/unit;group=off` (`;` or `,` between them) as a dict; "off" turns all off."""
    text = text.strip()
    if text.lower() == "off":
        return dict.fromkeys(DEFAULT_RATE_LIMITS, "off")
    budgets: dict[str, str] = {}
    for part in re.split(r"[;,]", text):
        if not part.strip():
            continue
        group, equals, rate = part.partition("=")
        if not equals:
            raise ValueError(
                f"{part.strip()!r} names no budget; write group=N/unit, "
                "e.g. search=120/minute;suggestions=60/minute"
            )
        budgets[group.strip().lower()] = rate.strip().lower()
    return budgets


def check_rate_limits(budgets: dict[str, str]) -> dict[str, str]:
    """The budgets, normalised to `N/unit` or `off`; a clear error for anything else."""
    checked: dict[str, str] = {}
    for group, rate in budgets.items():
        if group not in DEFAULT_RATE_LIMITS:
            raise ValueError(
                f"unknown rate limit group {group!r}; the groups are "
                f"{', '.join(DEFAULT_RATE_LIMITS)}"
            )
        if rate == "off":
            checked[group] = rate
            continue
        match = _RATE.match(rate)
        if match is None or int(match.group(1)) < 1:
            raise ValueError(
                f"{group}={rate!r} is not a budget; write N/unit with N at least 1 and "
                f"unit one of {', '.join(RATE_LIMIT_UNITS)} (e.g. {group}=120/minute), or off"
            )
        checked[group] = f"{int(match.group(1))}/{match.group(2)}"
    return checked


def normalize_origin(origin: str) -> str:
    """An origin as browsers send it in `Origin`: `scheme://host[:port]`, lower case, no
    default port. Browser-extension origins (`chrome-extension://<id>`) are origins too.

    A wildcard, `null` (sent by sandboxed frames and files) and anything with a path,
    query or credentials are refused, since they would either never match or match
    far more than intended.
    """
    value = origin.strip().rstrip("/").lower()
    if "*" in value:
        raise ValueError("list the allowed origins; a wildcard is not accepted")
    if value == "null":
        raise ValueError("the 'null' origin (sandboxed frames, files) cannot be allowed")
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{origin!r} has an invalid port") from exc
    if (
        not parts.scheme
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise ValueError(
            f"{origin!r} is not an origin; write scheme://host[:port], "
            "e.g. https://crm.example.com or chrome-extension://<extension id>"
        )
    netloc = parts.netloc
    if port is not None and port == DEFAULT_PORTS.get(parts.scheme):
        netloc = netloc.rsplit(":", 1)[0]
    return f"{parts.scheme}://{netloc}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment and the .env file."""
    return load_settings()


DATABASE_SCHEMES = {"sqlite", "sqlite+pysqlite", "postgresql+psycopg"}
SMTP_SCHEMES = {"smtp", "smtp+starttls", "smtps"}
# BATON_ variables that are not settings: where the .env file and the secret files are, and
# the test suite's own.
NOT_SETTINGS = {"BATON_ENV_FILE", "BATON_SECRETS_DIR"}
NOT_SETTINGS_PREFIXES = ("BATON_TEST_",)


class SettingsError(ValueError):
    """Settings that cannot be used: one line per problem, each naming its variable."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid settings:\n" + "\n".join(f"  {p}" for p in problems))


def env_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """The .env file to read: BATON_ENV_FILE's (which must exist), else ./.env if any."""
    environ = os.environ if environ is None else environ
    named = environ.get("BATON_ENV_FILE", "").strip()
    if named:
        path = Path(named).expanduser().resolve()
        if not path.is_file():
            raise SettingsError([f"BATON_ENV_FILE: {path} is not a file"])
        return path
    default = Path(".env").resolve()
    return default if default.is_file() else None


def secrets_dir(environ: Mapping[str, str]) -> Path | None:
    """BATON_SECRETS_DIR: a folder of one file per secret setting, named like its variable
    (`baton_meili_key`, as Docker secrets and compose volumes give them), read after the
    environment and the .env file."""
    named = environ.get("BATON_SECRETS_DIR", "").strip()
    if not named:
        return None
    path = Path(named).expanduser().resolve()
    if not path.is_dir():
        raise SettingsError([f"BATON_SECRETS_DIR: {path} is not a folder"])
    return path


def unknown_variables(names: Iterable[str], source: str) -> list[str]:
    """A problem for each BATON_ name that is no setting, with the closest setting."""
    known = {f"BATON_{field.upper()}" for field in Settings.model_fields}
    problems = []
    for name in names:
        upper = name.upper()
        if (
            not upper.startswith("BATON_")
            or upper in known
            or upper in NOT_SETTINGS
            or upper.startswith(NOT_SETTINGS_PREFIXES)
        ):
            continue
        close = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else f"; the settings are {_listed(known)}"
        problems.append(f"{name} ({source}): not a Baton setting{hint}")
    return problems


def _listed(known: set[str]) -> str:
    return ", ".join(sorted(known))


def load_settings() -> Settings:
    """Settings from the environment and the .env file (the environment wins), every problem
    reported at once (`SettingsError`): unknown BATON_ variables first, then each invalid
    value."""
    environ = os.environ
    path = env_file(environ)
    from_file = _read_env_file(path) if path else {}
    problems = unknown_variables(environ, "environment")
    if path:
        problems += unknown_variables(from_file, str(path))
    secrets = secrets_dir(environ)
    try:
        settings = Settings(_env_file=path, _secrets_dir=secrets)
    except ValidationError as exc:
        problems += [_explain(error, environ, from_file, path) for error in exc.errors()]
        raise SettingsError(problems) from None
    if problems:
        raise SettingsError(problems)
    return settings


def _read_env_file(path: Path) -> dict[str, str | None]:
    return dict(dotenv_values(path))


def _explain(
    error: Any, environ: Mapping[str, str], from_file: Mapping[str, Any], path: Path | None
) -> str:
    """One line for a pydantic error: the variable, its value (never a secret's), where it
    was set, and what is wrong."""
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:
        return message
    field = str(error["loc"][0])
    name = f"BATON_{field.upper()}"
    if any(key.upper() == name for key in environ):
        source = "environment"
    elif any(key.upper() == name for key in from_file):
        source = str(path)
    else:
        source = "default"
    secret = "SecretStr" in str(Settings.model_fields.get(field, Field()).annotation)
    value = "" if secret or isinstance(error.get("input"), dict) else f"={error.get('input')!r}"
    return f"{name}{value} ({source}): {message}"
