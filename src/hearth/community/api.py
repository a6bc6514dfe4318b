"""Community API: members (list, detail, profile, merge/unmerge, evidence, export, erase),
segments and their thresholds. Every route is scoped to the workspace in its path."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from hearth.community import profile as reads
from hearth.community.access import access_member, access_merge
from hearth.community.actions.gdpr import erase_member, export_member, summary
from hearth.community.actions.linking import merge_members, record_evidence, unmerge
from hearth.community.actions.profile import set_consent, update_profile
from hearth.community.actions.settings import THRESHOLDS, configure_segments
from hearth.community.members import identities_of
from hearth.community.models import SEGMENTS, Member, MergeRecord
from hearth.community.segments import community_settings, shape
from hearth.conversations.models import Author
from hearth.core.access import access_scoped, access_workspace
from hearth.core.actors import Actor
from hearth.core.models import Membership
from hearth.core.pagination import page
from hearth.core.permissions import Perm

router = Router(tags=["community"])


def _ws(request: HttpRequest, slug: str, perm: Perm = Perm.VIEW) -> Membership:
    return access_workspace(request.user, slug, perm)


def _by(request: HttpRequest) -> Actor:
    return Actor.from_request(request, via="api")


class CommunityMemberOut(Schema):
    id: int
    display_name: str
    person_key: str
    segments: list[str]
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    message_count: int
    influence: float
    followers: int
    tags: list[str]


class CommunityIdentityOut(Schema):
    author_id: int
    channel_id: int
    channel_kind: str
    handle: str
    display_name: str
    message_count: int


class CommunityMemberDetail(CommunityMemberOut):
    notes: str
    consent: dict[str, Any]
    identities: list[CommunityIdentityOut]


class CommunityMemberPage(Schema):
    items: list[CommunityMemberOut]
    next_cursor: str | None


class CommunityProfileIn(Schema):
    tags: list[str] | None = None
    notes: str | None = None


class CommunityConsentIn(Schema):
    consent: str
    given: bool
    source: str = ""


class CommunityMergeIn(Schema):
    other_id: int


class CommunityMergeOut(Schema):
    id: int
    target_id: int
    author_ids: list[int]
    rule: str
    merged_at: datetime
    undone_at: datetime | None


class CommunityEvidenceIn(Schema):
    email: str | None = None
    email_verified: bool = False
    declared: list[str] | None = None
    followers: int | None = None


class CommunityThresholdsIn(Schema):
    newcomer_days: int | None = None
    creator_min_posts: int | None = None
    contributor_min_replies: int | None = None
    champion_min_messages: int | None = None
    champion_min_positive_share: int | None = None
    champion_active_days: int | None = None
    at_risk_drop_percent: int | None = None
    at_risk_negative_share: int | None = None
    influencer_top_percent: int | None = None
    influencer_min_followers: int | None = None
    audience_size: int | None = None


class CommunityCandidateOut(Schema):
    author_id: int
    member_id: int
    rule: str
    confidence: float
    automatic: bool


def _detail(member: Member) -> dict[str, Any]:
    return {
        **CommunityMemberOut.from_orm(member).model_dump(),
        "notes": member.notes,
        "consent": member.consent,
        "identities": [
            {
                "author_id": a.pk,
                "channel_id": a.channel_id,
                "channel_kind": a.channel.kind,
                "handle": a.handle,
                "display_name": a.display_name,
                "message_count": a.message_count,
            }
            for a in identities_of(member)
        ],
    }


@router.get("/workspaces/{slug}/community/members", response=CommunityMemberPage)
def list_members(
    request: HttpRequest,
    slug: str,
    q: str = "",
    segment: str = "",
    channel: int | None = None,
    tag: str = "",
    cursor: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """Members, most recently seen first; `segment` is one of creator, contributor, newcomer,
    champion, at_risk, influencer."""
    membership = _ws(request, slug)
    if segment and segment not in SEGMENTS:
        raise HttpError(400, f"segment must be one of {', '.join(SEGMENTS)}.")
    f = reads.MemberFilters.parse(
        {"q": q, "segment": segment, "channel": channel or "", "tag": tag}
    )
    rows, next_cursor = page(
        reads.members_list(membership.workspace_id, f).exclude(last_seen_at=None),
        field="last_seen_at",
        cursor=cursor,
        limit=limit,
    )
    return {"items": rows, "next_cursor": next_cursor}


@router.get("/workspaces/{slug}/community/members/{member_id}", response=CommunityMemberDetail)
def get_member(request: HttpRequest, slug: str, member_id: int) -> dict[str, Any]:
    return _detail(access_member(_ws(request, slug), member_id))


@router.patch("/workspaces/{slug}/community/members/{member_id}", response=CommunityMemberDetail)
def patch_member(request: HttpRequest, slug: str, member_id: int, body: CommunityProfileIn) -> Any:
    member = access_member(_ws(request, slug), member_id, Perm.REPLY)
    return _detail(update_profile(member, by=_by(request), tags=body.tags, notes=body.notes))


@router.post(
    "/workspaces/{slug}/community/members/{member_id}/consent", response=CommunityMemberDetail
)
def post_consent(request: HttpRequest, slug: str, member_id: int, body: CommunityConsentIn) -> Any:
    member = access_member(_ws(request, slug), member_id, Perm.REPLY)
    return _detail(
        set_consent(member, body.consent, body.given, by=_by(request), source=body.source)
    )


@router.post("/workspaces/{slug}/community/members/{member_id}/merge", response=CommunityMergeOut)
def post_merge(
    request: HttpRequest, slug: str, member_id: int, body: CommunityMergeIn
) -> MergeRecord:
    """Merge the member `other_id` into this one (undo with /community/merges/{id}/undo)."""
    membership = _ws(request, slug)
    target = access_member(membership, member_id, Perm.MODERATE)
    source = access_member(membership, body.other_id, Perm.MODERATE)
    return merge_members(target, source, by=_by(request))


@router.post("/workspaces/{slug}/community/merges/{merge_id}/undo", response=CommunityMemberDetail)
def post_unmerge(request: HttpRequest, slug: str, merge_id: int) -> Any:
    record = access_merge(_ws(request, slug), merge_id)
    return _detail(unmerge(record, by=_by(request)))


@router.post(
    "/workspaces/{slug}/community/authors/{author_id}/evidence",
    response=list[CommunityCandidateOut],
)
def post_evidence(
    request: HttpRequest, slug: str, author_id: int, body: CommunityEvidenceIn
) -> Any:
    """What a platform or the member says about an identity; strong evidence links at once."""
    author = access_scoped(
        Author.objects.select_related("channel"),
        _ws(request, slug),
        author_id,
        Perm.MODERATE,
        what="author",
    )
    found = record_evidence(
        author,
        by=_by(request),
        email=body.email,
        email_verified=body.email_verified,
        declared=body.declared,
        followers=body.followers,
    )
    return [c.__dict__ | {"automatic": c.automatic} for c in found]


@router.get("/workspaces/{slug}/community/members/{member_id}/export")
def get_export(request: HttpRequest, slug: str, member_id: int) -> dict[str, Any]:
    """Everything Hearth holds about the member (`summary` is the readable version)."""
    member = access_member(_ws(request, slug, Perm.VIEW_ANALYTICS), member_id, Perm.VIEW_ANALYTICS)
    data = export_member(member, by=_by(request))
    return data | {"summary": summary(data)}


@router.delete("/workspaces/{slug}/community/members/{member_id}", response={200: dict[str, Any]})
def delete_member(
    request: HttpRequest, slug: str, member_id: int, policy: str | None = None
) -> dict[str, Any]:
    """Erase the member (owner only); `policy` pseudonymise | delete, default the workspace's."""
    member = access_member(_ws(request, slug), member_id, Perm.MANAGE_WORKSPACE)
    return erase_member(member, by=_by(request), policy=policy)


@router.get("/workspaces/{slug}/community/segments")
def get_segments(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Members per segment and the community's shape against the 1/9/90 rule."""
    workspace = _ws(request, slug, Perm.VIEW_ANALYTICS).workspace
    base = Member.objects.filter(workspace=workspace)
    result = shape(workspace)
    last = result["last"]
    return {
        "segments": {s: base.filter(**{f"is_{s}": True}).count() for s in SEGMENTS},
        "members": base.count(),
        "shape": {
            "shares": result["shares"],
            "rule": result["rule"],
            "trend": [
                {
                    "day": s.day.isoformat(),
                    "creators": s.creators,
                    "contributors": s.contributors,
                    "lurkers": s.lurkers,
                    "audience": s.audience,
                    # "settings" (set by hand), "followers" (the channels' counts), "" (unknown)
                    "audience_source": s.audience_source,
                }
                for s in result["trend"]  # type: ignore[attr-defined]
            ],
            "computed": last is not None,
        },
    }


@router.get("/workspaces/{slug}/community/settings")
def get_settings(request: HttpRequest, slug: str) -> dict[str, Any]:
    cfg = community_settings(_ws(request, slug).workspace)
    return {f: getattr(cfg, f) for f in THRESHOLDS} | {
        "erase_policy": cfg.erase_policy,
        "retention_days": cfg.retention_days,
    }


@router.put("/workspaces/{slug}/community/settings")
def put_settings(request: HttpRequest, slug: str, body: CommunityThresholdsIn) -> dict[str, Any]:
    """Thresholds of the segments (any subset); a value out of bounds is a 400 naming the field."""
    membership = _ws(request, slug, Perm.MANAGE_CHANNELS)
    cfg = configure_segments(
        membership.workspace, by=_by(request), values=body.model_dump(exclude_none=True)
    )
    return {f: getattr(cfg, f) for f in THRESHOLDS}
