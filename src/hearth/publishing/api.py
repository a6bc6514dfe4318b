"""The publishing API: posts and their variants, schedules, approvals, review links and the
crisis brake — the same actions as the calendar and `hearth post`.

Every teammate reads (VIEW); composing, scheduling and pausing need PUBLISH; approving follows
the workspace's workflow (named approvers, or APPROVE_POSTS).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from hearth.core.access import access_workspace
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Membership
from hearth.core.pagination import envelope, page
from hearth.core.permissions import Perm
from hearth.publishing.access import (
    access_media,
    access_member_message,
    access_note,
    access_post,
    access_review_link,
    access_share_permission,
    access_variant,
)
from hearth.publishing.actions import approvals, brake, library, planning, posts, publish, ugc
from hearth.publishing.models import (
    CalendarNote,
    MediaAsset,
    Post,
    PostVariant,
    ReviewLink,
    SharePermission,
)

router = Router(tags=["publishing"])


class VariantIn(Schema):
    channel_id: int
    text: str = ""
    link: str = ""
    # Library files by id ([{"asset_id": 12}], described in the library), or addresses
    # ([{"url", "alt", "type": "image" | "video"}]).
    media: list[dict[str, Any]] = []
    first_comment: str = ""


class PostIn(Schema):
    variants: list[VariantIn]
    title: str = ""
    campaign: str = ""
    labels: list[str] = []
    content_class: str = "value"  # value | engagement | promotion
    scheduled_at: datetime | None = None  # a planned time (scheduling is POST …/schedule)
    theme_id: int | None = None  # a theme of the workspace's editorial line


class VariantOut(Schema):
    id: int
    channel_id: int
    text: str
    link: str
    media: list[dict[str, Any]]
    first_comment: str
    state: str  # pending | sending | published | failed | unconfirmed | held
    detail: str  # what went wrong and what to do
    external_id: str  # the platform's id, once published
    external_url: str
    published_at: datetime | None


class CommentOut(Schema):
    author_label: str
    kind: str  # comment | changes | approve
    text: str
    step: int | None
    created_at: datetime


class PostOut(Schema):
    id: int
    title: str
    campaign: str
    labels: list[str]
    content_class: str
    state: str  # draft | in_review | approved | scheduled | publishing | published | failed | unconfirmed | held
    hold_reason: str  # paused | reauth | missed | channel
    state_detail: str
    scheduled_at: datetime | None
    review_step: int
    published_at: datetime | None
    author: str | None
    created_at: datetime
    updated_at: datetime
    variants: list[VariantOut]
    problems: list[str]  # what stops it from going out at its time (platform rules, caps)

    @staticmethod
    def resolve_author(obj: Post) -> str | None:
        return obj.author.email if obj.author else None

    @staticmethod
    def resolve_variants(obj: Post) -> list[PostVariant]:
        return list(obj.variants.all())

    @staticmethod
    def resolve_problems(obj: Post) -> list[str]:
        return posts.post_problems(obj) if obj.is_editable else []


class PostDetail(PostOut):
    comments: list[CommentOut]

    @staticmethod
    def resolve_comments(obj: Post) -> list[Any]:
        return list(obj.comments.all())


class PostPage(Schema):
    items: list[PostOut]
    next_cursor: str | None


class ScheduleIn(Schema):
    scheduled_at: datetime


class DecisionIn(Schema):
    text: str = ""


class ConfirmIn(Schema):
    external_id: str = ""
    url: str = ""


class StepIn(Schema):
    name: str
    approver_ids: list[int] = []
    by_client: bool = False


class ApprovalsIn(Schema):
    mode: str  # none | one | multi
    steps: list[StepIn] = []


class StepOut(Schema):
    name: str
    approver_ids: list[int]
    by_client: bool


class ApprovalsOut(Schema):
    mode: str
    steps: list[StepOut]
    max_promotion_share: float
    paused_at: datetime | None


class ReviewLinkIn(Schema):
    name: str
    post_ids: list[int]
    days: int = 14


class LinkOut(Schema):
    id: int
    name: str
    post_ids: list[int]
    expires_at: datetime
    revoked_at: datetime | None
    url: str | None  # only in the answer that creates it

    @staticmethod
    def resolve_post_ids(obj: ReviewLink) -> list[int]:
        return [p.pk for p in obj.posts.all()]

    @staticmethod
    def resolve_url(obj: ReviewLink) -> str | None:
        return getattr(obj, "new_url", None)


class PauseIn(Schema):
    reason: str = ""


class BrakeOut(Schema):
    paused: bool
    held: list[int]  # the posts the pause holds


def _membership(request: HttpRequest, slug: str, perm: Perm = Perm.VIEW) -> Membership:
    return access_workspace(request.user, slug, perm)


def _by(request: HttpRequest) -> Actor:
    return Actor.from_request(request, via="api")


def _data(data: PostIn) -> posts.PostIn:
    return posts.PostIn(
        variants=[posts.VariantIn(**v.dict()) for v in data.variants],
        title=data.title,
        campaign=data.campaign,
        labels=list(data.labels),
        content_class=data.content_class,
        scheduled_at=data.scheduled_at,
        theme_id=data.theme_id,
    )


def _fresh(post: Post) -> Post:
    return (
        Post.objects.select_related("author")
        .prefetch_related("variants", "comments")
        .get(pk=post.pk)
    )


@router.get("/workspaces/{slug}/posts", response=PostPage)
def list_posts(
    request: HttpRequest,
    slug: str,
    state: str | None = None,
    channel: int | None = None,
    campaign: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """The workspace's posts, last changed first; filter by state, channel or campaign."""
    membership = _membership(request, slug)
    qs = (
        Post.objects.filter(workspace=membership.workspace)
        .select_related("author")
        .prefetch_related("variants")
    )
    if state:
        qs = qs.filter(state=state)
    if channel:
        qs = qs.filter(variants__channel_id=channel)
    if campaign:
        qs = qs.filter(campaign=campaign)
    rows, next_cursor = page(qs, field="updated_at", cursor=cursor, limit=limit)
    return envelope(rows, next_cursor)


@router.post("/workspaces/{slug}/posts", response={201: PostDetail})
def create_post(request: HttpRequest, slug: str, data: PostIn) -> Status[Post]:
    membership = _membership(request, slug, Perm.PUBLISH)
    post = posts.create_post(membership.workspace, _data(data), by=_by(request))
    return Status(201, _fresh(post))


@router.get("/workspaces/{slug}/posts/{post_id}", response=PostDetail)
def get_post(request: HttpRequest, slug: str, post_id: int) -> Post:
    return _fresh(access_post(_membership(request, slug), post_id))


@router.put("/workspaces/{slug}/posts/{post_id}", response=PostDetail)
def update_post(request: HttpRequest, slug: str, post_id: int, data: PostIn) -> Post:
    membership = _membership(request, slug)
    post = access_post(membership, post_id, Perm.PUBLISH)
    return _fresh(posts.update_post(post, _data(data), by=_by(request)))


@router.delete("/workspaces/{slug}/posts/{post_id}", response={204: None})
def delete_post(request: HttpRequest, slug: str, post_id: int) -> Status[None]:
    post = access_post(_membership(request, slug), post_id, Perm.PUBLISH)
    posts.delete_post(post, by=_by(request))
    return Status(204, None)


@router.post("/workspaces/{slug}/posts/{post_id}/schedule", response=PostDetail)
def schedule_post(request: HttpRequest, slug: str, post_id: int, data: ScheduleIn) -> Post:
    """Plan (or move) the post; every platform rule and hourly cap is checked (400 says why)."""
    post = access_post(_membership(request, slug), post_id, Perm.PUBLISH)
    return _fresh(posts.schedule_post(post, data.scheduled_at, by=_by(request)))


@router.post("/workspaces/{slug}/posts/{post_id}/unschedule", response=PostDetail)
def unschedule_post(request: HttpRequest, slug: str, post_id: int) -> Post:
    post = access_post(_membership(request, slug), post_id, Perm.PUBLISH)
    return _fresh(posts.unschedule_post(post, by=_by(request)))


@router.post("/workspaces/{slug}/posts/{post_id}/submit", response=PostDetail)
def submit_post(request: HttpRequest, slug: str, post_id: int) -> Post:
    post = access_post(_membership(request, slug), post_id, Perm.PUBLISH)
    return _fresh(approvals.submit_for_review(post, by=_by(request)))


@router.post("/workspaces/{slug}/posts/{post_id}/approve", response=PostDetail)
def approve_post(request: HttpRequest, slug: str, post_id: int, data: DecisionIn) -> Post:
    post = access_post(_membership(request, slug), post_id)
    return _fresh(approvals.approve_post(post, by=_by(request), text=data.text))


@router.post("/workspaces/{slug}/posts/{post_id}/request-changes", response=PostDetail)
def request_changes(request: HttpRequest, slug: str, post_id: int, data: DecisionIn) -> Post:
    post = access_post(_membership(request, slug), post_id)
    return _fresh(approvals.request_changes(post, by=_by(request), text=data.text))


@router.post("/workspaces/{slug}/posts/{post_id}/comments", response={201: CommentOut})
def comment(request: HttpRequest, slug: str, post_id: int, data: DecisionIn) -> Status[Any]:
    post = access_post(_membership(request, slug), post_id)
    return Status(201, approvals.comment_on_post(post, by=_by(request), text=data.text))


@router.post("/workspaces/{slug}/variants/{variant_id}/confirm", response=VariantOut)
def confirm_variant(
    request: HttpRequest, slug: str, variant_id: int, data: ConfirmIn
) -> PostVariant:
    """An unconfirmed variant is on the platform after all (a person checked the account)."""
    variant = access_variant(_membership(request, slug), variant_id)
    return publish.confirm_published(
        variant, by=_by(request), external_id=data.external_id, url=data.url
    )


@router.post("/workspaces/{slug}/variants/{variant_id}/send-again", response=VariantOut)
def send_again(request: HttpRequest, slug: str, variant_id: int) -> PostVariant:
    variant = access_variant(_membership(request, slug), variant_id)
    return publish.send_again(variant, by=_by(request))


@router.get("/workspaces/{slug}/publishing/approvals", response=ApprovalsOut)
def get_approvals(request: HttpRequest, slug: str) -> dict[str, Any]:
    membership = _membership(request, slug)
    settings = posts.publishing_settings(membership.workspace)
    return {
        "mode": settings.approval_mode,
        "steps": [
            {
                "name": s.name,
                "approver_ids": [u.pk for u in s.approvers.all()],
                "by_client": s.by_client,
            }
            for s in approvals.steps_of(membership.workspace)
        ],
        "max_promotion_share": settings.max_promotion_share,
        "paused_at": settings.paused_at,
    }


@router.put("/workspaces/{slug}/publishing/approvals", response=ApprovalsOut)
def set_approvals(request: HttpRequest, slug: str, data: ApprovalsIn) -> dict[str, Any]:
    membership = _membership(request, slug)
    approvals.configure_approvals(
        membership.workspace, data.mode, [s.dict() for s in data.steps], by=_by(request)
    )
    return get_approvals(request, slug)


@router.post("/workspaces/{slug}/publishing/review-links", response={201: LinkOut})
def create_link(request: HttpRequest, slug: str, data: ReviewLinkIn) -> Status[ReviewLink]:
    """A review link for a client; its `url` is in this answer only."""
    membership = _membership(request, slug)
    chosen = [access_post(membership, i) for i in data.post_ids]
    link, token = approvals.create_review_link(
        membership.workspace, data.name, chosen, by=_by(request), days=data.days
    )
    link.new_url = request.build_absolute_uri(reverse("publishing:review", args=[token]))  # type: ignore[attr-defined]  # read by LinkOut, once
    return Status(201, link)


@router.post("/workspaces/{slug}/publishing/review-links/{link_id}/revoke", response=LinkOut)
def revoke_link(request: HttpRequest, slug: str, link_id: int) -> ReviewLink:
    link = access_review_link(_membership(request, slug), link_id)
    return approvals.revoke_review_link(link, by=_by(request))


@router.post("/workspaces/{slug}/publishing/pause", response=BrakeOut)
def pause(request: HttpRequest, slug: str, data: PauseIn) -> dict[str, Any]:
    """The crisis brake: nothing is published and scheduled posts are held until resumed."""
    membership = _membership(request, slug, Perm.PUBLISH)
    brake.pause_publishing(membership.workspace, by=_by(request), reason=data.reason)
    return {"paused": True, "held": [p.pk for p in brake.held_by_pause(membership.workspace)]}


@router.post("/workspaces/{slug}/publishing/resume", response=BrakeOut)
def resume(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Lift the brake; `held` lists the posts still held, to reschedule (…/schedule) or drop."""
    membership = _membership(request, slug, Perm.PUBLISH)
    held = brake.resume_publishing(membership.workspace, by=_by(request))
    return {"paused": False, "held": [p.pk for p in held]}


@router.post("/workspaces/{slug}/posts/{post_id}/drop", response=PostDetail)
def drop(request: HttpRequest, slug: str, post_id: int) -> Post:
    """After a pause: the held post will not go out (back to the drafts)."""
    post = access_post(_membership(request, slug), post_id, Perm.PUBLISH)
    return _fresh(brake.drop_held(post, by=_by(request)))


# Sharing members' content (user-generated content) ----------------------------------------


class ShareOut(Schema):
    id: int
    message_id: int
    credit: str  # how the member is credited
    state: str  # requested | granted | refused
    requested_by: str | None
    requested_at: datetime
    answered_at: datetime | None
    answer: str  # the member's words, or who recorded the answer
    post_ids: list[int]  # the posts made under this permission

    @staticmethod
    def resolve_requested_by(obj: SharePermission) -> str | None:
        return obj.requested_by.email if obj.requested_by else None

    @staticmethod
    def resolve_post_ids(obj: SharePermission) -> list[int]:
        return [p.pk for p in obj.posts.all()]


class SharePage(Schema):
    items: list[ShareOut]
    next_cursor: str | None


class AskIn(Schema):
    message_id: int  # a member's message (from the inbox)
    text: str = ""  # the request; empty: the default, in the member's language


class AnswerIn(Schema):
    granted: bool
    note: str = ""  # where the answer was given (an e-mail, a call)


class RepostIn(Schema):
    channel_ids: list[int]
    comment: str = ""  # a line of the brand's own before the member's words


def _share_qs() -> Any:
    return SharePermission.objects.select_related("requested_by").prefetch_related("posts")


@router.get("/workspaces/{slug}/ugc", response=SharePage)
def list_shares(
    request: HttpRequest,
    slug: str,
    state: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """Permissions asked to members to re-post their content, newest first."""
    membership = _membership(request, slug)
    qs = _share_qs().filter(workspace=membership.workspace)
    if state:
        qs = qs.filter(state=state)
    rows, next_cursor = page(qs, field="requested_at", cursor=cursor, limit=limit)
    return envelope(rows, next_cursor)


@router.post("/workspaces/{slug}/ugc", response={201: ShareOut})
def ask_share(request: HttpRequest, slug: str, data: AskIn) -> Status[SharePermission]:
    """Ask the member permission to re-post their message (sent as a DM, else a reply); asking
    twice gives the same permission."""
    membership = _membership(request, slug, Perm.PUBLISH)
    message = access_member_message(membership, data.message_id)
    permission = ugc.ask_permission_to_share(message, by=_by(request), text=data.text)
    return Status(201, _share_qs().get(pk=permission.pk))


@router.get("/workspaces/{slug}/ugc/{permission_id}", response=ShareOut)
def get_share(request: HttpRequest, slug: str, permission_id: int) -> SharePermission:
    permission = access_share_permission(_membership(request, slug), permission_id, Perm.VIEW)
    return _share_qs().get(pk=permission.pk)


@router.post("/workspaces/{slug}/ugc/{permission_id}/answer", response=ShareOut)
def answer_share(
    request: HttpRequest, slug: str, permission_id: int, data: AnswerIn
) -> SharePermission:
    """Record the member's answer given elsewhere (their yes or no in the thread is read by
    Hearth itself)."""
    permission = access_share_permission(_membership(request, slug), permission_id)
    ugc.record_answer(permission, data.granted, by=_by(request), note=data.note)
    return _share_qs().get(pk=permission.pk)


@router.post("/workspaces/{slug}/ugc/{permission_id}/repost", response={201: PostDetail})
def repost_share(
    request: HttpRequest, slug: str, permission_id: int, data: RepostIn
) -> Status[Post]:
    """A draft re-posting the member's message with credit: only once they said yes (400
    otherwise)."""
    permission = access_share_permission(_membership(request, slug), permission_id)
    post = ugc.post_from_member(
        permission, list(data.channel_ids), by=_by(request), comment=data.comment
    )
    return Status(201, _fresh(post))


# The media library -------------------------------------------------------------------------


class MediaOut(Schema):
    id: int  # attach it to a variant as {"asset_id": id}
    name: str
    kind: str  # image | video
    content_type: str  # found in the file's bytes
    size: int
    width: int | None
    height: int | None
    alt_text: str  # empty: describe it before a post using it can be scheduled
    created_at: datetime


class AltIn(Schema):
    alt_text: str


@router.get("/workspaces/{slug}/media", response=list[MediaOut])
def list_media(request: HttpRequest, slug: str) -> list[MediaAsset]:
    """The workspace's media library, newest first (at most 500)."""
    membership = _membership(request, slug)
    return list(MediaAsset.objects.filter(workspace=membership.workspace)[:500])


@router.post("/workspaces/{slug}/media", response={201: MediaOut})
def upload_media(
    request: HttpRequest,
    slug: str,
    file: File[UploadedFile],
    alt_text: Form[str] = "",
) -> Status[MediaAsset]:
    """Upload an image (JPEG, PNG, GIF, WebP) or video (MP4, MOV, WebM) as multipart form data;
    its type is read from its bytes. The same file twice gives the same asset."""
    membership = _membership(request, slug, Perm.PUBLISH)
    if file.file is None:
        raise ActionError(_("Choose a file to upload."))
    asset = library.upload_media(
        membership.workspace,
        file.file,
        name=file.name or "",
        size=file.size or 0,
        alt_text=alt_text,
        by=_by(request),
    )
    return Status(201, asset)


@router.put("/workspaces/{slug}/media/{asset_id}", response=MediaOut)
def describe_media(request: HttpRequest, slug: str, asset_id: int, data: AltIn) -> MediaAsset:
    asset = access_media(_membership(request, slug), asset_id, Perm.PUBLISH)
    return library.set_alt_text(asset, data.alt_text, by=_by(request))


# The queue, and notes and key dates ------------------------------------------------------------


class QueuedOut(Schema):
    id: int
    channel_id: int
    scheduled_at: datetime | None
    state: str


@router.post("/workspaces/{slug}/posts/{post_id}/queue", response=list[QueuedOut])
def queue_post(request: HttpRequest, slug: str, post_id: int) -> list[dict[str, Any]]:
    """Plan the post at the next free slot of its channel (a post for several channels is split
    into one post per channel, each at its own channel's next free slot)."""
    membership = _membership(request, slug)
    placed = planning.queue_post(access_post(membership, post_id, Perm.PUBLISH), by=_by(request))
    return [
        {
            "id": p.pk,
            "channel_id": p.variants.get().channel_id,
            "scheduled_at": p.scheduled_at,
            "state": p.state,
        }
        for p in placed
    ]


class CalendarNoteIn(Schema):
    title: str
    starts_on: date
    ends_on: date | None = None  # empty: one day
    kind: str = "note"  # event | launch | holiday | note
    text: str = ""


class CalendarNoteOut(Schema):
    id: int
    title: str
    kind: str
    starts_on: date
    ends_on: date
    text: str


@router.get("/workspaces/{slug}/publishing/notes", response=list[CalendarNoteOut])
def list_notes(request: HttpRequest, slug: str, since: date | None = None) -> list[CalendarNote]:
    """Notes and key dates (ending on or after `since`, when given), 500 at most."""
    found = CalendarNote.objects.filter(workspace=_membership(request, slug).workspace)
    if since is not None:
        found = found.filter(ends_on__gte=since)
    return list(found[:500])


@router.post("/workspaces/{slug}/publishing/notes", response={201: CalendarNoteOut})
def create_note(request: HttpRequest, slug: str, data: CalendarNoteIn) -> Status[CalendarNote]:
    membership = _membership(request, slug, Perm.PUBLISH)
    note = planning.create_note(
        membership.workspace,
        planning.NoteIn(data.title, data.starts_on, data.ends_on, data.kind, data.text),
        by=_by(request),
    )
    return Status(201, note)


@router.delete("/workspaces/{slug}/publishing/notes/{note_id}", response={204: None})
def delete_note(request: HttpRequest, slug: str, note_id: int) -> Status[None]:
    note = access_note(_membership(request, slug), note_id)
    planning.delete_note(note, by=_by(request))
    return Status(204, None)
