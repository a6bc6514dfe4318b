"""Real IMAP and SMTP servers on loopback, for the e-mail connector's tests and benchmark.

- IMAP: the PyPI package `pymap` (a dev dependency), its in-memory `dict` backend, served by
  its own asyncio loop in a thread of this process on a free port. It speaks IMAP4rev1 with
  UIDPLUS, MOVE and IDLE; LOGIN works without TLS (`secure_auth=False`: loopback only).
- SMTP: `aiosmtpd`, with AUTH PLAIN/LOGIN (535 for a wrong password) and a handler that
  delivers each accepted message into the recipient's IMAP INBOX with a real `APPEND`, so what
  Hearth sends can be read back over IMAP. `fail(code, count)` makes the next transactions
  answer `code` (421, 451, 550…) after the DATA, the way a real server refuses a message.
- A TCP proxy (`MailServers.proxy()`) in front of the IMAP server that can cut the connection
  after a number of bytes from the server: a connection dropped in the middle of a FETCH.

    mail = MailServers().start()                   # ~0.3 s
    mail.add_user("support@lumio.test", "secret")
    mail.deliver("support@lumio.test", raw_bytes)  # APPEND to INBOX, as a delivery would
    mail.fail(451, count=2)                        # the next two SMTP transactions: 451
    mail.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import socket
import ssl
import threading
import time
from argparse import Namespace
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

BRAND = "support@lumio.test"
BRAND_PASSWORD = "brand-app-password"  # noqa: S105 - a local test server's password
MEMBERS = {
    "ana@example.test": "ana-password",
    "ben@example.test": "ben-password",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_mail(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str = "",
    html: str = "",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    date: Any = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> bytes:
    """A well-formed message as a mail client would send it (for tests and the benchmark)."""
    from django.utils import timezone

    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or timezone.now())
    msg["Message-ID"] = message_id or make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">"))
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    if text:
        msg.set_content(text)
    if html:
        if text:
            msg.add_alternative(html, subtype="html")
        else:
            msg.set_content(html, subtype="html")
    for filename, mime, data in attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg)


class _Loop:
    """An asyncio loop in a daemon thread."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class ImapServer:
    """pymap's dict backend on 127.0.0.1:<free port>."""

    def __init__(self, *, idle: bool = True) -> None:
        self.idle = idle
        self.port = 0
        self._loop: _Loop | None = None
        self._server: Any = None
        self._login: Any = None
        self._config: Any = None

    def start(self) -> ImapServer:
        from proxyprotocol.reader import ProxyProtocolReader
        from pymap.backend.dict import Config, DictBackend, Login
        from pymap.config import BackendCapability
        from pymap.imap import IMAPServer
        from pysasl.hashing import Cleartext

        idle = self.idle

        class LocalConfig(Config):
            @property
            def greeting(self) -> bytes:  # the default resolves the host's FQDN: slow offline
                return b"Server ready (Hearth test IMAP)"

            @property
            def backend_capability(self) -> BackendCapability:
                # pymap 0.36 accepts `disable_idle` but does not act on it: a server without
                # IDLE (for the polling path) says so here.
                return BackendCapability(idle=idle, object_id=True, multi_append=True)

        args = Namespace(passlib_cfg=None, proxy_protocol=None, inherited_sockets=None, debug=False)
        config = LocalConfig(
            args,
            host="127.0.0.1",
            port=0,
            demo_data=False,
            demo_user="demouser",
            demo_password="demopass",  # noqa: S106
            tls_enabled=False,
            secure_auth=False,
            reject_dnsbl=False,
            invalid_user_sleep=0.0,
            hash_context=Cleartext(),  # test passwords: no key stretching on every login
        )
        self._config = config
        self._login = Login(config)
        self._loop = _Loop("pymap")

        async def serve() -> Any:
            config.apply_context()
            imap = IMAPServer(DictBackend(self._login, config).login, config)
            callback = ProxyProtocolReader(config.proxy_protocol).get_callback(imap)
            return await asyncio.start_server(callback, host="127.0.0.1", port=0)

        self._server = self._loop.run(serve())
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        server = self._server

        async def close() -> None:
            server.close()

        with contextlib.suppress(Exception):
            self._loop.run(close(), timeout=5)
        self._loop.close()
        self._loop = None

    def add_user(self, name: str, password: str) -> None:
        from pymap.backend.dict import Identity
        from pymap.user import Passwords, UserMetadata

        async def add() -> None:
            hashed = await Passwords(self._config).hash_password(password)
            identity = Identity(name, self._login, None, frozenset())
            await identity.set(UserMetadata(self._config, name, password=hashed))

        assert self._loop is not None
        self._loop.run(add())

    def reset(self) -> None:
        """Every mailbox emptied (users stay): the next login starts from a fresh INBOX."""
        self._config.set_cache.clear()


class _Handler:
    """aiosmtpd handler: refuse when told to, else APPEND the message to each recipient's INBOX."""

    def __init__(self, servers: MailServers) -> None:
        self.servers = servers

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        forced = self.servers._next_failure()
        if forced:
            return forced
        data: bytes = envelope.original_content or envelope.content
        self.servers.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), data, time.monotonic())
        )
        loop = asyncio.get_running_loop()
        for rcpt in envelope.rcpt_tos:
            if rcpt.lower() in self.servers.passwords:
                await loop.run_in_executor(None, self.servers.deliver, rcpt.lower(), data)
        return "250 2.0.0 Message accepted for delivery"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    at: float

    @property
    def message(self) -> EmailMessage:
        parsed: Any = message_from_bytes(self.data, policy=policy.default)
        return parsed


@dataclass
class MailServers:
    """The IMAP server, the SMTP server in front of it, and the mailboxes of their users."""

    idle: bool = True
    imap: ImapServer = field(init=False)
    smtp_port: int = 0
    passwords: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    _failures: list[str] = field(default_factory=list)
    _controller: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> MailServers:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.imap = ImapServer(idle=self.idle).start()

        def authenticator(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> Any:
            if not isinstance(data, LoginPassword):
                return AuthResult(success=False, handled=False)
            user = data.login.decode().lower()
            ok = self.passwords.get(user) == data.password.decode()
            return AuthResult(success=ok, handled=False)

        self.smtp_port = free_port()
        self._controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.smtp_port,
            authenticator=authenticator,
            auth_require_tls=False,
            ready_timeout=10.0,
        )
        self._controller.start()
        self.add_user(BRAND, BRAND_PASSWORD)
        for address, password in MEMBERS.items():
            self.add_user(address, password)
        return self

    def stop(self) -> None:
        if self._controller is not None:
            with contextlib.suppress(Exception):
                self._controller.stop()
            self._controller = None
        self.imap.stop()

    @property
    def imap_port(self) -> int:
        return self.imap.port

    def add_user(self, address: str, password: str) -> None:
        self.imap.add_user(address.lower(), password)
        self.passwords[address.lower()] = password

    def reset(self) -> None:
        self.imap.reset()
        self.received.clear()
        self.clear_failures()

    # -- fault injection -------------------------------------------------------------------------

    def fail(self, code: int = 451, *, count: int = 1, text: str = "") -> None:
        """The next `count` SMTP transactions are answered `code` after their DATA."""
        default = {
            421: "4.3.2 Service shutting down, try again later",
            451: "4.3.0 Temporary local problem, try again later",
            550: "5.1.1 Mailbox unavailable",
            552: "5.3.4 Message too big",
            554: "5.7.1 Message rejected as spam",
        }.get(code, "Refused")
        with self._lock:
            self._failures.extend([f"{code} {text or default}"] * count)

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def _next_failure(self) -> str:
        with self._lock:
            return self._failures.pop(0) if self._failures else ""

    # -- the mailboxes, seen as a mail client ----------------------------------------------------

    @contextlib.contextmanager
    def client(self, address: str = BRAND) -> Iterator[imaplib.IMAP4]:
        imap = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=10)
        try:
            imap.login(address.lower(), self.passwords[address.lower()])
            yield imap
        finally:
            with contextlib.suppress(Exception):
                imap.logout()

    def deliver(self, address: str, data: bytes, *, folder: str = "INBOX") -> None:
        """Put a message in a mailbox, as the mail server's delivery does (IMAP APPEND)."""
        with self.client(address) as imap:
            if folder != "INBOX":
                imap.create(folder)
            answer: Any = imap.append(folder, "", None, data)  # type: ignore[arg-type]
            assert answer[0] == "OK", answer

    def deliver_many(self, address: str, messages: list[bytes]) -> None:
        """Put many messages in INBOX over one connection (a burst, for the benchmark)."""
        with self.client(address) as imap:
            for data in messages:
                answer: Any = imap.append("INBOX", "", None, data)  # type: ignore[arg-type]
                assert answer[0] == "OK", answer

    def messages(self, address: str = BRAND, folder: str = "INBOX") -> list[EmailMessage]:
        """Every message of a folder, parsed, oldest first."""
        with self.client(address) as imap:
            status, _ = imap.select(_quote(folder))
            if status != "OK":
                return []
            _, data = imap.uid("SEARCH", "ALL")
            uids = data[0].split() if data and data[0] else []
            out: list[Any] = []
            for uid in uids:
                _, fetched = imap.uid("FETCH", uid, "(BODY.PEEK[])")
                for part in fetched:
                    if isinstance(part, tuple):
                        out.append(message_from_bytes(part[1], policy=policy.default))
            return out

    def folders(self, address: str = BRAND) -> list[str]:
        with self.client(address) as imap:
            _, data = imap.list()
        names = []
        for line in data:
            if isinstance(line, bytes):
                names.append(
                    line.decode().rsplit(' "', 1)[-1].rstrip('"').split(" ")[-1].strip('"')
                )
        return names

    def proxy(self) -> CuttingProxy:
        return CuttingProxy(self.imap_port).start()

    @staticmethod
    def client_context() -> ssl.SSLContext:  # pragma: no cover - no TLS on loopback
        return ssl.create_default_context()


def _quote(folder: str) -> str:
    return f'"{folder}"' if " " in folder else folder


class CuttingProxy:
    """A loopback TCP proxy to the IMAP server that closes both sides once `cut_after` bytes have
    come from the server (0: never): the network failing in the middle of an answer."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.cut_after = 0
        self.port = 0
        self._sock: socket.socket | None = None
        self._stop = threading.Event()

    def start(self) -> CuttingProxy:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True, name="imap-proxy").start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            budget = [self.cut_after]
            threading.Thread(target=self._pipe, args=(client, upstream, None), daemon=True).start()
            threading.Thread(
                target=self._pipe, args=(upstream, client, budget), daemon=True
            ).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, budget: list[int] | None) -> None:
        try:
            while True:
                data = src.recv(4096)
                if not data:
                    break
                if budget is not None and budget[0]:
                    if len(data) >= budget[0]:
                        dst.sendall(data[: budget[0]])
                        break
                    budget[0] -= len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
