"""Write paths of the core: workspaces, teammates, roles, API tokens."""

from __future__ import annotations

import re

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from hearth.core import audit
from hearth.core.actors import Actor
from hearth.core.models import ApiToken, Membership, User, Workspace
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


def check_password_strength(password: str, user: User | None = None) -> None:
    """Django's password validators (settings.AUTH_PASSWORD_VALIDATORS), for every door."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ActionError(" ".join(str(m) for m in exc.messages)) from None


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
    if password:
        check_password_strength(password, user or User(email=email))
    created = user is None
    if user is None:
        first, _, last = name.partition(" ")
        user = User.objects.create_user(email, password, first_name=first, last_name=last)
    elif password:
        from hearth.core.accounts import set_password

        set_password(user, password, by=by)
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


def create_api_token(user: User, *, name: str, by: Actor) -> tuple[ApiToken, str]:
    """An unscoped token (all the user's workspaces, read-write, no expiry): the tests' and the
    operator's; teammates issue scoped ones (`hearth.core.tokens.create_api_token`)."""
    from hearth.core.tokens import create_api_token as create

    return create(user, name=name, by=by, days=None)


def authenticate_token(raw: str) -> User | None:
    from hearth.core.tokens import authenticate_api_token

    token = authenticate_api_token(raw)
    return token.user if token is not None else None
