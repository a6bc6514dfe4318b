"""Addresses configured by users that Hearth calls: alert webhooks, Slack, the handoff webhook,
forwarding, and the servers of connectors (Mastodon, Discourse, Matrix homeserver, RSS feeds,
IMAP and SMTP hosts…).

A workspace user could otherwise point one at Hearth's own network and learn, from the outcome,
which internal ports answer (SSRF). So the host is resolved and *every* address it resolves to
must be public: loopback, private, link-local (cloud metadata), shared, reserved, multicast and
unspecified ranges are refused unless the operator lists them in `HEARTH_OUTBOUND_ALLOW`
(networks, e.g. `10.0.0.0/8`). Redirects are not followed: a public address could answer 302
towards an internal one. The refusal names no internal detail.

The check happens where the socket is opened (`open_connection`, and the `session()` whose
connection pools use it): the name is resolved once, the addresses are vetted, and the socket
connects to a vetted address, never to the name again. Resolving to check, then letting the
HTTP library resolve again to connect, would let a DNS answer that changes between the two (DNS
rebinding) reach 127.0.0.1. TLS still checks the certificate against the name (SNI and the Host
header are the name).
"""

from __future__ import annotations

import imaplib
import ipaddress
import smtplib
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

BLOCKED = (
    "The address points to a local or private network, which Hearth does not call unless the "
    "operator allows it (HEARTH_OUTBOUND_ALLOW): use a public https:// address."
)


class OutboundRefused(ValueError):
    """The URL may not be called (its message is safe to show to the user)."""


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in settings.HEARTH_OUTBOUND_ALLOW]


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in _allowed_networks()):
        return True
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


def check_syntax(url: str) -> tuple[str, int]:
    """(host, port) of an absolute http(s) URL, or OutboundRefused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused("The address must be an absolute http:// or https:// URL.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise OutboundRefused("The address has an invalid port.") from None
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is not None and not _public(str(literal)):
        raise OutboundRefused(BLOCKED)
    return parts.hostname, port


UNRESOLVED = "The address's host name does not resolve."

SocketOptions = list[tuple[int, int, int | bytes]]


def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    """The addresses `host` resolves to (getaddrinfo tuples), all vetted; or OutboundRefused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise OutboundRefused(UNRESOLVED) from None
    if not infos or not all(_public(str(info[4][0])) for info in infos):
        raise OutboundRefused(BLOCKED)
    return infos


def check_url(url: str) -> None:
    """Raise OutboundRefused unless every address the URL's host resolves to may be called.

    For a check when the address is saved; the call itself goes through `session()` or
    `open_connection`, which check again at connection time."""
    host, port = check_syntax(url)
    resolve(host, port)


def check_host(host: str, port: int) -> None:
    """Like `check_url` for a bare host (an IMAP or SMTP server)."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None and not _public(str(literal)):
        raise OutboundRefused(BLOCKED)
    resolve(host, port)


def open_connection(
    host: str,
    port: int,
    timeout: float | None = None,
    *,
    source_address: Any = None,
    socket_options: SocketOptions | None = None,
) -> socket.socket:
    """A TCP socket to a vetted address of `host` (resolved once, here); OutboundRefused when
    an address of the host may not be called, OSError when none accepts the connection."""
    last: OSError | None = None
    for family, kind, proto, _name, sockaddr in resolve(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        return sock
    raise last or OSError(UNRESOLVED)


def _timeout(value: Any) -> float | None:
    return value if value is None or isinstance(value, int | float) else None


class _VettedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        try:
            return open_connection(
                self._dns_host,
                self.port,
                _timeout(self.timeout),
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, "The connection timed out.") from exc
        except OutboundRefused:
            raise
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc


class _VettedHTTPSConnection(_VettedHTTPConnection, HTTPSConnection):
    pass


class _VettedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _VettedHTTPConnection


class _VettedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _VettedHTTPSConnection


class VettedAdapter(HTTPAdapter):
    """requests' adapter whose connections go only to vetted addresses (see the module)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _VettedHTTPPool,
            "https": _VettedHTTPSPool,
        }


def session() -> requests.Session:
    """A requests session for user-configured addresses: every connection it opens is vetted.

    A refused address raises OutboundRefused (its message is safe to show) from the call."""
    vetted = requests.Session()
    adapter = VettedAdapter()
    vetted.mount("http://", adapter)
    vetted.mount("https://", adapter)
    return vetted


class _VettedNetwork(httpcore.SyncBackend):
    """httpcore's sockets, opened only to a vetted address of the host (TLS is then started
    with the name as SNI, by httpcore)."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        last: httpcore.ConnectError | None = None
        for *_info, sockaddr in resolve(host, port):
            try:
                return super().connect_tcp(
                    str(sockaddr[0]), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(UNRESOLVED)


def httpx_transport(**kwargs: Any) -> httpx.HTTPTransport:
    """An httpx transport for user-configured addresses (every connection vetted, redirects
    included); a refused address raises OutboundRefused from the call."""
    transport = httpx.HTTPTransport(**kwargs)
    # HTTPTransport takes no network backend; its pool (httpcore.ConnectionPool) does.
    transport._pool._network_backend = _VettedNetwork()  # noqa: SLF001
    return transport


class IMAP4(imaplib.IMAP4):
    """imaplib's client, connecting only to a vetted address of its host."""

    def _create_socket(self, timeout: float | None) -> socket.socket:
        if timeout is not None and not timeout:
            raise ValueError("Non-blocking socket (timeout=0) is not supported")
        return open_connection(self.host, self.port, timeout)


class IMAP4_SSL(imaplib.IMAP4_SSL):  # noqa: N801 - imaplib's name
    def _create_socket(self, timeout: float | None) -> socket.socket:
        if timeout is not None and not timeout:
            raise ValueError("Non-blocking socket (timeout=0) is not supported")
        sock = open_connection(self.host, self.port, timeout)
        context: ssl.SSLContext = self.ssl_context
        return context.wrap_socket(sock, server_hostname=self.host)


class SMTP(smtplib.SMTP):
    """smtplib's client, connecting only to a vetted address of its host (STARTTLS still
    checks the certificate against the name)."""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return open_connection(host, port, _timeout(timeout), source_address=self.source_address)


class SMTP_SSL(smtplib.SMTP_SSL):  # noqa: N801 - smtplib's name
    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = open_connection(host, port, _timeout(timeout), source_address=self.source_address)
        context: ssl.SSLContext = self.context
        return context.wrap_socket(sock, server_hostname=host)


__all__ = [
    "BLOCKED",
    "IMAP4",
    "IMAP4_SSL",
    "SMTP",
    "SMTP_SSL",
    "OutboundRefused",
    "check_host",
    "check_syntax",
    "check_url",
    "httpx_transport",
    "open_connection",
    "session",
]
