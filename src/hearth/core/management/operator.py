"""The CLI acts as the installation's operator, or as a named teammate with `--as EMAIL`."""

from __future__ import annotations

from django.core.management.base import CommandError

from hearth.core.models import Membership, Workspace
from hearth.core.permissions import Perm


def check_operator(email: str | None, workspace: Workspace, perm: Perm) -> None:
    """With `--as EMAIL`, refuse unless that teammate holds `perm` in `workspace`."""
    if email is None:
        return
    membership = Membership.objects.filter(
        user__email=email.strip().lower(), workspace=workspace
    ).first()
    if membership is None:
        raise CommandError(f"{email} is not a member of workspace '{workspace.slug}'.")
    if not membership.can(perm):
        raise CommandError(
            f"{email} is {membership.role} of '{workspace.slug}' and may not do this ({perm.value})."
        )
