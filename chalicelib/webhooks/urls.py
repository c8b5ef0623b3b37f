"""Which URLs a webhook may be posted to: https to public addresses only (no SSRF into the VPC, the
metadata service or the loopback). The host is resolved and every address it resolves to must be
public; delivery resolves again and connects to the address it checked (DNS rebinding: a name that
was public at registration may point inward later). An IPv6 address that carries an IPv4 address
(IPv4-mapped, -compatible or -translated, NAT64, 6to4, Teredo) is judged by the IPv4 address it carries:
`https://[2002:7f00:1::]/` is 127.0.0.1 reached through 6to4.

The local stack also allows http://127.0.0.1, but never on its own ports (its AWS emulator and its API:
a webhook to the emulator's reset URL wiped the whole stack, issue 23). That allowance is not a setting
of the environment: only the local stack can give it (config.Settings.webhook_local_refused_ports)."""

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


_COMPATIBLE = ipaddress.ip_network("::/96")  # IPv4-compatible (deprecated): ::a.b.c.d
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # IPv4-translated (SIIT): ::ffff:0:a.b.c.d
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # NAT64's well-known prefix (RFC 6052)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (empty when it carries none)."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)  # its server and its (de-obfuscated) client
    if ip in _NAT64 or ip in _TRANSLATED or (ip in _COMPATIBLE and int(ip) > 1):  # not :: and ::1
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return []


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        carried = embedded_ipv4(ip)
        if carried:
            return all(_public(str(v4)) for v4 in carried)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback)


def check(
    url: str, *, local_refused_ports: frozenset[int] | None = None, resolve: Resolver = system_resolver
) -> Target:
    """The target `url` names, or UrlRefused saying why it may not be used. `local_refused_ports`: the local
    stack's allowance of http://127.0.0.1 but on these ports (None: no allowance, as on AWS)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused("The URL is not valid.") from exc
    host = parts.hostname or ""
    local = local_refused_ports is not None and parts.scheme == "http" and host == "127.0.0.1"
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
        if local_refused_ports is not None and port in local_refused_ports:
            raise UrlRefused(f"Port {port} of 127.0.0.1 is the local stack's own; use your receiver's port.")
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
