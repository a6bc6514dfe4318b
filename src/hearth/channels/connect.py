"""Write paths of connecting through a platform's consent screen: the platform app's credentials
(`save_platform_app`) and the accounts a person picked after consenting (`connect_accounts`).

Both check their actor first and write an audit entry without any secret. The consent flow
itself (state, PKCE, token exchange, listing the accounts) is `hearth.channels.oauth`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from hearth.channels import actions
from hearth.channels.config import fields_of
from hearth.channels.models import Channel, PlatformApp
from hearth.channels.oauth import PROVIDERS, Account
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm

MAX_ID = 200


def can_share(by: Actor) -> bool:
    """Whether the actor may set an app for the whole instance (its operator, or a superuser)."""
    if by.user is None:
        return by.via in ("cli", "system")
    return bool(by.user.is_superuser)


@transaction.atomic
def save_platform_app(
    workspace: Workspace,
    *,
    provider: str,
    client_id: str,
    client_secret: str,
    by: Actor,
    instance_wide: bool = False,
    config: Mapping[str, Any] | None = None,
    webhook_secret: str = "",
    tier: str = "",
) -> PlatformApp:
    """Store (or replace) the platform app's client id and secret, for the workspace or, when
    `instance_wide`, for every workspace without its own.

    Preconditions: the actor may MANAGE_CHANNELS in `workspace` (and may share, for
    instance-wide); a known provider; a client id; a secret, unless one is stored already (left
    empty, it is kept). Side effects: the secret stored encrypted; an audit entry (no secret).
    The channels connected through the app keep working when only its id or secret changes.
    X's apps also take the consumer secret their webhooks are signed with (`webhook_secret`,
    stored encrypted; empty keeps it) and their API tier (`tier`: its monthly read cap).
    """
    check_actor(by, workspace, Perm.MANAGE_CHANNELS)
    if provider not in PROVIDERS:
        raise ActionError(
            _("provider '%(provider)s' is unknown: choose one of %(known)s.")
            % {"provider": provider, "known": ", ".join(sorted(PROVIDERS))}
        )
    # WhatsApp connects through the Meta app entered for Facebook: one app, stored once.
    provider = PROVIDERS[provider].app_key
    if instance_wide and not can_share(by):
        raise ActionError(
            _(
                "Only the instance's administrator can set an app for every workspace: save it "
                "for this workspace instead."
            )
        )
    client_id = (client_id or "").strip()
    client_secret = (client_secret or "").strip()
    if not client_id:
        raise ActionError(
            _("client_id is empty: copy the App ID from the platform's developer dashboard.")
        )
    if len(client_id) > MAX_ID or any(c.isspace() for c in client_id):
        raise ActionError(
            _("client_id must be one word of at most %(n)s characters, as the platform shows it.")
            % {"n": MAX_ID}
        )
    owner = None if instance_wide else workspace
    app = PlatformApp.objects.filter(workspace=owner, provider=provider).first()
    if not client_secret and (app is None or not app.client_secret_encrypted):
        raise ActionError(
            _(
                "client_secret is empty: copy the App secret from the platform's developer dashboard."
            )
        )
    created = app is None
    if app is None:
        app = PlatformApp(workspace=owner, provider=provider)
    app.client_id = client_id
    if client_secret:
        app.set_client_secret(client_secret)
    kept = {k: v for k, v in (app.config or {}).items() if k in ("webhook_secret_encrypted",)}
    if config is not None:
        app.config = {
            **kept,
            **{k: str(v).strip() for k, v in config.items() if str(v or "").strip()},
        }
    if tier:
        from hearth.channels.connectors.x import TIERS

        if tier not in TIERS:
            raise ActionError(
                _("tier '%(tier)s' is unknown: choose one of %(known)s.")
                % {"tier": tier, "known": ", ".join(TIERS)}
            )
        app.config = {**(app.config or {}), "tier": tier}
    if webhook_secret.strip():
        app.set_webhook_secret(webhook_secret.strip())
    app.updated_at = timezone.now()
    app.save()
    audit.record(
        "platform_app.save",
        by=by,
        workspace=workspace,
        data={
            "provider": provider,
            "client_id": client_id,
            "instance_wide": instance_wide,
            "created": created,
            "secret_changed": bool(client_secret),
            "webhook_secret_changed": bool(webhook_secret.strip()),
        },
    )
    return app


def _unique_slug(workspace: Workspace, name: str) -> str:
    base = slugify(name).replace("_", "-").strip("-")[:40] or "page"
    slug, n = base, 2
    while Channel.objects.filter(workspace=workspace, slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def connect_accounts(
    workspace: Workspace,
    *,
    app: PlatformApp,
    accounts: Iterable[Account],
    picked: Iterable[str],
    by: Actor,
) -> list[Channel]:
    """Make a channel of each picked account; an account already connected in the workspace
    gets the new credentials instead (it is reconnected: "needs re-authorisation" is cleared and
    its held actions go out).

    Preconditions: the actor may MANAGE_CHANNELS; the app is the workspace's or the instance's;
    at least one account picked, among those the platform listed (ActionError otherwise).
    Side effects: channels created or updated (credentials encrypted), audit entries, and after
    commit the account is learnt and the channel synced (`actions.create_channel`).
    """
    check_actor(by, workspace, Perm.MANAGE_CHANNELS)
    if app.workspace_id not in (None, workspace.pk):
        raise ActionError(_("This app belongs to another workspace."))
    by_id = {a.external_id: a for a in accounts}
    chosen = [by_id[i] for i in dict.fromkeys(picked) if i in by_id]
    if not chosen:
        raise ActionError(_("No account picked: tick at least one of the accounts listed."))
    done: list[Channel] = []
    with transaction.atomic():
        for account in chosen:
            done.append(_connect_one(workspace, app, account, by=by))
    return done


def _connect_one(workspace: Workspace, app: PlatformApp, account: Account, *, by: Actor) -> Channel:
    # The tokens never go through the configuration's fields: they are the channel's
    # credentials only, encrypted.
    existing = Channel.objects.filter(
        workspace=workspace,
        kind=account.kind,
        deleted_at__isnull=True,
        identity__external_id=account.external_id,
    ).first() or next(
        (
            c
            for c in Channel.objects.filter(
                workspace=workspace, kind=account.kind, deleted_at__isnull=True
            )
            # Connected before by its form: a Page's id, a WhatsApp number's id.
            if account.external_id
            in (str(c.config.get("page_id") or ""), str(c.config.get("phone_number_id") or ""))
        ),
        None,
    )
    if existing is not None:
        existing.config = {**existing.config, **account.config}
        existing.set_credentials(account.credentials)
        existing.save(update_fields=["config", "credentials_encrypted"])
        audit.record(
            "channel.update",
            by=by,
            workspace=workspace,
            target=existing,
            data={"changed": ["credentials"], "name": existing.name, "via": app.provider},
        )
        actions.reconnected(existing, by=by)
        return existing
    # A platform that also has a form (WhatsApp) requires its token among the fields: the
    # consent's token fills it; the whole credentials are stored just below.
    required = {f.name for f in fields_of(account.kind) if f.secret and f.required}
    channel, _secret = actions.create_channel(
        workspace,
        name=account.name,
        slug=_unique_slug(workspace, account.name),
        kind=account.kind,
        config={**account.config, "brand_author_ids": [account.external_id]},
        credentials={k: v for k, v in account.credentials.items() if k in required} or None,
        by=by,
    )
    channel.set_credentials(account.credentials)
    # The platform just said which account this is: the brand's, known without another call.
    channel.identity = {
        "external_id": account.external_id,
        "handle": account.name,
        "display_name": account.name,
        "url": "",
        "learnt_at": timezone.now().isoformat(),
    }
    channel.save(update_fields=["credentials_encrypted", "identity"])
    return channel
