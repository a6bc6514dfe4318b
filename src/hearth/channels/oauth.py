"""Connecting channels through a platform's OAuth consent screen.

The owner creates a developer app on the platform and enters its client id and secret once
(`PlatformApp`, per workspace or for the whole instance). "Connect" then runs the
authorisation-code flow:

1. `start()` makes a `state` (random, kept in the person's session with the workspace and the
   provider, so a callback cannot be replayed in another session) and, when the platform
   supports PKCE, a code verifier whose S256 challenge goes in the authorisation URL.
2. The platform sends the person back to `/channels/oauth/<provider>/callback/` with `code` and
   `state`; `finish()` checks the state, exchanges the code (with the verifier), turns the token
   into a long-lived one where the platform has them, and lists the accounts it may manage.
3. The person picks which accounts become channels (`channels.connect.connect_accounts`).

A `Provider` describes one platform: its URLs, scopes, whether it does PKCE, and how to list the
accounts; the base URLs come from the app's `config` when set, so tests point them at a local
server. Refreshing expiring tokens is the provider's `refresh`, called by the connector's
`refresh_credentials` (hearth/channels/health.py keeps the old credentials when it fails).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hearth.channels.connectors.base import ConnectorError, FatalConnectorError, ReauthRequired
from hearth.channels.connectors.http import PlatformClient
from hearth.channels.connectors.meta import (
    API_VERSION,
    DIALOG_URL,
    GRAPH_URL,
    GraphClient,
    PermissionMissing,
)
from hearth.channels.models import ChannelKind, PlatformApp


class OAuthError(Exception):
    """The flow cannot go on; the message says why and what to do, in the person's language."""


@dataclass(frozen=True)
class Account:
    """An account the granted token may manage (a Facebook Page, an Instagram account…)."""

    kind: str  # the channel kind it becomes
    external_id: str
    name: str
    credentials: dict[str, Any]  # what the channel stores, encrypted
    config: dict[str, Any] = field(default_factory=dict)
    detail: str = ""  # shown next to the name when picking (a category, a handle)
    missing: tuple[str, ...] = ()  # tasks or permissions the account lacks, shown as a warning


@dataclass(frozen=True)
class Grant:
    """What the token exchange gave: the (long-lived) user token and when it lapses."""

    access_token: str
    expires_at: int | None = None  # epoch seconds
    refresh_token: str = ""
    scopes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def credentials(self) -> dict[str, Any]:
        """What a channel connected with this grant stores (encrypted)."""
        stored: dict[str, Any] = {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
        }
        if "refresh_expires_at" in self.extra:
            stored["refresh_expires_at"] = self.extra["refresh_expires_at"]
        return stored | {"scopes": list(self.scopes)}


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) of RFC 7636."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class Provider:
    """A platform's OAuth 2 description; the generic authorisation-code flow with refresh."""

    key: str
    label: str
    kinds: tuple[str, ...]  # the channel kinds it connects
    authorize_url: str  # "{dialog}/…": the consent screen
    exchange_url: str  # "{api}/…"
    scopes: tuple[str, ...]
    pkce: bool
    docs: str
    dialog_default: str = ""
    api_default: str = ""
    scope_separator: str = " "
    # Why each scope is asked, shown next to the redirect URL (lazy translations).
    scope_reasons: tuple[tuple[str, Any], ...] = ()
    # The connect button and its explanation, when "a … Page" does not fit (lazy translations).
    connect_label: Any = ""
    connect_help: Any = ""
    # Where the owner registers the app (its developer site), and where its secret is found there.
    console: str = ""
    secret_help: Any = ""
    # The `PlatformApp` it connects through, when it shares another provider's (WhatsApp uses
    # the Meta app entered for Facebook): no second app to enter.
    app_provider: str = ""
    # Other ways to connect, offered next to the consent (WhatsApp's system user token form).
    alternative_help: Any = ""
    # How the token endpoint authenticates the app: "body" (id and secret in the form), "basic"
    # (HTTP Basic), or "basic+id" (HTTP Basic, and the id in the form too, as X wants it).
    client_auth: ClassVar[str] = "body"
    client_id_field: ClassVar[str] = "client_id"  # TikTok calls it `client_key`
    # The answer's field giving the refresh token's own lifetime, where the platform has one.
    refresh_lifetime_field: ClassVar[str] = ""
    token_client: ClassVar[type[PlatformClient]] = PlatformClient

    @property
    def app_key(self) -> str:
        return self.app_provider or self.key

    def after_connect(self, app: PlatformApp, accounts: list[Account]) -> list[str]:
        """What the platform needs once the picked accounts are channels (a webhook subscription);
        the problems, in words, for the person to fix (nothing is undone)."""
        return []

    def urls(self, app: PlatformApp) -> dict[str, str]:
        return {
            "dialog": app.url("dialog_url", self.dialog_default),
            "api": app.url("api_url", self.api_default),
        }

    def authorization_url(
        self, app: PlatformApp, *, redirect_uri: str, state: str, challenge: str
    ) -> str:
        params = {
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "response_type": "code",
            "scope": self.scope_separator.join(self.scopes),
        }
        if self.pkce:
            params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
        return self.authorize_url.format(**self.urls(app)) + "?" + urlencode(params)

    def token(self, app: PlatformApp, data: Mapping[str, str]) -> Grant:
        """One call to the token endpoint (RFC 6749 §3.2), the app authenticated as the
        platform wants it (`client_auth`)."""
        url = self.exchange_url.format(**self.urls(app))
        form = dict(data)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if self.client_auth == "body":
            form |= {self.client_id_field: app.client_id, "client_secret": app.client_secret}
        else:
            basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
            headers["Authorization"] = f"Basic {basic}"
            if self.client_auth == "basic+id":
                form["client_id"] = app.client_id
        client = self.token_client(url, platform=self.label)
        # The whole URL: some token paths end with a slash the client would drop (TikTok's).
        answer = client.request("POST", url, data=form, headers=headers, sending=True).json()
        return self.grant(answer)

    def grant(self, answer: Mapping[str, Any]) -> Grant:
        """The token endpoint's answer read; with the refresh token's own lifetime where the
        platform gives one (`refresh_lifetime_field`)."""
        grant = _grant(answer)
        if not self.refresh_lifetime_field:
            return grant
        lifetime = answer.get(self.refresh_lifetime_field)
        refresh_expires_at = (
            int(time.time()) + int(lifetime)
            if isinstance(lifetime, int | float) and lifetime
            else None
        )
        return replace(grant, extra={**grant.extra, "refresh_expires_at": refresh_expires_at})

    def exchange(self, app: PlatformApp, *, code: str, redirect_uri: str, verifier: str) -> Grant:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if self.pkce:
            data["code_verifier"] = verifier
        return self.token(app, data)

    def accounts(self, app: PlatformApp, grant: Grant) -> list[Account]:
        raise OAuthError(
            _("Hearth cannot list %(platform)s accounts yet.") % {"platform": self.label}
        )

    def refresh(self, app: PlatformApp, credentials: Mapping[str, Any]) -> dict[str, Any]:
        """New credentials from the refresh token (the standard refresh grant). A refresh token
        the platform refuses for good means the person must consent again."""
        token = str(credentials.get("refresh_token") or "")
        if not token:
            raise ReauthRequired(_("There is no refresh token: reconnect the account."))
        try:
            grant = self.token(app, {"grant_type": "refresh_token", "refresh_token": token})
        except FatalConnectorError as exc:
            if not self.refresh_refused(exc):
                raise
            raise ReauthRequired(
                _("%(platform)s refused the refresh token (%(error)s): reconnect the account.")
                % {"platform": self.label, "error": exc}
            ) from None
        renewed = {
            **credentials,
            "access_token": grant.access_token,
            # Platforms that rotate refresh tokens send a new one; the others keep the old.
            "refresh_token": grant.refresh_token or token,
            "expires_at": grant.expires_at,
        }
        if self.refresh_lifetime_field:
            renewed["refresh_expires_at"] = grant.extra.get(
                "refresh_expires_at"
            ) or credentials.get("refresh_expires_at")
        return renewed

    def refresh_refused(self, exc: FatalConnectorError) -> bool:
        """Whether a refused refresh means reconnecting: RFC 6749's `invalid_grant` (expired or
        revoked) by default; platforms that answer otherwise say so."""
        return "invalid_grant" in str(exc) or "expired or revoked" in str(exc)


def _grant(answer: Mapping[str, Any]) -> Grant:
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise ConnectorError(_("The platform's token answer holds no access token."))
    expires_in = answer.get("expires_in")
    scope = answer.get("scope") or ""
    return Grant(
        access_token=token,
        expires_at=int(time.time()) + int(expires_in)
        if isinstance(expires_in, int | float) and expires_in
        else None,
        refresh_token=str(answer.get("refresh_token") or ""),
        scopes=tuple(s for s in str(scope).replace(",", " ").split() if s),
    )


# The tasks a person must have on a Page for each thing Hearth does there.
PAGE_TASKS = ("MODERATE", "MESSAGING")


class MetaProvider(Provider):
    """Facebook Login: the code gives a short-lived user token, exchanged for a long-lived one
    (about 60 days); `me/accounts` lists the Pages with their page tokens, which do not expire
    while the user token's data access lasts (90 days, then the person reconnects)."""

    def exchange(self, app: PlatformApp, *, code: str, redirect_uri: str, verifier: str) -> Grant:
        graph = self._graph(app, "")
        params = {
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "redirect_uri": redirect_uri,
            "code": code,
        }
        if self.pkce:
            params["code_verifier"] = verifier
        short = graph.request("GET", "/oauth/access_token", params=params).json()
        return self.long_lived(app, str(short.get("access_token") or ""))

    def long_lived(self, app: PlatformApp, token: str) -> Grant:
        if not token:
            raise ConnectorError(_("Facebook's token answer holds no access token."))
        graph = self._graph(app, "")
        answer = graph.request(
            "GET",
            "/oauth/access_token",
            params={
                "grant_type": "fb_exchange_token",
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "fb_exchange_token": token,
            },
        ).json()
        grant = _grant(answer)
        # Data access (what the page token can read) lapses 90 days after the person's
        # consent: that is the date a person must reconnect by.
        debug = self._graph(app, grant.access_token).call(
            "GET",
            "/debug_token",
            params={"input_token": grant.access_token},
        )
        data = debug.get("data") or {}
        lapses = data.get("data_access_expires_at") or data.get("expires_at") or grant.expires_at
        return Grant(
            access_token=grant.access_token,
            expires_at=int(lapses) if lapses else grant.expires_at,
            scopes=tuple(str(s) for s in data.get("scopes") or ()),
            # Which objects (WhatsApp Business Accounts, Pages) each permission was granted on.
            extra={
                "granular_scopes": list(data.get("granular_scopes") or ()),
                "token_expires_at": data.get("expires_at") or grant.expires_at,
            },
        )

    def _graph(self, app: PlatformApp, token: str) -> GraphClient:
        return GraphClient(
            app.url("api_url", GRAPH_URL),
            token=token,
            app_secret=app.client_secret,
            version=str((app.config or {}).get("api_version") or API_VERSION),
        )

    def accounts(self, app: PlatformApp, grant: Grant) -> list[Account]:
        graph = self._graph(app, grant.access_token)
        pages = graph.pages(
            "/me/accounts",
            params={
                "fields": "id,name,category,access_token,tasks,"
                "instagram_business_account{id,username,name}",
                "limit": 100,
            },
            limit=500,
        )
        found = []
        for page in pages:
            tasks = {str(t) for t in page.get("tasks") or ()}
            found.append(
                Account(
                    kind=ChannelKind.FACEBOOK,
                    external_id=str(page["id"]),
                    name=str(page.get("name") or page["id"]),
                    detail=str(page.get("category") or ""),
                    credentials={
                        "access_token": str(page.get("access_token") or ""),
                        "user_token": grant.access_token,
                        "expires_at": grant.expires_at,
                        "scopes": list(grant.scopes),
                    },
                    config={"page_id": str(page["id"]), "app_id": app.pk},
                    missing=tuple(t for t in PAGE_TASKS if tasks and t not in tasks),
                )
            )
            instagram = page.get("instagram_business_account") or {}
            if instagram.get("id"):
                # The professional account linked to the Page, reached with the Page's token.
                username = str(instagram.get("username") or instagram["id"])
                found.append(
                    Account(
                        kind=ChannelKind.INSTAGRAM,
                        external_id=str(instagram["id"]),
                        name=f"@{username}",
                        detail=_("Instagram, linked to %(page)s") % {"page": page.get("name", "")},
                        credentials=dict(found[-1].credentials),
                        config={
                            "ig_user_id": str(instagram["id"]),
                            "page_id": str(page["id"]),
                            "app_id": app.pk,
                        },
                    )
                )
        return found

    def refresh(self, app: PlatformApp, credentials: Mapping[str, Any]) -> dict[str, Any]:
        """A new long-lived user token from the current one (while it is valid), and the page's
        token read again with it; Facebook refuses an expired one (code 190: reconnect)."""
        grant = self.long_lived(app, str(credentials.get("user_token") or ""))
        return {**credentials, "user_token": grant.access_token, "expires_at": grant.expires_at}


# What connecting a WhatsApp number needs of the person's consent.
WA_MANAGE = "whatsapp_business_management"
WA_MESSAGE = "whatsapp_business_messaging"
WA_PHONE_FIELDS = "id,display_phone_number,verified_name,quality_rating,code_verification_status"
WA_LIMIT = 100


class WhatsAppProvider(MetaProvider):
    """WhatsApp Business through Facebook Login, with the Meta app entered for Facebook.

    The code gives a user token, made long-lived like Facebook's; `debug_token` says on which
    WhatsApp Business Accounts (WABAs) each permission was granted (`granular_scopes[].target_ids`:
    the accounts the person ticked on the consent screen). When Meta gives no such list, the
    accounts of the person's businesses are read instead (`/me/businesses`, then each business's
    `owned_whatsapp_business_accounts`, which needs `business_management`). Each account's phone
    numbers become the accounts to pick; once picked, the app is subscribed to each account's
    webhooks (`POST /{waba}/subscribed_apps`), without which no message arrives.
    """

    def _client(self, app: PlatformApp, token: str) -> Any:
        from hearth.channels.connectors.whatsapp import WhatsAppClient

        return WhatsAppClient(
            app.url("api_url", GRAPH_URL),
            token=token,
            app_secret=app.client_secret,
            version=str((app.config or {}).get("api_version") or API_VERSION),
            platform="WhatsApp",
            via_consent=True,
        )

    def long_lived(self, app: PlatformApp, token: str) -> Grant:
        """The number is used with the user token itself (no page token that outlives it): its
        access lapses when the token does (about 60 days, extended before) or, at the latest,
        when the consent's 90 days of data access end."""
        grant = super().long_lived(app, token)
        ends = [int(t) for t in (grant.expires_at, grant.extra.get("token_expires_at")) if t]
        return replace(grant, expires_at=min(ends) if ends else None)

    def accounts(self, app: PlatformApp, grant: Grant) -> list[Account]:
        granted = set(grant.scopes)
        lacking = [s for s in (WA_MANAGE, WA_MESSAGE) if granted and s not in granted]
        if lacking:
            raise OAuthError(
                _(
                    "Meta did not grant %(scopes)s: without it Hearth cannot list the numbers "
                    "or answer on them. Connect again and leave every permission ticked."
                )
                % {"scopes": ", ".join(lacking)}
            )
        client = self._client(app, grant.access_token)
        found: list[Account] = []
        wabas, targeted = self._wabas(client, grant)
        for waba_id, waba_name in wabas:
            try:
                numbers = client.pages(
                    f"/{waba_id}/phone_numbers",
                    params={"fields": WA_PHONE_FIELDS, "limit": WA_LIMIT},
                    limit=WA_LIMIT,
                )
            except PermissionMissing:
                if targeted:
                    raise
                continue  # a business's account the person did not choose on the consent

            for number in numbers:
                display = str(number.get("display_phone_number") or number["id"])
                name = str(number.get("verified_name") or display)
                quality = str(number.get("quality_rating") or "UNKNOWN")
                found.append(
                    Account(
                        kind=ChannelKind.WHATSAPP,
                        external_id=str(number["id"]),
                        name=f"{name} ({display})",
                        detail=_("quality %(quality)s · account %(waba)s")
                        % {"quality": quality, "waba": waba_name or waba_id},
                        credentials={
                            "access_token": grant.access_token,
                            "user_token": grant.access_token,
                            "expires_at": grant.expires_at,
                            "scopes": list(grant.scopes),
                        },
                        config={
                            "phone_number_id": str(number["id"]),
                            "waba_id": waba_id,
                            "app_id": app.pk,
                        },
                    )
                )
        if not found:
            raise OAuthError(
                _(
                    "Meta gave access to no WhatsApp Business Account with a phone number: on the "
                    "consent screen, choose the account of your number (Edit access), or add a "
                    "number to it in WhatsApp Manager."
                )
            )
        return found

    def _wabas(self, client: Any, grant: Grant) -> tuple[list[tuple[str, str]], bool]:
        """(id, name) of the accounts granted: debug_token's targets (True), else the
        businesses' accounts (False: some may not be granted)."""
        targets: list[str] = []
        for entry in grant.extra.get("granular_scopes") or ():
            if isinstance(entry, dict) and entry.get("scope") in (WA_MANAGE, WA_MESSAGE):
                targets.extend(str(t) for t in entry.get("target_ids") or ())
        if targets:
            return [(t, self._waba_name(client, t)) for t in dict.fromkeys(targets)], True
        try:
            businesses = client.pages(
                "/me/businesses", params={"fields": "id,name", "limit": WA_LIMIT}, limit=WA_LIMIT
            )
            found: list[tuple[str, str]] = []
            for business in businesses:
                owned = client.pages(
                    f"/{business['id']}/owned_whatsapp_business_accounts",
                    params={"fields": "id,name", "limit": WA_LIMIT},
                    limit=WA_LIMIT,
                )
                found.extend((str(w["id"]), str(w.get("name") or "")) for w in owned)
        except PermissionMissing:
            raise OAuthError(
                _(
                    "Meta did not say which WhatsApp Business Accounts were granted, and Hearth could "
                    "not list your businesses' accounts either (business_management was not granted). "
                    "Connect again and choose your WhatsApp Business Account on the consent screen."
                )
            ) from None
        return list(dict.fromkeys(found)), False

    @staticmethod
    def _waba_name(client: Any, waba_id: str) -> str:
        """The account's name, to tell the numbers apart; its id when it cannot be read."""
        try:
            answer = client.call("GET", f"/{waba_id}", params={"fields": "id,name"})
        except ConnectorError:
            return ""
        return str(answer.get("name") or "") if isinstance(answer, dict) else ""

    def after_connect(self, app: PlatformApp, accounts: list[Account]) -> list[str]:
        problems: list[str] = []
        done: set[str] = set()
        for account in accounts:
            waba_id = str(account.config.get("waba_id") or "")
            if not waba_id or waba_id in done:
                continue
            done.add(waba_id)
            client = self._client(app, str(account.credentials.get("access_token") or ""))
            try:
                answer = client.call("POST", f"/{waba_id}/subscribed_apps", sending=True)
            except ConnectorError as exc:
                problems.append(
                    _(
                        "The app could not be subscribed to the webhooks of the WhatsApp "
                        "Business Account %(waba)s, so its messages will not arrive yet: "
                        "%(error)s Test the channel once it is fixed."
                    )
                    % {"waba": waba_id, "error": exc}
                )
                continue
            if not (isinstance(answer, dict) and answer.get("success")):
                problems.append(
                    _(
                        "Meta did not confirm the webhook subscription of the WhatsApp Business "
                        "Account %(waba)s: test the channel to check that messages arrive."
                    )
                    % {"waba": waba_id}
                )
        return problems

    def refresh(self, app: PlatformApp, credentials: Mapping[str, Any]) -> dict[str, Any]:
        """A new long-lived user token, which is also the one the number is used with."""
        new = super().refresh(app, credentials)
        return {**new, "access_token": new["user_token"]}


class GoogleProvider(Provider):
    """Google's OAuth 2 for YouTube: PKCE, `access_type=offline` and `prompt=consent` so the
    code gives a refresh token (Google sends one only at a consent), an access token of an hour
    refreshed with it; the accounts are the YouTube channels of the person who consented."""

    def authorization_url(
        self, app: PlatformApp, *, redirect_uri: str, state: str, challenge: str
    ) -> str:
        url = super().authorization_url(
            app, redirect_uri=redirect_uri, state=state, challenge=challenge
        )
        return url + "&" + urlencode({"access_type": "offline", "prompt": "consent"})

    def accounts(self, app: PlatformApp, grant: Grant) -> list[Account]:
        from hearth.channels.connectors.youtube import data_client

        answer = data_client(app, grant.access_token).call(
            "channels.list",
            "GET",
            "/channels",
            params={"part": "snippet,statistics", "mine": "true", "maxResults": 50},
        )
        found = []
        for item in answer.get("items") or ():
            snippet = item.get("snippet") or {}
            found.append(
                Account(
                    kind=ChannelKind.YOUTUBE,
                    external_id=str(item["id"]),
                    name=str(snippet.get("title") or item["id"]),
                    detail=str(snippet.get("customUrl") or ""),
                    credentials=grant.credentials(),
                    config={"channel_id": str(item["id"]), "app_id": app.pk},
                )
            )
        if not found:
            raise OAuthError(_("This Google account has no YouTube channel: create one first."))
        return found


class LinkedInProvider(Provider):
    """LinkedIn's 3-legged OAuth: a 60-day access token (and, for apps LinkedIn approved for the
    Community Management API, a 365-day refresh token); the accounts are the organisation pages
    the person administers (`organizationAcls`)."""

    def accounts(self, app: PlatformApp, grant: Grant) -> list[Account]:
        from hearth.channels.connectors.linkedin import REST_URL, LinkedInClient

        client = LinkedInClient(app.url("rest_url", REST_URL), token=grant.access_token)
        acls = client.get(
            "/organizationAcls",
            params={"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"},
        )
        found = []
        for acl in acls.get("elements") or ():
            urn = str(acl.get("organization") or "")
            org_id = urn.rsplit(":", 1)[-1]
            if not org_id.isdigit():
                continue
            org = client.get(f"/organizations/{org_id}")
            found.append(
                Account(
                    kind=ChannelKind.LINKEDIN,
                    external_id=urn,
                    name=str(org.get("localizedName") or urn),
                    detail=str(org.get("vanityName") or ""),
                    credentials=grant.credentials(),
                    config={"organization_id": org_id, "app_id": app.pk},
                )
            )
        return found


class XProvider(Provider):
    """X's OAuth 2.0 with PKCE: a confidential client authenticates the token requests with HTTP
    Basic (client id and secret); the access token lasts 2 hours and `offline.access` gives a
    refresh token, which X replaces at each refresh. The account is the person who consented."""

    client_auth = "basic+id"

    def refresh_refused(self, exc: FatalConnectorError) -> bool:
        return True  # a used or revoked refresh token is a 400 `invalid_request`

    def accounts(self, app: PlatformApp, grant: Grant) -> list[Account]:
        from hearth.channels.connectors.x import API_URL, XClient

        client = XClient(app.url("api_url", API_URL), token=grant.access_token, app_id=None, cap=0)
        me = client.read("/users/me", params={"user.fields": "username,name"}).get("data") or {}
        if not me.get("id"):
            raise OAuthError(_("X did not say which account consented: start again."))
        username = str(me.get("username") or me["id"])
        return [
            Account(
                kind=ChannelKind.X,
                external_id=str(me["id"]),
                name=f"@{username}",
                detail=str(me.get("name") or ""),
                credentials=grant.credentials(),
                config={"user_id": str(me["id"]), "app_id": app.pk},
            )
        ]


class _TikTokTokenClient(PlatformClient):
    def classify(self, response: Any) -> None:
        try:
            body = response.json()
        except ValueError:
            return
        error = str(body.get("error") or "") if isinstance(body, dict) else ""
        if error in ("invalid_grant", "access_token_invalid"):
            raise ReauthRequired(
                _("TikTok refused the token (%(error)s): reconnect the account.")
                % {"error": body.get("error_description") or error}
            )


class TikTokProvider(Provider):
    """TikTok's Login Kit OAuth v2 (with PKCE), whose parameter is `client_key`: an access token
    of 24 hours renewed by a refresh token of 365 days (TikTok may hand a new one at each
    refresh); the account is the business account of the person who consented (`open_id`)."""

    def authorization_url(
        self, app: PlatformApp, *, redirect_uri: str, state: str, challenge: str
    ) -> str:
        params = {
            "client_key": app.client_id,
            "response_type": "code",
            "scope": self.scope_separator.join(self.scopes),
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return self.authorize_url.format(**self.urls(app)) + "?" + urlencode(params)

    client_id_field = "client_key"
    refresh_lifetime_field = "refresh_expires_in"
    token_client = _TikTokTokenClient

    def grant(self, answer: Mapping[str, Any]) -> Grant:
        if answer.get("error") and not answer.get("access_token"):
            # TikTok answers some refusals with HTTP 200 and an error.
            message = str(answer.get("error_description") or answer["error"])
            if answer["error"] in ("invalid_grant", "access_token_invalid"):
                raise ReauthRequired(
                    _("TikTok refused the token (%(error)s): reconnect the account.")
                    % {"error": message}
                )
            raise FatalConnectorError(message)
        grant = super().grant(answer)
        return replace(grant, extra={**grant.extra, "open_id": str(answer.get("open_id") or "")})

    def accounts(self, app: PlatformApp, grant: Grant) -> list[Account]:
        from hearth.channels.connectors.tiktok import ACCOUNT_FIELDS, business_client

        open_id = str(grant.extra.get("open_id") or "")
        if not open_id:
            raise OAuthError(_("TikTok's answer names no account: start the connection again."))
        data = business_client(app, grant.access_token).call(
            "GET",
            "/business/get/",
            params={"business_id": open_id, "fields": json.dumps(ACCOUNT_FIELDS)},
        )
        username = str(data.get("username") or open_id)
        return [
            Account(
                kind=ChannelKind.TIKTOK,
                external_id=open_id,
                name=f"@{username}",
                detail=str(data.get("display_name") or ""),
                credentials=grant.credentials(),
                config={"business_id": open_id, "app_id": app.pk},
                missing=tuple(s for s in TIKTOK_NEEDED if grant.scopes and s not in grant.scopes),
            )
        ]


# What the TikTok connector needs; a consent that left one out is shown as a warning.
TIKTOK_NEEDED = ("user.info.basic", "video.list", "comment.list", "comment.list.manage")


class PinterestProvider(Provider):
    """Pinterest's OAuth for API v5: the client authenticates the token calls with HTTP Basic; an
    access token of 30 days, a refresh token of 365 days; the account is the consenting one."""

    client_auth = "basic"
    refresh_lifetime_field = "refresh_token_expires_in"

    def refresh_refused(self, exc: FatalConnectorError) -> bool:
        return True  # Pinterest refuses a revoked refresh token without `invalid_grant`

    def accounts(self, app: PlatformApp, grant: Grant) -> list[Account]:
        from hearth.channels.connectors.pinterest import pinterest_client

        me = pinterest_client(app, grant.access_token).get("/user_account")
        username = str(me.get("username") or "")
        ident = str(me.get("id") or username)
        return [
            Account(
                kind=ChannelKind.PINTEREST,
                external_id=ident,
                name=username or ident,
                detail=str(me.get("account_type") or ""),
                credentials=grant.credentials(),
                config={"account_id": ident, "app_id": app.pk},
            )
        ]


PROVIDERS: dict[str, Provider] = {
    "facebook": MetaProvider(
        key="facebook",
        label="Facebook",
        kinds=(ChannelKind.FACEBOOK,),
        authorize_url="{dialog}/" + API_VERSION + "/dialog/oauth",
        exchange_url="{api}/" + API_VERSION + "/oauth/access_token",
        scopes=(
            "pages_show_list",
            "pages_read_engagement",
            "pages_read_user_content",
            "pages_manage_engagement",
            "pages_manage_metadata",
            "pages_messaging",
            "read_insights",
            "instagram_basic",
            "instagram_manage_comments",
            "instagram_manage_insights",
            "instagram_manage_messages",
        ),
        pkce=True,
        docs="channels/facebook.md",
        console="Meta for Developers",
        secret_help=gettext_lazy(
            "In the app's dashboard on Meta for Developers: App settings → Basic."
        ),
        dialog_default=DIALOG_URL,
        api_default=GRAPH_URL,
        scope_separator=",",
        scope_reasons=(
            ("pages_show_list", gettext_lazy("list the Pages you manage, to pick them")),
            ("pages_read_engagement", gettext_lazy("read the Page's posts and their figures")),
            ("pages_read_user_content", gettext_lazy("read the comments people leave")),
            ("pages_manage_engagement", gettext_lazy("reply to, hide and delete comments")),
            ("pages_manage_metadata", gettext_lazy("subscribe the Page to webhooks; ban people")),
            ("pages_messaging", gettext_lazy("read and answer Messenger conversations")),
            ("read_insights", gettext_lazy("read followers, reach and engagement")),
            ("instagram_basic", gettext_lazy("read the linked Instagram account and its posts")),
            (
                "instagram_manage_comments",
                gettext_lazy("read, answer, hide and delete Instagram comments"),
            ),
            ("instagram_manage_insights", gettext_lazy("read the Instagram account's figures")),
            (
                "instagram_manage_messages",
                gettext_lazy("read and answer the Instagram account's direct messages"),
            ),
        ),
    ),
    "whatsapp": WhatsAppProvider(
        key="whatsapp",
        label="WhatsApp",
        kinds=(ChannelKind.WHATSAPP,),
        authorize_url="{dialog}/" + API_VERSION + "/dialog/oauth",
        exchange_url="{api}/" + API_VERSION + "/oauth/access_token",
        scopes=(WA_MANAGE, WA_MESSAGE, "business_management"),
        pkce=True,
        docs="channels/whatsapp.md",
        console="Meta for Developers",
        secret_help=gettext_lazy(
            "In the app's dashboard on Meta for Developers: App settings → Basic."
        ),
        dialog_default=DIALOG_URL,
        api_default=GRAPH_URL,
        scope_separator=",",
        app_provider="facebook",
        scope_reasons=(
            (
                WA_MANAGE,
                gettext_lazy(
                    "list the accounts' numbers and templates; subscribe the app to their messages"
                ),
            ),
            (WA_MESSAGE, gettext_lazy("receive the customers' messages and answer them")),
            (
                "business_management",
                gettext_lazy(
                    "find your WhatsApp Business Accounts when Meta does not list those you chose"
                ),
            ),
        ),
        connect_label=gettext_lazy("Connect a WhatsApp number"),
        connect_help=gettext_lazy(
            "Meta asks you to sign in and to choose the WhatsApp Business Accounts Hearth may use; "
            "you then pick which of their numbers to add. Each one becomes a channel. It uses the "
            "same Meta app as Facebook and Instagram."
        ),
        alternative_help=gettext_lazy(
            "Or connect a number with a system user's token, which does not lapse: "
        ),
    ),
    # The other platforms' descriptions: their connectors plug in here as they are written.
    "linkedin": LinkedInProvider(
        key="linkedin",
        label="LinkedIn",
        kinds=(ChannelKind.LINKEDIN,),
        authorize_url="{dialog}/oauth/v2/authorization",
        exchange_url="{api}/oauth/v2/accessToken",
        scopes=("r_organization_social", "w_organization_social", "rw_organization_admin"),
        pkce=False,
        docs="channels/linkedin.md",
        console="LinkedIn Developers",
        secret_help=gettext_lazy("In the app's page on LinkedIn Developers: the Auth tab."),
        dialog_default="https://www.linkedin.com",
        api_default="https://www.linkedin.com",
        scope_reasons=(
            ("r_organization_social", gettext_lazy("read the page's posts and their comments")),
            ("w_organization_social", gettext_lazy("reply to and delete comments as the page")),
            (
                "rw_organization_admin",
                gettext_lazy("list the pages you administer; followers and share statistics"),
            ),
        ),
        connect_label=gettext_lazy("Connect a LinkedIn page"),
        connect_help=gettext_lazy(
            "LinkedIn asks you to sign in and to allow Hearth; you then pick which of the "
            "organisation pages you administer to add. Each one becomes a channel."
        ),
    ),
    "x": XProvider(
        key="x",
        label="X",
        kinds=(ChannelKind.X,),
        authorize_url="{dialog}/i/oauth2/authorize",
        exchange_url="{api}/2/oauth2/token",
        scopes=(
            "tweet.read",
            "users.read",
            "tweet.write",
            "tweet.moderate.write",
            "block.write",
            "mute.write",
            "dm.read",
            "dm.write",
            "offline.access",
        ),
        pkce=True,
        docs="channels/x.md",
        console="the X developer portal",
        secret_help=gettext_lazy(
            "In the X developer portal: the app's Keys and tokens, OAuth 2.0 Client ID and Client Secret."
        ),
        dialog_default="https://x.com",
        api_default="https://api.x.com",
        scope_reasons=(
            ("tweet.read", gettext_lazy("read the mentions of the account and the replies to it")),
            ("users.read", gettext_lazy("know the account and its authors; followers")),
            ("tweet.write", gettext_lazy("reply as the account")),
            ("tweet.moderate.write", gettext_lazy("hide and show replies to the account's posts")),
            ("block.write", gettext_lazy("block accounts")),
            ("mute.write", gettext_lazy("mute accounts")),
            ("dm.read", gettext_lazy("read the direct messages people send the account")),
            ("dm.write", gettext_lazy("answer direct messages")),
            ("offline.access", gettext_lazy("stay connected past the token's 2 hours")),
        ),
        connect_label=gettext_lazy("Connect an X account"),
        connect_help=gettext_lazy(
            "X asks you to sign in as the account and to allow Hearth; it becomes a channel."
        ),
    ),
    "youtube": GoogleProvider(
        key="youtube",
        label="YouTube",
        kinds=(ChannelKind.YOUTUBE,),
        authorize_url="{dialog}/o/oauth2/v2/auth",
        exchange_url="{api}/token",
        scopes=("https://www.googleapis.com/auth/youtube.force-ssl",),
        pkce=True,
        docs="channels/youtube.md",
        console="Google Cloud",
        secret_help=gettext_lazy(
            "In the Google Cloud console: APIs & Services → Credentials, the OAuth client of type Web application."
        ),
        dialog_default="https://accounts.google.com",
        api_default="https://oauth2.googleapis.com",
        scope_reasons=(
            (
                "https://www.googleapis.com/auth/youtube.force-ssl",
                gettext_lazy("read, answer and moderate the comments on your videos"),
            ),
        ),
        connect_label=gettext_lazy("Connect a YouTube channel"),
        connect_help=gettext_lazy(
            "Google asks you to sign in and to allow Hearth; you then pick which of your YouTube "
            "channels to add. Each one becomes a channel."
        ),
    ),
    "tiktok": TikTokProvider(
        key="tiktok",
        label="TikTok",
        kinds=(ChannelKind.TIKTOK,),
        authorize_url="{dialog}/v2/auth/authorize/",
        exchange_url="{api}/v2/oauth/token/",
        scopes=(
            "user.info.basic",
            "user.info.username",
            "user.info.stats",
            "user.insights",
            "video.list",
            "video.insights",
            "comment.list",
            "comment.list.manage",
        ),
        pkce=True,
        docs="channels/tiktok.md",
        console="TikTok for Developers",
        secret_help=gettext_lazy(
            "In the app's page on TikTok for Developers: the Client key and Client secret."
        ),
        dialog_default="https://www.tiktok.com",
        api_default="https://open.tiktokapis.com",
        scope_separator=",",
        scope_reasons=(
            ("user.info.basic", gettext_lazy("know which account you connected")),
            ("user.info.username", gettext_lazy("show the account's @name")),
            ("user.info.stats", gettext_lazy("read the number of followers")),
            ("user.insights", gettext_lazy("read the account's views, likes and shares")),
            ("video.list", gettext_lazy("list the account's videos, to read their comments")),
            ("video.insights", gettext_lazy("read each video's figures")),
            ("comment.list", gettext_lazy("read the comments on the account's videos")),
            (
                "comment.list.manage",
                gettext_lazy("reply to and hide comments; delete the account's own"),
            ),
        ),
        connect_label=gettext_lazy("Connect a TikTok account"),
        connect_help=gettext_lazy(
            "TikTok asks you to sign in with the business account and to allow Hearth; the "
            "account then becomes a channel."
        ),
    ),
    "pinterest": PinterestProvider(
        key="pinterest",
        label="Pinterest",
        kinds=(ChannelKind.PINTEREST,),
        authorize_url="{dialog}/oauth/",
        exchange_url="{api}/v5/oauth/token",
        scopes=("user_accounts:read", "pins:read", "boards:read"),
        pkce=False,
        docs="channels/pinterest.md",
        console="Pinterest Developers",
        secret_help=gettext_lazy(
            "In the app's page on Pinterest Developers: the App id and App secret key."
        ),
        dialog_default="https://www.pinterest.com",
        api_default="https://api.pinterest.com",
        scope_separator=",",
        scope_reasons=(
            ("user_accounts:read", gettext_lazy("read the account, its followers and analytics")),
            ("pins:read", gettext_lazy("read each pin's figures")),
            ("boards:read", gettext_lazy("read the boards the pins are on")),
        ),
        connect_label=gettext_lazy("Connect a Pinterest account"),
        connect_help=gettext_lazy(
            "Pinterest asks you to sign in and to allow Hearth; the account then becomes a "
            "channel that shows its figures."
        ),
    ),
}


def provider(key: str) -> Provider:
    found = PROVIDERS.get(key)
    if found is None:
        raise OAuthError(_("There is no platform '%(key)s' to connect.") % {"key": key})
    return found


def provider_for_kind(kind: str) -> Provider | None:
    return next((p for p in PROVIDERS.values() if kind in p.kinds), None)


def app_for(workspace_id: int, provider_key: str) -> PlatformApp | None:
    """The app a workspace connects through: its own, else the instance's (for a provider that
    shares another's app, that one)."""
    known = PROVIDERS.get(provider_key)
    apps = PlatformApp.objects.filter(provider=known.app_key if known else provider_key)
    return (
        apps.filter(workspace_id=workspace_id).first()
        or apps.filter(workspace__isnull=True).first()
    )


SESSION_KEY = "hearth-oauth"
STATE_TTL_S = 15 * 60


def start(
    session: Any,
    *,
    workspace_id: int,
    app: PlatformApp,
    redirect_uri: str,
    provider_key: str = "",
) -> str:
    """The consent screen's URL; the state (and PKCE verifier) are kept in `session`.
    `provider_key` when it is not the app's own (WhatsApp through the Meta app)."""
    prov = provider(provider_key or app.provider)
    if prov.app_key != app.provider:
        raise OAuthError(
            _("This app is not one %(platform)s connects through.") % {"platform": prov.label}
        )
    state = secrets.token_urlsafe(24)
    verifier, challenge = pkce_pair() if prov.pkce else ("", "")
    pending = dict(session.get(SESSION_KEY) or {})
    # Several tabs may each run a flow; only the recent ones are kept.
    now = int(time.time())
    pending = {k: v for k, v in pending.items() if now - int(v.get("at", 0)) < STATE_TTL_S}
    pending[state] = {
        "workspace": workspace_id,
        "app": app.pk,
        "provider": prov.key,
        "verifier": verifier,
        "at": now,
    }
    session[SESSION_KEY] = pending
    return prov.authorization_url(app, redirect_uri=redirect_uri, state=state, challenge=challenge)


def take_state(session: Any, *, state: str, provider_key: str, workspace_id: int) -> dict[str, Any]:
    """The flow `state` started in this session, once (a replayed callback finds nothing)."""
    pending = dict(session.get(SESSION_KEY) or {})
    flow = pending.pop(state, None) if state else None
    session[SESSION_KEY] = pending
    if (
        not flow
        or flow.get("provider") != provider_key
        or flow.get("workspace") != workspace_id
        or int(time.time()) - int(flow.get("at", 0)) >= STATE_TTL_S
    ):
        raise OAuthError(
            _(
                "This sign-in answer does not match a connection started here (it expired, was "
                "already used or comes from another session): start the connection again."
            )
        )
    return flow


def finish(
    app: PlatformApp, flow: Mapping[str, Any], *, code: str, redirect_uri: str
) -> list[Account]:
    """Exchange the code and list the accounts; OAuthError in plain words when it fails."""
    prov = provider(str(flow.get("provider") or app.provider))
    if prov.app_key != app.provider:
        raise OAuthError(_("The app was removed meanwhile: enter it again."))
    if not code:
        raise OAuthError(_("The platform sent no authorisation code: start the connection again."))
    try:
        grant = prov.exchange(
            app, code=code, redirect_uri=redirect_uri, verifier=str(flow.get("verifier") or "")
        )
        return prov.accounts(app, grant)
    except ConnectorError as exc:
        raise OAuthError(
            _("%(platform)s refused the connection: %(error)s")
            % {"platform": prov.label, "error": exc}
        ) from None


def after_connect(
    provider_key: str, app: PlatformApp, accounts: list[Account], picked: list[str]
) -> list[str]:
    """The provider's follow-up on the picked accounts (`Provider.after_connect`)."""
    chosen = set(picked)
    return provider(provider_key).after_connect(
        app, [a for a in accounts if a.external_id in chosen]
    )
