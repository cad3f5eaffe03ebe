"""Which addresses a webhook may call: IPv6 forms that carry a private IPv4 address are
judged by that IPv4 address (server-side request forgery through NAT64, 6to4, Teredo,
IPv4-compatible or IPv4-mapped addresses), and site-local IPv6 is never public."""

from __future__ import annotations

import ipaddress

import pytest

from api.errors import Invalid
from api.notifications.addresses import RefusedAddress, check_webhook_url, is_public, resolve

PRIVATE_IN_DISGUISE = [
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (the metadata service)
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b:1::a00:1",  # local-use NAT64 prefix (RFC 8215)
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "::127.0.0.1",  # IPv4-compatible
    "::10.1.2.3",  # IPv4-compatible
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:192.168.0.1",  # IPv4-mapped
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo whose client is 127.0.0.1
    "2001:0:a00:1:8000:63bf:3fff:fdd2",  # Teredo whose server is 10.0.0.1
    "fec0::1",  # site-local
    "fec0:1:2::3",
]

PUBLIC = [
    "8.8.8.8",
    "2606:4700:4700::1111",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "::ffff:8.8.8.8",
]


@pytest.mark.parametrize("text", PRIVATE_IN_DISGUISE)
def test_an_ipv6_address_carrying_a_private_ipv4_one_is_not_public(text: str) -> None:
    address = ipaddress.ip_address(text)
    assert not is_public(address)
    with pytest.raises(RefusedAddress, match="private or local"):
        resolve(text, 80, allow_private=False)
    with pytest.raises(Invalid, match="private or local"):
        check_webhook_url(f"http://[{text}]/hook", allow_private=False, loc=["body", "url"])


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_stay_public_whatever_their_form(text: str) -> None:
    assert is_public(ipaddress.ip_address(text))
    check_webhook_url(
        f"http://[{text}]/hook" if ":" in text else f"http://{text}/hook",
        allow_private=False,
        loc=["body", "url"],
    )


def test_allowing_private_addresses_allows_them_in_any_form() -> None:
    assert str(resolve("64:ff9b::a9fe:a9fe", 80, allow_private=True)) == "64:ff9b::a9fe:a9fe"
