"""Which URLs a webhook may be posted to: https to public addresses only (no SSRF into the VPC, the
metadata service or the loopback). The host is resolved and every address it resolves to must be
public; delivery resolves again and connects to the address it checked (DNS rebinding: a name that
was public at registration may point inward later). The local stack also allows http://127.0.0.1."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]


class UrlRefused(ValueError):
    """A sentence for the person who gave the URL."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as given (for Host, SNI and the certificate)
    port: int
    path: str  # path and query
    address: str  # the checked address to connect to


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRefused(f"The host '{host}' cannot be resolved.") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback)


def check(url: str, *, allow_local: bool = False, resolve: Resolver = system_resolver) -> Target:
    """The target `url` names, or UrlRefused saying why it may not be used."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused("The URL is not valid.") from exc
    host = parts.hostname or ""
    local = allow_local and parts.scheme == "http" and host == "127.0.0.1"
    if parts.scheme != "https" and not local:
        raise UrlRefused("Use an https URL.")
    if not host:
        raise UrlRefused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("The URL may not contain a user name or password.")
    if parts.fragment:
        raise UrlRefused("The URL may not contain a fragment (#...).")
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if local:
        return Target(parts.scheme, host, port, path, "127.0.0.1")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [str(literal)] if literal is not None else resolve(host, port)
    if not addresses:
        raise UrlRefused(f"The host '{host}' cannot be resolved.")
    for address in addresses:
        if not _public(address):
            raise UrlRefused(
                "The URL must point to a public address; "
                f"'{host}' resolves to {address}, a private, loopback or link-local one."
            )
    return Target(parts.scheme, host, port, path, addresses[0])
