"""Two-factor authentication: a TOTP app plus single-use recovery codes (django-otp).

A user has at most one TOTP device ("authenticator app") and one static device holding ten
recovery codes; both exist only once the TOTP device is confirmed with a first code. django-otp
throttles wrong codes per device (a growing delay after each failure).
"""

from __future__ import annotations

import io

import segno
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_otp import match_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import (
    StaticDevice,
    StaticToken,
)
from django_otp.plugins.otp_totp.models import TOTPDevice

from hearth.core import audit
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Membership, User, Workspace

RECOVERY_CODES = 10


def has_2fa(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def users_with_2fa(users: QuerySet[User] | list[int]) -> set[int]:
    return set(
        TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list("user_id", flat=True)
    )


def workspaces_requiring_2fa(user: User) -> QuerySet[Workspace]:
    return Workspace.objects.filter(
        require_2fa=True, pk__in=Membership.objects.filter(user=user).values("workspace")
    )


def pending_totp(user: User) -> TOTPDevice:
    """The user's unconfirmed TOTP device, made on first call: its secret is shown as a QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL of the device as an inline SVG QR code (no external service)."""
    out = io.BytesIO()
    segno.make(device.config_url, error="m").save(
        out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True
    )
    return out.getvalue().decode()


def _new_codes(user: User) -> list[str]:
    static, _created = StaticDevice.objects.get_or_create(
        user=user, name="recovery", defaults={"confirmed": True}
    )
    static.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return codes


@transaction.atomic
def confirm_totp(user: User, code: str, *, by: Actor) -> tuple[Device, list[str]]:
    """Turn on two-factor authentication with the first code of the user's authenticator app.

    Returns the device and the ten recovery codes (shown once, stored only in django-otp's
    table). Side effect: an audit entry.
    """
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise ActionError(_("Two-factor authentication is already on, or was not started."))
    if not device.verify_token(code.replace(" ", "").strip()):
        raise ActionError(
            _(
                "This code is not the one the app shows: check the phone's clock and type the current code."
            )
        )
    device.confirmed = True
    device.save()
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = _new_codes(user)
    audit.record("auth.2fa_on", by=by, workspace=None, target=user)
    return device, codes


@transaction.atomic
def new_recovery_codes(user: User, *, by: Actor) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working). Side effect: audit."""
    if not has_2fa(user):
        raise ActionError(_("Turn on two-factor authentication first."))
    codes = _new_codes(user)
    audit.record("auth.2fa_codes", by=by, workspace=None, target=user)
    return codes


@transaction.atomic
def disable_2fa(user: User, *, by: Actor, force: bool = False) -> None:
    """Remove the user's second factor. Refused while one of their workspaces requires it,
    unless the operator forces it (a lost phone, through the CLI). Side effect: audit."""
    required = workspaces_requiring_2fa(user).first()
    if required is not None and not force:
        raise ActionError(
            _(
                "The workspace %(name)s requires two-factor authentication: it stays on. "
                "To change phones, ask an owner to reset it with `hearth user 2fa-reset`."
            )
            % {"name": required.name}
        )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit.record("auth.2fa_off", by=by, workspace=None, target=user, data={"forced": force})


def verify_second_factor(user: User, code: str) -> Device | None:
    """The device (app or recovery code, used up) that accepts `code`, or None."""
    return match_token(user, code.replace(" ", "").strip())
