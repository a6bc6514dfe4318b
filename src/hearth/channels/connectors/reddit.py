"""Reddit: the brand's subreddit, moderated through praw (a "script" app of a moderator account).

Read: new submissions and comments of the subreddit, the modqueue (reported and filtered
items), and the account's username mentions and private messages. Listings are newest first
and are read back to the last item already stored (praw pages with `after`), so a burst is
never skipped — within Reddit's own cap of 1,000 items per listing. Send: replies, removals
(hide) and approvals (unhide), reports, bans (`subreddit.banned.add`) and unbans, private
messages.

Rate limits: Reddit allows 100 requests per minute per OAuth client, averaged over a 10-minute
window, and says where a client stands in `X-Ratelimit-Remaining/Used/Reset`. praw's own limiter
reads them and spaces requests; on top of it, Hearth keeps the last figures per client id for
the whole process (several channels may share one app), and when the budget is spent until a
reset further than a few seconds away, it gives way with `RetryLater` instead of holding a
worker asleep. A 429 waits its Retry-After (or the reset).

praw's HTTP layer retries 5xx and read timeouts on its own, which for a reply could post it
twice: Hearth's requestor turns them into typed errors instead, and the outbox decides.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import praw
import prawcore
import requests
from django.utils.translation import gettext as _g
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
    retry_after_seconds,
)
from hearth.channels.connectors.http import USER_AGENT
from hearth.channels.models import Channel
from hearth.core import outbound

OAUTH_URL = "https://oauth.reddit.com"
WWW_URL = "https://www.reddit.com"
GIVE_WAY_S = 5.0  # a spent budget resetting later than this: RetryLater rather than sleep
MODQUEUE_PAGE = 100

_budget_lock = threading.Lock()
# client id → (remaining, monotonic time of the reset): Reddit counts per client, not per channel.
_budgets: dict[str, tuple[float, float]] = {}


def client_budget(client_id: str) -> tuple[float, float] | None:
    with _budget_lock:
        return _budgets.get(client_id)


class HearthRequestor(prawcore.Requestor):
    """prawcore's HTTP layer, made to give way on a spent budget and to raise Hearth's typed
    errors for 429, 5xx and timeouts instead of retrying them blindly."""

    def __init__(self, *args: Any, client_key: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client_key = client_key

    def request(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> requests.Response:
        method = str(args[0] if args else kwargs.get("method", "GET")).upper()
        url = str(args[1] if len(args) > 1 else kwargs.get("url", ""))
        budget = client_budget(self.client_key)
        if budget is not None and budget[0] <= 0:
            wait = budget[1] - time.monotonic()
            if wait > GIVE_WAY_S:
                raise RetryLater(
                    _g("Reddit's budget of requests for this app resets in %(s)d s.") % {"s": wait},
                    after_s=wait,
                )
        try:
            # Hearth's timeout, whatever prawcore passes (its own default is 16 s).
            # prawcore passes method and url positionally and never a positional timeout.
            response = self._http.request(*args, timeout=self.timeout, **kwargs)  # type: ignore[misc]
        except outbound.OutboundRefused as exc:
            raise FatalConnectorError(str(exc)) from None
        except requests.ReadTimeout:
            if method == "GET" or url.endswith("/access_token"):
                raise ConnectorError(_g("Reddit did not answer in time.")) from None
            raise OutcomeUnknown(
                _g("Reddit did not answer in time after the request was sent.")
            ) from None
        except requests.RequestException as exc:
            raise ConnectorError(
                _g("Reddit could not be reached (%(error)s).") % {"error": type(exc).__name__}
            ) from None
        self._note(response)
        if response.status_code == 429:
            reset = response.headers.get("x-ratelimit-reset")
            raise RetryLater(
                _g("Reddit asked to slow down (HTTP 429)."),
                after_s=retry_after_seconds(
                    response.headers.get("retry-after"), float(reset) if reset else 60
                ),
            )
        if response.status_code >= 500:
            raise ConnectorError(
                _g("Reddit answered HTTP %(status)d.") % {"status": response.status_code}
            )
        return response

    def _note(self, response: requests.Response) -> None:
        remaining = response.headers.get("x-ratelimit-remaining")
        reset = response.headers.get("x-ratelimit-reset")
        if remaining is None or reset is None or not self.client_key:
            return
        with _budget_lock:
            _budgets[self.client_key] = (float(remaining), time.monotonic() + float(reset))


@contextmanager
def reddit_errors() -> Iterator[None]:
    """praw's and prawcore's exceptions as Hearth's typed errors (by status and error type)."""
    try:
        yield
    except (prawcore.OAuthException, prawcore.InvalidToken) as exc:
        raise ReauthRequired(
            _g("Reddit refused the app's credentials (%(error)s): check them and reconnect.")
            % {"error": exc}
        ) from None
    except prawcore.Forbidden:
        raise FatalConnectorError(
            _g("Reddit refused (HTTP 403): the account is not a moderator with that permission.")
        ) from None
    except prawcore.NotFound:
        raise FatalConnectorError(_g("Reddit has no such item or subreddit (HTTP 404).")) from None
    except prawcore.TooManyRequests as exc:
        raise RetryLater(
            _g("Reddit asked to slow down (HTTP 429)."),
            after_s=retry_after_seconds(exc.retry_after, 60),
        ) from None
    except prawcore.ResponseException as exc:
        if exc.response.status_code == 401:
            raise ReauthRequired(
                _g("Reddit refused the app's id or secret (HTTP 401): check them and reconnect.")
            ) from None
        raise FatalConnectorError(
            _g("Reddit answered HTTP %(status)d.") % {"status": exc.response.status_code}
        ) from None
    except praw.exceptions.RedditAPIException as exc:
        for item in exc.items:
            if item.error_type == "RATELIMIT":
                raise RetryLater(
                    _g("Reddit asks to wait before doing that again."),
                    after_s=_ratelimit_wait(item.message or ""),
                ) from None
        raise FatalConnectorError(
            "; ".join(f"{i.error_type}: {i.message}" for i in exc.items)
        ) from None
    except prawcore.PrawcoreException as exc:
        raise ConnectorError(f"Reddit: {exc}") from None


def _ratelimit_wait(message: str) -> float:
    """RATELIMIT says how long only in words ("try again in 7 minutes"), as praw reads it."""
    found = re.search(r"(\d+) (minute|second|millisecond)", message)
    if not found:
        return 600.0
    amount, unit = int(found.group(1)), found.group(2)
    return {"minute": 60.0, "second": 1.0, "millisecond": 0.001}[unit] * amount + 1


def _iso(created_utc: float) -> str:
    return datetime.fromtimestamp(float(created_utc), tz=UTC).isoformat()


def _author(thing: Any) -> dict[str, str]:
    author = getattr(thing, "author", None)
    name = str(author) if author else "[deleted]"
    return {"external_id": name, "handle": f"u/{name}", "display_name": name}


def thing_to_item(thing: Any, *, kind: str = "") -> dict[str, Any]:
    """A praw Submission, Comment or Message in the import format."""
    fullname = thing.fullname
    item: dict[str, Any] = {"external_id": fullname, "author": _author(thing)}
    if fullname.startswith("t3_"):
        item["kind"] = kind or "post"
        item["text"] = "\n\n".join(p for p in (thing.title, getattr(thing, "selftext", "")) if p)
        item["metrics"] = {"likes": max(0, int(thing.score)), "replies": int(thing.num_comments)}
    elif fullname.startswith("t1_"):
        item["kind"] = kind or "comment"
        item["text"] = thing.body
        item["metrics"] = {"likes": max(0, int(thing.score))}
        if kind != "mention":
            item["parent_external_id"] = thing.parent_id
    else:  # t4_: a private message
        item["kind"] = "dm"
        item["text"] = "\n\n".join(p for p in (getattr(thing, "subject", ""), thing.body) if p)
        if getattr(thing, "parent_id", None):
            item["parent_external_id"] = thing.parent_id
    item["created_at"] = _iso(thing.created_utc)
    permalink = getattr(thing, "permalink", "") if not fullname.startswith("t4_") else ""
    if permalink:
        item["url"] = f"https://www.reddit.com{permalink}"
    return item


def _id36(fullname: str) -> int:
    return int(fullname.split("_", 1)[1], 36)


class RedditConnector(BaseConnector):
    kind = "reddit"
    label = "Reddit"
    docs = "channels/reddit.md"
    config_fields = (
        ConfigField(
            "subreddit",
            _("Subreddit"),
            required=True,
            help=_("The brand's subreddit, without r/ (the account must moderate it)."),
        ),
        ConfigField(
            "client_id",
            _("App client id"),
            required=True,
            help=_('reddit.com/prefs/apps → create app → type "script": the id under its name.'),
        ),
        ConfigField("client_secret", _("App secret"), kind="secret", required=True),
        ConfigField(
            "username",
            _("Moderator account"),
            required=True,
            help=_("The account the app runs as (a developer of the app and a moderator)."),
        ),
        ConfigField("password", _("Account password"), kind="secret", required=True),
        ConfigField(
            "backfill",
            _("History read on first connect"),
            kind="number",
            default=100,
            help=_("How many recent submissions and comments to read when connected."),
        ),
        ConfigField("oauth_url", _("API address"), kind="url", default=OAUTH_URL),
        ConfigField("reddit_url", _("Token address"), kind="url", default=WWW_URL),
    )
    capabilities = Capabilities(
        fetch=True,
        reply=True,
        dm=True,
        hide=True,
        ban=True,
        report=True,
        metrics=True,
        # Removing, approving, banning and unbanning twice leave the subreddit as once.
        retry_safe=frozenset({"hide", "unhide", "ban", "unban"}),
    )
    poll_interval_s = 2 * 60

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        credentials = channel.credentials
        self.subreddit_name = str(config.get("subreddit") or "").removeprefix("r/")
        self.username = str(config.get("username") or "")
        self.backfill = int(config["backfill"]) if config.get("backfill") is not None else 100
        client_id = str(config.get("client_id") or "")
        self.reddit = praw.Reddit(
            client_id=client_id,
            client_secret=str(credentials.get("client_secret") or ""),
            username=self.username,
            password=str(credentials.get("password") or ""),
            user_agent=f"{USER_AGENT} reddit-connector (by u/{self.username or 'unknown'})",
            oauth_url=str(config.get("oauth_url") or OAUTH_URL).rstrip("/"),
            reddit_url=str(config.get("reddit_url") or WWW_URL).rstrip("/"),
            check_for_updates=False,
            requestor_class=HearthRequestor,
            requestor_kwargs={
                "client_key": client_id,
                "timeout": float(config.get("timeout_s") or 20),
                "session": outbound.session(),  # the API address is configurable: vetted only
            },
        )

    @property
    def subreddit(self) -> Any:
        return self.reddit.subreddit(self.subreddit_name)

    # Reading ---------------------------------------------------------------------------------

    def identity(self) -> Identity:
        with reddit_errors():
            me = self.reddit.user.me()
            if me is None:  # praw in read-only mode: the script app's password was not accepted
                raise ReauthRequired(_g("Reddit did not log the account in: check the password."))
            name = str(me.name)
        return Identity(
            external_id=name,
            handle=f"u/{name}",
            display_name=name,
            url=f"https://www.reddit.com/user/{name}",
        )

    def test_connection(self) -> list[Check]:
        try:
            me = self.identity()
        except ConnectorError as exc:
            return [Check("read", False, str(exc))]
        checks = [Check("read", True, _g("Connected as %(user)s.") % {"user": me.handle})]
        try:
            with reddit_errors():
                mods = list(self.subreddit.moderator(redditor=me.external_id))
        except ConnectorError as exc:
            return [*checks, Check("hide", False, str(exc))]
        permissions = set(getattr(mods[0], "mod_permissions", []) if mods else [])
        everything = "all" in permissions
        for capability, needed, what in (
            ("hide", "posts", _g("remove and approve posts and comments")),
            ("ban", "access", _g("ban members")),
        ):
            ok = bool(mods) and (everything or needed in permissions)
            message = (
                _g("r/%(sub)s: the account may %(what)s.")
                if ok
                else _g(
                    'r/%(sub)s: the account may not %(what)s: give it the "%(perm)s" moderator permission.'
                )
            ) % {"sub": self.subreddit_name, "what": what, "perm": needed}
            checks.append(Check(capability, ok, message))
        return checks

    def fetch(self, cursor: str) -> FetchResult:
        positions: dict[str, str] = json.loads(cursor) if cursor.startswith("{") else {}
        items: dict[str, dict[str, Any]] = {}
        with reddit_errors():
            sources = (
                ("submissions", self.subreddit.new, ""),
                ("comments", self.subreddit.comments, ""),
                ("mentions", self.reddit.inbox.mentions, "mention"),
                ("messages", self.reddit.inbox.messages, ""),
            )
            for name, listing, kind in sources:
                last = positions.get(name)
                first_read = max(1, self.backfill)
                newest = None
                # Back to the last item stored (pages of 100), or the back-fill on first connect.
                for count, thing in enumerate(listing(limit=None if last else first_read)):
                    if last and _id36(thing.fullname) <= _id36(last):
                        break
                    if not last and count >= first_read:
                        break
                    newest = newest or thing.fullname
                    if not last and not self.backfill:
                        break  # no history wanted: only where to start from
                    items.setdefault(thing.fullname, thing_to_item(thing, kind=kind))
                # An empty listing starts at zero, so its first item will be read.
                positions[name] = newest or last or "t0_0"
            for thing in self.subreddit.mod.modqueue(limit=MODQUEUE_PAGE):
                items.setdefault(thing.fullname, thing_to_item(thing))
        return FetchResult(items=list(items.values()), cursor=json.dumps(positions, sort_keys=True))

    def metrics(self) -> dict[str, int]:
        with reddit_errors():
            subreddit = self.subreddit
            subreddit._fetch()
            return {
                "followers": int(subreddit.subscribers or 0),
                "subscribers": int(subreddit.subscribers or 0),
                "active_users": int(getattr(subreddit, "active_user_count", 0) or 0),
            }

    # Sending ---------------------------------------------------------------------------------

    def _thing(self, fullname: str) -> Any:
        prefix, _, id36 = fullname.partition("_")
        if prefix == "t3":
            return self.reddit.submission(id=id36)
        if prefix == "t1":
            return self.reddit.comment(id=id36)
        raise FatalConnectorError(
            f"'{fullname}' is not a Reddit submission or comment (t3_… or t1_… expected)."
        )

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        with reddit_errors():
            reply = self._thing(str(payload["parent_external_id"])).reply(payload["text"])
        if reply is None:
            raise OutcomeUnknown(
                _g("Reddit accepted the reply but did not say which comment it is.")
            )
        return SendResult(
            external_id=reply.fullname,
            url=f"https://www.reddit.com{getattr(reply, 'permalink', '')}",
        )

    def send_dm(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        with reddit_errors():
            self.reddit.redditor(str(payload["author_external_id"])).message(
                subject=str(payload.get("title") or _g("A message from the moderators"))[:100],
                message=payload["text"],
            )
        return SendResult()

    def send_hide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        fullname = str(payload["message_external_id"])
        with reddit_errors():
            self._thing(fullname).mod.remove(spam=bool(payload.get("spam")))
        return SendResult(external_id=fullname)

    def send_unhide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        fullname = str(payload["message_external_id"])
        with reddit_errors():
            self._thing(fullname).mod.approve()
        return SendResult(external_id=fullname)

    def send_report(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        fullname = str(payload["message_external_id"])
        with reddit_errors():
            self._thing(fullname).report(str(payload.get("reason") or "Reported by Hearth")[:100])
        return SendResult(external_id=fullname)

    def send_ban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        name = str(payload["author_external_id"])
        settings: dict[str, Any] = {"ban_reason": str(payload.get("reason") or "Rules")[:100]}
        if payload.get("until"):
            until = datetime.fromisoformat(str(payload["until"]))
            days = max(1, min(999, round((until - datetime.now(UTC)).total_seconds() / 86400)))
            settings["duration"] = days
        if payload.get("sanction_id"):
            settings["note"] = f"Hearth sanction {payload['sanction_id']}"
        with reddit_errors():
            self.subreddit.banned.add(name, **settings)
        return SendResult(external_id=name)

    def send_unban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        name = str(payload["author_external_id"])
        with reddit_errors():
            self.subreddit.banned.remove(name)
        return SendResult(external_id=name)
