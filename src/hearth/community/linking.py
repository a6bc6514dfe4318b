"""The rules that say two identities are one person, each with its confidence.

| rule | evidence | confidence | effect |
|---|---|---|---|
| `verified_email` | both identities carry the same e-mail, verified by the platform | 0.99 | linked |
| `explicit` | one identity's profile declares the other (`mastodon:@ana`) | 0.95 | linked |
| `handle_name` | same handle on two platforms **and** the same display name | 0.85 | linked |
| `email` | same e-mail, not verified on both sides | 0.70 | suggested |
| `handle` | same handle on two platforms, names differ or are missing | 0.50 | suggested |
| `name` | same display name of at least two words, handles differ | 0.30 | suggested |

Guards against false merges: two identities on the same channel are never linked automatically
(one person may run two accounts there, but two people often share a first name); handles
shorter than `MIN_HANDLE` characters and display names that are empty never count; the brand's
own accounts are never linked. Anything below `AUTO_LINK` is only suggested.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.db.models import Q

from hearth.community.models import Identity
from hearth.conversations.models import Author

AUTO_LINK = 0.8
MIN_HANDLE = 3

CONFIDENCE = {
    "verified_email": 0.99,
    "explicit": 0.95,
    "handle_name": 0.85,
    "email": 0.70,
    "handle": 0.50,
    "name": 0.30,
}


@dataclass(frozen=True)
class Candidate:
    author_id: int
    member_id: int
    rule: str
    confidence: float

    @property
    def automatic(self) -> bool:
        return self.confidence >= AUTO_LINK


def norm_handle(handle: str) -> str:
    """'@Ana@mastodon.social' → 'ana': the local part, without '@', lowercased."""
    h = handle.strip().lstrip("@").split("@")[0].casefold()
    return h if len(h) >= MIN_HANDLE else ""


def norm_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text).strip().casefold()


def _handle_variants(handles: set[str]) -> set[str]:
    return {h for n in handles for h in (n, f"@{n}")}


def candidates(author: Author, identity: Identity | None = None) -> list[Candidate]:
    """Other members `author` may be, best first (one candidate per other author)."""
    if author.is_brand:
        return []
    identity = identity or Identity.objects.filter(author=author).first()
    member_id = identity.member_id if identity else None
    kind = author.channel.kind
    handle, name = norm_handle(author.handle), norm_name(author.display_name)
    cond = Q()
    if handle:
        cond |= Q(handle__in=_handle_variants({handle}))
    if name:
        cond |= Q(display_name__iexact=author.display_name.strip())
    email = identity.email.casefold() if identity and identity.email else ""
    if email:
        cond |= Q(identity__email=email)
    declared: dict[str, set[str]] = {}
    for entry in identity.declared if identity else []:
        k, _, h = str(entry).partition(":")
        if norm_handle(h):
            declared.setdefault(k.strip().lower(), set()).add(norm_handle(h))
    for names in declared.values():
        cond |= Q(handle__in=_handle_variants(names))
    if not cond:
        return []
    others = (
        Author.objects.filter(cond, workspace_id=author.workspace_id, is_brand=False)
        .exclude(pk=author.pk)
        .select_related("channel", "identity")[:50]
    )
    found: list[Candidate] = []
    for other in others:
        oid = getattr(other, "identity", None)
        if oid is None or oid.member_id == member_id:
            continue
        same_channel = other.channel_id == author.channel_id
        rule = _rule(author, identity, other, oid, handle, name, email, declared, same_channel)
        if rule:
            confidence = CONFIDENCE[rule]
            if same_channel:
                confidence = min(confidence, AUTO_LINK - 0.01)
            found.append(Candidate(other.pk, oid.member_id, rule, confidence))
    found.sort(key=lambda c: -c.confidence)
    del kind
    return found


def _rule(
    author: Author,
    identity: Identity | None,
    other: Author,
    oid: Identity,
    handle: str,
    name: str,
    email: str,
    declared: dict[str, set[str]],
    same_channel: bool,
) -> str:
    if email and oid.email == email:
        if identity is not None and identity.email_verified and oid.email_verified:
            return "verified_email"
        return "email"
    other_handle = norm_handle(other.handle)
    if other_handle and other_handle in declared.get(other.channel.kind, set()):
        return "explicit"
    mine = f"{author.channel.kind}:"
    for entry in oid.declared:
        k, _, h = str(entry).partition(":")
        if f"{k.strip().lower()}:" == mine and norm_handle(h) == handle and handle:
            return "explicit"
    same_handle = bool(handle) and other_handle == handle
    same_name = bool(name) and norm_name(other.display_name) == name
    if same_handle and same_name and not same_channel:
        return "handle_name"
    if same_handle:
        return "handle"
    if same_name and " " in name:
        return "name"
    return ""
