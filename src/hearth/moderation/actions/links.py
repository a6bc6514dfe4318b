"""The links Hearth puts in what it sends: netiquette articles, signed appeal links, the queue.

They are absolute when `HEARTH_PUBLIC_URL` is set (messages leave Hearth), relative otherwise.
An appeal link is the member's only credential: signed, bound to the sanction and its
workspace, valid APPEAL_MAX_AGE.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from hearth.core.models import Workspace
from hearth.moderation.models import Sanction

APPEAL_SALT = "hearth.moderation.appeal"
APPEAL_MAX_AGE = timedelta(days=60)


def public_url(path: str) -> str:
    """`path` (from `reverse`) prefixed with the installation's public address, if set."""
    return getattr(settings, "HEARTH_PUBLIC_URL", "").rstrip("/") + path


def article_url(workspace: Workspace, article: str, lang: str = "en") -> str:
    """The public netiquette page of `workspace` in `lang`, at the article's anchor."""
    return public_url(
        reverse("netiquette_public", args=[workspace.slug]) + f"?lang={lang}#article-{article}"
    )


def appeal_token(sanction: Sanction) -> str:
    """The signed token of the sanction's appeal link (checked by `sanction_from_token`)."""
    return signing.dumps(
        {"s": sanction.pk, "w": sanction.workspace_id}, salt=APPEAL_SALT, compress=True
    )


def appeal_url(sanction: Sanction) -> str:
    """The public appeal form of the sanction, sent to the member with the sanction's notice."""
    return public_url(reverse("moderation_appeal", args=[appeal_token(sanction)]))


def sanction_from_token(token: str) -> Sanction:
    """The sanction an appeal link was signed for; LookupError for a forged or expired link."""
    try:
        data = signing.loads(token, salt=APPEAL_SALT, max_age=APPEAL_MAX_AGE)
    except signing.BadSignature:
        raise LookupError("This appeal link is not valid or has expired.") from None
    sanction = (
        Sanction.objects.select_related("workspace", "author", "message__channel")
        .filter(pk=data.get("s"), workspace_id=data.get("w"))
        .first()
    )
    if sanction is None:
        raise LookupError("This appeal link is not valid or has expired.")
    return sanction
