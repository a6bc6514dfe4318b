"""YouTube, through the YouTube Data API v3 (polled) and Google's OAuth 2 (hearth/channels/oauth.py).

A channel is one YouTube channel, connected through the owner's Google Cloud project
(`PlatformApp` "youtube"): `config["channel_id"]` ("UC…"), `config["app_id"]`; the credentials
hold the access token (one hour), the refresh token (offline access) and `expires_at`.

What Hearth reads (polled: YouTube's push notifications cover uploads only, not comments):
- the comment threads on the channel's videos,
  `GET /youtube/v3/commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=UC…&order=time`,
  and the ones held for review (`moderationStatus=heldForReview`); a thread's replies beyond the
  few it embeds with `GET /youtube/v3/comments?parentId=…`;
- each new video's title (`GET /youtube/v3/videos?part=snippet&id=…`), the thread's root;
- which of the channel's recent stored comments are still there (`removed_among`, called by the
  pipeline after each poll): `GET /youtube/v3/comments?part=id&id=<up to 50 ids>`, 1 unit per
  50; an id missing from a successful answer was deleted by its author. An error stops the
  check and marks nothing.
A top-level comment answers its video (external id: the video's id, 11 characters); a reply
answers its top-level comment (a reply's id is "<top-level id>.<suffix>").

What Hearth does: reply (`POST /youtube/v3/comments?part=snippet` with the top-level comment as
`parentId`: YouTube threads are one level deep), comment under a video
(`POST /youtube/v3/commentThreads?part=snippet`), moderate with
`POST /youtube/v3/comments/setModerationStatus` — hide = heldForReview, unhide = published,
delete = rejected, ban = rejected with `banAuthor=true` — and read the channel's statistics
(`GET /youtube/v3/channels?part=statistics&id=…`).

Every call costs quota units (the documented costs in `COSTS`), counted per app and per Pacific
day in hearth/channels/quota.py; errors are classified by the `reason` of Google's error body:

| status / reason | error |
| --- | --- |
| 401, `authError` | `ReauthRequired` |
| 403 `insufficientPermissions` (scope revoked) | `ReauthRequired` (reconnect granting it) |
| 403 `quotaExceeded`, `dailyLimitExceeded` | `QuotaExhausted` until midnight Pacific time |
| 403 `rateLimitExceeded`, `userRateLimitExceeded`, 429 | `RetryLater` (Retry-After, else 60 s) |
| 403 `forbidden`, `commentsDisabled`… | `FatalConnectorError` with Google's message |
| 404 `commentNotFound`, `videoNotFound` | `NotFound` |
| 5xx, `backendError` | `ConnectorError` (try again) |
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from hearth.channels import quota
from hearth.channels.connectors.base import (
    BaseConnector,
    Capabilities,
    Check,
    ConfigField,
    ConnectorError,
    FatalConnectorError,
    FetchResult,
    Identity,
    ReauthRequired,
    RetryLater,
    SendResult,
    Unsupported,
)
from hearth.channels.connectors.http import PlatformClient, platform_message
from hearth.channels.models import Channel, PlatformApp

DATA_URL = "https://www.googleapis.com"
API = "/youtube/v3"
DAILY_QUOTA = 10_000  # units a day per Google Cloud project, unless Google granted more
# The documented quota cost of each method (developers.google.com/youtube/v3/determine_quota_cost).
COSTS = {
    "channels.list": 1,
    "commentThreads.list": 1,
    "comments.list": 1,
    "videos.list": 1,
    "comments.insert": 50,
    "commentThreads.insert": 50,
    "comments.setModerationStatus": 50,
}
THREADS = 100  # maxResults of a commentThreads.list page (its maximum)
PAGES = 3  # pages of threads read at each poll at most (3 units)
REPLIES = 100
BY_ID = 50  # ids of one comments.list look-up (its maximum)
VIDEO_ID_LENGTH = 11
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
REAUTH_REASONS = frozenset({"authError", "insufficientPermissions", "invalidCredentials"})
NOT_FOUND_REASONS = frozenset({"commentNotFound", "videoNotFound", "channelNotFound", "notFound"})


class NotFound(FatalConnectorError):
    """The comment or video is gone (deleted on YouTube) or not visible to the channel."""


def google_error(response: requests.Response) -> tuple[str, str]:
    """(reason, message) of Google's `{"error": {"code", "message", "errors": [{"reason"}]}}`."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    errors = error.get("errors") or [{}]
    first = errors[0] if isinstance(errors, list) and isinstance(errors[0], dict) else {}
    return str(first.get("reason") or ""), str(error.get("message") or "")[:200]


class YouTubeClient(PlatformClient):
    """The Data API at `base_url/youtube/v3`, as one access token, counting quota units."""

    def __init__(
        self, base_url: str, *, token: str, app_id: int | None, limit: int = DAILY_QUOTA
    ) -> None:
        super().__init__(
            f"{(base_url or DATA_URL).rstrip('/')}{API}", platform="YouTube", token=token
        )
        self.app_id = app_id
        self.limit = limit
        self.units = 0  # spent by this client (the tests and the bench read it)

    def call(
        self,
        name: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        sending: bool = False,
    ) -> Any:
        """One Data API method (`name` as the docs spell it, for its cost): the JSON answer, or
        {} for a 204."""
        cost = COSTS[name]
        if self.app_id is not None:
            # Google counts a call when it arrives, even one it refuses: count it before.
            quota.spend(self.app_id, cost, limit=self.limit, platform="YouTube")
        self.units += cost
        response = self.request(method, path, params=params, json=json, sending=sending)
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(_g("YouTube answered something that is not JSON.")) from None

    def classify(self, response: requests.Response) -> None:
        reason, said = google_error(response)
        status = response.status_code
        if reason in QUOTA_REASONS:
            if self.app_id is not None:
                raise quota.mark_exhausted(self.app_id, limit=self.limit, platform="YouTube")
            raise RetryLater(_g("YouTube's daily quota is used up."), after_s=3600)
        if status == 429 or reason in RATE_REASONS:
            raise RetryLater(
                _g("YouTube asked to slow down (%(reason)s).") % {"reason": reason or status},
                after_s=self._retry_after(response),
            )
        if status == 401 or reason in REAUTH_REASONS:
            raise ReauthRequired(
                _g(
                    "YouTube no longer accepts the channel's token (%(reason)s: %(said)s): "
                    "reconnect the channel and grant the permission asked."
                )
                % {"reason": reason or status, "said": said}
            )
        if status == 404 or reason in NOT_FOUND_REASONS:
            raise NotFound(
                _g("YouTube has no such comment or video any more: %(said)s") % {"said": said}
            )
        if 400 <= status < 500 and status != 408:
            raise FatalConnectorError(
                _g("YouTube refused (%(reason)s): %(said)s")
                % {"reason": reason or status, "said": said or platform_message(response)}
            )


def _author(snippet: Mapping[str, Any]) -> dict[str, str]:
    channel = snippet.get("authorChannelId") or {}
    ident = str(channel.get("value") if isinstance(channel, dict) else channel or "")
    url = str(snippet.get("authorChannelUrl") or "")
    return {
        "external_id": ident or "unknown",
        "display_name": str(snippet.get("authorDisplayName") or ""),
        "handle": str(snippet.get("authorDisplayName") or ""),
        **({"url": url} if url else {}),
    }


def comment_item(comment: Mapping[str, Any], parent: str) -> dict[str, Any]:
    """A comment resource (top-level or reply) in the import format."""
    snippet = comment.get("snippet") or {}
    author = _author(snippet)
    author.pop("url", None)
    item: dict[str, Any] = {
        "external_id": str(comment["id"]),
        "kind": "comment",
        "author": author,
        "text": str(snippet.get("textOriginal") or snippet.get("textDisplay") or ""),
        "created_at": str(snippet["publishedAt"]),
        "parent_external_id": parent,
        "metrics": {"likes": int(snippet.get("likeCount") or 0)},
    }
    if snippet.get("updatedAt") and snippet.get("updatedAt") != snippet.get("publishedAt"):
        item["updated_at"] = str(snippet["updatedAt"])
    video = str(snippet.get("videoId") or "")
    if video:
        item["url"] = f"https://www.youtube.com/watch?v={video}&lc={comment['id']}"
    return item


def video_item(video: Mapping[str, Any]) -> dict[str, Any]:
    """One of the channel's videos: the root of its comment threads, written by the channel."""
    snippet = video.get("snippet") or {}
    return {
        "external_id": str(video["id"]),
        "kind": "post",
        "author": {
            "external_id": str(snippet.get("channelId") or "unknown"),
            "display_name": str(snippet.get("channelTitle") or ""),
            "handle": "",
        },
        "text": str(snippet.get("title") or video["id"]),
        "created_at": str(snippet["publishedAt"]),
        "url": f"https://www.youtube.com/watch?v={video['id']}",
    }


def _changed(comment: Mapping[str, Any]) -> str:
    snippet = comment.get("snippet") or {}
    return str(snippet.get("updatedAt") or snippet.get("publishedAt") or "")


def top_level_id(external_id: str) -> str:
    """A reply's id is "<top-level comment id>.<suffix>"; YouTube replies only to top-level."""
    return external_id.split(".", 1)[0]


def data_client(app: PlatformApp | None, token: str) -> YouTubeClient:
    config = (app.config if app else None) or {}
    try:
        limit = int(config.get("daily_quota") or DAILY_QUOTA)
    except ValueError:
        limit = DAILY_QUOTA
    return YouTubeClient(
        app.url("data_url", DATA_URL) if app else DATA_URL,
        token=token,
        app_id=app.pk if app else None,
        limit=limit,
    )


class YouTubeConnector(BaseConnector):
    kind = "youtube"
    label = "YouTube"
    docs = "channels/youtube.md"
    # Connected through Google's consent screen (Channels → YouTube), not a form.
    oauth_provider = "youtube"
    config_fields = (
        ConfigField(
            "pages",
            _("Pages of comment threads read per poll"),
            kind="number",
            default=PAGES,
            help=_("Each page is 100 threads and costs 1 quota unit."),
        ),
    )
    capabilities = Capabilities(
        fetch=True,
        reply=True,
        hide=True,
        delete=True,
        ban=True,
        metrics=True,
    )
    poll_interval_s = 10 * 60  # 144 polls a day cost a few hundred of the 10,000 units
    # The access token lasts an hour and the refresh token renews it: its expiry is no date a
    # person must reconnect by (Google revokes a refresh token only on a change of the account).
    expiry_renewed = True
    daily_quota = DAILY_QUOTA

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        self.channel_id = str(config.get("channel_id") or "")
        self.pages = max(1, int(config.get("pages") or PAGES))
        app_id = config.get("app_id")
        self.app = PlatformApp.objects.filter(pk=app_id).first() if app_id else None
        self.client = data_client(self.app, str(channel.credentials.get("access_token") or ""))

    def _check_app(self) -> PlatformApp:
        if self.app is None:
            raise ReauthRequired(
                _g(
                    "The Google project this channel was connected through is gone: enter it "
                    "again and reconnect."
                )
            )
        return self.app

    # Reading ---------------------------------------------------------------------------------

    def identity(self) -> Identity:
        self._check_app()
        answer = self.client.call(
            "channels.list", "GET", "/channels", params={"part": "snippet", "id": self.channel_id}
        )
        items = answer.get("items") or []
        if not items:
            raise NotFound(_g("YouTube has no channel %(id)s.") % {"id": self.channel_id})
        snippet = items[0].get("snippet") or {}
        handle = str(snippet.get("customUrl") or "")
        return Identity(
            external_id=str(items[0]["id"]),
            handle=handle or str(snippet.get("title") or ""),
            display_name=str(snippet.get("title") or ""),
            url=f"https://www.youtube.com/{handle}"
            if handle.startswith("@")
            else f"https://www.youtube.com/channel/{items[0]['id']}",
        )

    def test_connection(self) -> list[Check]:
        try:
            me = self.identity()
        except ConnectorError as exc:
            return [Check("read", False, str(exc))]
        checks = [Check("read", True, _g("Connected as %(name)s.") % {"name": me.display_name})]
        try:
            self._threads(page_token="", held=False, size=1)
            checks.append(
                Check("read", True, _g("The comments on the channel's videos can be read."))
            )
        except ConnectorError as exc:
            checks.append(Check("read", False, str(exc)))
        return checks

    def _threads(self, *, page_token: str, held: bool, size: int = THREADS) -> dict[str, Any]:
        params: dict[str, Any] = {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": self.channel_id,
            "maxResults": size,
            "order": "time",
            "textFormat": "plainText",
        }
        if held:
            params["moderationStatus"] = "heldForReview"
        if page_token:
            params["pageToken"] = page_token
        answer: dict[str, Any] = self.client.call(
            "commentThreads.list", "GET", "/commentThreads", params=params
        )
        return answer

    def fetch(self, cursor: str) -> FetchResult:
        """Threads with anything newer than the cursor (the latest `updatedAt` seen), newest
        first, up to `pages` pages; then those held for review (one page)."""
        self._check_app()
        state = json.loads(cursor) if cursor.startswith("{") else {}
        since = str(state.get("since") or "")
        newest = since
        threads: list[dict[str, Any]] = []
        token = ""
        for _page in range(self.pages):
            answer = self._threads(page_token=token, held=False)
            batch = answer.get("items") or []
            threads.extend(batch)
            token = str(answer.get("nextPageToken") or "")
            # Threads come newest first: a page that ends on an old one holds all that is new.
            if not token or (since and batch and _thread_changed(batch[-1]) <= since):
                break
        threads.extend(self._threads(page_token="", held=True).get("items") or [])
        items: list[dict[str, Any]] = []
        videos: list[str] = []
        for thread in threads:
            top = (thread.get("snippet") or {}).get("topLevelComment") or {}
            if not top:
                continue
            video = str((thread.get("snippet") or {}).get("videoId") or "")
            replies = list((thread.get("replies") or {}).get("comments") or [])
            total = int((thread.get("snippet") or {}).get("totalReplyCount") or 0)
            if since and _thread_changed(thread) <= since:
                continue
            if total > len(replies):
                replies = self._replies(str(top["id"]))
            for comment, parent in [(top, video), *((r, str(top["id"])) for r in replies)]:
                changed = _changed(comment)
                if since and changed <= since:
                    continue
                items.append(comment_item(comment, parent))
                newest = max(newest, changed)
            if video and video not in videos:
                videos.append(video)
        roots = self._videos(videos) if items else []
        return FetchResult(items=[*roots, *items], cursor=json.dumps({"since": newest}))

    def _replies(self, parent: str) -> list[dict[str, Any]]:
        answer = self.client.call(
            "comments.list",
            "GET",
            "/comments",
            params={
                "part": "snippet",
                "parentId": parent,
                "maxResults": REPLIES,
                "textFormat": "plainText",
            },
        )
        return list(answer.get("items") or [])

    def _videos(self, ids: list[str]) -> list[dict[str, Any]]:
        roots: list[dict[str, Any]] = []
        for start in range(0, len(ids), 50):  # videos.list takes 50 ids a call
            answer = self.client.call(
                "videos.list",
                "GET",
                "/videos",
                params={"part": "snippet", "id": ",".join(ids[start : start + 50])},
            )
            roots.extend(video_item(v) for v in answer.get("items") or [])
        return roots

    def removed_among(self, external_ids: Sequence[str]) -> list[str]:
        """Those of `external_ids` (comments) YouTube no longer has: looked up by id, 50 a call
        (1 quota unit each). Any error raises (a `ConnectorError`): the caller marks nothing, so
        an error or a partial read never makes a comment look deleted."""
        self._check_app()
        wanted = list(dict.fromkeys(i for i in external_ids if i))
        found: set[str] = set()
        for start in range(0, len(wanted), BY_ID):
            chunk = wanted[start : start + BY_ID]
            answer = self.client.call(
                "comments.list",
                "GET",
                "/comments",
                params={"part": "id", "id": ",".join(chunk)},
            )
            if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
                raise ConnectorError(_g("YouTube answered a comment look-up without its list."))
            found.update(str(c.get("id")) for c in answer["items"] if isinstance(c, dict))
        return [i for i in wanted if i not in found]

    def metrics(self) -> dict[str, int]:
        answer = self.client.call(
            "channels.list",
            "GET",
            "/channels",
            params={"part": "statistics", "id": self.channel_id},
        )
        items = answer.get("items") or [{}]
        stats = items[0].get("statistics") or {}
        figures = {
            "views": int(stats.get("viewCount") or 0),
            "videos": int(stats.get("videoCount") or 0),
        }
        if not stats.get("hiddenSubscriberCount"):
            figures["followers"] = int(stats.get("subscriberCount") or 0)
        return figures

    def refresh_credentials(self) -> dict[str, Any] | None:
        from hearth.channels.oauth import provider  # oauth lists accounts with this module

        app = self._check_app()
        credentials = self.channel.credentials
        if not credentials.get("refresh_token"):
            return None
        return provider("youtube").refresh(app, credentials)

    def quota_state(self) -> quota.QuotaState | None:
        """Today's units for the channel's Google project (the channel page shows them)."""
        if self.app is None:
            return None
        return quota.state(self.app.pk, limit=self.client.limit)

    # Sending ---------------------------------------------------------------------------------

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        parent = str(payload.get("parent_external_id") or "")
        text = str(payload["text"])
        if not parent:
            raise FatalConnectorError(_g("The reply has nothing to answer on YouTube."))
        if len(parent) == VIDEO_ID_LENGTH and "." not in parent:
            answer = self.client.call(
                "commentThreads.insert",
                "POST",
                "/commentThreads",
                params={"part": "snippet"},
                json={
                    "snippet": {
                        "channelId": self.channel_id,
                        "videoId": parent,
                        "topLevelComment": {"snippet": {"textOriginal": text}},
                    }
                },
                sending=True,
            )
            return SendResult(external_id=str(answer["id"]))
        answer = self.client.call(
            "comments.insert",
            "POST",
            "/comments",
            params={"part": "snippet"},
            json={"snippet": {"parentId": top_level_id(parent), "textOriginal": text}},
            sending=True,
        )
        return SendResult(external_id=str(answer["id"]))

    def _moderate(self, comment: str, status: str, *, ban: bool = False) -> SendResult:
        params: dict[str, Any] = {"id": comment, "moderationStatus": status}
        if ban:
            params["banAuthor"] = "true"
        self.client.call(
            "comments.setModerationStatus",
            "POST",
            "/comments/setModerationStatus",
            params=params,
            sending=True,
        )
        return SendResult(external_id=comment)

    def _comment(self, payload: Mapping[str, Any]) -> str:
        external_id = str(payload.get("message_external_id") or "")
        if not external_id:
            raise FatalConnectorError(_g("No comment to act on."))
        if len(external_id) == VIDEO_ID_LENGTH and "." not in external_id:
            raise Unsupported(_g("A video is moderated in YouTube Studio, not through Hearth."))
        return external_id

    def send_hide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._moderate(self._comment(payload), "heldForReview")

    def send_unhide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._moderate(self._comment(payload), "published")

    def send_delete(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        comment = self._comment(payload)
        try:
            return self._moderate(comment, "rejected")
        except NotFound:
            return SendResult(external_id=comment)  # already gone: what a delete wanted

    def send_ban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        """YouTube bans an author through one of their comments (rejected, `banAuthor`): the
        comment the sanction is about, else their latest on the channel's recent threads."""
        author = str(payload.get("author_external_id") or "")
        comment = str(payload.get("message_external_id") or "") or self._latest_by(author)
        if not comment:
            raise Unsupported(
                _g(
                    "YouTube bans a person through one of their comments, and Hearth found none "
                    "of theirs on the recent threads: hide them from the channel in YouTube Studio."
                )
            )
        self._moderate(comment, "rejected", ban=True)
        return SendResult(external_id=author or comment)

    def _latest_by(self, author: str) -> str:
        if not author:
            return ""
        for held in (False, True):
            for thread in self._threads(page_token="", held=held).get("items") or []:
                top = (thread.get("snippet") or {}).get("topLevelComment") or {}
                for comment in [top, *((thread.get("replies") or {}).get("comments") or [])]:
                    if _author(comment.get("snippet") or {})["external_id"] == author:
                        return str(comment["id"])
        return ""


def _thread_changed(thread: Mapping[str, Any]) -> str:
    """The latest change under a thread: its top-level comment's or an embedded reply's."""
    top = (thread.get("snippet") or {}).get("topLevelComment") or {}
    replies = (thread.get("replies") or {}).get("comments") or []
    return max([_changed(top), *(_changed(r) for r in replies)])
