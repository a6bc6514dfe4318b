"""E-mail: a support or community mailbox, read over IMAP and answered over SMTP (stdlib
`imaplib`, `smtplib` and `email`).

What Hearth reads (`fetch`, polled; `listen`, IMAP IDLE where the server offers it):
- every message of the followed folders (INBOX by default) and of the Sent folder, so that
  replies written in another mail client count as the brand's own. Each folder has its own
  position in the cursor (a JSON object): its UIDVALIDITY and the last UID read. The first read
  of a folder back-fills its latest `backfill` messages; after that each call reads the UIDs
  above the position, at most `PAGE` per folder, with `more` while a folder has more: a burst is
  read page after page, each page saved with its cursor. Never "the last N".
- A changed UIDVALIDITY (the server renumbered the folder) re-reads the folder from a day before
  the newest message seen: messages are keyed by their Message-ID, so what was read already is
  recognised, not duplicated.
- A conversation is one thread: a message's parent is the first message of its `References`
  (the conversation's root), else its `In-Reply-To`. Linking every answer to the root, rather
  than to the message it quotes, keeps the conversation together even when a message in between
  never reached this mailbox (a CC the brand was not on, a reply from another mailbox).
- MIME: text/plain is preferred, HTML converted to text, charsets decoded (an unknown charset
  falls back to Latin-1 rather than losing the message), RFC 2047 headers decoded, attachments
  listed at the end of the text (name, type, size), quoted history and signatures cut from
  answers so that the analysis reads what the member wrote. A root message's text starts with
  its subject.
- The mailbox address and its aliases are the brand: mail from them is the brand's own.

What Hearth sends:
- reply: a new mail to the parent's `Reply-To` (else `From`), `Re:` its subject, with
  `In-Reply-To` and `References` so mail clients thread it. Its Message-ID is derived from the
  outbox item's key before sending and is what Hearth stores as the platform id. SMTP has no
  idempotency, so a reply whose answer was lost (the connection cut after the DATA) is
  `unconfirmed`, never sent blindly again; a retry checks the Sent folder for that Message-ID
  first, and re-uses it, so a mail client that got both copies shows one. The reply is appended
  to the Sent folder where one is configured.
- dm: a new mail to a member (sanction notices, permission requests).
- hide / unhide: the message is moved to the hiding folder (`hide_folder`) and back. Retry-safe:
  moving a message that is already there changes nothing.
Nothing else exists on e-mail: no ban, mute or report (a sanction stays in Hearth, where a
moderator also leaves a to-do, e.g. a filter rule on the mail server), no publishing, no
audience metrics.

Errors, by the protocols' codes: IMAP `NO [AUTHENTICATIONFAILED]` (and any `NO` to LOGIN but
`[UNAVAILABLE]`) and SMTP 535/534/530 → re-authorise; SMTP 421 and IMAP `[UNAVAILABLE]` → the
server asks to wait (RetryLater, for the whole channel); other SMTP 4xx → try again later with
back-off; SMTP 5xx → refused for good with the server's words; a connection lost or timed out
→ try again, except after the DATA of a send, where the outcome is unknown.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import imaplib
import json
import logging
import re
import select
import smtplib
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import format_datetime, getaddresses, parseaddr, parsedate_to_datetime
from typing import Any

from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from hearth.channels.connectors.base import (
    BaseConnector,
    Capabilities,
    Check,
    ConfigField,
    ConnectorError,
    FatalConnectorError,
    FetchResult,
    Identity,
    OutcomeUnknown,
    ReauthRequired,
    RetryLater,
    SendResult,
)
from hearth.channels.connectors.rss import strip_html
from hearth.channels.models import Channel
from hearth.core import outbound

log = logging.getLogger(__name__)

TIMEOUT = 30.0  # seconds, for connecting and for each answer
PAGE = 100  # messages fetched per folder and call
DEFAULT_BACKFILL = 50
IDLE_RENEW_S = 25 * 60  # RFC 2177: re-issue IDLE within 29 minutes
SERVER_WAIT_S = 120.0  # what a 421 or [UNAVAILABLE] makes the channel wait
MAX_ID = 191
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_REFERENCES = 20
AUTH_CODES = frozenset(
    {"AUTHENTICATIONFAILED", "AUTHORIZATIONFAILED", "EXPIRED", "PRIVACYREQUIRED"}
)
SMTP_AUTH_CODES = frozenset({530, 534, 535, 538})
SECURITY = (
    ("ssl", _("SSL/TLS from the start (ports 993 and 465)")),
    ("starttls", _("STARTTLS (ports 143 and 587)")),
    ("none", _("None (a server on this machine only)")),
)
QUOTE_HEADER = re.compile(
    r"^(On .{3,200} wrote|Le .{3,200} a écrit|-----Original Message-----|De ?: .+)\s*:?\s*$",
    re.IGNORECASE,
)


# -- reading messages --------------------------------------------------------------------------


def clean_id(value: str) -> str:
    """A Message-ID without its angle brackets (the external id), hashed when too long."""
    value = (value or "").strip().strip("<>").strip()
    if len(value) > MAX_ID:
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    return value


def message_ids(value: str) -> list[str]:
    """The ids of a References or In-Reply-To header, in order."""
    return [clean_id(i) for i in re.findall(r"<([^<>\s]+)>", value or "")]


def _header(msg: Message, name: str) -> str:
    """A header with its RFC 2047 encoded words decoded, or "" when absent."""
    value = msg.get(name)
    if value is None:
        return ""
    raw = str(value)
    try:
        decoded = str(make_header(decode_header(raw)))
    except (ValueError, LookupError, UnicodeError, HeaderParseError):  # broken encoded words
        decoded = raw
    return " ".join(decoded.split())


def _decode_part(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know: keep the text, not the message
        return payload.decode("latin-1", errors="replace")


def body_and_attachments(msg: Message) -> tuple[str, list[str]]:
    """The message's text (text/plain preferred, else HTML as text) and its attachments."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[str] = []
    for part in msg.walk() if msg.is_multipart() else [msg]:
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = part.get_filename()
        disposition = (part.get_content_disposition() or "").lower()
        if filename or disposition == "attachment" or not ctype.startswith("text/"):
            if ctype.startswith("multipart/"):
                continue
            data = part.get_payload(decode=True)
            size = len(data) if isinstance(data, bytes) else 0
            attachments.append(f"{filename or _t('unnamed')} ({ctype}, {_size(size)})")
            continue
        if ctype == "text/plain":
            plain.append(_decode_part(part))
        elif ctype == "text/html":
            html.append(_decode_part(part))
    if plain:
        text = "\n\n".join(p.strip() for p in plain if p.strip())
    else:
        text = "\n\n".join(strip_html(h) for h in html)
    return text.replace("\r\n", "\n").strip(), attachments


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count / 1024 / 1024:.1f} MB"


def strip_quoted(text: str) -> str:
    """What the sender wrote, without the quoted history below it nor the signature."""
    lines = text.split("\n")
    out: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if line.rstrip() == "--" and line.startswith("--"):  # the "-- " signature separator
            break
        if QUOTE_HEADER.match(stripped) and all(
            not rest.strip() or rest.lstrip().startswith(">") or QUOTE_HEADER.match(rest.strip())
            for rest in lines[index + 1 : index + 4]
        ):
            break
        if stripped.startswith(">"):
            continue
        out.append(line)
    result = "\n".join(out).strip()
    return result or text.strip()


def _when(msg: Message, internal: datetime | None) -> datetime:
    raw = _header(msg, "Date")
    if raw:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    return internal or datetime.now(UTC)


def mail_item(
    raw: bytes,
    *,
    brand: set[str],
    brand_address: str,
    internal: datetime | None = None,
) -> dict[str, Any]:
    """One message (its raw bytes) in the import format (docs/import-format.md)."""
    msg = message_from_bytes(raw, policy=policy.compat32)
    message_id = clean_id(_header(msg, "Message-ID"))
    if not message_id:
        # No Message-ID (rare, broken senders): its content names it, so re-reading it after a
        # UIDVALIDITY change finds the same id.
        message_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    name, address = parseaddr(_header(msg, "From"))
    if "@" not in address:  # a name with an unquoted comma or the like: the raw header
        name, address = parseaddr(str(msg.get("From") or ""))
    address = address.strip().lower()
    if address in brand:
        address = brand_address
    references = message_ids(_header(msg, "References"))
    in_reply_to = message_ids(_header(msg, "In-Reply-To"))
    chain = [i for i in references + in_reply_to if i != message_id]
    parent = chain[0] if chain else ""
    subject = _header(msg, "Subject")
    body, attachments = body_and_attachments(msg)
    if parent:
        text = strip_quoted(body)
        kind = "reply"
    else:
        text = f"{subject}\n\n{body}".strip() if subject else body
        kind = "dm"
    if attachments:
        text = f"{text}\n\n{_t('Attachments')}: " + "; ".join(attachments)
    item: dict[str, Any] = {
        "external_id": message_id,
        "kind": kind,
        "author": {
            "external_id": address or "unknown-sender",
            "handle": address,
            "display_name": (name or address).strip()[:191],
        },
        "text": text[:100_000],
        "created_at": _when(msg, internal).isoformat(),
        "parent_external_id": parent or None,
    }
    lang = _header(msg, "Content-Language").split(",")[0].strip()[:8]
    if lang:
        item["lang"] = lang
    return item


# -- IMAP folder names and answers -------------------------------------------------------------


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 §5.1.3): "Éléments envoyés" → "&AMk-l…"."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def quoted(name: str) -> str:
    encoded = imap_utf7(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def response_code(exc: BaseException) -> str:
    """The response code of an IMAP NO/BAD answer ("AUTHENTICATIONFAILED"), or ""."""
    said = exc.args[0] if exc.args else ""
    if isinstance(said, bytes):
        said = said.decode(errors="replace")
    found = re.search(r"\[([A-Z][A-Z0-9-]*)", str(said))
    return found.group(1) if found else ""


def _said(exc: BaseException) -> str:
    said = exc.args[0] if exc.args else ""
    if isinstance(said, bytes):
        said = said.decode(errors="replace")
    text = str(said)
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    return text[:200]


def _internaldate(fetched: bytes) -> datetime | None:
    """The INTERNALDATE of a FETCH answer ("07-Dec-2026 12:45:30 +0100"), parsed without the
    locale (strptime's %b follows it)."""
    found = re.search(
        rb'INTERNALDATE "\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})"',
        fetched,
    )
    if not found:
        return None
    day, month, year, hour, minute, second, sign, tz_h, tz_m = (g.decode() for g in found.groups())
    if month.title() not in MONTHS:
        return None
    offset = timedelta(hours=int(tz_h), minutes=int(tz_m)) * (-1 if sign == "-" else 1)
    try:
        return datetime(
            int(year),
            MONTHS.index(month.title()) + 1,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=timezone(offset),
        )
    except ValueError:
        return None


class EmailConnector(BaseConnector):
    label = "E-mail"
    docs = "channels/email.md"
    config_fields = (
        ConfigField(
            "address",
            _("Mailbox address"),
            required=True,
            help=_("The address members write to, e.g. support@example.com. Replies come from it."),
        ),
        ConfigField(
            "password",
            _("Password or app password"),
            kind="secret",
            required=True,
            help=_(
                "With two-step verification (Gmail, Outlook, iCloud, Fastmail…), create an app "
                "password in the account's security settings and paste it here."
            ),
        ),
        ConfigField(
            "imap_host",
            _("IMAP server"),
            required=True,
            help=_("Where mail is read, e.g. imap.gmail.com or outlook.office365.com."),
        ),
        ConfigField("imap_port", _("IMAP port"), kind="number", default=993),
        ConfigField(
            "imap_security", _("IMAP security"), kind="choice", choices=SECURITY, default="ssl"
        ),
        ConfigField(
            "smtp_host",
            _("SMTP server"),
            required=True,
            help=_("Where replies are sent, e.g. smtp.gmail.com or smtp.office365.com."),
        ),
        ConfigField("smtp_port", _("SMTP port"), kind="number", default=465),
        ConfigField(
            "smtp_security", _("SMTP security"), kind="choice", choices=SECURITY, default="ssl"
        ),
        ConfigField(
            "username",
            _("Login"),
            help=_("Only when the login is not the mailbox address."),
        ),
        ConfigField("display_name", _("Sender name"), help=_("e.g. Lumio support.")),
        ConfigField(
            "aliases",
            _("Other addresses of the brand"),
            kind="list",
            help=_("Aliases that deliver to this mailbox: mail from them is the brand's own."),
        ),
        ConfigField(
            "folders",
            _("Folders read"),
            kind="list",
            default=["INBOX"],
            help=_("IMAP folders whose messages come into Hearth; INBOX is the usual one."),
        ),
        ConfigField(
            "sent_folder",
            _("Sent folder"),
            default="Sent",
            help=_(
                "Replies are saved there and it is read too, so replies written in another mail "
                "app count as the brand's (Gmail: [Gmail]/Sent Mail). Leave empty for neither."
            ),
        ),
        ConfigField(
            "hide_folder",
            _("Folder for hidden messages"),
            default="Hearth/Hidden",
            help=_("A hidden message is moved there (created when needed)."),
        ),
        ConfigField(
            "backfill",
            _("History read when connecting"),
            kind="number",
            default=DEFAULT_BACKFILL,
            help=_("How many of the latest messages of each folder are read on first connect."),
        ),
    )
    capabilities = Capabilities(
        fetch=True,
        stream=True,
        reply=True,
        dm=True,
        hide=True,
        retry_safe=frozenset({"hide", "unhide"}),
    )
    poll_interval_s = 120  # IDLE is the fast path; polling catches up the other folders

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        self.address = str(config.get("address") or "").strip().lower()
        self.username = str(config.get("username") or "").strip() or self.address
        self.display_name = str(config.get("display_name") or "").strip()
        aliases = config.get("aliases") or []
        if isinstance(aliases, str):
            aliases = aliases.split(",")
        self.brand = {self.address} | {str(a).strip().lower() for a in aliases if str(a).strip()}
        folders = config.get("folders") or ["INBOX"]
        if isinstance(folders, str):
            folders = folders.split(",")
        self.folders = [str(f).strip() for f in folders if str(f).strip()] or ["INBOX"]
        self.sent_folder = str(config.get("sent_folder") or "").strip()
        self.hide_folder = str(config.get("hide_folder") or "").strip() or "Hearth/Hidden"
        self.backfill = max(0, int(config.get("backfill", DEFAULT_BACKFILL) or 0))
        self.imap_host = str(config.get("imap_host") or "").strip()
        self.imap_port = int(config.get("imap_port") or 993)
        self.imap_security = str(config.get("imap_security") or "ssl")
        self.smtp_host = str(config.get("smtp_host") or "").strip()
        self.smtp_port = int(config.get("smtp_port") or 465)
        self.smtp_security = str(config.get("smtp_security") or "ssl")
        self.timeout = float(config.get("timeout_s") or TIMEOUT)

    # -- IMAP: connecting, and what its errors become ------------------------------------------

    def _password(self) -> str:
        password = str(self.channel.credentials.get("password") or "")
        if not password:
            raise ReauthRequired(
                _t("The channel has no mailbox password: reconnect it with the password.")
            )
        return password

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context()

    def connect(self) -> imaplib.IMAP4:
        """A logged-in IMAP connection (the caller logs out)."""
        if not self.imap_host:
            raise FatalConnectorError(
                _t("The channel has no IMAP server: set it in the channel's settings.")
            )
        password = self._password()
        try:
            if self.imap_security == "ssl":
                imap: imaplib.IMAP4 = outbound.IMAP4_SSL(
                    self.imap_host, self.imap_port, ssl_context=self._tls(), timeout=self.timeout
                )
            else:
                imap = outbound.IMAP4(self.imap_host, self.imap_port, timeout=self.timeout)
                if self.imap_security == "starttls":
                    imap.starttls(ssl_context=self._tls())
        except outbound.OutboundRefused as exc:
            raise FatalConnectorError(str(exc)) from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ConnectorError(
                _t("The IMAP server %(host)s could not be reached (%(error)s).")
                % {
                    "host": f"{self.imap_host}:{self.imap_port}",
                    "error": _said(exc) or type(exc).__name__,
                }
            ) from None
        try:
            imap.login(self.username, password)
        except imaplib.IMAP4.abort as exc:
            _close(imap)
            raise ConnectorError(
                _t("The IMAP server closed the connection at login (%(error)s).")
                % {"error": _said(exc)}
            ) from None
        except imaplib.IMAP4.error as exc:
            _close(imap)
            code = response_code(exc)
            if code == "UNAVAILABLE":
                raise RetryLater(
                    _t("The IMAP server is unavailable for now ([UNAVAILABLE]: %(said)s).")
                    % {"said": _said(exc)},
                    after_s=SERVER_WAIT_S,
                ) from None
            if "LOGINDISABLED" in imap.capabilities:
                raise FatalConnectorError(
                    _t(
                        "The IMAP server refuses passwords on an unencrypted connection: choose "
                        "SSL/TLS or STARTTLS in the channel's settings."
                    )
                ) from None
            raise ReauthRequired(
                _t(
                    "The IMAP server refused the login (%(code)s: %(said)s): check the password, "
                    "or create a new app password, and reconnect the channel."
                )
                % {"code": code or "NO", "said": _said(exc)}
            ) from None
        # Servers announce extensions (IDLE, MOVE) only once logged in; imaplib keeps the list
        # of the greeting.
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            status, data = imap.capability()
            if status == "OK" and data and data[-1]:
                imap.capabilities = tuple(data[-1].decode().upper().split())
        return imap

    @contextlib.contextmanager
    def session(self) -> Iterator[imaplib.IMAP4]:
        """A logged-in connection whose broken answers become typed errors."""
        imap = self.connect()
        try:
            yield imap
        except imaplib.IMAP4.abort as exc:
            raise ConnectorError(
                _t("The IMAP connection broke (%(error)s); it will be tried again.")
                % {"error": _said(exc)}
            ) from None
        except (OSError, EOFError) as exc:
            raise ConnectorError(
                _t("The IMAP connection broke (%(error)s); it will be tried again.")
                % {"error": type(exc).__name__}
            ) from None
        except imaplib.IMAP4.error as exc:
            raise self._classify(exc) from None
        finally:
            _close(imap)

    def _classify(self, exc: imaplib.IMAP4.error) -> ConnectorError:
        code = response_code(exc)
        if code in AUTH_CODES:
            return ReauthRequired(
                _t("The IMAP server refused the account (%(code)s): reconnect the channel.")
                % {"code": code}
            )
        if code in ("UNAVAILABLE", "INUSE", "LIMIT"):
            return RetryLater(
                _t("The IMAP server asked to wait (%(code)s: %(said)s).")
                % {"code": code, "said": _said(exc)},
                after_s=SERVER_WAIT_S,
            )
        if code in ("SERVERBUG", "CONTACTADMIN") or not code:
            return ConnectorError(
                _t("The IMAP server failed (%(said)s); it will be tried again.")
                % {"said": _said(exc)}
            )
        return FatalConnectorError(
            _t("The IMAP server refused (%(code)s: %(said)s).") % {"code": code, "said": _said(exc)}
        )

    @staticmethod
    def _select(imap: imaplib.IMAP4, folder: str, *, readonly: bool = True) -> int | None:
        """Select a folder; its UIDVALIDITY, or None when the folder does not exist."""
        status, data = imap.select(quoted(folder), readonly=readonly)
        if status != "OK":
            return None
        _, validity = imap.response("UIDVALIDITY")
        try:
            return int(validity[0]) if validity and validity[0] else 0
        except (TypeError, ValueError):
            return 0

    @staticmethod
    def _uids(imap: imaplib.IMAP4, *criteria: str) -> list[int]:
        status, data = imap.uid("SEARCH", *criteria)
        if status != "OK":
            raise imaplib.IMAP4.error(data[0] if data else b"SEARCH failed")
        return sorted(int(u) for u in (data[0] or b"").split()) if data else []

    # -- the connection ------------------------------------------------------------------------

    def identity(self) -> Identity:
        with self.session():
            pass  # the login is the proof
        return Identity(
            external_id=self.address,
            handle=self.address,
            display_name=self.display_name or self.address,
            url=f"mailto:{self.address}",
        )

    def test_connection(self) -> list[Check]:
        checks: list[Check] = []
        try:
            with self.session() as imap:
                checks.append(
                    Check("read", True, _t("Signed in to %(host)s.") % {"host": self.imap_host})
                )
                for folder in self.folders:
                    if self._select(imap, folder) is None:
                        checks.append(
                            Check(
                                "read",
                                False,
                                _t("The folder “%(folder)s” does not exist.") % {"folder": folder},
                            )
                        )
                if "IDLE" in imap.capabilities:
                    checks.append(
                        Check("read", True, _t("New mail arrives at once (the server has IDLE)."))
                    )
                else:
                    checks.append(
                        Check(
                            "read",
                            True,
                            _t(
                                "The server has no IDLE: new mail is polled every %(minutes)s "
                                "minutes."
                            )
                            % {"minutes": self.poll_interval_s // 60},
                        )
                    )
                if self.sent_folder:
                    exists = self._select(imap, self.sent_folder) is not None
                    checks.append(
                        Check(
                            "reply",
                            True,
                            (
                                _t("Replies are saved in “%(folder)s”.")
                                if exists
                                else _t(
                                    "The folder “%(folder)s” does not exist yet: it will be "
                                    "created with the first reply. If your mail app files sent "
                                    "mail elsewhere, give that folder's exact name instead."
                                )
                            )
                            % {"folder": self.sent_folder},
                        )
                    )
        except ConnectorError as exc:
            return [Check("read", False, str(exc))]
        try:
            with self._smtp():
                pass
            checks.append(
                Check(
                    "reply",
                    True,
                    _t("Signed in to %(host)s: replies and private messages can be sent.")
                    % {"host": self.smtp_host},
                )
            )
        except ConnectorError as exc:
            checks.append(Check("reply", False, str(exc)))
        checks.append(
            Check(
                "hide",
                True,
                _t("Hiding moves the message to “%(folder)s”.") % {"folder": self.hide_folder},
            )
        )
        return checks

    # -- reading -------------------------------------------------------------------------------

    def _sources(self) -> list[str]:
        sources = list(dict.fromkeys(self.folders))
        if self.sent_folder and self.sent_folder not in sources:
            sources.append(self.sent_folder)
        return sources

    def fetch(self, cursor: str) -> FetchResult:
        with self.session() as imap:
            return self.read(imap, cursor)

    def read(self, imap: imaplib.IMAP4, cursor: str) -> FetchResult:
        """One page of every folder from `cursor`, on an open connection."""
        positions: dict[str, dict[str, Any]] = json.loads(cursor) if cursor.startswith("{") else {}
        items: list[dict[str, Any]] = []
        more = False
        for folder in self._sources():
            validity = self._select(imap, folder)
            if validity is None:
                if folder == "INBOX" or folder in self.folders:
                    raise FatalConnectorError(
                        _t("The folder “%(folder)s” does not exist on the mail server.")
                        % {"folder": folder}
                    )
                continue  # no Sent folder yet: nothing of the brand's to read there
            position = positions.get(folder)
            if position is None:
                position = self._start(imap, validity)
            elif position.get("v") != validity:
                position = self._resync(imap, validity, position)
            since = position.get("since")
            criteria = [f"UID {int(position['u']) + 1}:*"]
            if since:
                criteria += ["SINCE", since]
            uids = [u for u in self._uids(imap, *criteria) if u > int(position["u"])]
            page = uids[:PAGE]
            if len(uids) > PAGE:
                more = True
            got, newest = self._fetch_uids(imap, page)
            items.extend(got)
            if page:
                position = {**position, "u": page[-1]}
            if newest and newest > str(position.get("d") or ""):
                position["d"] = newest
            if since and len(uids) <= PAGE:
                position.pop("since", None)  # the re-read after a renumbering is complete
            positions[folder] = position
        return FetchResult(
            items=_unique(items), cursor=json.dumps(positions, sort_keys=True), more=more
        )

    def _start(self, imap: imaplib.IMAP4, validity: int) -> dict[str, Any]:
        """A folder's first position: just before its latest `backfill` messages."""
        uids = self._uids(imap, "ALL")
        if not uids:
            return {"v": validity, "u": 0}
        if not self.backfill:
            return {"v": validity, "u": uids[-1]}
        first = uids[-self.backfill] if len(uids) >= self.backfill else uids[0]
        return {"v": validity, "u": first - 1}

    def _resync(
        self, imap: imaplib.IMAP4, validity: int, position: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The folder was renumbered (UIDVALIDITY changed): read again from a day before the
        newest message seen; Message-IDs recognise what is already in Hearth."""
        log.warning("Channel %s: UIDVALIDITY of a folder changed; re-reading it.", self.channel.pk)
        seen = str(position.get("d") or "")
        if not seen:
            return self._start(imap, validity)
        day = datetime.fromisoformat(seen) - timedelta(days=1)
        # IMAP dates are English whatever the process's locale (strftime's %b is not).
        since = f"{day.day:02d}-{MONTHS[day.month - 1]}-{day.year}"
        return {"v": validity, "u": 0, "since": since, "d": seen}

    def _fetch_uids(self, imap: imaplib.IMAP4, uids: list[int]) -> tuple[list[dict[str, Any]], str]:
        if not uids:
            return [], ""
        status, data = imap.uid(
            "FETCH", ",".join(str(u) for u in uids), "(UID INTERNALDATE BODY.PEEK[])"
        )
        if status != "OK":
            raise imaplib.IMAP4.error(data[0] if data else b"FETCH failed")
        items = []
        newest = ""
        for part in data:
            if not isinstance(part, tuple):
                continue
            internal = _internaldate(part[0])
            if internal is not None:
                newest = max(newest, internal.astimezone(UTC).isoformat())
            try:
                items.append(
                    mail_item(
                        part[1], brand=self.brand, brand_address=self.address, internal=internal
                    )
                )
            except Exception:  # noqa: BLE001 - one unreadable mail must not stop the mailbox
                log.exception("Channel %s: a message could not be read.", self.channel.pk)
        return items, newest

    def listen(self, cursor: str, stop: threading.Event) -> Iterator[FetchResult]:
        """IMAP IDLE on INBOX (the first followed folder): the server tells of new mail at once,
        and everything since `cursor` is read on the same connection; other folders (Sent) are
        read at each wake-up and at least every `poll_interval_s`. Without IDLE, polls."""
        with self.session() as imap:
            idle = "IDLE" in imap.capabilities
            watched = self.folders[0]
            while not stop.is_set():
                while True:
                    result = self.read(imap, cursor)
                    cursor = result.cursor
                    yield result
                    if not result.more or stop.is_set():
                        break
                if stop.is_set():
                    return
                if not idle:
                    stop.wait(self.poll_interval_s)
                    continue
                if self._arrived_since(imap, watched, cursor):
                    continue  # mail came while the other folders were read: read it now
                self.idle(imap, stop, timeout_s=min(IDLE_RENEW_S, self.poll_interval_s))

    def _arrived_since(self, imap: imaplib.IMAP4, folder: str, cursor: str) -> bool:
        """Select `folder` for IDLE; True when it already holds mail above the cursor's position
        (IDLE only reports what arrives after it starts)."""
        validity = self._select(imap, folder)
        position = json.loads(cursor).get(folder) if cursor.startswith("{") else None
        if validity is None or not position or position.get("v") != validity:
            return False
        last = int(position["u"])
        # A search, not UIDNEXT: UIDNEXT also counts mail already moved out of the folder.
        return any(uid > last for uid in self._uids(imap, f"UID {last + 1}:*"))

    def idle(self, imap: imaplib.IMAP4, stop: threading.Event, *, timeout_s: float) -> bool:
        """Hold IDLE until the server reports new mail, `stop` is set or `timeout_s` passes;
        True if new mail was reported. Reads the socket directly (imaplib in Python 3.11 has no
        IDLE), so imaplib's buffered reader is left empty and usable afterwards."""
        sock = imap.socket()
        tag = imap._new_tag()
        imap.tagged_commands.pop(tag, None)
        sock.sendall(tag + b" IDLE\r\n")
        buffer = b""
        started = False
        news = False
        deadline = time.monotonic() + timeout_s
        while True:
            if started and (news or stop.is_set() or time.monotonic() >= deadline):
                sock.sendall(b"DONE\r\n")
                started = False  # now wait for the tagged answer
                deadline = time.monotonic() + self.timeout
                stop_sent = True
            else:
                stop_sent = False
            pending = isinstance(sock, ssl.SSLSocket) and sock.pending()
            if not pending:
                ready, _, _ = select.select([sock], [], [], 0.2)
                if not ready:
                    if not started and time.monotonic() > deadline and not stop_sent:
                        raise ConnectorError(_t("The IMAP server did not end IDLE in time."))
                    continue
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectorError(_t("The IMAP server closed the connection during IDLE."))
            buffer += chunk
            while b"\r\n" in buffer:
                line, buffer = buffer.split(b"\r\n", 1)
                if line.startswith(b"+"):
                    started = True
                elif line.startswith(tag + b" "):
                    if not line[len(tag) + 1 :].startswith(b"OK"):
                        raise imaplib.IMAP4.error(line)
                    return news
                elif re.match(rb"\* \d+ (EXISTS|RECENT)", line):
                    news = True
                elif line.startswith(b"* BYE"):
                    raise ConnectorError(_t("The IMAP server ended the connection (BYE)."))

    # -- finding a message in the mailbox ------------------------------------------------------

    def _locate(
        self, imap: imaplib.IMAP4, message_id: str, folders: list[str]
    ) -> tuple[str, int] | None:
        """(folder, UID) of the message whose Message-ID is `message_id`, in the first folder
        of `folders` that has it."""
        for folder in dict.fromkeys(folders):
            if self._select(imap, folder) is None:
                continue
            uids = self._uids(imap, "HEADER", "Message-ID", f'"<{message_id}>"')
            if uids:
                return folder, uids[-1]
        return None

    def _headers_of(self, imap: imaplib.IMAP4, uid: int) -> Message:
        status, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[HEADER])")
        if status != "OK":
            raise imaplib.IMAP4.error(data[0] if data else b"FETCH failed")
        for part in data:
            if isinstance(part, tuple):
                return message_from_bytes(part[1], policy=policy.compat32)
        raise FatalConnectorError(_t("The mail server did not return the message's headers."))

    # -- sending -------------------------------------------------------------------------------

    def message_id_for(self, idempotency_key: str) -> str:
        """The Message-ID of what the outbox item `idempotency_key` sends: the same on every
        attempt, so a second copy is recognisable (and found in the Sent folder)."""
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
        domain = self.address.rsplit("@", 1)[-1] or "hearth.invalid"
        return f"hearth.{digest}@{domain}"

    def _from(self) -> str:
        local, _, domain = self.address.partition("@")
        return str(Address(display_name=self.display_name, username=local, domain=domain))

    def _compose(
        self,
        *,
        to: str,
        subject: str,
        text: str,
        message_id: str,
        in_reply_to: str = "",
        references: list[str] | None = None,
    ) -> EmailMessage:
        msg = EmailMessage(policy=policy.SMTP)
        msg["From"] = self._from()
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = f"<{message_id}>"
        if in_reply_to:
            msg["In-Reply-To"] = f"<{in_reply_to}>"
            refs = [r for r in (references or []) if r != in_reply_to][-(MAX_REFERENCES - 1) :]
            msg["References"] = " ".join(f"<{r}>" for r in [*refs, in_reply_to])
        msg["X-Mailer"] = "Hearth"
        msg.set_content(text)
        return msg

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        text = str(payload.get("text") or "").strip()
        parent_id = str(payload.get("parent_external_id") or "")
        message_id = self.message_id_for(idempotency_key)
        with self.session() as imap:
            if self._already_sent(imap, message_id):
                return SendResult(external_id=message_id, extra={"found_in_sent": True})
            found = self._locate(imap, parent_id, [*self._sources(), self.hide_folder])
            if found is None:
                raise FatalConnectorError(
                    _t(
                        "The message this reply answers is no longer in the mailbox (moved or "
                        "deleted), so Hearth does not know whom to send it to; write to the "
                        "member from your mail app."
                    )
                )
            parent = self._headers_of(imap, found[1])
        to = _header(parent, "Reply-To") or _header(parent, "From")
        if _addresses(to) & self.brand:
            to = _header(parent, "To")  # answering the brand's own message: the same people
        subject = _header(parent, "Subject")
        if not re.match(r"^(re|aw|sv|ré)\s*:", subject, re.IGNORECASE):
            subject = f"Re: {subject}".strip()
        references = message_ids(_header(parent, "References")) or message_ids(
            _header(parent, "In-Reply-To")
        )
        msg = self._compose(
            to=to,
            subject=subject,
            text=text,
            message_id=message_id,
            in_reply_to=clean_id(_header(parent, "Message-ID")) or parent_id,
            references=references,
        )
        return self._deliver(msg, message_id)

    def send_dm(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        to = str(payload.get("author_external_id") or "").strip()
        if "@" not in to:
            raise FatalConnectorError(
                _t("This member has no e-mail address (%(id)s) to write to.") % {"id": to}
            )
        message_id = self.message_id_for(idempotency_key)
        subject = str(payload.get("subject") or "") or _t("A message from %(name)s") % {
            "name": self.display_name or self.address
        }
        msg = self._compose(
            to=to,
            subject=subject,
            text=str(payload.get("text") or "").strip(),
            message_id=message_id,
        )
        if self.sent_folder:
            with self.session() as imap:
                if self._already_sent(imap, message_id):
                    return SendResult(external_id=message_id, extra={"found_in_sent": True})
        return self._deliver(msg, message_id)

    def _already_sent(self, imap: imaplib.IMAP4, message_id: str) -> bool:
        """Whether a copy of this Message-ID is in the Sent folder (an earlier attempt went out)."""
        return (
            bool(self.sent_folder)
            and self._locate(imap, message_id, [self.sent_folder]) is not None
        )

    def _deliver(self, msg: EmailMessage, message_id: str) -> SendResult:
        recipients = [addr for _name, addr in getaddresses(msg.get_all("To", [])) if addr]
        if not recipients:
            raise FatalConnectorError(_t("The message has no recipient address."))
        data = msg.as_bytes()
        with self._smtp() as smtp:
            self._smtp_step(smtp.mail(self.address), "MAIL FROM")
            refused = []
            for address in recipients:
                code, said = smtp.rcpt(address)
                if code not in (250, 251):
                    refused.append((address, code, said))
            if len(refused) == len(recipients):
                self._smtp_step(refused[0][1:], "RCPT TO")
            try:
                code, said = smtp.data(data)
            except smtplib.SMTPDataError as exc:  # refused before the message was sent
                self._smtp_step((exc.smtp_code, exc.smtp_error), "DATA")
                raise
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                raise OutcomeUnknown(
                    _t(
                        "The SMTP server did not confirm the message (%(error)s): it may or may "
                        "not have been sent. Look for Message-ID <%(id)s> in the recipient's or "
                        "the Sent folder."
                    )
                    % {"error": type(exc).__name__, "id": message_id}
                ) from None
            if code != 250:  # the server's answer to the message itself
                self._smtp_step((code, said), "DATA")
        extra: dict[str, Any] = {"message_id": f"<{message_id}>"}
        if refused:
            extra["refused"] = [a for a, _c, _s in refused]
        if self.sent_folder:
            extra["saved_in_sent"] = self._save_sent(data)
        return SendResult(external_id=message_id, extra=extra)

    def _save_sent(self, data: bytes) -> bool:
        """Append the sent message to the Sent folder; the mail went out either way."""
        try:
            with self.session() as imap:
                for attempt in (1, 2):
                    # typeshed says `str`; imaplib answers (status, data) like every command.
                    answer: Any = imap.append(
                        quoted(self.sent_folder),
                        "(\\Seen)",
                        imaplib.Time2Internaldate(time.time()),
                        data,
                    )
                    if answer[0] == "OK":
                        return True
                    if attempt == 1:
                        imap.create(quoted(self.sent_folder))  # not there yet: create it once
                return False
        except (ConnectorError, imaplib.IMAP4.error, OSError):
            log.warning("Channel %s: a sent reply could not be saved in Sent.", self.channel.pk)
            return False

    @contextlib.contextmanager
    def _smtp(self) -> Iterator[smtplib.SMTP]:
        """A connected, authenticated SMTP session; its errors become typed errors."""
        if not self.smtp_host:
            raise FatalConnectorError(
                _t("The channel has no SMTP server: set it in the channel's settings.")
            )
        password = self._password()
        try:
            if self.smtp_security == "ssl":
                smtp: smtplib.SMTP = outbound.SMTP_SSL(
                    self.smtp_host, self.smtp_port, timeout=self.timeout, context=self._tls()
                )
            else:
                smtp = outbound.SMTP(self.smtp_host, self.smtp_port, timeout=self.timeout)
                if self.smtp_security == "starttls":
                    smtp.starttls(context=self._tls())
        except outbound.OutboundRefused as exc:
            raise FatalConnectorError(str(exc)) from None
        except smtplib.SMTPConnectError as exc:
            self._smtp_step((exc.smtp_code, exc.smtp_error), "CONNECT")
            raise
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectorError(
                _t("The SMTP server %(host)s could not be reached (%(error)s).")
                % {"host": f"{self.smtp_host}:{self.smtp_port}", "error": type(exc).__name__}
            ) from None
        try:
            try:
                smtp.login(self.username, password)
            except smtplib.SMTPAuthenticationError as exc:
                raise ReauthRequired(
                    _t(
                        "The SMTP server refused the login (%(code)s %(said)s): check the password, "
                        "or create a new app password, and reconnect the channel."
                    )
                    % {"code": exc.smtp_code, "said": _text(exc.smtp_error)}
                ) from None
            except smtplib.SMTPNotSupportedError:
                raise FatalConnectorError(
                    _t(
                        "The SMTP server offers no login on this connection: choose SSL/TLS or "
                        "STARTTLS in the channel's settings."
                    )
                ) from None
            except smtplib.SMTPResponseException as exc:
                self._smtp_step((exc.smtp_code, exc.smtp_error), "AUTH")
                raise
            yield smtp
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise ConnectorError(
                _t("The SMTP connection broke (%(error)s); it will be tried again.")
                % {"error": type(exc).__name__}
            ) from None
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
            smtp.close()

    @staticmethod
    def _smtp_step(answer: tuple[int, bytes | str], step: str) -> None:
        """Raise the typed error of an SMTP answer that is not a success."""
        code, said = answer
        if 200 <= code < 400:
            return
        words = _text(said)
        if code in SMTP_AUTH_CODES:
            raise ReauthRequired(
                _t(
                    "The SMTP server asks to sign in again (%(code)s %(said)s): reconnect the channel."
                )
                % {"code": code, "said": words}
            )
        if code == 421:
            raise RetryLater(
                _t("The SMTP server asked to come back later (%(code)s %(said)s).")
                % {"code": code, "said": words},
                after_s=SERVER_WAIT_S,
            )
        if 400 <= code < 500:
            raise ConnectorError(
                _t(
                    "The SMTP server deferred the message at %(step)s (%(code)s %(said)s); it will be tried again."
                )
                % {"step": step, "code": code, "said": words}
            )
        raise FatalConnectorError(
            _t("The SMTP server refused the message at %(step)s (%(code)s %(said)s).")
            % {"step": step, "code": code, "said": words}
        )

    # -- moderation ----------------------------------------------------------------------------

    def _move(self, message_id: str, sources: list[str], target: str) -> SendResult:
        with self.session() as imap:
            if self._locate(imap, message_id, [target]) is not None:
                return SendResult(external_id=message_id, extra={"folder": target})
            found = self._locate(imap, message_id, sources)
            if found is None:
                raise FatalConnectorError(
                    _t("The message is no longer in the mailbox (moved or deleted by hand).")
                )
            folder, uid = found
            self._select(imap, folder, readonly=False)
            if self._select_exists(imap, target) is False:
                imap.create(quoted(target))
            if "MOVE" in imap.capabilities:
                status, data = imap.uid("MOVE", str(uid), quoted(target))
            else:
                status, data = imap.uid("COPY", str(uid), quoted(target))
                if status == "OK":
                    imap.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Deleted)")
                    imap.expunge()
            if status != "OK":
                raise imaplib.IMAP4.error(data[0] if data else b"MOVE failed")
        return SendResult(external_id=message_id, extra={"folder": target, "from": folder})

    @staticmethod
    def _select_exists(imap: imaplib.IMAP4, folder: str) -> bool:
        status, data = imap.list('""', quoted(folder))
        return status == "OK" and any(isinstance(d, bytes) and d for d in data)

    def send_hide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._move(str(payload["message_external_id"]), self._sources(), self.hide_folder)

    def send_unhide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._move(str(payload["message_external_id"]), [self.hide_folder], self.folders[0])


def _addresses(value: str) -> set[str]:
    return {addr.lower() for _name, addr in getaddresses([value]) if addr}


def _text(said: bytes | str) -> str:
    return (said.decode(errors="replace") if isinstance(said, bytes) else str(said))[:200]


def _close(imap: imaplib.IMAP4) -> None:
    with contextlib.suppress(Exception):
        imap.logout()
    with contextlib.suppress(Exception):
        imap.shutdown()


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One item per Message-ID (a message sent to the brand itself is in INBOX and Sent)."""
    seen: dict[str, dict[str, Any]] = {}
    for item in items:
        seen.setdefault(item["external_id"], item)
    return list(seen.values())
