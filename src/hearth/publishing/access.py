"""Look-ups of publishing objects on request input, scoped to the member's workspace."""

from __future__ import annotations

from hearth.conversations.models import Message
from hearth.core.access import access_scoped
from hearth.core.models import Membership
from hearth.core.permissions import Perm
from hearth.publishing.models import (
    CalendarNote,
    MediaAsset,
    Post,
    PostFeed,
    PostVariant,
    ReviewLink,
    SharePermission,
    Snippet,
)


def access_post(membership: Membership | None, post_id: int | str, perm: Perm = Perm.VIEW) -> Post:
    return access_scoped(
        Post.objects.select_related("author"), membership, post_id, perm, what="post"
    )


def access_variant(
    membership: Membership | None, variant_id: int | str, perm: Perm = Perm.PUBLISH
) -> PostVariant:
    return access_scoped(
        PostVariant.objects.select_related("post", "channel", "outbox_item"),
        membership,
        variant_id,
        perm,
        what="variant",
        workspace_field="post__workspace",
    )


def access_review_link(
    membership: Membership | None, link_id: int | str, perm: Perm = Perm.APPROVE_POSTS
) -> ReviewLink:
    return access_scoped(ReviewLink, membership, link_id, perm, what="review link")


def access_member_message(
    membership: Membership | None, message_id: int | str, perm: Perm = Perm.PUBLISH
) -> Message:
    return access_scoped(
        Message.objects.select_related("author", "channel"),
        membership,
        message_id,
        perm,
        what="message",
    )


def access_share_permission(
    membership: Membership | None, permission_id: int | str, perm: Perm = Perm.PUBLISH
) -> SharePermission:
    return access_scoped(
        SharePermission.objects.select_related("message"),
        membership,
        permission_id,
        perm,
        what="permission",
    )


def access_media(
    membership: Membership | None, asset_id: int | str, perm: Perm = Perm.VIEW
) -> MediaAsset:
    return access_scoped(MediaAsset, membership, asset_id, perm, what="file")


def access_snippet(
    membership: Membership | None, snippet_id: int | str, perm: Perm = Perm.PUBLISH
) -> Snippet:
    return access_scoped(Snippet, membership, snippet_id, perm, what="snippet")


def access_feed(
    membership: Membership | None, feed_id: int | str, perm: Perm = Perm.PUBLISH
) -> PostFeed:
    return access_scoped(PostFeed, membership, feed_id, perm, what="feed")


def access_note(
    membership: Membership | None, note_id: int | str, perm: Perm = Perm.PUBLISH
) -> CalendarNote:
    return access_scoped(CalendarNote, membership, note_id, perm, what="note")
