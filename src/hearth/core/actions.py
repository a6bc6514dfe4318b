"""Write paths of the core: workspaces, teammates, roles, API tokens."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from hearth.core import audit
from hearth.core.actors import Actor
from hearth.core.models import ApiToken, Membership, User, Workspace, hash_token
from hearth.core.permissions import Role

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")


class ActionError(ValueError):
    """A request that cannot be carried out; the message is shown to the user as is."""


def check_slug(slug: str, *, field: str = "slug") -> None:
    if not SLUG_RE.match(slug):
        raise ActionError(
            f"{field} '{slug}' is not valid: use 1-50 lower-case letters, digits or dashes, "
            "starting with a letter or digit (for example 'acme-fr')."
        )


def check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ActionError(
            f"role '{role}' does not exist: choose one of {', '.join(r.value for r in Role)}."
        ) from None


@transaction.atomic
def create_workspace(slug: str, *, name: str, by: Actor, brand_name: str = "") -> Workspace:
    check_slug(slug)
    if Workspace.objects.filter(slug=slug).exists():
        raise ActionError(f"A workspace '{slug}' already exists: choose another slug.")
    workspace = Workspace.objects.create(
        slug=slug, name=name or slug, brand_name=brand_name or name or slug
    )
    audit.record(
        "workspace.create",
        by=by,
        workspace=workspace,
        target=workspace,
        data={"name": workspace.name},
    )
    return workspace


@transaction.atomic
def add_member(
    workspace: Workspace,
    email: str,
    *,
    role: str,
    by: Actor,
    password: str | None = None,
    name: str = "",
) -> Membership:
    """Give `email` the role `role` in `workspace`, creating the user if needed.

    An existing member's role is changed instead. Side effect: an audit entry.
    """
    checked_role = check_role(role)
    email = email.strip().lower()
    if "@" not in email:
        raise ActionError(f"e-mail '{email}' is not an e-mail address (expected name@domain).")
    user = User.objects.filter(email=email).first()
    created = user is None
    if user is None:
        first, _, last = name.partition(" ")
        user = User.objects.create_user(email, password, first_name=first, last_name=last)
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
    membership, _ = Membership.objects.update_or_create(
        user=user, workspace=workspace, defaults={"role": checked_role.value}
    )
    audit.record(
        "member.add" if created else "member.role",
        by=by,
        workspace=workspace,
        target=membership,
        data={"email": email, "role": checked_role.value},
    )
    return membership


@transaction.atomic
def create_api_token(user: User, *, name: str, by: Actor) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it with the raw key, which is never stored."""
    raw = ApiToken.new_raw_key()
    token = ApiToken.objects.create(
        user=user, name=name or "token", prefix=raw[4:10], key_hash=hash_token(raw)
    )
    audit.record(
        "token.create",
        by=by,
        workspace=None,
        target=token,
        data={"user": user.email, "name": token.name},
    )
    return token, raw


def authenticate_token(raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at=None)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Written at most once a minute: a busy API client must not turn every read into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
