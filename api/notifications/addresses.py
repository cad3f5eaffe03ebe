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


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: local use, layout chosen locally
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address. An IPv6 address that carries an IPv4 one
    (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4
    2002:a.b.c.d::, Teredo) is judged by the IPv4 address it leads to (for Teredo, both
    its server and its client); site-local fec0::/10 and the local-use NAT64 prefix
    64:ff9b:1::/48 (whose layout is chosen by each network) are never public."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local or address in _NAT64_LOCAL:
            return False
        embedded = _embedded_ipv4(address)
        if embedded:
            return all(is_public(inner) for inner in embedded)
    return address.is_global and not address.is_multicast


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    return []


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
