"""LinkedIn Pages, through the Community Management API (versioned REST, polled).

A channel is one organisation page, connected through the owner's LinkedIn app (`PlatformApp`
"linkedin", see hearth/channels/oauth.py): `config["organization_id"]`, `config["app_id"]`; the
credentials hold the access token, which LinkedIn makes last **60 days** (`expires_at`, shown on
the channel and announced 14 days before), and the refresh token when LinkedIn gave one.

Every call carries `LinkedIn-Version` and `X-Restli-Protocol-Version: 2.0.0`. What Hearth reads:
the organisation's recent posts (`GET /rest/posts?q=author&author=urn:li:organization:…`) and
their comments (`GET /rest/socialActions/{post urn}/comments`); a comment answers its post or the
comment it replies to (`parentComment`). What it does: reply as the organisation
(`POST /rest/socialActions/{urn}/comments`), delete a comment
(`DELETE /rest/socialActions/{urn}/comments/{id}?actor=…`), read followers
(`GET /rest/networkSizes/{org urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER`) and share statistics
(`GET /rest/organizationalEntityShareStatistics`). LinkedIn has no API to hide a comment, ban a
member or report: the capabilities say so.

Errors come as `{"status", "serviceErrorCode", "code", "message"}`: 401 (`INVALID_ACCESS_TOKEN`,
`REVOKED_ACCESS_TOKEN`, `EXPIRED_ACCESS_TOKEN`) → re-authorisation; 403 `ACCESS_DENIED` → a
permission the member or app lacks; 429 → wait (LinkedIn's daily limits reset at midnight UTC).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from hearth.channels.connectors.base import (
    BaseConnector,
    Capabilities,
    ConfigField,
    ConnectorError,
    FatalConnectorError,
    FetchResult,
    Identity,
    ReauthRequired,
    RetryLater,
    SendResult,
)
from hearth.channels.connectors.http import PlatformClient
from hearth.channels.models import Channel, PlatformApp

REST_URL = "https://api.linkedin.com"
VERSION = "202411"
POSTS = 20
COMMENTS = 100
REAUTH_CODES = frozenset({"INVALID_ACCESS_TOKEN", "REVOKED_ACCESS_TOKEN", "EXPIRED_ACCESS_TOKEN"})


def org_urn(organization_id: str) -> str:
    return f"urn:li:organization:{organization_id}"


def enc(urn: str) -> str:
    """A URN in a path segment (Rest.li 2.0 wants it percent-encoded)."""
    return quote(urn, safe="")


def _iso(ms: Any) -> str:
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC).isoformat()


def activity_of(comment_urn: str) -> str:
    """The post a comment is on: `urn:li:comment:(urn:li:activity:1,2)` → `urn:li:activity:1`."""
    inner = comment_urn.partition("(")[2].rstrip(")")
    return inner.rsplit(",", 1)[0] if "," in inner else ""


class LinkedInClient(PlatformClient):
    def __init__(self, base_url: str, *, token: str) -> None:
        super().__init__(
            f"{(base_url or REST_URL).rstrip('/')}/rest",
            platform="LinkedIn",
            token=token,
            headers={"LinkedIn-Version": VERSION, "X-Restli-Protocol-Version": "2.0.0"},
        )

    def classify(self, response: requests.Response) -> None:
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = str(body.get("code") or "") if isinstance(body, dict) else ""
        said = str(body.get("message") or "")[:200] if isinstance(body, dict) else ""
        if response.status_code == 401 or code in REAUTH_CODES:
            raise ReauthRequired(
                _g("LinkedIn no longer accepts the token (%(code)s): reconnect the page.")
                % {"code": code or response.status_code}
            )
        if response.status_code == 403:
            raise FatalConnectorError(
                _g(
                    "LinkedIn refused (%(code)s: %(said)s): your role on the page, or the app's "
                    "products, lack this permission."
                )
                % {"code": code or 403, "said": said}
            )
        if response.status_code == 429:
            midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            wait = (
                self._retry_after(response)
                if response.headers.get("Retry-After")
                else ((midnight + timedelta(days=1)) - datetime.now(UTC)).total_seconds()
            )
            raise RetryLater(
                _g("LinkedIn's daily limit for this call was reached: next try in %(s)d s.")
                % {"s": wait},
                after_s=wait,
            )


class LinkedInConnector(BaseConnector):
    kind = "linkedin"
    label = "LinkedIn"
    docs = "channels/linkedin.md"
    oauth_provider = "linkedin"
    config_fields = (
        ConfigField(
            "posts",
            _("Recent posts read"),
            kind="number",
            default=POSTS,
            help=_("How many of the page's latest posts Hearth reads the comments of."),
        ),
    )
    capabilities = Capabilities(fetch=True, reply=True, delete=True, metrics=True)
    poll_interval_s = 10 * 60
    # LinkedIn's tokens last 60 days; with a refresh token, renew them a week ahead.
    refresh_margin_s = 7 * 24 * 3600

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        self.organization_id = str(config.get("organization_id") or "")
        self.urn = org_urn(self.organization_id)
        self.posts = int(config.get("posts") or POSTS)
        app_id = config.get("app_id")
        self.app = PlatformApp.objects.filter(pk=app_id).first() if app_id else None
        self.client = LinkedInClient(
            self.app.url("rest_url", REST_URL) if self.app else REST_URL,
            token=str(channel.credentials.get("access_token") or ""),
        )

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, path, **kwargs)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(_g("LinkedIn answered something that is not JSON.")) from None

    def identity(self) -> Identity:
        org = self._json("GET", f"/organizations/{self.organization_id}")
        vanity = str(org.get("vanityName") or "")
        return Identity(
            external_id=self.urn,
            handle=vanity or str(org.get("localizedName") or ""),
            display_name=str(org.get("localizedName") or ""),
            url=f"https://www.linkedin.com/company/{vanity}/" if vanity else "",
        )

    def fetch(self, cursor: str) -> FetchResult:
        state = json.loads(cursor) if cursor.startswith("{") else {}
        since = int(state.get("since") or 0)
        newest = since
        posts = self._json(
            "GET",
            "/posts",
            params={
                "q": "author",
                "author": self.urn,
                "count": self.posts,
                "sortBy": "LAST_MODIFIED",
            },
            headers={"X-RestLi-Method": "FINDER"},
        )
        items: list[dict[str, Any]] = []
        for post in posts.get("elements") or ():
            if since and int(post.get("lastModifiedAt") or 0) <= since:
                continue
            urn = str(post["id"])
            answer = self._json(
                "GET", f"/socialActions/{enc(urn)}/comments", params={"count": COMMENTS}
            )
            fresh = [
                c
                for c in answer.get("elements") or ()
                if int((c.get("lastModified") or c.get("created") or {}).get("time") or 0) > since
            ]
            if not fresh and since:
                continue
            items.append(
                {
                    "external_id": urn,
                    "kind": "post",
                    "author": {"external_id": self.urn, "display_name": "", "handle": ""},
                    "text": str(post.get("commentary") or urn),
                    "created_at": _iso(post.get("publishedAt") or post.get("createdAt") or 0),
                    "url": f"https://www.linkedin.com/feed/update/{urn}/",
                }
            )
            for comment in fresh:
                changed = int((comment.get("lastModified") or comment["created"]).get("time") or 0)
                newest = max(newest, changed)
                actor = str(comment.get("actor") or "unknown")
                item: dict[str, Any] = {
                    "external_id": str(comment.get("commentUrn") or comment.get("$URN")),
                    "kind": "comment",
                    "author": {"external_id": actor, "display_name": "", "handle": ""},
                    "text": str((comment.get("message") or {}).get("text") or ""),
                    "created_at": _iso(comment["created"]["time"]),
                    "parent_external_id": str(comment.get("parentComment") or urn),
                }
                if changed != int(comment["created"]["time"]):
                    item["updated_at"] = _iso(changed)
                items.append(item)
        return FetchResult(items=items, cursor=json.dumps({"since": newest}))

    def metrics(self) -> dict[str, int]:
        size = self._json(
            "GET",
            f"/networkSizes/{enc(self.urn)}",
            params={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"},
        )
        stats = self._json(
            "GET",
            "/organizationalEntityShareStatistics",
            params={"q": "organizationalEntity", "organizationalEntity": self.urn},
        )
        total = ((stats.get("elements") or [{}])[0]).get("totalShareStatistics") or {}
        return {
            "followers": int(size.get("firstDegreeSize") or 0),
            "impressions": int(total.get("impressionCount") or 0),
            "reach": int(total.get("uniqueImpressionsCount") or 0),
            "clicks": int(total.get("clickCount") or 0),
            "likes": int(total.get("likeCount") or 0),
            "comments": int(total.get("commentCount") or 0),
            "shares": int(total.get("shareCount") or 0),
        }

    def refresh_credentials(self) -> dict[str, Any] | None:
        from hearth.channels.oauth import provider  # oauth lists accounts with this module

        credentials = self.channel.credentials
        if self.app is None or not credentials.get("refresh_token"):
            return None  # without a refresh token, a person reconnects before the 60 days
        return provider("linkedin").refresh(self.app, credentials)

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        parent = str(payload.get("parent_external_id") or "")
        if not parent:
            raise FatalConnectorError(_g("The reply has nothing to answer on LinkedIn."))
        body: dict[str, Any] = {
            "actor": self.urn,
            "object": parent,
            "message": {"text": str(payload["text"])},
        }
        if parent.startswith("urn:li:comment:"):
            body |= {"object": activity_of(parent), "parentComment": parent}
        response = self.client.request(
            "POST", f"/socialActions/{enc(parent)}/comments", json=body, sending=True
        )
        created = response.json() if response.content else {}
        ident = str(
            created.get("commentUrn") or created.get("$URN") or response.headers.get("x-restli-id")
        )
        return SendResult(external_id=ident)

    def send_delete(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        comment = str(payload.get("message_external_id") or "")
        if not comment.startswith("urn:li:comment:"):
            raise FatalConnectorError(_g("Only comments can be deleted on LinkedIn."))
        target = activity_of(comment)
        comment_id = comment.rstrip(")").rsplit(",", 1)[-1]
        try:
            self.client.request(
                "DELETE",
                f"/socialActions/{enc(target)}/comments/{comment_id}",
                params={"actor": self.urn},
                sending=True,
            )
        except FatalConnectorError as exc:
            if "404" not in str(exc):
                raise  # a 404: already gone, what a delete wanted
        return SendResult(external_id=comment)
