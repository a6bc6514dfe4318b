"""Approval paths: none, one step, several steps with named approvers, requested changes,
comments, and the client review link (signed, expiring, revocable); every step audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from hearth.channels.models import Channel
from hearth.core.actions import ActionError
from hearth.core.models import AuditEvent
from hearth.publishing.actions.approvals import (
    approve_post,
    client_decides,
    comment_on_post,
    configure_approvals,
    create_review_link,
    request_changes,
    revoke_review_link,
    submit_for_review,
)
from hearth.publishing.actions.posts import (
    PostIn,
    VariantIn,
    create_post,
    schedule_post,
    update_post,
)
from hearth.publishing.models import CommentKind, Post, PostState, ReviewLink


def _draft(personas: Any, channel: Channel, *, when: Any = None, text: str = "Hello") -> Post:
    return create_post(
        personas.workspace,
        PostIn(variants=[VariantIn(channel_id=channel.pk, text=text)], scheduled_at=when),
        by=personas.actor("manager"),
    )


def test_without_a_workflow_a_draft_is_scheduled_directly(
    personas: Any, demo_channel: Channel, soon: Any
) -> None:
    post = schedule_post(_draft(personas, demo_channel), soon, by=personas.actor("manager"))
    assert post.state == PostState.SCHEDULED
    dated = submit_for_review(
        _draft(personas, demo_channel, when=soon), by=personas.actor("manager")
    )
    assert dated.state == PostState.SCHEDULED  # approved at once, and it had a time


def test_one_step_blocks_scheduling_until_approved(
    personas: Any, demo_channel: Channel, soon: Any
) -> None:
    configure_approvals(personas.workspace, "one", [{"name": "Lead"}], by=personas.actor("owner"))
    post = _draft(personas, demo_channel, when=soon)
    with pytest.raises(ActionError, match="must be approved"):
        schedule_post(post, soon, by=personas.actor("manager"))
    submit_for_review(post, by=personas.actor("manager"))
    with pytest.raises(PermissionDenied):
        approve_post(post, by=personas.actor("moderator"))  # may not approve posts
    with pytest.raises(PermissionDenied):
        approve_post(post, by=personas.actor("outsider"))
    approve_post(post, by=personas.actor("owner"), text="Good to go")
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED  # approved, and it had a future time
    assert post.comments.get().kind == CommentKind.APPROVE


def test_several_steps_with_named_approvers_in_order(
    personas: Any, demo_channel: Channel, soon: Any
) -> None:
    configure_approvals(
        personas.workspace,
        "multi",
        [
            {"name": "Editor", "approver_ids": [personas.moderator.pk]},
            {"name": "Legal", "approver_ids": [personas.analyst.pk]},
        ],
        by=personas.actor("owner"),
    )
    post = submit_for_review(_draft(personas, demo_channel), by=personas.actor("manager"))
    assert post.state == PostState.IN_REVIEW and post.review_step == 0
    with pytest.raises(PermissionDenied):
        approve_post(post, by=personas.actor("analyst"))  # not their step yet
    with pytest.raises(PermissionDenied):
        approve_post(post, by=personas.actor("owner"))  # named approvers only
    approve_post(post, by=personas.actor("moderator"))
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW and post.review_step == 1
    approve_post(post, by=personas.actor("analyst"))
    post.refresh_from_db()
    assert post.state == PostState.APPROVED  # no time yet: approved, not scheduled
    schedule_post(post, soon, by=personas.actor("manager"))
    steps = list(
        AuditEvent.objects.filter(action="publishing.post.approve", target_id=str(post.pk))
        .order_by("pk")
        .values_list("actor_label", "data__step")
    )
    assert steps == [(personas.moderator.email, "Editor"), (personas.analyst.email, "Legal")]


def test_requested_changes_send_the_post_back_and_an_edit_needs_approval_again(
    personas: Any, demo_channel: Channel, soon: Any
) -> None:
    configure_approvals(personas.workspace, "one", [{"name": "Lead"}], by=personas.actor("owner"))
    post = submit_for_review(_draft(personas, demo_channel), by=personas.actor("manager"))
    with pytest.raises(ActionError, match="Say what should change"):
        request_changes(post, by=personas.actor("owner"), text=" ")
    request_changes(post, by=personas.actor("owner"), text="Add the link to the guide.")
    comment_on_post(post, by=personas.actor("viewer"), text="Typo in line 2?")
    post.refresh_from_db()
    assert post.state == PostState.DRAFT
    assert [c.kind for c in post.comments.all()] == [CommentKind.CHANGES, CommentKind.COMMENT]

    submit_for_review(post, by=personas.actor("manager"))
    approve_post(post, by=personas.actor("owner"))
    schedule_post(post, soon, by=personas.actor("manager"))
    update_post(
        post,
        PostIn(variants=[VariantIn(channel_id=demo_channel.pk, text="Something else entirely")]),
        by=personas.actor("manager"),
    )
    post.refresh_from_db()
    assert post.state == PostState.DRAFT  # what was approved is not this any more


def test_the_review_link_is_signed_and_the_team_cannot_take_the_clients_step(
    personas: Any, demo_channel: Channel, soon: Any
) -> None:
    configure_approvals(
        personas.workspace,
        "multi",
        [{"name": "Team"}, {"name": "Client", "by_client": True}],
        by=personas.actor("owner"),
    )
    post = submit_for_review(
        _draft(personas, demo_channel, when=soon), by=personas.actor("manager")
    )
    link, token = create_review_link(
        personas.workspace, "Marie (Lumio)", [post], by=personas.actor("owner"), days=7
    )
    assert ReviewLink.find(token) == link
    assert ReviewLink.find(token[:-2] + "xx") is None  # a forged signature
    approve_post(post, by=personas.actor("owner"))  # the team's step
    with pytest.raises(ActionError, match="This step is the client's"):
        approve_post(post, by=personas.actor("owner"))  # the team cannot take the client's


def test_client_link_takes_the_client_step_and_comments(
    personas: Any, demo_channel: Channel, soon: Any
) -> None:
    configure_approvals(
        personas.workspace,
        "multi",
        [{"name": "Team"}, {"name": "Client", "by_client": True}],
        by=personas.actor("owner"),
    )
    post = submit_for_review(
        _draft(personas, demo_channel, when=soon), by=personas.actor("manager")
    )
    link, token = create_review_link(
        personas.workspace, "Marie", [post], by=personas.actor("owner")
    )
    client_decides(link, post.pk, "approve", client_name="Marie")  # not yet its step: a comment
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW and post.review_step == 0
    approve_post(post, by=personas.actor("owner"))
    client_decides(link, post.pk, "comment", client_name="Marie", text="Love the photo")
    client_decides(link, post.pk, "approve", client_name="Marie", text="OK for me")
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED
    labels = [c.author_label for c in post.comments.filter(review_link=link)]
    assert labels == ["Marie (client, through a review link)"] * 3
    assert AuditEvent.objects.filter(
        action="publishing.client.approve", data__step_taken=True, target_id=str(post.pk)
    ).exists()


def test_client_requests_changes(personas: Any, demo_channel: Channel) -> None:
    configure_approvals(
        personas.workspace,
        "one",
        [{"name": "Client", "by_client": True}],
        by=personas.actor("owner"),
    )
    post = submit_for_review(_draft(personas, demo_channel), by=personas.actor("manager"))
    link, _token = create_review_link(
        personas.workspace, "Marie", [post], by=personas.actor("owner")
    )
    client_decides(link, post.pk, "changes", client_name="", text="Use our new logo")
    post.refresh_from_db()
    assert post.state == PostState.DRAFT
    assert post.comments.get().author_label == "Marie (client, through a review link)"


def test_an_expired_or_revoked_link_opens_nothing(
    personas: Any, demo_channel: Channel, other_workspace: Any
) -> None:
    post = _draft(personas, demo_channel)
    link, token = create_review_link(
        personas.workspace, "Marie", [post], by=personas.actor("owner")
    )
    ReviewLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ReviewLink.find(token) is None
    link2, token2 = create_review_link(
        personas.workspace, "Paul", [post], by=personas.actor("owner")
    )
    revoke_review_link(link2, by=personas.actor("manager"))
    assert ReviewLink.find(token2) is None
    link2.refresh_from_db()
    with pytest.raises(PermissionDenied):
        client_decides(link2, post.pk, "approve", client_name="Paul")
    # Another workspace's post cannot be put in a link, nor can its owner make one here.
    with pytest.raises(PermissionDenied):
        create_review_link(personas.workspace, "X", [post], by=personas.actor("outsider"))
    link3, _t = create_review_link(personas.workspace, "Q", [post], by=personas.actor("owner"))
    other = _draft(personas, demo_channel)
    with pytest.raises(ActionError, match="not part of the review"):
        client_decides(link3, other.pk, "approve", client_name="Q")


def test_configuration_is_checked(personas: Any) -> None:
    with pytest.raises(ActionError, match="between 2 and 6 steps"):
        configure_approvals(
            personas.workspace, "multi", [{"name": "A"}], by=personas.actor("owner")
        )
    with pytest.raises(ActionError, match="member of the workspace"):
        configure_approvals(
            personas.workspace,
            "one",
            [{"name": "A", "approver_ids": [personas.outsider.pk]}],
            by=personas.actor("owner"),
        )
    with pytest.raises(PermissionDenied):
        configure_approvals(personas.workspace, "none", [], by=personas.actor("moderator"))
