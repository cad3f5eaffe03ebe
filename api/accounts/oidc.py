"""Single sign-on with OpenID Connect: the authorization code flow with PKCE (S256), state
and nonce, against any provider found by discovery (Okta, Entra ID, Google Workspace,
Keycloak, ...: BATON_OIDC_ISSUER, BATON_OIDC_CLIENT_ID, BATON_OIDC_CLIENT_SECRET).

- `begin` stores the state (as its digest), nonce and PKCE verifier in `oidc_logins` (so any
  process can finish the sign-in) and returns the provider's authorization URL; the route
  also puts the state in a short-lived cookie, and `finish` requires the two to agree, so a
  sign-in started in another browser cannot be finished in this one (login CSRF).
- `finish` claims the state once (a replay is refused), exchanges the code with the
  verifier, and validates the ID token with joserfc: its signature against the provider's
  JWKS (fetched again once when a `kid` is unknown: keys rotate), `iss` (the discovered
  issuer), `aud` (our client id; `azp` too when several audiences), `exp`/`iat`, `nonce`.
  Email and groups come from the ID token or, when it lacks them, the userinfo endpoint.
  An email the provider says is unverified is refused.
- People are found by email. The role the provider maps a person to (`role_for`) is the
  highest of their email domain's (BATON_OIDC_DOMAIN_ROLES, the most specific domain wins)
  and their groups' (BATON_OIDC_GROUP_ROLES). A new person is created on first sign-in with
  that role; with none, the sign-in is refused (an admin can invite them).
- Roles follow the groups at EVERY sign-in when BATON_OIDC_GROUP_ROLES is set and the
  provider sends the groups claim: a person the provider maps to a role gets that role
  (a marketer removed from the marketers group is their domain's rep at their next
  sign-in; changed through `users.update_user`, audited as single sign-on). For such people
  the provider decides: an admin's change lasts until their next sign-in (change their
  groups at the provider instead). A person the provider maps to no role (neither their
  domain nor any of their groups is mapped: an invited contractor, say) keeps the role an
  admin gave them. The last active admin is never demoted this way (they stay admin, and
  a warning is logged). Without group roles, or when the provider sends no groups claim
  (the groups are unknown, not empty), the role is set at the first sign-in only and
  admins change it afterwards: a domain role alone never changes anyone's role.
- Audiences follow the groups the same way: when the provider sends the groups claim,
  membership of each audience named in BATON_OIDC_GROUP_AUDIENCES is added or removed at
  every sign-in to match the groups (through the audiences service); audiences no group
  maps to are left alone, so an admin manages those.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import sqlalchemy as sa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlmodel import Session, col, select

from api.accounts.models import OidcLogin
from api.accounts.service import digest
from api.audiences import service as audiences
from api.audit import service as audit
from api.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from api.settings import Settings
from api.users import service as users
from api.users.models import Role, User

log = logging.getLogger("baton.accounts.oidc")

LOGIN_TTL = timedelta(minutes=10)
METADATA_TTL = 3600.0
TIMEOUT = 10.0
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]
SSO = audit.Actor("oidc", "single sign-on")


class ProviderError(Unavailable):
    """The identity provider could not be reached or answered nonsense."""

    slug, title = "identity-provider-unavailable", "Identity provider unavailable"


@dataclass
class _Cached:
    at: float
    value: Any


_cache: dict[str, _Cached] = {}
_lock = threading.Lock()


def _get_json(url: str, *, max_age: float, refresh: bool = False) -> Any:
    with _lock:
        hit = _cache.get(url)
        if hit is not None and not refresh and time.monotonic() - hit.at < max_age:
            return hit.value
    try:
        response = httpx.get(url, timeout=TIMEOUT, follow_redirects=False)
        response.raise_for_status()
        value = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderError(f"the identity provider did not answer at {url}: {exc}") from exc
    with _lock:
        _cache[url] = _Cached(time.monotonic(), value)
    return value


def metadata(settings: Settings) -> dict[str, Any]:
    """The provider's discovery document (cached an hour); its issuer must be ours."""
    issuer = settings.oidc_issuer
    if not settings.oidc_enabled or issuer is None:
        raise NotFound("single sign-on is not configured (BATON_OIDC_ISSUER)")
    found = _get_json(f"{issuer}/.well-known/openid-configuration", max_age=METADATA_TTL)
    if not isinstance(found, dict) or str(found.get("issuer", "")).rstrip("/") != issuer:
        raise ProviderError(
            f"the discovery document at {issuer} names another issuer "
            f"({found.get('issuer') if isinstance(found, dict) else found!r})"
        )
    for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(found.get(needed), str):
            raise ProviderError(f"the discovery document at {issuer} has no {needed}")
    return found


def _challenge(verifier: str) -> str:
    sha = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(sha).rstrip(b"=").decode("ascii")


def begin(
    session: Session, settings: Settings, *, redirect_uri: str, next_path: str, now: datetime
) -> tuple[str, str]:
    """(the provider's authorization URL, the state for the browser's cookie)."""
    found = metadata(settings)
    session.execute(sa.delete(OidcLogin).where(col(OidcLogin.expires_at) <= now))
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    session.add(
        OidcLogin(
            state_hash=digest(state),
            nonce=nonce,
            code_verifier=verifier,
            next_path=next_path,
            created_at=now,
            expires_at=now + LOGIN_TTL,
        )
    )
    session.flush()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.oidc_client_id,
            "redirect_uri": redirect_uri,
            "scope": settings.oidc_scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    endpoint = str(found["authorization_endpoint"])
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", state


@dataclass(frozen=True)
class Identity:
    email: str
    name: str | None
    groups: list[str] | None  # None: the provider sent no groups claim


def finish(
    session: Session,
    settings: Settings,
    *,
    state: str,
    browser_state: str | None,
    code: str,
    redirect_uri: str,
    now: datetime,
) -> tuple[User, str]:
    """The person who signed in at the provider, and where to send them next."""
    if not browser_state or not secrets.compare_digest(state, browser_state):
        raise Invalid(
            "this sign-in was not started in this browser (the state does not match): "
            "start again at /signin"
        )
    login = session.exec(select(OidcLogin).where(OidcLogin.state_hash == digest(state))).first()
    if login is None or login.expires_at <= now:
        raise Invalid("this sign-in expired or was already finished: start again at /signin")
    claimed = session.execute(
        sa.delete(OidcLogin).where(col(OidcLogin.state_hash) == login.state_hash)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        raise Invalid("this sign-in was already finished: start again at /signin")
    found = metadata(settings)
    tokens = _exchange(
        settings, found, code=code, verifier=login.code_verifier, redirect=redirect_uri
    )
    claims = _validate(settings, found, str(tokens.get("id_token") or ""), nonce=login.nonce)
    identity = _identity(settings, found, claims, str(tokens.get("access_token") or ""))
    audit.act_as(session, SSO)
    user = _provision(session, settings, identity, now=now)
    return user, login.next_path


def _exchange(
    settings: Settings, found: dict[str, Any], *, code: str, verifier: str, redirect: str
) -> dict[str, Any]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect,
        "code_verifier": verifier,
    }
    auth: tuple[str, str] | None = None
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else ""
    methods = found.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    client_id = str(settings.oidc_client_id)
    if secret and "client_secret_basic" in methods:
        auth = (client_id, secret)
    else:
        form["client_id"] = client_id
        if secret:
            form["client_secret"] = secret
    try:
        response = httpx.post(
            str(found["token_endpoint"]),
            data=form,
            auth=auth,
            headers={"Accept": "application/json"},
            timeout=TIMEOUT,
        )
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderError(f"the identity provider's token endpoint failed: {exc}") from exc
    if response.status_code != 200 or not isinstance(body, dict):
        error = body.get("error_description") or body.get("error") if isinstance(body, dict) else ""
        raise Invalid(f"the identity provider refused the sign-in: {error or response.status_code}")
    return body


def _keys(found: dict[str, Any], *, refresh: bool) -> KeySet:
    try:
        return KeySet.import_key_set(
            _get_json(str(found["jwks_uri"]), max_age=METADATA_TTL, refresh=refresh)
        )
    except (JoseError, ValueError, TypeError) as exc:
        raise ProviderError(f"the identity provider's keys are unreadable: {exc}") from exc


def _validate(
    settings: Settings, found: dict[str, Any], id_token: str, *, nonce: str
) -> dict[str, Any]:
    if not id_token:
        raise Invalid("the identity provider sent no ID token")
    try:
        try:
            token = jwt.decode(id_token, _keys(found, refresh=False), algorithms=ALGORITHMS)
        except (JoseError, ValueError) as first:
            # Keys rotate: read them again once before refusing the signature.
            log.info("oidc: ID token not verified with cached keys (%s); reading them again", first)
            token = jwt.decode(id_token, _keys(found, refresh=True), algorithms=ALGORITHMS)
        registry = jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": found["issuer"]},
            aud={"essential": True, "value": str(settings.oidc_client_id)},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise Invalid(f"the identity provider's ID token is not valid: {exc}") from exc
    claims = dict(token.claims)
    aud = claims.get("aud")
    if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != settings.oidc_client_id:
        raise Invalid("the ID token was issued to another client (azp)")
    return claims


def _identity(
    settings: Settings, found: dict[str, Any], claims: dict[str, Any], access_token: str
) -> Identity:
    wanted = ("email", settings.oidc_groups_claim)
    if any(name not in claims for name in wanted) and found.get("userinfo_endpoint"):
        try:
            response = httpx.get(
                str(found["userinfo_endpoint"]),
                headers={"Authorization": f"Bearer {access_token}"},
                timeout=TIMEOUT,
            )
            info = response.json() if response.status_code == 200 else {}
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderError(f"the identity provider's userinfo failed: {exc}") from exc
        if isinstance(info, dict) and info.get("sub") == claims.get("sub"):
            claims = {**info, **claims}
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise Invalid("the identity provider sent no email address (ask for the email scope)")
    if claims.get("email_verified") is False:
        raise Forbidden(f"the identity provider has not verified {email}")
    raw_groups = claims.get(settings.oidc_groups_claim)
    groups = [str(g) for g in raw_groups] if isinstance(raw_groups, list) else None
    name = claims.get("name")
    return Identity(email.strip().lower(), str(name)[:200] if name else None, groups)


def role_for(settings: Settings, identity: Identity) -> Role | None:
    """The role the provider maps a person to: the most specific matching domain's, raised
    by their groups'; None when neither is mapped."""
    roles: list[Role] = []
    domain = identity.email.rpartition("@")[2]
    parts = domain.split(".")
    for i in range(len(parts) - 1):
        mapped = settings.oidc_domain_roles.get(".".join(parts[i:]))
        if mapped:
            roles.append(Role(mapped))
            break
    for group in identity.groups or []:
        mapped = settings.oidc_group_roles.get(group)
        if mapped:
            roles.append(Role(mapped))
    return max(roles, key=lambda r: r.rank) if roles else None


def _provision(session: Session, settings: Settings, identity: Identity, *, now: datetime) -> User:
    user = users.find_active_by_email(session, identity.email)
    if user is not None and not user.active:
        raise Forbidden(f"{identity.email} is disabled in Baton: ask an admin")
    if user is None:
        role = role_for(settings, identity)
        if role is None:
            raise Forbidden(
                f"{identity.email} has no Baton account and no role for its domain or groups: "
                "ask an admin to invite you"
            )
        user, _ = users.create_user(
            session, email=identity.email, role=role, name=identity.name, first_key=False
        )
    elif identity.groups is not None and settings.oidc_group_roles:
        user = _follow_role(session, settings, user, identity, now=now)
    if identity.groups is not None and settings.oidc_group_audiences:
        _sync_audiences(session, settings, user, set(identity.groups), now=now)
    return user


def _follow_role(
    session: Session, settings: Settings, user: User, identity: Identity, *, now: datetime
) -> User:
    """The person's role as the provider's groups (and domain) map it at this sign-in; kept
    when they map to no role, or when it would demote the last active admin."""
    role = role_for(settings, identity)
    if role is None or role.value == user.role:
        return user
    try:
        with session.begin_nested():
            return users.update_user(session, user.id, now=now, role=role)
    except Conflict as exc:
        log.warning("oidc: %s stays %s: %s", user.email, user.role, exc.detail)
        return user


def _sync_audiences(
    session: Session, settings: Settings, user: User, groups: set[str], *, now: datetime
) -> None:
    wanted = {slug for g in groups for slug in settings.oidc_group_audiences.get(g, [])}
    managed = {slug for slugs in settings.oidc_group_audiences.values() for slug in slugs}
    for slug in sorted(managed):
        try:
            if slug in wanted:
                audiences.add_member(session, slug, user.id, now=now)
            else:
                audiences.remove_member(session, slug, user.id)
        except NotFound:
            log.warning(
                "oidc: BATON_OIDC_GROUP_AUDIENCES names audience %r, which does not exist", slug
            )
