"""Where webhooks may point: http(s) only, no credentials in the URL, and (unless
BATON_WEBHOOK_ALLOW_PRIVATE is on) no private, loopback, link-local or otherwise
non-public address, so that an admin's webhook cannot make Baton call into its own
network (server-side request forgery: the metadata service at 169.254.169.254, a database
on 127.0.0.1, an intranet page).

A URL is checked when it is registered (scheme, credentials, an address written in it)
and again at each delivery: the host is resolved, every address it resolves to must be
allowed, and the request connects to the checked address (not to whatever a second
lookup returns, so DNS rebinding cannot slip past the check).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from api.errors import Invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(Exception):
    """The webhook's host is not one Baton may call."""


def check_webhook_url(url: str, *, allow_private: bool, loc: Sequence[str | int]) -> None:
    """422 for a URL that is not http(s), carries credentials, has no host, or names a
    private address (unless allowed)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError as exc:
        raise Invalid(f"not a URL: {exc}", loc=list(loc)) from exc
    if parts.scheme not in {"http", "https"}:
        raise Invalid("a webhook URL is http:// or https://", loc=list(loc))
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise Invalid(
            "a webhook URL carries no credentials (requests are signed instead)", loc=list(loc)
        )
    if not parts.hostname:
        raise Invalid("a webhook URL names a host", loc=list(loc))
    if parts.fragment:
        raise Invalid("a webhook URL has no #fragment", loc=list(loc))
    if allow_private:
        return
    host = parts.hostname
    literal = _literal(host)
    if (literal is not None and not is_public(literal)) or host.lower() in LOCAL_NAMES:
        raise Invalid(
            f"{host} is a private or local address: webhooks call public addresses only "
            "(BATON_WEBHOOK_ALLOW_PRIVATE=true allows private ones)",
            loc=list(loc),
        )


LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address (an IPv4-mapped IPv6 one judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int, *, allow_private: bool) -> IPAddress:
    """The address to connect to: the host's first address, after checking all of them
    (RefusedAddress when one is not allowed or none is found)."""
    literal = _literal(host)
    if literal is not None:
        found = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise RefusedAddress(f"cannot resolve {host}: {exc}") from exc
        found = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not found:
        raise RefusedAddress(f"{host} resolves to no address")
    if not allow_private:
        refused = [str(a) for a in found if not is_public(a)]
        if refused:
            raise RefusedAddress(
                f"{host} resolves to a private or local address ({', '.join(refused)}); "
                "BATON_WEBHOOK_ALLOW_PRIVATE=true allows it"
            )
    return found[0]
